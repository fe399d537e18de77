"""Forms of the user tasks (the `formKey` of each BPMN user task) and case payloads."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import N_, Strict

REASONS = validate.Length(1, 2000, error="give the reasons (1 to 2000 characters)")


class Form(Strict):
    """A user task's form."""


class AnnouncementForm(Form):
    """公告告知: where the notice was published when the operator could not be reached."""

    published_in = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={
            "label": N_("公告发布载体"),
            "help": N_("无法送达时公告告知：写明发布公告的网站或媒体及日期"),
        },
    )


class RepairVerification(Form):
    """核实修复申请 (Art. 21): approve, reject with reasons, or ask for more material."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["approve", "reject", "need_more"]),
        metadata={
            "label": N_("核实结论"),
            "choice_labels": {
                "approve": N_("准予修复"),
                "reject": N_("不予修复"),
                "need_more": N_("要求补充材料"),
            },
        },
    )
    reasons = fields.String(
        load_default=None,
        validate=REASONS,
        metadata={
            "label": N_("理由或需补充的材料"),
            "help": N_("不予修复须说明理由；要求补充材料须列明所缺材料"),
        },
    )
    rectified_confirmed = fields.Boolean(
        load_default=False,
        metadata={"label": N_("已确认整改到位（第十四条第二项）")},
    )

    @validates_schema
    def _reasons(self, data, **kwargs):
        if data["decision"] in ("reject", "need_more") and not data.get("reasons"):
            raise ValidationError("say why (or what material is missing)", "reasons")
        if data["decision"] == "approve" and not data.get("rectified_confirmed"):
            raise ValidationError(
                "approval needs the rectification confirmed (Art. 14(2))", "rectified_confirmed"
            )


class SupplementForm(Form):
    """补充材料: the enterprise's supplement."""

    material = fields.String(
        required=True,
        validate=validate.Length(1, 5000),
        metadata={"label": N_("补充材料"), "help": N_("按市场监管部门的要求补充说明或材料")},
    )


class ObjectionAcceptance(Form):
    """异议受理 (Art. 24): accept, or not accept with reasons."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["accept", "reject"]),
        metadata={
            "label": N_("是否受理"),
            "choice_labels": {"accept": N_("受理"), "reject": N_("不予受理")},
        },
    )
    reasons = fields.String(
        load_default=None,
        validate=REASONS,
        metadata={"label": N_("不予受理的理由"), "help": N_("不予受理的，须说明理由")},
    )

    @validates_schema
    def _reasons(self, data, **kwargs):
        if data["decision"] == "reject" and not data.get("reasons"):
            raise ValidationError("a refusal to accept must give its reasons", "reasons")


class ObjectionResolution(Form):
    """异议核实处置: upheld (no change), amended (new points) or revoked (entry voided)."""

    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["upheld", "amended", "revoked"]),
        metadata={
            "label": N_("处理结果"),
            "choice_labels": {
                "upheld": N_("维持原记分"),
                "amended": N_("变更记分"),
                "revoked": N_("撤销记分"),
            },
        },
    )
    points = fields.Decimal(
        load_default=None,
        places=1,
        validate=validate.Range(0, 12, min_inclusive=False),
        metadata={
            "label": N_("变更后的分值"),
            "help": N_(
                "仅在变更记分时填写：扣分、修复或奖励变更后的分值。对不予修复、不予奖励决定的"
                "异议，撤销即予以修复或奖励"
            ),
        },
    )
    reasons = fields.String(
        required=True, validate=REASONS, metadata={"label": N_("核实情况和理由")}
    )

    @validates_schema
    def _points(self, data, **kwargs):
        if data["outcome"] == "amended" and data.get("points") is None:
            raise ValidationError("an amended deduction needs its new points", "points")
        if data["outcome"] != "amended" and data.get("points") is not None:
            raise ValidationError("points are given only when the deduction is amended", "points")


class CorrectionDecision(Form):
    """纠错核实 (Art. 25): correct (void or new points) or no error found."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["correct", "no_error"]),
        metadata={
            "label": N_("核实结论"),
            "choice_labels": {"correct": N_("予以更正"), "no_error": N_("经核实无误")},
        },
    )
    points = fields.Decimal(
        load_default=None,
        places=1,
        validate=validate.Range(0, 12, min_inclusive=False),
        metadata={"label": N_("更正后的扣分"), "help": N_("更正扣分值时填写；撤销记分的勾选下项")},
    )
    void = fields.Boolean(load_default=False, metadata={"label": N_("撤销该记分")})
    reasons = fields.String(
        required=True, validate=REASONS, metadata={"label": N_("核实情况和理由")}
    )

    @validates_schema
    def _what(self, data, **kwargs):
        if data["decision"] == "correct" and not data.get("void") and data.get("points") is None:
            raise ValidationError("a correction voids the entry or gives its new points", "points")


class RewardVerification(Form):
    """核实奖励申请 (Art. 22)."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["approve", "reject"]),
        metadata={
            "label": N_("核实结论"),
            "choice_labels": {"approve": N_("予以奖励"), "reject": N_("不予奖励")},
        },
    )
    reasons = fields.String(
        load_default=None,
        validate=REASONS,
        metadata={"label": N_("理由"), "help": N_("不予奖励的，须说明理由")},
    )

    @validates_schema
    def _reasons(self, data, **kwargs):
        if data["decision"] == "reject" and not data.get("reasons"):
            raise ValidationError("a rejection must give its reasons", "reasons")


class RectificationReport(Form):
    """报告整改情况 (Art. 27): what the enterprise did about the quality problems."""

    report = fields.String(
        required=True,
        validate=validate.Length(
            1, 5000, error="describe the rectification (1 to 5000 characters)"
        ),
        metadata={"label": N_("整改情况"), "help": N_("说明针对质量问题采取的整改措施和结果")},
    )


class RectificationVerification(Form):
    """核查整改情况: rectified (the measure is done), or not, with reasons (back to the
    enterprise)."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["accept", "reject"]),
        metadata={
            "label": N_("核查结论"),
            "choice_labels": {"accept": N_("整改到位"), "reject": N_("未到位，退回整改")},
        },
    )
    reasons = fields.String(load_default=None, validate=REASONS, metadata={"label": N_("核查意见")})

    @validates_schema
    def _reasons(self, data, **kwargs):
        if data["decision"] == "reject" and not data.get("reasons"):
            raise ValidationError("say what is still to be rectified", "reasons")


class IsoDate(fields.Date):
    """A date kept as its ISO text in the case data (the engine stores plain values)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


class LetterPosting(Form):
    """邮寄告知书 (R-CHANNEL): the letter to the registered address was posted on this day."""

    posted_on = IsoDate(
        required=True,
        metadata={"label": N_("邮寄日期"), "help": N_("打印告知书并交邮的日期")},
    )
    tracking = fields.String(
        load_default="",
        validate=validate.Length(0, 100),
        metadata={"label": N_("邮件号码"), "help": N_("挂号信或EMS的邮件号码")},
    )


class LetterResult(Form):
    """投递结果: delivered on a day (the day the notice counts as received) or returned."""

    outcome = fields.String(
        required=True,
        validate=validate.OneOf(["delivered", "returned"]),
        metadata={
            "label": N_("投递结果"),
            "choice_labels": {"delivered": N_("已签收"), "returned": N_("被退回")},
        },
    )
    on = IsoDate(
        required=True,
        metadata={"label": N_("签收或退回日期"), "help": N_("以邮政投递记录为准")},
    )
    reasons = fields.String(
        load_default=None,
        validate=REASONS,
        metadata={"label": N_("退回原因"), "help": N_("如：查无此单位、地址不详、拒收")},
    )


TASK_FORMS: dict[str, type[Form]] = {
    cls.__name__: cls
    for cls in (
        AnnouncementForm,
        RepairVerification,
        SupplementForm,
        ObjectionAcceptance,
        ObjectionResolution,
        CorrectionDecision,
        RewardVerification,
        RectificationReport,
        RectificationVerification,
        LetterPosting,
        LetterResult,
    )
}
