"""The one clock: nothing else reads the wall clock, so tests and demos can move time.

Legal dates are China Standard Time calendar days; instants are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall clock, optionally shifted or frozen. `set_today` is how time is moved."""

    def __init__(self, today: date | None = None) -> None:
        self._frozen: datetime | None = None
        if today is not None:
            self.set_today(today)

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC)

    def today(self) -> date:
        """Today in China Standard Time: the calendar day a legal deadline counts."""
        return self.now().astimezone(CST).date()

    def set_today(self, today: date) -> None:
        self._frozen = datetime.combine(today, time(9, 0), CST).astimezone(UTC)

    def set_now(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the clock takes timezone-aware instants only")
        self._frozen = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._frozen = self.now() + delta
