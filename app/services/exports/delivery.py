"""Sending an export: to whom and on what legal basis (Art. 31, 32), the audit event written
before the first byte, and the bytes streamed as CSV, JSON Lines or XLSX."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from marshmallow import Schema
from openpyxl import Workbook

from app.errors import DomainError
from models import User

from ..audit import record_event
from ..cells import csv_text, xlsx_cell
from .base import Export


def check_sharing(kind: str | None, name: str | None, basis: str | None) -> dict:
    """Art. 31, 32: credit information is shared with departments, industry associations and
    e-commerce platforms only through authorised exports, each recording its recipient and its
    legal basis. A missing or unknown one is refused (422), naming the field."""
    from forms.exports import RECIPIENT_KINDS

    if not kind:
        raise DomainError(
            "an export names its recipient_kind (one of %(kinds)s) (Art. 31, 32)",
            field="recipient_kind",
            kinds=", ".join(RECIPIENT_KINDS),
        )
    if kind not in RECIPIENT_KINDS:
        raise DomainError(
            "unknown recipient_kind %(kind)s: use one of %(kinds)s (Art. 31, 32)",
            field="recipient_kind",
            kind=kind,
            kinds=", ".join(RECIPIENT_KINDS),
        )
    for field, value, most in (("recipient", name, 200), ("legal_basis", basis, 500)):
        if not (value or "").strip():
            raise DomainError("an export names its %(name)s (Art. 31, 32)", field=field, name=field)
        if len(value.strip()) > most:
            raise DomainError(
                "%(name)s has at most %(n)s characters", field=field, name=field, n=most
            )
    return {"recipient_kind": kind, "recipient": name.strip(), "legal_basis": basis.strip()}


def record_export(
    export: Export, fmt: str, *, user: User, at: datetime, sharing: dict | None = None
) -> None:
    """Who exported what, with which filters, how many rows, to whom and on what legal basis
    (Art. 31, 32: authorised only)."""
    record_event(
        at,
        user.username,
        f"export.{export.name}",
        "export",
        export.name,
        {
            "filters": export.filters,
            "format": fmt,
            "rows": export.count,
            "role": user.role,
            **(sharing or {}),
        },
    )


def columns(schema: Schema) -> list[str]:
    return [f.data_key or name for name, f in schema.dump_fields.items()]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def stream(export: Export, fmt: str) -> Iterator[bytes]:
    """The export's bytes, batch by batch (XLSX: written to a temporary file, then sent)."""
    schema = export.columns
    if fmt == "jsonl":
        for batch in export.batches():
            yield "".join(
                json.dumps(row, ensure_ascii=False) + "\n" for row in schema.dump(batch, many=True)
            ).encode("utf-8")
        return
    header = columns(schema)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        yield ("\ufeff" + buf.getvalue()).encode("utf-8")  # the BOM: Excel reads UTF-8
        for batch in export.batches():
            buf.seek(0)
            buf.truncate()
            for row in schema.dump(batch, many=True):
                writer.writerow([csv_text(_cell(row.get(c))) for c in header])
            yield buf.getvalue().encode("utf-8")
        return
    yield from _xlsx(export, header)


def _xlsx(export: Export, header: list[str]) -> Iterator[bytes]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(export.name[:31])
    ws.append(header)
    for batch in export.batches():
        for row in export.columns.dump(batch, many=True):
            ws.append([xlsx_cell(ws, row.get(c)) for c in header])
    with tempfile.TemporaryFile() as tmp:
        wb.save(tmp)
        tmp.seek(0)
        while chunk := tmp.read(64 * 1024):
            yield chunk
