"""Credit classes (Art. 26, 34): A/B/C/D by score, O for unscored; D locks for three years."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .dates import add_years

CLASSES = ("A", "B", "C", "D", "O")
D_LOCK_YEARS = 3
_TWELVE = Decimal(12)
_SIX = Decimal(6)


def class_for(points: Decimal | None) -> str:
    """R-CLASS: 12 or more → A; above 6 below 12 → B; above 0 up to 6 → C; 0 or less → D."""
    if points is None:
        return "O"
    if points >= _TWELVE:
        return "A"
    if points > _SIX:
        return "B"
    if points > 0:
        return "C"
    return "D"


@dataclass(frozen=True, slots=True)
class OfficialClass:
    """The supervision class a classification run set (R-HALFYEAR), with its D lock."""

    klass: str
    run_on: date
    locked_until: date | None = None


def official_class(
    points: Decimal | None, run_on: date, previous: OfficialClass | None
) -> OfficialClass:
    """R-DLOCK: a run that puts an object in D locks it there until the same date three years
    later; runs before that date keep it in D; a run on or after it classifies by score again
    (and a D by score then starts a new lock)."""
    if (
        previous is not None
        and previous.locked_until is not None
        and run_on < previous.locked_until
    ):
        return OfficialClass("D", run_on, previous.locked_until)
    klass = class_for(points)
    locked_until = add_years(run_on, D_LOCK_YEARS) if klass == "D" else None
    return OfficialClass(klass, run_on, locked_until)


def run_days(schedule: str) -> list[tuple[int, int]]:
    """The (month, day) pairs of the half-yearly run dates (R-HALFYEAR), from a setting like
    "01-01,07-01". A malformed setting raises ValueError naming the bad part."""
    days = []
    for part in schedule.split(","):
        try:
            month, day = (int(x) for x in part.strip().split("-"))
            date(2000, month, day)  # a leap year: 02-29 is a possible day
        except ValueError:
            raise ValueError(
                f"CLASSIFICATION_DAYS has {part.strip()!r}; write month-day pairs like 01-01,07-01"
            ) from None
        days.append((month, day))
    return days


def is_run_date(day: date, schedule: str) -> bool:
    """R-HALFYEAR: is `day` one of the scheduled run dates? Any other date needs an explicit
    off-cycle run with a reason."""
    return (day.month, day.day) in run_days(schedule)
