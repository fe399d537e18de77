"""Helpers the effects of several processes share: forms, notifications, entries, filing."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from models import Case, CaseTask, LedgerEntry, Notification, ScoringObject


def latest_form(case: Case, ctx, task_name: str) -> dict:
    """The form data of the latest completed task `task_name` of the case: the one this request
    completed if it is that task, else the latest stored."""
    just_done = ctx.completed_forms.get((case.id, task_name))
    if just_done is not None:
        return just_done
    row = db.session.scalar(
        select(CaseTask)
        .where(CaseTask.case_id == case.id, CaseTask.name == task_name, CaseTask.state == "done")
        .order_by(CaseTask.id.desc())
        .limit(1)
    )
    return (row.form_data or {}) if row else {}


def notify_operator(case: Case, ctx, kind: str, message: str) -> None:
    db.session.add(
        Notification(
            case_id=case.id,
            operator_id=case.operator_id,
            kind=kind,
            message=message,
            created_at=ctx.now,
        )
    )


def ledger_entry(entry_id: int) -> tuple[LedgerEntry, ScoringObject]:
    """The entry and its scoring object: one query, unless the request has read the entry."""
    if db.session.identity_key(LedgerEntry, entry_id) in db.session.identity_map:
        entry = db.session.get(LedgerEntry, entry_id)
        return entry, db.session.get(ScoringObject, entry.object_id)
    row = db.session.execute(
        select(LedgerEntry, ScoringObject)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .where(LedgerEntry.id == entry_id)
    ).first()
    if row is None:
        raise DomainError("ledger entry %(entry)s does not exist", entry=entry_id)
    return row[0], row[1]


def refuse_on_filing(case: Case, *, filing: bool = True) -> None:
    """Art. 14(3), 17 at the decision: the filing is checked again (it may have become
    incomplete since the application), and a finding of concealment in force bars it."""
    from ..filing import CONCEALED, INCOMPLETE_AT_DECISION, filing_refusals

    reasons = filing_refusals(case.operator_id, deciding=True)
    if not filing:
        reasons = [r for r in reasons if r != INCOMPLETE_AT_DECISION]
    if CONCEALED in reasons:
        raise DomainError(CONCEALED)
    if reasons:
        raise DomainError(INCOMPLETE_AT_DECISION)
