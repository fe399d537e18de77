"""What the administration pages show: the counts of the overview, the holiday schedules and
scoring-table versions loaded, the runs before a given one, the provisional deadlines, and a
user's own API tokens."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.permissions import bureau_tree_codes
from models import (
    ApiToken,
    Bureau,
    ClassificationRun,
    Deadline,
    HolidaySchedule,
    ScoringTableVersion,
    User,
)


def count(model) -> int:
    """How many rows a table holds (bureaus, table versions …)."""
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def open_provisional() -> int:
    """Running or paused deadlines computed without a loaded schedule (R-CAL)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Deadline)
            .where(Deadline.provisional.is_(True), Deadline.state.in_(("running", "paused")))
        )
        or 0
    )


def schedule_years() -> list[int]:
    return list(db.session.scalars(select(HolidaySchedule.year).order_by(HolidaySchedule.year)))


def holiday_schedules() -> list[HolidaySchedule]:
    """The loaded schedules, the latest year first."""
    return list(db.session.scalars(select(HolidaySchedule).order_by(HolidaySchedule.year.desc())))


def table_versions() -> list[ScoringTableVersion]:
    """Every scoring-table version, the latest start first."""
    return list(
        db.session.scalars(
            select(ScoringTableVersion).order_by(ScoringTableVersion.applies_from.desc())
        )
    )


def latest_run() -> ClassificationRun | None:
    return db.session.scalar(
        select(ClassificationRun).order_by(ClassificationRun.run_on.desc()).limit(1)
    )


def latest_run_day() -> date | None:
    return db.session.scalar(
        select(ClassificationRun.run_on).order_by(ClassificationRun.run_on.desc()).limit(1)
    )


def previous_run_day(day: date) -> date | None:
    """The run before `day`'s, to compare with."""
    return db.session.scalar(
        select(ClassificationRun.run_on)
        .where(ClassificationRun.run_on < day)
        .order_by(ClassificationRun.run_on.desc())
        .limit(1)
    )


def bureaus_under(code: str | None) -> list[Bureau]:
    """The bureau and those below it, by code."""
    codes = bureau_tree_codes(code)
    return list(
        db.session.scalars(select(Bureau).where(Bureau.code.in_(codes)).order_by(Bureau.code))
    )


def user_tokens(user_id: int) -> list[ApiToken]:
    """A user's API tokens, the newest first (revoked ones too, marked so)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        )
    )


def user_named(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))
