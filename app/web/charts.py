"""Charts drawn in the browser by the vendored Apache ECharts, from options built here on the
server from the same figures as the page's tables. Each chart comes with a table of its own
figures (open when no script runs; the script folds it once the chart is drawn), so readers
without script, printouts and tests read the numbers. The options travel as JSON in an
attribute, escaped: no text of a record can become markup or script (the CSP allows no inline
script either). Two shapes are enough here: a step line over time and grouped bars."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from flask import g
from flask_babel import gettext as _
from markupsafe import Markup, escape

PALETTE = ("#0b4f8a", "#b25e09", "#1e7b4b", "#b42318", "#6b4fa0", "#616e7c")
# The classes' colours, as the badges show them (app.css).
CLASS_COLOURS = {"A": "#1e7b4b", "B": "#2f6fb0", "C": "#b25e09", "D": "#b42318", "O": "#616e7c"}
FONT = 12  # px: readable on a phone (the chart is drawn at the page's scale, not shrunk)
HEIGHT = 300


def _number(value: float) -> str:
    return f"{value:g}"


def _used() -> None:
    """The page needs the chart scripts (base layout loads them only then)."""
    g.charts = True


def _render(title: str, options: dict, head: list[str], rows: list[list[str]], height: int):
    _used()
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(c)}</td>' if i else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    data = json.dumps(options, ensure_ascii=False, separators=(",", ":"))
    summary = _("图表数据")
    return Markup(
        f'<div class="chart-box"><div class="echart" role="img" aria-label="{escape(title)}" '
        f'style="height:{int(height)}px" data-options="{escape(data)}"></div>'
        f'<details class="chart-data" open><summary>{escape(summary)}</summary>'
        f'<div class="table-wrap"><table class="list"><caption>{escape(title)}</caption>'
        f"<thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table></div></details></div>"
    )


def _base(title: str, suffix: str) -> dict:
    return {
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": FONT + 2}},
        "textStyle": {"fontSize": FONT},
        # ECharts' own description would replace the chart's label and reads a missing
        # figure as a number; the label and the table of figures say it right.
        "aria": {"enabled": False},
        "animation": False,
        "tooltip": {"confine": True},
        # Read by charts.js (not ECharts): the tooltip writes a missing figure as such.
        "noData": _("无数据"),
        "suffix": suffix,
    }


def step_chart(
    title: str,
    points: Sequence[tuple[date, float]],
    *,
    start: date,
    end: date,
    lo: float = 0.0,
    hi: float = 12.0,
    marks: Sequence[tuple[date, str]] = (),
) -> Markup:
    """A value that changes on given days and holds between them (a score over its window).
    `points` are (day, value from that day on), sorted; `marks` label days on the x axis."""
    shown = [(max(day, start), value) for day, value in points]
    data = [[day.isoformat(), value] for day, value in shown]
    if shown:
        data.append([end.isoformat(), shown[-1][1]])
    options = _base(title, "")
    options |= {
        "grid": {"left": 8, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis", "confine": True},
        "xAxis": {
            "type": "time",
            "min": start.isoformat(),
            "max": end.isoformat(),
            "axisLabel": {"hideOverlap": True, "fontSize": FONT},
        },
        "yAxis": {"type": "value", "min": lo, "max": hi, "axisLabel": {"fontSize": FONT}},
        "series": [
            {
                "type": "line",
                "name": title,
                "step": "end",
                "data": data,
                "showSymbol": True,
                "symbolSize": 6,
                "color": PALETTE[0],
                "markLine": {
                    "symbol": "none",
                    "data": [{"xAxis": d.isoformat(), "name": label} for d, label in marks],
                    "label": {"formatter": "{b}", "fontSize": FONT},
                },
            }
        ],
    }
    rows = [[day.isoformat(), _number(value)] for day, value in shown]
    return _render(title, options, [_("日期"), _("分值")], rows, HEIGHT)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    hi: float | None = None,
    suffix: str = "",
    counts: bool = False,
    colours: Sequence[str] | None = None,
) -> Markup:
    """Grouped bars: one group per category, one bar per series (e.g. on-time % per month).
    A value of None is no figure (nothing was done): no bar, marked "无数据", never 0.
    `counts` keeps the axis on whole numbers."""
    colours = list(colours or PALETTE)
    longest = max((len(c) for c in categories), default=0)
    crowded = len(categories) > 6 or longest * max(len(categories), 1) > 48
    missing = [
        i
        for i in range(len(categories))
        if series and all(i >= len(vs) or vs[i] is None for _n, vs in series)
    ]

    def point(values: Sequence[float | None], i: int):
        if i >= len(values) or values[i] is None:
            return "-"  # no bar: ECharts' missing value
        if values[i] == 0:  # a real 0 is written out, so it is not taken for no figure
            zero = f"0{suffix}"
            return {"value": 0, "label": {"show": True, "position": "top", "formatter": zero}}
        return values[i]

    chart_series: list[dict] = [
        {
            "type": "bar",
            "name": name,
            "data": [point(values, i) for i in range(len(categories))],
            "color": colours[si % len(colours)],
            "barMaxWidth": 40,
        }
        for si, (name, values) in enumerate(series)
    ]
    if missing:
        # A visible mark on the axis where a category has no figure at all.
        chart_series.append(
            {
                "type": "scatter",
                "name": _("无数据"),
                "data": [[i, 0] for i in missing],
                "symbol": "rect",
                "symbolSize": [14, 3],
                "color": "#9aa5b1",
                "label": {
                    "show": True,
                    "position": "top",
                    "formatter": _("无数据"),
                    "fontSize": FONT - 1,
                    "color": "#616e7c",
                },
            }
        )
    y_axis: dict = {"type": "value", "min": 0, "axisLabel": {"fontSize": FONT}}
    if hi is not None:
        y_axis["max"] = hi
    if suffix:
        y_axis["axisLabel"]["formatter"] = "{value}" + suffix
    if counts:
        y_axis["minInterval"] = 1
    options = _base(title, suffix)
    options |= {
        "legend": {
            "type": "scroll",
            "bottom": 0,
            "data": [s["name"] for s in chart_series],
            "textStyle": {"fontSize": FONT},
        },
        "grid": {"left": 8, "right": 16, "top": 40, "bottom": 36, "containLabel": True},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}, "confine": True},
        "xAxis": {
            "type": "category",
            "data": list(categories),
            "axisLabel": {
                "interval": 0,
                "hideOverlap": True,
                "rotate": 40 if crowded else 0,
                "width": 96,
                "overflow": "truncate",
                "fontSize": FONT,
            },
        },
        "yAxis": y_axis,
        "series": chart_series,
    }
    if not categories:
        options["graphic"] = {
            "type": "text",
            "left": "center",
            "top": "middle",
            "style": {"text": _("无数据"), "fontSize": FONT + 2, "fill": "#616e7c"},
        }
    head = ["", *[name for name, _v in series]]
    rows = [
        [
            cat,
            *[
                _("无数据") if i >= len(vs) or vs[i] is None else f"{_number(float(vs[i]))}{suffix}"
                for _n, vs in series
            ],
        ]
        for i, cat in enumerate(categories)
    ]
    height = HEIGHT + (40 if crowded else 0)
    return _render(title, options, head, rows, height)
