"""Yearly holiday-schedule files (R-CAL).

Each November the State Council publishes 《国务院办公厅关于YYYY年部分节假日安排的通知》. An
administrator transcribes it into a file like this and loads it; it then wins over the
chinesecalendar package for that year::

    year: 2027
    source: "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）"
    holidays:
      - {name: 元旦, from: 2027-01-01, to: 2027-01-01}
      - {name: 春节, from: 2027-02-06, to: 2027-02-13}
    workdays: [2027-02-14, 2027-02-20]

- ``year``: the year of the notice, 2000-2100.
- ``source``: the notice's title and number, so a deadline can be traced back to it.
- ``holidays``: non-empty list of ranges of days off, ``from``/``to`` inclusive, weekends inside a
  break included (放假 ... 共N天). ``name`` is optional. Ranges must not overlap.
- ``workdays``: the make-up working days (调休上班), each a Saturday or Sunday; ``[]`` if none.

Dates are written ``YYYY-MM-DD`` and must lie in ``year``, or at most 7 days into a neighbouring
year (a notice sometimes moves a day across the year boundary). Every other date of the year is a
working day iff it is Monday-Friday. Anything else is refused with a :class:`ScheduleError`
naming the field and the value, because a silently misread schedule would shift legal deadlines.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import yaml

from .workdays import ScheduleError, YearSchedule, schedule_window

__all__ = ["ScheduleError", "dump_schedule", "parse_schedule"]

_TOP_KEYS = ("year", "source", "holidays", "workdays")
_RANGE_KEYS = ("name", "from", "to")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_NAME_RE = re.compile(r"[\u4e00-\u9fff]+")  # safe to write unquoted in YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so we can report bad dates ourselves."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _date(value: Any, where: str) -> date:
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value.strip()):
        raise ScheduleError(f"{where}：{value!r} 不是日期，应写成 YYYY-MM-DD，例如 2027-01-01")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ScheduleError(f"{where}：{value} 不是真实存在的日期") from None


def _check_keys(
    mapping: dict, allowed: tuple[str, ...], required: tuple[str, ...], where: str
) -> None:
    unknown = [k for k in mapping if k not in allowed]
    if unknown:
        raise ScheduleError(
            f"{where}：未知字段 {', '.join(map(str, unknown))}（允许的字段：{', '.join(allowed)}）"
        )
    missing = [k for k in required if k not in mapping]
    if missing:
        raise ScheduleError(f"{where}：缺少字段 {', '.join(missing)}")


def _in_window(d: date, year: int, where: str) -> None:
    first, last = schedule_window(year)
    if not first <= d <= last:
        raise ScheduleError(
            f"{where}：{d.isoformat()} 不在 {year} 年内"
            f"（最多可跨入相邻年份 7 天，即 {first.isoformat()} 至 {last.isoformat()}）"
        )


def parse_schedule(text: str) -> YearSchedule:
    """Read and validate a schedule file; raises ScheduleError with an administrator's message."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"（第 {mark.line + 1} 行第 {mark.column + 1} 列）" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScheduleError(f"文件不是有效的 YAML{at}：{problem}") from None
    if not isinstance(data, dict):
        raise ScheduleError(
            "文件内容应为包含 year、source、holidays、workdays 的映射，"
            f"实际是 {type(data).__name__}"
        )
    _check_keys(data, _TOP_KEYS, _TOP_KEYS, "文件")

    year = data["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise ScheduleError(f"year：{year!r} 不是整数年份")
    if not 2000 <= year <= 2100:
        raise ScheduleError(f"year：{year} 超出允许范围（2000–2100）")

    source = data["source"]
    if not isinstance(source, str) or not source.strip():
        raise ScheduleError(f"source：{source!r} 无效，请填写通知的标题和文号")

    ranges = data["holidays"]
    if not isinstance(ranges, list):
        raise ScheduleError(f"holidays：应为放假日期段的列表，实际是 {ranges!r}")
    if not ranges:
        raise ScheduleError("holidays：放假日期不能为空")
    holidays: dict[date, str] = {}  # date -> where it was listed, to report overlaps
    names: dict[date, str] = {}
    for number, item in enumerate(ranges, start=1):
        where = f"holidays 第{number}项"
        if not isinstance(item, dict):
            raise ScheduleError(
                f"{where}：应写成 {{name: …, from: YYYY-MM-DD, to: YYYY-MM-DD}}，实际是 {item!r}"
            )
        _check_keys(item, _RANGE_KEYS, ("from", "to"), where)
        name = item.get("name")
        if name is not None:
            if not isinstance(name, str) or not name.strip():
                raise ScheduleError(f"{where}.name：{name!r} 不是有效的节日名称")
            where = f"{where}（{name}）"
        start = _date(item["from"], f"{where}.from")
        end = _date(item["to"], f"{where}.to")
        if start > end:
            raise ScheduleError(f"{where}：from {start.isoformat()} 晚于 to {end.isoformat()}")
        _in_window(start, year, f"{where}.from")
        _in_window(end, year, f"{where}.to")
        d = start
        while d <= end:
            if d in holidays:
                raise ScheduleError(
                    f"{where}：{d.isoformat()} 已在{holidays[d]}中列出，日期段不能重叠"
                )
            holidays[d] = where
            if name is not None:
                names[d] = name
            d += timedelta(days=1)

    listed = data["workdays"]
    if not isinstance(listed, list):
        raise ScheduleError(
            f"workdays：应为调休上班日期的列表（没有调休请写 []），实际是 {listed!r}"
        )
    workdays: set[date] = set()
    for number, value in enumerate(listed, start=1):
        where = f"workdays 第{number}项"
        d = _date(value, where)
        _in_window(d, year, where)
        if d in workdays:
            raise ScheduleError(f"{where}：{d.isoformat()} 重复列出")
        workdays.add(d)

    # The remaining rules (holiday and workday at once, weekday make-up days) live in
    # YearSchedule so schedules built in code are held to them as well.
    return YearSchedule(
        year=year,
        source=source,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        names=names,
    )


def _scalar(text: str) -> str:
    return text if _PLAIN_NAME_RE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def dump_schedule(s: YearSchedule) -> str:
    """Write ``s`` in the file format above; ``parse_schedule`` reads it back unchanged."""
    lines = [f"year: {s.year}", f"source: {json.dumps(s.source, ensure_ascii=False)}", "holidays:"]
    days = sorted(s.holidays)
    i = 0
    while i < len(days):
        # A range is a run of consecutive dates carrying the same name (or none).
        j = i
        name = s.names.get(days[i])
        while (
            j + 1 < len(days)
            and days[j + 1] - days[j] == timedelta(days=1)
            and s.names.get(days[j + 1]) == name
        ):
            j += 1
        head = f"name: {_scalar(name)}, " if name is not None else ""
        lines.append(f"  - {{{head}from: {days[i].isoformat()}, to: {days[j].isoformat()}}}")
        i = j + 1
    lines.append(f"workdays: [{', '.join(d.isoformat() for d in sorted(s.workdays))}]")
    return "\n".join(lines) + "\n"
