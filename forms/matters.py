"""The form an officer fills in to record one matter (登记事项) in the inbox."""

from __future__ import annotations

from marshmallow import fields, validate

from .base import N_, Strict

OBJECT_KINDS = {"product": N_("产品"), "producer": N_("生产者"), "seller": N_("销售者")}


class MatterForm(Strict):
    """One matter against one object, as an officer types it; it becomes one interchange
    `matter` record (and an `operator` record for a seller or producer not yet registered)."""

    ref = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={
            "label": N_("文书编号"),
            "help": N_("认定该事项的文书编号，例如行政处罚决定书文号；同一编号只登记一次"),
        },
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["seller", "producer", "product"]),
        metadata={"label": N_("记分对象"), "choice_labels": OBJECT_KINDS},
    )
    uscc = fields.String(
        required=True,
        validate=validate.Length(1, 30),
        metadata={
            "label": N_("统一社会信用代码"),
            "help": N_("经营者的代码；记分对象为产品的，填写生产者的代码"),
        },
    )
    name = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={
            "label": N_("经营者名称"),
            "help": N_("用于核对登记名称；尚未登记的销售者、生产者将以此名称登记到本局"),
        },
    )
    brand = fields.String(
        load_default=None,
        validate=validate.Length(1, 100),
        metadata={"label": N_("品牌"), "help": N_("记分对象为产品时填写")},
    )
    nice_class = fields.Integer(
        load_default=None,
        metadata={"label": N_("商品类别（尼斯分类）"), "help": N_("记分对象为产品时填写")},
    )
    category = fields.String(
        load_default=None,
        validate=validate.Length(1, 50),
        metadata={
            "label": N_("涉及产品类别"),
            "help": N_(
                "事项涉及的产品类别，例如“电子电器”；食品、食品添加剂、化妆品、计量器具、"
                "特种设备不适用本规范（第二条）"
            ),
        },
    )
    item = fields.String(
        required=True,
        validate=validate.Length(1, 20),
        metadata={"label": N_("记分条目"), "help": N_("现行记分标准中的条目")},
    )
    related_item = fields.String(
        load_default=None,
        validate=validate.Length(1, 20),
        metadata={
            "label": N_("同时涉及的产品情形"),
            "help": N_(
                "按第十二条第一项记分的，选择产品所属的第十一条情形：生产者为第二至九项，"
                "销售者为第二、三项或第五至七项"
            ),
        },
    )
    intentional = fields.Boolean(
        load_default=False,
        metadata={"label": N_("该记分对象主观故意（按故意情形记分，第十三条）")},
    )
    major_impact = fields.Boolean(
        load_default=False, metadata={"label": N_("造成重大社会影响（不予修复，第十四条）")}
    )
    effective_on = fields.Date(
        required=True,
        metadata={"label": N_("生效日期"), "help": N_("认定文书生效之日，记分自该日起算")},
    )
    model = fields.String(
        load_default=None, validate=validate.Length(1, 100), metadata={"label": N_("型号规格")}
    )
    standard = fields.String(
        load_default=None, validate=validate.Length(1, 100), metadata={"label": N_("执行标准")}
    )
    summary = fields.String(
        required=True,
        validate=validate.Length(1, 5000),
        metadata={
            "label": N_("违法事实和证据"),
            "help": N_("简述认定的事实，并列明证据材料（检验报告、笔录、文书等）"),
        },
    )
