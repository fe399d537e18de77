"""Effects of `correction.bpmn` (Art. 25): the corrected scoring and a new notice."""

from __future__ import annotations

from decimal import Decimal

from app.codes import message
from app.extensions import db
from models import Case, Matter

from .common import latest_form, notify_operator
from .compensation import replace_or_void
from .registry import effect


@effect("correction_applied")
def _correction_applied(case: Case, ctx) -> None:
    """The corrected scoring, then a new notice of the matter (R-RIGHTS): the objection window
    runs from its receipt."""
    from ..applications import issue_notice

    form = latest_form(case, ctx, "verify_correction")
    points = Decimal(form["points"]) if form.get("points") else None
    replace_or_void(case, ctx, void=bool(form.get("void")), points=points, why="correction")
    case.outcome = "corrected"
    notify_operator(
        case, ctx, "correction", message("correction_applied", reasons=form.get("reasons") or "")
    )
    if case.matter_id is not None:
        issue_notice(
            db.session.get(Matter, case.matter_id),
            case.operator_id,
            ctx=ctx,
            scored_on=ctx.today,
            correction=case.id,
        )


@effect("correction_rejected")
def _correction_rejected(case: Case, ctx) -> None:
    case.outcome = "no_error"
