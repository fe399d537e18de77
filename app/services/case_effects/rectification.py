"""Effects of `rectification.bpmn` (Art. 27): the bureau's verification of a rectification
report closes the rectification measure, or returns it to the enterprise."""

from __future__ import annotations

from app.errors import DomainError
from app.extensions import db
from models import Case, Measure

from .common import latest_form, notify_operator
from .registry import effect


def _case_measure(case_: Case) -> Measure:
    measure = db.session.get(Measure, case_.subject.get("measure_id"))
    if measure is None:
        raise DomainError("this rectification case has no measure", status=500)
    return measure


@effect("rectification_accepted")
def _rectification_accepted(case_: Case, ctx) -> None:
    """The bureau found the rectification done: the measure is done."""
    measure = _case_measure(case_)
    reasons = latest_form(case_, ctx, "verify_rectification").get("reasons")
    measure.state, measure.completed_at, measure.completed_by = "done", ctx.now, ctx.actor
    measure.note = reasons or "整改到位"
    case_.outcome = "accepted"
    notify_operator(
        case_,
        ctx,
        "rectification",
        "整改情况经核查已到位，责令整改措施完成。Rectification accepted.",
    )


@effect("rectification_returned")
def _rectification_returned(case_: Case, ctx) -> None:
    """Not yet rectified: the enterprise is told why and reports again."""
    reasons = latest_form(case_, ctx, "verify_rectification").get("reasons")
    notify_operator(
        case_, ctx, "rectification", f"整改情况经核查未到位，请继续整改后重新报告：{reasons}"
    )
