"""The information filing (企业信息填报, Art. 14(3)): one item, and the declaration."""

from __future__ import annotations

from marshmallow import fields, validate

from models.filing import FILING_KINDS

from .base import N_, Strict


class FilingItemForm(Strict):
    """A product the operator makes or sells, a supplier or a distributor."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            FILING_KINDS,
            error="choose product, supplier, distributor, recall or self_inspection",
        ),
        metadata={
            "label": N_("类别"),
            "choice_labels": {
                "product": N_("产品"),
                "supplier": N_("供货商"),
                "distributor": N_("经销商"),
                "recall": N_("召回报告"),
                "self_inspection": N_("自查情况（不合格通报后）"),
            },
        },
    )
    name = fields.String(
        required=True,
        validate=validate.Length(1, 200, error="give a name (1 to 200 characters)"),
        metadata={"label": N_("名称"), "help": N_("产品名称，或供货商、经销商的名称")},
    )
    detail = fields.String(
        load_default="",
        validate=validate.Length(0, 500, error="at most 500 characters"),
        metadata={
            "label": N_("说明"),
            "help": N_(
                "产品的品牌和型号；供货商、经销商的统一社会信用代码或地址；"
                "召回报告、自查情况须说明所采取的措施"
            ),
        },
    )

    event_on = fields.Date(
        load_default=None,
        metadata={
            "label": N_("召回日期或不合格通报日期"),
            "help": N_(
                "仅召回报告、自查情况填写：召回产品的日期，或收到不合格通报的日期；"
                "填报日期由系统记录（第十七条）"
            ),
        },
    )


class FilingDeclaration(Strict):
    """The declaration that completes the filing."""

    declaration = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="confirm that the filing is true and complete"),
        metadata={"label": N_("本企业承诺如实填报，无隐瞒")},
    )


class ContactForm(Strict):
    """Where notices reach the operator (R-CHANNEL, Art. 23): e-mail and mobile for 数据电文,
    the postal address for letters. An empty field clears it."""

    email = fields.String(
        load_default="",
        validate=validate.Regexp(
            r"^(|[^@\s]+@[^@\s]+\.[^@\s]+)$", error=N_("give a valid e-mail address")
        ),
        metadata={"label": N_("电子邮箱"), "help": N_("用于接收记分告知等文书")},
    )
    mobile = fields.String(
        load_default="",
        validate=validate.Regexp(
            r"^(|(\+86)?1[3-9][0-9]{9})$", error=N_("give an 11-digit mainland mobile number")
        ),
        metadata={"label": N_("手机号码"), "help": N_("11位手机号码，用于接收短信告知")},
    )
    postal_address = fields.String(
        load_default="",
        validate=validate.Length(0, 300, error=N_("at most 300 characters")),
        metadata={"label": N_("邮寄地址"), "help": N_("无法以数据电文送达时，告知书邮寄至此地址")},
    )
