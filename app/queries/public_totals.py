"""The totals on the public home page: bureaus, scoring objects and credit records.

Counting a province's records is not free (1,000,000 objects and 2,000,000 ledger entries:
the page took 87-89 ms with the counts, 1.8 ms without), and the home page is open to anyone,
so each process counts again only when its last count is older than PUBLIC_TOTALS_SECONDS.
The page shows when they were counted, so what it says is true as of that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from models import Bureau, LedgerEntry, ScoringObject

_KEY = "public_totals"


@dataclass(frozen=True)
class Totals:
    bureaus: int
    objects: int
    entries: int
    counted_at: datetime


def public_totals(now: datetime, max_age_seconds: float) -> Totals:
    """The totals as counted at most `max_age_seconds` before `now` (0: counted now). A clock
    set back (a demo or a test moving time) counts again rather than show a future count."""
    cached: Totals | None = current_app.extensions.get(_KEY)
    if cached is not None and 0 <= (now - cached.counted_at).total_seconds() < max_age_seconds:
        return cached

    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model)) or 0

    totals = Totals(count(Bureau), count(ScoringObject), count(LedgerEntry), counted_at=now)
    current_app.extensions[_KEY] = totals
    return totals
