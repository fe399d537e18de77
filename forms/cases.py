"""Payloads and answers of the case API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .base import N_, Id, Strict


class RepairApplication(Strict):
    entry_id = Id(required=True, metadata={"label": N_("扣分条目")})
    not_intentional_statement = fields.String(
        required=True,
        validate=validate.Length(1, 5000),
        metadata={
            "description": "why the conduct was not intentional (Art. 14(1))",
            "label": N_("非主观故意的说明"),
            "help": N_("说明失信行为或结果不属于主观故意的理由和证据（第十四条第一项）"),
        },
    )
    rectification = fields.String(
        required=True,
        validate=validate.Length(1, 5000),
        metadata={
            "description": "what was rectified (Art. 14(2))",
            "label": N_("整改情况"),
            "help": N_("已采取的整改措施和结果，整改须经市场监管部门确认（第十四条第二项）"),
        },
    )
    undertaking = fields.Boolean(
        required=True,
        validate=validate.Equal(
            True, error="the enterprise must undertake not to repeat the conduct"
        ),
        metadata={"label": N_("本企业承诺不再发生同类失信行为")},
    )


class ObjectionFiling(Strict):
    entry_ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(1, 50),
        metadata={"label": N_("有异议的记分条目")},
    )
    evidence = fields.String(
        required=True,
        validate=validate.Length(1, 10000),
        metadata={
            "label": N_("异议理由和证据"),
            "help": N_("说明记分有误的理由，并列明相关证据材料"),
        },
    )


class CorrectionReport(Strict):
    entry_id = Id(required=True, metadata={"label": N_("记分条目")})
    description = fields.String(
        required=True,
        validate=validate.Length(1, 5000),
        metadata={
            "label": N_("错误情况"),
            "help": N_("说明该记分哪里有误（事项、对象、条目或分值）及依据（第二十五条）"),
        },
    )


class RewardApplication(Strict):
    object_id = Id(required=True, metadata={"label": N_("记分对象")})
    code = fields.String(
        required=True, validate=validate.Length(1, 10), metadata={"label": N_("奖励条目")}
    )
    statement = fields.String(
        required=True,
        validate=validate.Length(1, 5000),
        metadata={
            "label": N_("申请说明"),
            "help": N_("说明符合奖励条件的事实，并列明证明材料"),
        },
    )


class Reassignment(Strict):
    username = fields.String(required=True, metadata={"label": N_("改派给")})
    reason = fields.String(
        required=True,
        validate=validate.Length(1, 1000),
        metadata={"label": N_("改派理由")},
    )


class QueueQuery(Strict):
    process = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["deduction_notice", "repair", "objection", "correction", "reward"]
        ),
    )
    overdue = fields.Boolean(load_default=None)
    sort = fields.String(load_default="due", validate=validate.OneOf(["due", "newest", "oldest"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class OperatorRef(Schema):
    uscc = fields.String()
    name = fields.String()


class QueueTask(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    process = fields.String()
    task = fields.String()
    title = fields.String()
    lane = fields.String()
    bureau = fields.String()
    form = fields.String(allow_none=True)
    operator = fields.Nested(OperatorRef)
    due_on = fields.Date(allow_none=True)
    overdue = fields.Boolean()
    due_soon = fields.Boolean()
    claimed_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class OpenTask(Schema):
    id = fields.Integer()
    task = fields.String()
    lane = fields.String()
    due_on = fields.Date(allow_none=True)


class CaseSummary(Schema):
    id = fields.Integer()
    process = fields.String()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    overdue = fields.Boolean()
    filed_on = fields.Date()
    bureau = fields.String()
    subject = fields.Dict()
    open_tasks = fields.List(
        fields.Nested(OpenTask),
        metadata={"description": "the tasks open now, e.g. the next one to complete"},
    )


class CaseTaskOut(Schema):
    id = fields.Integer()
    task = fields.String()
    title = fields.String()
    lane = fields.String()
    state = fields.String()
    due_on = fields.Date(allow_none=True)
    claimed_by = fields.Integer(allow_none=True)
    form = fields.String(allow_none=True)
    completed_by = fields.String(allow_none=True)


class DeadlineOut(Schema):
    name = fields.String()
    working_days = fields.Integer(allow_none=True)
    days = fields.Integer(allow_none=True)
    start_on = fields.Date()
    due_on = fields.Date()
    state = fields.String(metadata={"description": "running, paused, met or passed"})
    provisional = fields.Boolean(
        metadata={"description": "counted Monday-Friday for a year without a schedule"}
    )
    paused_on = fields.Date(allow_none=True)
    remaining = fields.Integer(allow_none=True)


class CaseFile(CaseSummary):
    operator = fields.Nested(OperatorRef)
    started_by = fields.String()
    next_due_on = fields.Date(allow_none=True)
    tasks = fields.List(fields.Nested(CaseTaskOut))
    deadlines = fields.List(fields.Nested(DeadlineOut))


class HistoryStep(Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    task = fields.String(allow_none=True)
    detail = fields.Dict()


class Diagram(Schema):
    process = fields.String()
    bpmn = fields.String(metadata={"description": "the BPMN 2.0 XML the case runs on"})
    completed = fields.List(fields.String())
    current = fields.List(fields.String())


class OverdueRow(Schema):
    bureau = fields.String()
    name = fields.String()
    open = fields.Integer()
    overdue = fields.Integer()
    due_soon = fields.Integer()


class NotificationOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    kind = fields.String()
    message = fields.String()
    created_at = fields.DateTime()
    read = fields.Boolean()
