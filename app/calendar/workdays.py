"""Working-day calendar and deadline arithmetic (R-CAL).

Working days (工作日) follow the PRC statutory holiday calendar including make-up working days
(调休上班): a Saturday or Sunday declared a working day counts as one. Who decides a date:

1. a yearly schedule loaded by an administrator from the State Council notice
   (《关于YYYY年部分节假日安排的通知》) -- it wins over everything else;
2. otherwise the ``chinesecalendar`` package, for the years it covers (2004-2026 at 1.11.0);
3. otherwise Monday-Friday, and every deadline that relies on such a day is *provisional*, so it
   can be recomputed once the year's schedule is loaded. We never guess silently and never
   refuse to compute.

A schedule may list dates up to 7 days into the adjacent years (a notice sometimes moves a day
across the year boundary); such a date is decided by that schedule. If two loaded schedules list
the same date differently, the schedule of the later year wins, being the newer notice.

Only the standard library and ``chinese_calendar`` are imported here, so deadline rules can be
tested and reused without Flask or the database.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

Source = Literal["schedule", "package", "provisional"]

MIN_SCHEDULE_YEAR = 2000
MAX_SCHEDULE_YEAR = 2100
# How far into the neighbouring years a schedule may reach (see module docstring).
SPILL_DAYS = 7
# From this day of November the next year's schedule is expected (the notice appears in November).
WARN_FROM = (11, 15)

try:
    SHANGHAI = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # pragma: no cover - only on hosts without tz data
    # China has used UTC+8 without DST since 1992, so a fixed offset is exact for our dates.
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class ScheduleError(ValueError):
    """A holiday schedule an administrator supplied is unusable; the message tells them why."""


def _fmt(d: date) -> str:
    return d.isoformat()


def schedule_window(year: int) -> tuple[date, date]:
    """First and last date a schedule for ``year`` may decide."""
    spill = timedelta(days=SPILL_DAYS)
    return date(year, 1, 1) - spill, date(year, 12, 31) + spill


@dataclass(frozen=True)
class YearSchedule:
    """One year's official holiday schedule, as loaded by an administrator.

    Validated on construction so that a calendar can never be built from a nonsensical
    schedule, whether it came from a YAML file or from the database.
    """

    year: int
    source: str
    holidays: frozenset[date]
    workdays: frozenset[date]
    names: Mapping[date, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Normalise so that equality and immutability do not depend on what the caller passed.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "names", MappingProxyType(dict(self.names)))
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise ScheduleError(f"year：{self.year!r} 不是整数年份")
        if not MIN_SCHEDULE_YEAR <= self.year <= MAX_SCHEDULE_YEAR:
            raise ScheduleError(
                f"year：{self.year} 超出允许范围（{MIN_SCHEDULE_YEAR}–{MAX_SCHEDULE_YEAR}）"
            )
        if not isinstance(self.source, str) or not self.source.strip():
            raise ScheduleError("source：不能为空，请填写通知的标题和文号")
        if not self.holidays:
            raise ScheduleError("holidays：放假日期不能为空")
        first, last = schedule_window(self.year)
        for fld, dates in (("holidays", self.holidays), ("workdays", self.workdays)):
            for d in dates:
                if type(d) is not date:  # a datetime would compare oddly with plain dates
                    raise ScheduleError(f"{fld}：{d!r} 不是日期")
            for d in sorted(dates):
                if not first <= d <= last:
                    raise ScheduleError(
                        f"{fld}：{_fmt(d)} 不在 {self.year} 年内"
                        f"（最多可跨入相邻年份 {SPILL_DAYS} 天，即 {_fmt(first)} 至 {_fmt(last)}）"
                    )
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ScheduleError(f"{_fmt(both[0])} 同时列在 holidays 和 workdays 中")
        for d in sorted(self.workdays):
            if d.weekday() < 5:
                raise ScheduleError(
                    f"workdays：{_fmt(d)} 是星期{'一二三四五'[d.weekday()]}，本来就是工作日，"
                    "调休上班日应为星期六或星期日"
                )
        for d, name in self.names.items():
            if d not in self.holidays:
                raise ScheduleError(f"names：{d!r} 不是放假日期，不能为其命名")
            if not isinstance(name, str) or not name.strip():
                raise ScheduleError(f"names：{_fmt(d)} 的节日名称 {name!r} 无效")

    def decides(self, d: date) -> bool | None:
        """True/False if this schedule explicitly lists ``d``, None if it only implies it."""
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return None


@dataclass(frozen=True)
class Deadline:
    """The last day an act is still in time, and whether that day may still change."""

    due_on: date
    provisional: bool

    def ends_at(self) -> datetime:
        """The instant the deadline has passed: midnight in China after ``due_on``."""
        return datetime.combine(self.due_on + timedelta(days=1), time(0, 0), tzinfo=SHANGHAI)


@cache
def _package_year(year: int) -> bytes | None:
    """Working-day flags for one year from chinese_calendar, or None if it has no data.

    Cached for the process: the package's per-day lookup is slow and its data never changes.
    """
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    jan1 = date(year, 1, 1)
    return bytes(
        chinese_calendar.is_workday(jan1 + timedelta(days=i)) for i in range(_days_in_year(year))
    )


def package_covers(year: int) -> bool:
    """Whether the chinesecalendar package has data for ``year``."""
    return _package_year(year) is not None


def schedule_from_package(year: int, source: str | None = None) -> YearSchedule:
    """The package's data for ``year`` as a schedule, e.g. to seed the admin's first file.

    Holiday names are the package's Chinese names where it has them.
    """
    if not package_covers(year):
        raise ScheduleError(
            f"year：chinesecalendar {chinese_calendar.__version__} 没有 {year} 年的数据"
        )
    holidays = {d: n for d, n in chinese_calendar.holidays.items() if d.year == year}
    workdays = {d for d in chinese_calendar.workdays if d.year == year}
    chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}
    # A day off the package does not name stays unnamed rather than getting an invented name.
    names = {d: chinese[value] for d, value in holidays.items() if value in chinese}
    if source is None:
        source = f"chinesecalendar {chinese_calendar.__version__} 软件包中的{year}年放假调休数据"
    return YearSchedule(
        year=year,
        source=source,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        names=names,
    )


def _days_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


class _YearTable:
    """Precomputed answers for one year, so per-day lookups are an index operation."""

    __slots__ = ("any_provisional", "jan1", "ordinals", "provisional", "working", "year")

    def __init__(self, year: int, working: bytearray, provisional: bytearray) -> None:
        self.year = year
        self.jan1 = date(year, 1, 1).toordinal()
        self.working = bytes(working)
        self.provisional = bytes(provisional)
        self.any_provisional = any(provisional)
        # Ordinals of the working days, sorted: counting and stepping become bisections.
        self.ordinals = [self.jan1 + i for i, w in enumerate(working) if w]

    def index(self, d: date) -> int:
        return d.toordinal() - self.jan1

    def provisional_between(self, lo: int, hi: int) -> bool:
        """Any provisional day among ordinals [lo, hi] (clamped to this year)."""
        if not self.any_provisional:
            return False
        a = max(lo - self.jan1, 0)
        b = min(hi - self.jan1, len(self.provisional) - 1)
        return a <= b and any(self.provisional[a : b + 1])


def N_(text: str) -> str:  # noqa: N802  (the gettext convention: marks a catalogue id)
    return text


# The catalogue id of the warning (app/web translates it; the command line shows it as it is).
MISSING_YEAR_WARNING = N_(
    "尚未载入%(year)s年节假日安排。请依据《国务院办公厅关于%(year)s年部分节假日安排的通知》"
    "载入%(year)s年的放假和调休安排。在此之前，%(year)s年的期限暂按周一至周五计算工作日，"
    "并标记为临时期限；载入后请重新计算这些期限。"
)


class WorkCalendar:
    """Decides working days from loaded schedules, the package, or (provisionally) Mon-Fri.

    Immutable: when an administrator loads a schedule, build a new calendar (``with_schedule``)
    and recompute the provisional deadlines.
    """

    def __init__(self, schedules: Iterable[YearSchedule] = ()) -> None:
        by_year: dict[int, YearSchedule] = {}
        for s in schedules:
            if s.year in by_year:
                raise ValueError(f"two schedules for {s.year}: pass only the one in force")
            by_year[s.year] = s
        self._schedules: Mapping[int, YearSchedule] = MappingProxyType(by_year)
        self._tables: dict[int, _YearTable] = {}

    @property
    def schedules(self) -> Mapping[int, YearSchedule]:
        return self._schedules

    def with_schedule(self, schedule: YearSchedule) -> WorkCalendar:
        """A new calendar in which ``schedule`` replaces any schedule for its year."""
        others = [s for y, s in self._schedules.items() if y != schedule.year]
        return WorkCalendar([*others, schedule])

    def source_of(self, year: int) -> Source:
        if year in self._schedules:
            return "schedule"
        if package_covers(year):
            return "package"
        return "provisional"

    # -- per-day lookups -------------------------------------------------------------------

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._tables[year] = self._build(year)
        return table

    def _build(self, year: int) -> _YearTable:
        n = _days_in_year(year)
        jan1 = date(year, 1, 1)
        days = [jan1 + timedelta(days=i) for i in range(n)]
        own = self._schedules.get(year)
        package = _package_year(year)
        if own is not None:
            working = bytearray(
                d in own.workdays or (d.weekday() < 5 and d not in own.holidays) for d in days
            )
            provisional = bytearray(n)
        elif package is not None:
            working = bytearray(package)
            provisional = bytearray(n)
        else:
            working = bytearray(d.weekday() < 5 for d in days)
            provisional = bytearray(b"\x01" * n)
        # Dates listed by neighbouring schedules; the newer notice wins, so the previous year's
        # listings yield to this year's own, and the next year's override both.
        prev, nxt = self._schedules.get(year - 1), self._schedules.get(year + 1)
        for neighbour, yields_to_own in ((prev, True), (nxt, False)):
            if neighbour is None:
                continue
            for d in neighbour.holidays | neighbour.workdays:
                if d.year != year:
                    continue
                if yields_to_own and own is not None and own.decides(d) is not None:
                    continue
                i = d.toordinal() - jan1.toordinal()
                working[i] = d in neighbour.workdays
                provisional[i] = 0
        return _YearTable(year, working, provisional)

    def is_working_day(self, d: date) -> bool:
        table = self._table(d.year)
        return bool(table.working[table.index(d)])

    def is_provisional_day(self, d: date) -> bool:
        """Whether ``d`` was decided only by the Mon-Fri fallback."""
        table = self._table(d.year)
        return bool(table.provisional[table.index(d)])

    # -- deadlines ---------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> Deadline:
        """N working days after ``start``: ends with the N-th working day, ``start`` not counted."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        cursor = start.toordinal()  # last ordinal already consumed
        remaining = n
        provisional = False
        year = start.year
        while True:
            table = self._table(year)
            i = bisect.bisect_right(table.ordinals, cursor)
            available = len(table.ordinals) - i
            if available >= remaining:
                due = table.ordinals[i + remaining - 1]
                provisional |= table.provisional_between(cursor + 1, due)
                return Deadline(date.fromordinal(due), provisional)
            remaining -= available
            year_end = date(year, 12, 31).toordinal()
            provisional |= table.provisional_between(cursor + 1, year_end)
            cursor = year_end
            year += 1

    def next_working_day(self, d: date) -> Deadline:
        """``d`` if it is a working day, else the first working day after it."""
        provisional = self.is_provisional_day(d)
        while not self.is_working_day(d):
            d += timedelta(days=1)
            provisional |= self.is_provisional_day(d)
        return Deadline(d, provisional)

    def add_days(self, start: date, n: int) -> Deadline:
        """N calendar days after ``start``, moved to the next working day if needed.

        Only the last day and the days it is moved over depend on the calendar, so only they
        can make the deadline provisional. A last day that is a make-up working day stays.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        return self.next_working_day(start + timedelta(days=n))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; pausing a deadline leaves ``n - used`` to run."""
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        lo, hi = start.toordinal(), end.toordinal()
        count = 0
        for year in range(start.year, end.year + 1):
            ordinals = self._table(year).ordinals
            count += bisect.bisect_right(ordinals, hi) - bisect.bisect_right(ordinals, lo)
        return count

    def working_days_between_is_provisional(self, start: date, end: date) -> bool:
        """Whether ``working_days_between(start, end)`` relied on a Mon-Fri guess."""
        lo, hi = start.toordinal() + 1, end.toordinal()
        return any(
            self._table(y).provisional_between(lo, hi) for y in range(start.year, end.year + 1)
        )

    # -- administration ----------------------------------------------------------------------

    def missing_year(self, today: date) -> int | None:
        """The year whose schedule administrators should load now, if any.

        From 15 November the next year's notice is due; a year already under way without
        schedule or package data is warned about too, since its deadlines are provisional.
        """
        if self.source_of(today.year) == "provisional":
            return today.year
        if (today.month, today.day) >= WARN_FROM and self.source_of(
            today.year + 1
        ) == "provisional":
            return today.year + 1
        return None

    def missing_year_warning(self, today: date) -> str | None:
        """The warning for administrators while a schedule they should load is missing (the
        pages say it in their language: MISSING_YEAR_WARNING)."""
        missing = self.missing_year(today)
        if missing is None:
            return None
        return MISSING_YEAR_WARNING % {"year": missing}
