"""Effects any case may reach: withdrawal by the enterprise, a legal deadline passed."""

from __future__ import annotations

from app.codes import message
from app.extensions import db
from app.permissions import bureau_ancestors
from models import Case, Notification

from .registry import effect


@effect("withdrawn")
def _withdrawn(case: Case, ctx) -> None:
    case.status, case.outcome, case.completed_at = "withdrawn", "withdrawn", ctx.now


@effect("overdue")
def _overdue(case: Case, ctx) -> None:
    """Mark the case overdue and tell the supervisors of its bureau and every bureau above."""
    case.overdue = True
    names = sorted(d.name for d in ctx.deadlines[case.id].values() if d.state == "passed")
    for code in bureau_ancestors(case.deciding_bureau):
        db.session.add(
            Notification(
                case_id=case.id,
                bureau_code=code,
                kind="overdue",
                created_at=ctx.now,
                message=message("overdue", case=case.id, process=case.process_id, deadlines=names),
            )
        )
