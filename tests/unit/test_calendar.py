"""Working-day calendar, deadlines and holiday-schedule files (R-CAL)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.calendar import (
    Deadline,
    ScheduleError,
    WorkCalendar,
    YearSchedule,
    dump_schedule,
    package_covers,
    parse_schedule,
    schedule_from_package,
)
from app.calendar.workdays import SHANGHAI

ROOT = Path(__file__).resolve().parents[2]

D = date.fromisoformat
SCRIPT = ROOT / "scripts" / "holiday_schedule_from_package.py"
SCHEDULE_2026 = ROOT / "data" / "holidays" / "2026.yaml"


def days(first: str, last: str) -> frozenset[date]:
    a, b = D(first), D(last)
    return frozenset(a + timedelta(days=i) for i in range((b - a).days + 1))


def schedule(year: int, holidays, workdays=(), names=None, source="测试通知") -> YearSchedule:
    return YearSchedule(
        year=year,
        source=source,
        holidays=frozenset(holidays),
        workdays=frozenset(D(w) if isinstance(w, str) else w for w in workdays),
        names=names or {},
    )


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# -- the rules' worked examples --------------------------------------------------------------


def test_r_cal_5_working_days_from_2025_12_31_end_2026_01_08(cal):
    # 01-01..01-03 off, Sunday 01-04 is a make-up working day and counts.
    deadline = cal.add_working_days(D("2025-12-31"), 5)
    assert deadline == Deadline(D("2026-01-08"), provisional=False)


def test_r_cal_15_days_from_2026_02_06_end_2026_02_24(cal):
    # Day 15 is 2026-02-21, inside the Spring Festival break (02-15..02-23).
    assert D("2026-02-06") + timedelta(days=15) == D("2026-02-21")
    assert cal.add_days(D("2026-02-06"), 15) == Deadline(D("2026-02-24"), provisional=False)


# -- working days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "makeup", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"]
)
def test_r_cal_makeup_weekend_day_is_a_working_day(cal, makeup):
    d = D(makeup)
    assert d.weekday() >= 5
    assert cal.is_working_day(d)
    assert cal.add_working_days(d - timedelta(days=1), 1).due_on == d


def test_r_cal_working_days_follow_package_not_monday_to_friday(cal):
    assert not cal.is_working_day(D("2026-02-16"))  # Monday in the Spring Festival break
    assert not cal.is_working_day(D("2026-03-07"))  # ordinary Saturday
    assert cal.is_working_day(D("2026-03-09"))  # ordinary Monday
    for d in (D("2026-01-01") + timedelta(days=i) for i in range(365)):
        assert cal.is_working_day(d) == chinese_calendar.is_workday(d), d


def test_r_cal_start_day_is_not_counted(cal):
    # Starting on a working day still yields the next working day for n=1.
    assert cal.add_working_days(D("2026-03-09"), 1).due_on == D("2026-03-10")
    assert cal.add_days(D("2026-03-09"), 1).due_on == D("2026-03-10")


def test_r_cal_calendar_day_deadline_on_makeup_day_is_not_moved(cal):
    assert cal.add_days(D("2026-02-04"), 10).due_on == D("2026-02-14")  # make-up Saturday
    assert cal.add_days(D("2026-09-10"), 10).due_on == D("2026-09-20")  # make-up Sunday


def test_r_cal_calendar_day_deadline_on_ordinary_weekend_moves_to_monday(cal):
    assert cal.add_days(D("2026-03-04"), 3).due_on == D("2026-03-09")


def test_r_cal_holiday_break_is_skipped(cal):
    # National Day 2026: 10-01..10-07 off, 10-08 (Thursday) back at work.
    assert cal.add_working_days(D("2026-09-30"), 1).due_on == D("2026-10-08")
    assert cal.add_working_days(D("2026-09-29"), 2).due_on == D("2026-10-08")
    assert cal.add_days(D("2026-09-24"), 7).due_on == D("2026-10-08")
    # Mid-autumn (09-25..09-27) directly after the make-up Sunday 09-20.
    assert cal.add_working_days(D("2026-09-24"), 1).due_on == D("2026-09-28")


def test_r_cal_working_days_across_year_boundary(cal):
    assert cal.add_working_days(D("2024-12-30"), 2) == Deadline(D("2025-01-02"), False)
    assert cal.working_days_between(D("2024-12-30"), D("2025-01-02")) == 2


def test_r_cal_long_deadline_spans_several_years(cal):
    # 250 working days is about a year; the loop over years must carry the remainder.
    due = cal.add_working_days(D("2023-06-30"), 600).due_on
    assert cal.working_days_between(D("2023-06-30"), due) == 600
    assert cal.is_working_day(due)


def test_r_cal_deadline_rejects_non_positive_n(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(D("2026-03-02"), 0)
    with pytest.raises(ValueError):
        cal.add_days(D("2026-03-02"), 0)


def test_r_cal_deadline_ends_at_midnight_shanghai_after_due_day():
    end = Deadline(D("2026-01-08"), provisional=False).ends_at()
    assert end == datetime(2026, 1, 9, 0, 0, tzinfo=SHANGHAI)
    assert end.utcoffset() == timedelta(hours=8)
    assert end.tzinfo is not None


# -- pausing and resuming ----------------------------------------------------------------------


def test_r_cal_working_days_between(cal):
    assert cal.working_days_between(D("2026-03-09"), D("2026-03-09")) == 0
    assert cal.working_days_between(D("2026-03-06"), D("2026-03-09")) == 1  # Fri -> Mon
    assert cal.working_days_between(D("2026-02-13"), D("2026-02-24")) == 2  # 02-14 make-up, 02-24
    with pytest.raises(ValueError):
        cal.working_days_between(D("2026-03-09"), D("2026-03-06"))


def test_r_cal_pause_and_resume_keeps_remaining_working_days(cal):
    start, n = D("2026-09-14"), 20
    paused_on = D("2026-09-22")
    used = cal.working_days_between(start, paused_on)
    resumed_on = D("2026-10-12")
    resumed = cal.add_working_days(resumed_on, n - used)
    assert used + cal.working_days_between(resumed_on, resumed.due_on) == n


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)),
    n=st.integers(min_value=1, max_value=30),
)
def test_r_cal_working_days_between_inverts_add_working_days(start, n):
    cal = WorkCalendar()
    due = cal.add_working_days(start, n).due_on
    assert cal.is_working_day(due)
    assert cal.working_days_between(start, due) == n
    assert cal.working_days_between(start, due - timedelta(days=1)) == n - 1


# -- sources: schedule > package > provisional -------------------------------------------------


def test_r_cal_source_of_year(cal):
    assert cal.source_of(2004) == "package"
    assert cal.source_of(2026) == "package"
    assert cal.source_of(2003) == "provisional"
    assert cal.source_of(2027) == "provisional"
    loaded = WorkCalendar([schedule(2026, days("2026-03-02", "2026-03-02"))])
    assert loaded.source_of(2026) == "schedule"
    assert package_covers(2026) and not package_covers(2027)


def test_r_cal_loaded_schedule_wins_over_package():
    fake = schedule(2026, days("2026-03-02", "2026-03-02"), source="假的2026年安排")
    cal, plain = WorkCalendar([fake]), WorkCalendar()
    assert plain.is_working_day(D("2026-03-02"))
    assert not cal.is_working_day(D("2026-03-02"))
    # The schedule decides the whole year: the package's make-up Saturday and holidays are gone.
    assert plain.add_working_days(D("2026-02-27"), 1).due_on == D("2026-02-28")
    assert cal.add_working_days(D("2026-02-27"), 1) == Deadline(D("2026-03-03"), False)
    assert cal.is_working_day(D("2026-10-01"))
    # Other years are untouched.
    assert cal.is_working_day(D("2025-10-09")) == plain.is_working_day(D("2025-10-09"))


def test_r_cal_uncovered_year_is_provisional_monday_to_friday_until_loaded():
    cal = WorkCalendar()
    assert cal.source_of(2031) == "provisional"
    assert cal.add_working_days(D("2031-09-30"), 1) == Deadline(D("2031-10-01"), provisional=True)
    assert cal.add_days(D("2031-09-24"), 7) == Deadline(D("2031-10-01"), provisional=True)
    assert cal.is_provisional_day(D("2031-10-01"))

    loaded = cal.with_schedule(
        schedule(2031, days("2031-10-01", "2031-10-07"), workdays=["2031-09-28", "2031-10-11"])
    )
    assert loaded.source_of(2031) == "schedule"
    assert loaded.add_working_days(D("2031-09-30"), 1) == Deadline(
        D("2031-10-08"), provisional=False
    )
    assert loaded.add_days(D("2031-09-24"), 7) == Deadline(D("2031-10-08"), provisional=False)
    assert loaded.add_working_days(D("2031-09-26"), 1).due_on == D("2031-09-28")  # make-up Sunday
    assert cal.source_of(2031) == "provisional"  # the original calendar is unchanged


def test_r_cal_deadline_crossing_into_uncovered_year_is_provisional(cal):
    assert cal.add_working_days(D("2026-12-20"), 3) == Deadline(D("2026-12-23"), provisional=False)
    # 12-29, 12-30, 12-31, 2027-01-01 (Fri, a guess), 2027-01-04.
    assert cal.add_working_days(D("2026-12-28"), 5) == Deadline(D("2027-01-04"), provisional=True)
    assert cal.add_days(D("2026-12-20"), 5) == Deadline(D("2026-12-25"), provisional=False)
    assert cal.add_days(D("2026-12-25"), 10) == Deadline(D("2027-01-04"), provisional=True)
    assert not cal.working_days_between_is_provisional(D("2026-12-01"), D("2026-12-31"))
    assert cal.working_days_between_is_provisional(D("2026-12-01"), D("2027-01-01"))


def test_r_cal_calendar_day_deadline_moved_into_uncovered_year_is_provisional(cal):
    # Day 3 is Saturday 2026-12-26 (covered); moving over the weekend lands on 12-28, covered.
    assert cal.add_days(D("2026-12-23"), 3) == Deadline(D("2026-12-28"), provisional=False)
    # A 2026 schedule making 12-31 a holiday moves day 2026-12-31 into 2027.
    spill = WorkCalendar([schedule(2026, days("2026-12-31", "2026-12-31"))])
    assert spill.add_days(D("2026-12-30"), 1) == Deadline(D("2027-01-01"), provisional=True)


def test_r_cal_schedule_decides_its_dates_in_the_adjacent_year():
    # The 2031 notice moves 2030-12-31 into the New Year break.
    s2031 = schedule(2031, days("2030-12-31", "2031-01-01"), workdays=["2030-12-28"])
    cal = WorkCalendar([s2031])
    assert not cal.is_working_day(D("2030-12-31"))
    assert not cal.is_provisional_day(D("2030-12-31"))
    assert cal.is_working_day(D("2030-12-28")) and not cal.is_provisional_day(D("2030-12-28"))
    assert cal.is_provisional_day(D("2030-12-30"))  # 2030 itself is still unknown
    assert cal.add_working_days(D("2030-12-30"), 1) == Deadline(D("2031-01-02"), provisional=False)


def test_r_cal_newer_notice_wins_on_a_shared_date():
    # Both notices list Sunday 2030-12-29 and Saturday 2031-01-04, differently.
    s2030 = schedule(
        2030, days("2030-10-01", "2030-10-07") | {D("2030-12-29")}, workdays=["2031-01-04"]
    )
    s2031 = schedule(2031, days("2031-01-01", "2031-01-04"), workdays=["2030-12-29"])
    cal = WorkCalendar([s2030, s2031])
    assert cal.is_working_day(D("2030-12-29"))  # the 2031 notice is newer
    assert not cal.is_working_day(D("2031-01-04"))  # 2031's own notice, and newer
    # Without the 2031 notice the 2030 one decides its spill-over date.
    assert WorkCalendar([s2030]).is_working_day(D("2031-01-04"))
    assert not WorkCalendar([s2030]).is_provisional_day(D("2031-01-04"))


def test_r_cal_duplicate_schedules_for_a_year_are_refused():
    s = schedule(2031, days("2031-10-01", "2031-10-07"))
    with pytest.raises(ValueError):
        WorkCalendar([s, s])


# -- warning administrators --------------------------------------------------------------------


def test_r_cal_missing_year_warning_from_15_november():
    cal = WorkCalendar()
    assert cal.missing_year_warning(D("2026-11-14")) is None
    warning = cal.missing_year_warning(D("2026-11-15"))
    assert warning is not None and "2027" in warning and "临时" in warning
    assert cal.missing_year_warning(D("2026-12-31")) is not None
    assert cal.missing_year_warning(D("2025-11-20")) is None  # 2026 is in the package

    s2027 = schedule(2027, days("2027-02-06", "2027-02-13"), workdays=["2027-02-14", "2027-02-20"])
    assert cal.with_schedule(s2027).missing_year_warning(D("2026-11-15")) is None


def test_r_cal_missing_year_warning_continues_into_the_missing_year():
    cal = WorkCalendar()
    warning = cal.missing_year_warning(D("2027-01-10"))
    assert warning is not None and "2027" in warning


# -- schedule files ----------------------------------------------------------------------------

EXAMPLE = """\
year: 2027
source: "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）"
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-01}
  - {name: 春节, from: 2027-02-06, to: 2027-02-13}
workdays: [2027-02-14, 2027-02-20]
"""


def test_r_cal_parse_example_schedule():
    s = parse_schedule(EXAMPLE)
    assert s.year == 2027
    assert s.source.startswith("国务院办公厅关于2027年")
    assert s.holidays == days("2027-01-01", "2027-01-01") | days("2027-02-06", "2027-02-13")
    assert s.workdays == {D("2027-02-14"), D("2027-02-20")}
    assert s.names[D("2027-02-10")] == "春节"
    assert dump_schedule(s) == EXAMPLE


def test_r_cal_parse_accepts_quoted_dates_and_unnamed_ranges_and_no_workdays():
    s = parse_schedule(
        "year: 2031\nsource: x\nholidays:\n"
        '  - {from: "2031-10-01", to: "2031-10-07"}\nworkdays: []\n'
    )
    assert s.holidays == days("2031-10-01", "2031-10-07") and not s.workdays and not s.names
    assert parse_schedule(dump_schedule(s)) == s


def test_r_cal_dump_round_trips():
    names = {d: "国庆节" for d in days("2031-10-01", "2031-10-05")}
    names.update({D("2031-01-01"): "New Year's Day", D("2031-05-01"): 'say "yes"'})
    s = schedule(
        2031,
        days("2030-12-31", "2031-01-01")
        | days("2031-05-01", "2031-05-01")
        | days("2031-10-01", "2031-10-07"),
        workdays=["2030-12-28", "2031-09-28", "2031-10-11"],
        names=names,
        source='含"引号"和: 冒号的通知',
    )
    text = dump_schedule(s)
    assert parse_schedule(text) == s
    assert dump_schedule(parse_schedule(text)) == text


@pytest.mark.parametrize("year", range(2004, 2027))
def test_r_cal_every_package_year_round_trips_and_agrees(year):
    s = schedule_from_package(year)
    assert parse_schedule(dump_schedule(s)) == s
    from_schedule, from_package = WorkCalendar([s]), WorkCalendar()
    jan1 = date(year, 1, 1)
    for d in (jan1 + timedelta(days=i) for i in range((date(year + 1, 1, 1) - jan1).days)):
        assert from_schedule.is_working_day(d) == from_package.is_working_day(d), d


def test_r_cal_schedule_from_package_refuses_uncovered_year():
    with pytest.raises(ScheduleError, match="2027"):
        schedule_from_package(2027)


def test_r_cal_generated_2026_file_parses_and_agrees_with_package():
    text = SCHEDULE_2026.read_text(encoding="utf-8")
    s = parse_schedule(text)
    assert s.year == 2026
    assert s.names[D("2026-02-17")] == "春节"
    cal = WorkCalendar([s])
    assert cal.source_of(2026) == "schedule"
    for d in (date(2026, 1, 1) + timedelta(days=i) for i in range(365)):
        assert cal.is_working_day(d) == chinese_calendar.is_workday(d), d


def test_r_cal_2026_file_is_the_generator_output():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "2026"],
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    )
    assert result.stdout == SCHEDULE_2026.read_text(encoding="utf-8")


def test_r_cal_generator_fails_cleanly_for_uncovered_year():
    result = subprocess.run([sys.executable, str(SCRIPT), "2027"], capture_output=True, text=True)
    assert result.returncode == 1 and "2027" in result.stderr and not result.stdout


def _with(**changes: str) -> str:
    """EXAMPLE with top-level lines replaced (value None drops the line)."""
    lines = EXAMPLE.splitlines()
    out = []
    skip = False
    for line in lines:
        key = line.split(":", 1)[0]
        if not line.startswith(" ") and key in changes:
            skip = key == "holidays"
            if changes[key] is not None:
                out.append(f"{key}: {changes[key]}")
            continue
        if skip and line.startswith(" "):
            continue
        skip = False
        out.append(line)
    return "\n".join(out) + "\n"


BAD = {
    "not yaml": ("year: [2027\n", ["YAML"]),
    "not a mapping": ("- 2027-01-01\n", ["映射", "list"]),
    "unknown key": (EXAMPLE + "remark: x\n", ["未知字段", "remark"]),
    "missing key": (_with(workdays=None), ["缺少字段", "workdays"]),
    "year not int": (_with(year='"2027"'), ["year", "2027", "整数"]),
    "year bool": (_with(year="true"), ["year", "True"]),
    "year too early": (_with(year="1999"), ["year", "1999"]),
    "year too late": (_with(year="2101"), ["year", "2101"]),
    "empty source": (_with(source='""'), ["source"]),
    "not a real date": (
        _with(holidays="[{name: 春节, from: 2027-02-06, to: 2027-02-30}]"),
        ["holidays 第1项（春节）.to", "2027-02-30", "不是真实存在的日期"],
    ),
    "malformed date": (
        _with(workdays="[2027/02/14]"),
        ["workdays 第1项", "2027/02/14", "YYYY-MM-DD"],
    ),
    "from after to": (
        _with(holidays="[{name: 春节, from: 2027-02-13, to: 2027-02-06}]"),
        ["holidays 第1项（春节）", "from 2027-02-13", "to 2027-02-06"],
    ),
    "holiday outside year": (
        _with(holidays="[{from: 2027-02-06, to: 2028-01-09}]"),
        ["holidays 第1项.to", "2028-01-09", "2027"],
    ),
    "holiday far before year": (
        _with(holidays="[{from: 2026-12-24, to: 2027-01-01}]"),
        ["holidays 第1项.from", "2026-12-24"],
    ),
    "workday outside year": (_with(workdays="[2026-12-19]"), ["workdays 第1项", "2026-12-19"]),
    "both holiday and workday": (
        _with(workdays="[2027-02-06]"),
        ["2027-02-06", "holidays", "workdays"],
    ),
    "weekday make-up day": (_with(workdays="[2027-02-15]"), ["workdays", "2027-02-15", "星期一"]),
    "empty holidays": (_with(holidays="[]"), ["holidays", "不能为空"]),
    "holidays not a list": (_with(holidays="2027-01-01"), ["holidays", "列表"]),
    "workdays not a list": (_with(workdays=""), ["workdays", "[]"]),
    "range not a mapping": (_with(holidays="[2027-01-01]"), ["holidays 第1项", "2027-01-01"]),
    "range unknown key": (
        _with(holidays="[{name: 元旦, from: 2027-01-01, till: 2027-01-01}]"),
        ["holidays 第1项", "till"],
    ),
    "range missing to": (
        _with(holidays="[{name: 元旦, from: 2027-01-01}]"),
        ["holidays 第1项", "缺少字段", "to"],
    ),
    "range bad name": (
        _with(holidays="[{name: 1, from: 2027-01-01, to: 2027-01-01}]"),
        ["name", "1"],
    ),
    "overlapping ranges": (
        _with(
            holidays="[{name: 元旦, from: 2027-01-01, to: 2027-01-03},"
            " {name: 假, from: 2027-01-03, to: 2027-01-04}]"
        ),
        ["holidays 第2项（假）", "2027-01-03", "holidays 第1项（元旦）"],
    ),
    "duplicate workday": (
        _with(workdays="[2027-02-14, 2027-02-14]"),
        ["workdays 第2项", "2027-02-14", "重复"],
    ),
}


@pytest.mark.parametrize("text, fragments", BAD.values(), ids=BAD.keys())
def test_r_cal_invalid_schedule_is_refused_with_a_clear_message(text, fragments):
    with pytest.raises(ScheduleError) as info:
        parse_schedule(text)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_r_cal_schedule_error_is_a_value_error():
    assert issubclass(ScheduleError, ValueError)


def test_r_cal_year_schedule_validates_when_built_in_code():
    with pytest.raises(ScheduleError, match="2031-10-06"):
        schedule(2031, days("2031-10-01", "2031-10-05"), workdays=["2031-10-06"])  # a Monday
    with pytest.raises(ScheduleError, match="holidays"):
        schedule(2031, frozenset())
    with pytest.raises(ScheduleError, match="2033-01-01"):
        schedule(2031, {D("2033-01-01")})
    with pytest.raises(ScheduleError, match="names"):
        schedule(2031, {D("2031-10-01")}, names={D("2031-10-02"): "国庆节"})
