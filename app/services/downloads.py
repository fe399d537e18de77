"""The lists a page offers as a file (the supervisor's task and case lists): CSV or XLSX from
the same rows, with the audit event that says who took which rows.

XLSX goes through the project's streaming writer (`app.services.xlsx`), whose text cells are
inline strings and never formulas; CSV cells that a spreadsheet would take for a formula get
the apostrophe of `app.services.cells.csv_text` (enterprise names come from enterprises)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .audit import record_event
from .cells import csv_text
from .xlsx import workbook

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_file(fmt: str, sheet: str, header: Sequence[str], rows: Sequence[Sequence]) -> bytes:
    """The rows under their header as a CSV (UTF-8 with a BOM, which Excel needs to read
    Chinese) or a one-sheet XLSX."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([csv_text(h) for h in header])
        writer.writerows([csv_text(v) for v in row] for row in rows)
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        return workbook([(sheet, [list(header), *rows])])
    raise ValueError(f"unknown format {fmt}")


def record_download(
    at: datetime, actor: str, what: str, fmt: str, rows: int, filters: Mapping[str, Any]
) -> None:
    """Lists leave the system like exports do: who took which rows (Art. 31, 32)."""
    record_event(
        at,
        actor,
        f"download.{what}",
        "list",
        what,
        {"format": fmt, "rows": rows, "filters": {k: v for k, v in filters.items() if v}},
    )
