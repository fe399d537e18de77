"""Cells of the CSV and XLSX files that leave the system (exports, statistics, inspection
plans): text that a spreadsheet program would take for a formula is written as text.

Summaries, names and brands come from enterprises and imports; a value such as
`=cmd|' /C calc'!A0` or `@SUM(A1:A9)` must not become a live formula in the reader's Excel
(OWASP "CSV injection"). Text is suspect when it starts with = + - @, a tab or a carriage
return; a number written as text ("-2.00") is not, so figures stay figures."""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def formula_like(value: Any) -> bool:
    return (
        isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value)
    )


def csv_text(value: Any) -> Any:
    """A CSV cell: formula-like text gets a leading apostrophe, which spreadsheet programs
    show as text and do not evaluate; anything else is unchanged."""
    return "'" + value if formula_like(value) else value


def xlsx_cell(ws, value: Any) -> Any:
    """An openpyxl cell value: formula-like text becomes a cell typed as text (its value
    unchanged, never a formula); anything else is unchanged."""
    if not formula_like(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value)  # a plain Cell, placed by `append` in either mode
    cell.data_type = "s"
    return cell
