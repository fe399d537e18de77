"""Charts as inline SVG drawn on the server: they need no script, no network, print well and
can be read by tests. Two shapes are enough here: a step line over time and grouped bars."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from markupsafe import Markup

PALETTE = ("#0b4f8a", "#b25e09", "#1e7b4b", "#b42318", "#6b4fa0", "#616e7c")
W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 240, 44, 12, 14, 34


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) * (b - a) / span


def _frame(title: str, body: list[str], legend: list[tuple[str, str]]) -> Markup:
    items = "".join(
        f'<g transform="translate({LEFT + i * 150},{H - 6})"><rect width="10" height="10" '
        f'y="-9" fill="{c}"/><text x="14" font-size="11">{escape(label)}</text></g>'
        for i, (label, c) in enumerate(legend)
    )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {W} {H + (14 if legend else 0)}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}{items}</svg>'
    )


def _y_axis(lo: float, hi: float, y, ticks: int = 4, suffix: str = "") -> list[str]:
    out = []
    for i in range(ticks + 1):
        v = lo + (hi - lo) * i / ticks
        yy = y(v)
        label = f"{v:g}{suffix}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}{suffix}"
        out.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e4e7eb"/>'
            f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" font-size="11" text-anchor="end">{label}</text>'
        )
    return out


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
    x = _scale(start.toordinal(), end.toordinal(), LEFT, W - RIGHT)
    y = _scale(lo, hi, H - BOTTOM, TOP)
    body = _y_axis(lo, hi, y)
    path: list[str] = []
    for i, (day, value) in enumerate(points):
        day = max(day, start)
        xx, yy = x(day.toordinal()), y(value)
        if i == 0:
            path.append(f"M{xx:.1f},{yy:.1f}")
        else:
            path.append(f"H{xx:.1f}V{yy:.1f}")
    if points:
        path.append(f"H{x(end.toordinal()):.1f}")
        d = "".join(path)
        body.append(f'<path d="{d}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
        for day, value in points:
            if day >= start:
                body.append(
                    f'<circle cx="{x(day.toordinal()):.1f}" cy="{y(value):.1f}" r="3" '
                    f'fill="{PALETTE[0]}"><title>{day.isoformat()}: {value:g}</title></circle>'
                )
    for day, label in [(start, start.isoformat()), (end, end.isoformat()), *marks]:
        xx = x(day.toordinal())
        anchor = "start" if day == start else "end" if day == end else "middle"
        body.append(
            f'<text x="{xx:.1f}" y="{H - BOTTOM + 16}" font-size="11" '
            f'text-anchor="{anchor}">{escape(label)}</text>'
        )
    return _frame(title, body, [])


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    hi: float | None = None,
    suffix: str = "",
) -> Markup:
    """Grouped bars: one group per category, one bar per series (e.g. on-time % per month)."""
    top = hi if hi is not None else max([v for _, vs in series for v in vs] + [1.0])
    y = _scale(0.0, top, H - BOTTOM, TOP)
    body = _y_axis(0.0, top, y, suffix=suffix)
    n = max(len(categories), 1)
    group = (W - LEFT - RIGHT) / n
    bar = max(min(group * 0.8 / max(len(series), 1), 40), 2)
    for ci, cat in enumerate(categories):
        gx = LEFT + ci * group + (group - bar * len(series)) / 2
        for si, (name, values) in enumerate(series):
            v = values[ci] if ci < len(values) else 0.0
            yy = y(v)
            body.append(
                f'<rect x="{gx + si * bar:.1f}" y="{yy:.1f}" width="{bar - 1:.1f}" '
                f'height="{H - BOTTOM - yy:.1f}" fill="{PALETTE[si % len(PALETTE)]}">'
                f"<title>{escape(name)} {escape(cat)}: {v:g}{suffix}</title></rect>"
            )
        body.append(
            f'<text x="{LEFT + ci * group + group / 2:.1f}" y="{H - BOTTOM + 16}" '
            f'font-size="11" text-anchor="middle">{escape(cat)}</text>'
        )
    legend = [(name, PALETTE[i % len(PALETTE)]) for i, (name, _) in enumerate(series)]
    return _frame(title, body, legend if len(series) > 1 else [])
