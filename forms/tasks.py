"""Forms of the user tasks (the `formKey` of each BPMN user task) and case payloads."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import Strict

REASONS = validate.Length(1, 2000, error="give the reasons (1 to 2000 characters)")


class Form(Strict):
    """A user task's form."""


class AnnouncementForm(Form):
    """公告告知: where the notice was published when the operator could not be reached."""

    published_in = fields.String(required=True, validate=validate.Length(1, 200))


class RepairVerification(Form):
    """核实修复申请 (Art. 21): approve, reject with reasons, or ask for more material."""

    decision = fields.String(
        required=True, validate=validate.OneOf(["approve", "reject", "need_more"])
    )
    reasons = fields.String(load_default=None, validate=REASONS)
    rectified_confirmed = fields.Boolean(load_default=False)

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

    material = fields.String(required=True, validate=validate.Length(1, 5000))


class ObjectionAcceptance(Form):
    """异议受理 (Art. 24): accept, or not accept with reasons."""

    decision = fields.String(required=True, validate=validate.OneOf(["accept", "reject"]))
    reasons = fields.String(load_default=None, validate=REASONS)

    @validates_schema
    def _reasons(self, data, **kwargs):
        if data["decision"] == "reject" and not data.get("reasons"):
            raise ValidationError("a refusal to accept must give its reasons", "reasons")


class ObjectionResolution(Form):
    """异议核实处置: upheld (no change), amended (new points) or revoked (entry voided)."""

    outcome = fields.String(
        required=True, validate=validate.OneOf(["upheld", "amended", "revoked"])
    )
    points = fields.Decimal(
        load_default=None, places=1, validate=validate.Range(0, 12, min_inclusive=False)
    )
    reasons = fields.String(required=True, validate=REASONS)

    @validates_schema
    def _points(self, data, **kwargs):
        if data["outcome"] == "amended" and data.get("points") is None:
            raise ValidationError("an amended deduction needs its new points", "points")
        if data["outcome"] != "amended" and data.get("points") is not None:
            raise ValidationError("points are given only when the deduction is amended", "points")


class CorrectionDecision(Form):
    """纠错核实 (Art. 25): correct (void or new points) or no error found."""

    decision = fields.String(required=True, validate=validate.OneOf(["correct", "no_error"]))
    points = fields.Decimal(
        load_default=None, places=1, validate=validate.Range(0, 12, min_inclusive=False)
    )
    void = fields.Boolean(load_default=False)
    reasons = fields.String(required=True, validate=REASONS)

    @validates_schema
    def _what(self, data, **kwargs):
        if data["decision"] == "correct" and not data.get("void") and data.get("points") is None:
            raise ValidationError("a correction voids the entry or gives its new points", "points")


class RewardVerification(Form):
    """核实奖励申请 (Art. 22)."""

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reasons = fields.String(load_default=None, validate=REASONS)

    @validates_schema
    def _reasons(self, data, **kwargs):
        if data["decision"] == "reject" and not data.get("reasons"):
            raise ValidationError("a rejection must give its reasons", "reasons")


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
    )
}
