"""Legal deadlines of cases (rules §6): started, paused, resumed, met, passed.

A deadline is a row, not an engine timer, so it can stand still while the enterprise
supplements material and resume with the working days that were left, and so it can be
recomputed when a year's holiday schedule arrives.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import bindparam, select, update

from app.calendar import WorkCalendar
from app.extensions import db
from models import Case, CaseTask, Deadline


def _due(cal: WorkCalendar, start: date, working_days: int | None, days: int | None):
    if working_days is not None:
        return cal.add_working_days(start, working_days)
    return cal.add_days(start, days or 0)


_CASE_DEADLINES = select(Deadline).where(Deadline.case_id == bindparam("case_id"))


def case_deadlines(case: Case) -> dict[str, Deadline]:
    """The case's deadlines by name (one per name), read once per run and handed to the
    functions below, which add to it."""
    return {row.name: row for row in db.session.scalars(_CASE_DEADLINES, {"case_id": case.id})}


def open_deadline(
    case: Case,
    props: dict[str, str],
    known: dict[str, Deadline],
    *,
    cal: WorkCalendar,
    today: date,
) -> Deadline | None:
    """The deadline a user task carries (its `deadline` property): started on first use,
    resumed if paused. Returns None for a task without one."""
    name = props.get("deadline")
    if not name:
        return None
    existing = known.get(name)
    if existing is not None:
        if existing.state == "paused":
            # Resume with the working days that were left (or calendar days, for a day count).
            if existing.working_days is not None:
                deadline = cal.add_working_days(today, max(existing.remaining or 0, 1))
            else:
                deadline = cal.add_days(today, max(existing.remaining or 0, 1))
            # The clock restarts today for what was left, so a recompute stays right.
            if existing.working_days is not None:
                existing.working_days = existing.remaining
            else:
                existing.days = existing.remaining
            existing.start_on = today
            existing.due_on, existing.provisional = deadline.due_on, deadline.provisional
            existing.state, existing.paused_on, existing.remaining = "running", None, None
        return existing
    working_days = int(props["workingDays"]) if "workingDays" in props else None
    if working_days is not None and props.get("workingDaysSetting"):
        # A local setting (e.g. RECTIFICATION_WORKING_DAYS) overrides the file's default.
        working_days = int(current_app.config.get(props["workingDaysSetting"], working_days))
    days = int(props["days"]) if "days" in props else None
    start = case.filed_on if props.get("deadlineFrom", "case") == "case" else today
    deadline = _due(cal, start, working_days, days)
    row = Deadline(
        case_id=case.id,
        name=name,
        working_days=working_days,
        days=days,
        start_on=start,
        due_on=deadline.due_on,
        provisional=deadline.provisional,
        state="running",
    )
    db.session.add(row)
    db.session.flush()
    known[name] = row
    return row


def pause_deadline(
    name: str, known: dict[str, Deadline], *, cal: WorkCalendar, today: date
) -> Deadline | None:
    """Stop the clock of `name` while an enterprise task is open (e.g. 补充材料)."""
    row = known.get(name)
    if row is None or row.state != "running":
        return row
    if row.working_days is not None:
        remaining = cal.working_days_between(today, row.due_on) if row.due_on > today else 0
    else:
        remaining = max((row.due_on - today).days, 0)
    row.state, row.paused_on, row.remaining = "paused", today, remaining
    return row


def close_deadlines(
    known: dict[str, Deadline], still_needed: set[str], *, now: datetime
) -> date | None:
    """Deadlines that no open task carries or pauses any more have been met (or, if they had
    passed, are now acted on). Returns the earliest deadline still running."""
    next_due: date | None = None
    for row in known.values():
        if row.state not in ("running", "paused", "passed") or row.met_at is not None:
            continue
        if row.name not in still_needed:
            if row.state != "passed":
                row.state = "met"
            row.met_at = now
        elif row.state == "running" and (next_due is None or row.due_on < next_due):
            next_due = row.due_on
    return next_due


def recompute_provisional(cal: WorkCalendar) -> int:
    """After a holiday schedule is loaded: recompute every open provisional deadline (R-CAL)."""
    changed = 0
    for row in db.session.scalars(
        select(Deadline).where(Deadline.provisional.is_(True), Deadline.state == "running")
    ):
        deadline = _due(cal, row.start_on, row.working_days, row.days)
        if (deadline.due_on, deadline.provisional) != (row.due_on, row.provisional):
            row.due_on, row.provisional = deadline.due_on, deadline.provisional
            db.session.execute(
                update(CaseTask)
                .where(CaseTask.deadline_id == row.id, CaseTask.state == "open")
                .values(due_on=row.due_on)
            )
            changed += 1
    return changed
