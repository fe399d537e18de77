"""The streaming XLSX writer: what it writes, a spreadsheet reader reads back unchanged."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from app.services.xlsx import workbook


def test_values_sheets_and_awkward_text_read_back_as_written():
    rows = [
        ("编号", "名称", "分值", "通过", "日期", "空"),
        (1, "甲<乙>&丙 \"引号\" 'x'", Decimal("10.5"), True, date(2026, 7, 1), None),
        (2, "控制\x01字符被删除", -3, False, "2026-11-26", None),
    ]
    data = workbook([("计划说明", [("年度", 2026)]), ("重点检查对象", iter(rows))])
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["计划说明", "重点检查对象"]
    got = list(wb["重点检查对象"].iter_rows(values_only=True))
    assert got[0] == rows[0]
    assert got[1] == (1, "甲<乙>&丙 \"引号\" 'x'", 10.5, True, "2026-07-01", None)
    assert got[2] == (2, "控制字符被删除", -3, False, "2026-11-26", None)
    assert list(wb["计划说明"].iter_rows(values_only=True)) == [("年度", 2026)]


def test_a_long_sheet_keeps_every_row_in_order():
    data = workbook([("s", ((n, f"r{n}") for n in range(5000)))])
    rows = list(load_workbook(io.BytesIO(data), read_only=True)["s"].iter_rows(values_only=True))
    assert len(rows) == 5000 and rows[4999] == (4999, "r4999") and rows[0] == (0, "r0")
