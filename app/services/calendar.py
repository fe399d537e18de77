"""The project's working-day calendar: loaded yearly schedules over the package (R-CAL)."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select

from app.calendar import ScheduleError, WorkCalendar, YearSchedule, parse_schedule
from app.calendar.schedule_file import dump_schedule
from app.errors import DomainError
from app.extensions import db
from models import HolidaySchedule

from .audit import record_event


def _to_schedule(row: HolidaySchedule) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        source=row.source,
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        workdays=frozenset(date.fromisoformat(d) for d in row.workdays),
        names={date.fromisoformat(k): v for k, v in row.names.items()},
    )


_SCHEDULES_VERSION = select(func.count(), func.max(HolidaySchedule.loaded_at))


def work_calendar() -> WorkCalendar:
    """The calendar as the database has it now (schedules win over the package). Kept per app
    and rebuilt only when a schedule is loaded, so its per-year tables are built once."""
    version = tuple(db.session.execute(_SCHEDULES_VERSION).one())
    cached = current_app.extensions.get("work_calendar")
    if cached is not None and cached[0] == version:
        return cached[1]
    calendar = WorkCalendar(_to_schedule(r) for r in db.session.scalars(select(HolidaySchedule)))
    current_app.extensions["work_calendar"] = (version, calendar)
    return calendar


def load_schedule(text: str, *, actor: str, at: datetime) -> tuple[YearSchedule, bool]:
    """Store a year's schedule and recompute every open provisional deadline (R-CAL). Loading
    the same schedule again changes nothing. Returns the schedule and whether it changed."""
    try:
        schedule = parse_schedule(text)
    except ScheduleError as exc:
        raise DomainError("holiday schedule refused: %(error)s", error=str(exc)) from None
    values = dict(
        source=schedule.source,
        holidays=sorted(d.isoformat() for d in schedule.holidays),
        workdays=sorted(d.isoformat() for d in schedule.workdays),
        names={d.isoformat(): n for d, n in sorted(schedule.names.items())},
    )
    row = db.session.get(HolidaySchedule, schedule.year)
    if row is not None and all(getattr(row, k) == v for k, v in values.items()):
        return schedule, False
    if row is None:
        row = HolidaySchedule(year=schedule.year)
        db.session.add(row)
    for k, v in values.items():
        setattr(row, k, v)
    row.document = dump_schedule(schedule)
    row.loaded_by, row.loaded_at = actor, at
    db.session.flush()
    from .deadlines import recompute_provisional

    recomputed = recompute_provisional(work_calendar())
    record_event(
        at,
        actor,
        "calendar.load",
        "holiday_schedule",
        str(schedule.year),
        {
            "source": schedule.source,
            "holidays": len(values["holidays"]),
            "workdays": len(values["workdays"]),
            "deadlines_recomputed": recomputed,
        },
    )
    return schedule, True
