"""Forms of the measures pages: recording a measure done, drawing an inspection plan."""

from __future__ import annotations

from marshmallow import fields, validate

from .base import N_, Strict


class MeasureDoneForm(Strict):
    """约谈、培训、告知已完成: what was done, when and with whom."""

    note = fields.String(
        required=True,
        validate=validate.Length(1, 2000, error="say what was done (1 to 2000 characters)"),
        metadata={
            "label": N_("办理情况"),
            "help": N_("例如：约谈时间、地点、参加人员及培训内容"),
        },
    )


class InspectionPlanForm(Strict):
    """检查计划: a year, a bureau of the user's tree, and optionally the seed of the draw."""

    year = fields.Integer(
        required=True,
        validate=validate.Range(2000, 2100, error="give a year such as 2026"),
        metadata={"label": N_("年度")},
    )
    bureau = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{6}$", error="choose a bureau"),
        metadata={"label": N_("市场监管部门")},
    )
    seed = fields.Integer(
        load_default=None,
        validate=validate.Range(0, 2**63 - 1, error="the seed must be a whole number from 0"),
        metadata={
            "label": N_("随机种子"),
            "help": N_("留空则随机生成；填写已记录计划的种子可重现同一抽取结果"),
        },
    )
