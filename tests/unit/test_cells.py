"""Cells of the files that leave the system (issue 12, point 4): text a spreadsheet would take
for a formula is written as text; figures stay figures."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from app.services.cells import csv_text, formula_like, xlsx_cell
from app.services.xlsx import workbook


@pytest.mark.parametrize(
    "text",
    ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "-", "=", "+86 20 1"],
)
def test_formula_like_text_in_a_csv_cell_gets_an_apostrophe(text):
    assert formula_like(text)
    assert csv_text(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["-4.00", "+1", "12", "0.5", "a=b", "甲@乙", " =1", "", None, -4, Decimal("-2.5"), True],
)
def test_figures_and_other_text_are_left_as_they_are(value):
    assert not formula_like(value)
    assert csv_text(value) == value


def test_formula_like_text_is_a_text_cell_in_an_openpyxl_workbook_in_both_modes():
    for write_only in (False, True):
        wb = Workbook(write_only=write_only)
        ws = wb.create_sheet("s") if write_only else wb.active
        ws.append([xlsx_cell(ws, v) for v in ("=1+1", "@SUM(A1)", "-4.00", 7, None, "x")])
        out = io.BytesIO()
        wb.save(out)
        cells = next(load_workbook(io.BytesIO(out.getvalue())).worksheets[0].iter_rows())
        got = [(c.value, c.data_type) for c in cells]
        assert got == [
            ("=1+1", "s"),
            ("@SUM(A1)", "s"),
            ("-4.00", "s"),
            (7, "n"),
            (None, "n"),
            ("x", "s"),
        ], write_only


def test_the_streaming_xlsx_writer_writes_formula_like_text_as_text():
    data = workbook([("s", [("=cmd|' /C calc'!A0", "+1+1")])])
    cells = next(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows())
    assert [(c.value, c.data_type) for c in cells] == [("=cmd|' /C calc'!A0", "s"), ("+1+1", "s")]
