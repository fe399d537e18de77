"""Schemas of the JSON API (the OpenAPI document is generated from these)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .base import Strict
from .validators import validate_uscc


class ScoreQuery(Strict):
    brand = fields.String(load_default=None, metadata={"description": "product brand (商标)"})
    nice_class = fields.Integer(load_default=None, validate=validate.Range(1, 34))
    as_of = fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD; default today"})


class ScoredObject(Schema):
    kind = fields.String(metadata={"description": "producer, seller or product"})
    uscc = fields.String()
    name = fields.String()
    brand = fields.String()
    nice_class = fields.Integer()
    category = fields.String()


class OfficialClass(Schema):
    class_ = fields.String(data_key="class", attribute="class")
    run_on = fields.Date()
    locked_until = fields.Date(allow_none=True)


class ScoreLine(Schema):
    entry_id = fields.Integer(
        allow_none=True,
        metadata={"description": "the ledger entry, to dispute or repair it (none for START)"},
    )
    kind = fields.String()
    points = fields.String(metadata={"description": "decimal with two places"})
    effective_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    matter = fields.String(allow_none=True)
    item = fields.String(allow_none=True)
    via = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ScoreDocument(Schema):
    """Interchange §2: a score and what it is made of."""

    object = fields.Nested(ScoredObject)
    as_of = fields.Date()
    score = fields.String(allow_none=True)
    class_ = fields.String(data_key="class", attribute="class")
    official_class = fields.Nested(OfficialClass, allow_none=True)
    entries = fields.List(fields.Nested(ScoreLine))


class SearchQuery(Strict):
    q = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={"description": "credit code, name or brand"},
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class ObjectHit(Schema):
    kind = fields.String()
    uscc = fields.String()
    name = fields.String()
    brand = fields.String(allow_none=True)
    nice_class = fields.Integer(allow_none=True)
    category = fields.String(allow_none=True)
    bureau = fields.String()


class Bureau(Schema):
    code = fields.String()
    name = fields.String()
    parent = fields.String(allow_none=True)
    level = fields.String()


class Run(Schema):
    run_on = fields.Date()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    started_by = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    changes = fields.Dict(keys=fields.String(), values=fields.Integer())
    off_cycle = fields.Boolean(
        metadata={"description": "Run on a date that is not a scheduled run date (R-HALFYEAR)"}
    )
    reason = fields.String(
        allow_none=True, metadata={"description": "Why the off-cycle run was asked for"}
    )


class ResultsQuery(Strict):
    klass = fields.String(
        data_key="class", load_default=None, validate=validate.OneOf(["A", "B", "C", "D", "O"])
    )
    bureau = fields.String(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class RunResult(Schema):
    kind = fields.String()
    uscc = fields.String()
    name = fields.String()
    brand = fields.String(allow_none=True)
    nice_class = fields.Integer(allow_none=True)
    score = fields.String(allow_none=True)
    class_ = fields.String(data_key="class", attribute="class")
    previous_class = fields.String(allow_none=True)
    locked_until = fields.Date(allow_none=True)


class RunResults(Schema):
    run_on = fields.Date()
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    results = fields.List(fields.Nested(RunResult))


class Refusal(Schema):
    line = fields.Integer()
    ref = fields.String(allow_none=True)
    reason = fields.String()


class Review(Schema):
    line = fields.Integer()
    ref = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    reason = fields.String()


class ImportReport(Schema):
    read = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer()
    refusals = fields.List(fields.Nested(Refusal))
    # Accepted records to look at: categories the scope catalogue does not know (R-SCOPE).
    review = fields.List(fields.Nested(Review))


__all__ = ["validate_uscc"]


class DeadlineQuery(Strict):
    start = fields.Date(
        required=True,
        data_key="from",
        metadata={"description": "the day the period runs from (not counted)"},
    )
    working_days = fields.Integer(load_default=None, validate=validate.Range(1, 366))
    days = fields.Integer(load_default=None, validate=validate.Range(1, 366))


class DeadlineAnswer(Schema):
    start = fields.Date(data_key="from")
    working_days = fields.Integer(allow_none=True)
    days = fields.Integer(allow_none=True)
    due_on = fields.Date()
    ends_at = fields.DateTime()
    provisional = fields.Boolean(
        metadata={"description": "a year without schedule or package data was counted Mon-Fri"}
    )


class CalendarStatus(Schema):
    years = fields.Dict(keys=fields.String(), values=fields.String())
    warning = fields.String(allow_none=True)
