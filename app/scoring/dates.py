"""Calendar-month arithmetic for the rolling 36-month window (R-WINDOW).

Months are calendar months: an entry effective 2023-03-31 drops out on 2026-03-31. A day that
does not exist in the target month (29-31) is clamped to the month's last day, so an entry
effective 2024-02-29 drops out on 2027-02-28.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import cache

WINDOW_MONTHS = 36


def add_months(d: date, months: int) -> date:
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


@cache
def window_end(effective_on: date) -> date:
    """First day on which an entry no longer counts (cached: a province has few distinct dates)."""
    return add_months(effective_on, WINDOW_MONTHS)


@cache
def window_start(on: date) -> date:
    """First effective date that still counts on `on`: `on < window_end(d)` exactly when
    `d >= window_start(on)`, since `window_end` never decreases. A score compares each entry's
    date with this one day instead of computing every entry's end."""
    day = add_months(on, -WINDOW_MONTHS) + timedelta(days=1)
    while window_end(day) <= on:  # month ends: 29-31 clamp to a shorter month
        day += timedelta(days=1)
    return day


def add_years(d: date, years: int) -> date:
    """Same date `years` later (29 February clamps to 28 February)."""
    return add_months(d, 12 * years)
