"""The chart options built on the server: what the page carries for ECharts and for readers
without script (the table of figures)."""

from __future__ import annotations

import html
import json
import re
from datetime import date

import pytest


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/"):
        yield


def options(markup: str) -> dict:
    return json.loads(html.unescape(re.search(r'data-options="([^"]*)"', markup).group(1)))


def test_no_figure_is_a_gap_and_a_mark_and_a_real_zero_is_written(request_ctx):
    from app.web.charts import bar_chart

    chart = str(
        bar_chart("按期办结率", ["6月", "7月", "8月"], [("全部", [None, 0.0, 50.0])], suffix="%")
    )
    opts = options(chart)
    bars = opts["series"][0]["data"]
    assert bars[0] == "-" and bars[2] == 50.0
    assert bars[1]["value"] == 0 and bars[1]["label"]["formatter"] == "0%"
    marks = opts["series"][1]
    assert marks["name"] == "无数据" and marks["data"] == [[0, 0]]
    assert opts["legend"]["data"] == ["全部", "无数据"]
    # The table beside the chart says the same.
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", chart)
    assert cells == ["6月", "无数据", "7月", "0%", "8月", "50%"]


def test_counts_keep_to_whole_numbers_and_every_series_is_in_the_legend(request_ctx):
    from app.web.charts import bar_chart

    opts = options(
        str(bar_chart("分类", ["2026-07-01"], [(k, [1.0]) for k in "ABCDO"], counts=True))
    )
    assert opts["yAxis"]["minInterval"] == 1
    assert opts["legend"]["data"] == list("ABCDO")


def test_no_text_of_a_record_becomes_markup(request_ctx):
    from app.web.charts import bar_chart, step_chart

    evil = '"><script>alert(1)</script>'
    chart = str(bar_chart(evil, [evil], [(evil, [1.0])]))
    assert "<script>" not in chart
    assert options(chart)["xAxis"]["data"] == [evil]
    line = str(
        step_chart(evil, [(date(2026, 1, 1), 12.0)], start=date(2025, 1, 1), end=date(2026, 6, 1))
    )
    assert "<script>" not in line
    assert options(line)["series"][0]["data"] == [["2026-01-01", 12.0], ["2026-06-01", 12.0]]
