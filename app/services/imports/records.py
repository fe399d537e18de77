"""Reading an import file: each non-blank line parsed, typed and validated on its own."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from marshmallow import ValidationError

from forms.records import RECORD_SCHEMAS

from . import messages as m
from .report import Refused


def read_lines(raw: Iterable[bytes]) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON or a Refused) for each non-blank line."""
    for n, line in enumerate(raw, 1):
        if n == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield n, Refused(m.NOT_UTF8, byte=exc.start + 1)
            continue
        try:
            yield n, json.loads(text)
        except json.JSONDecodeError as exc:
            yield n, Refused(m.NOT_JSON, error=exc.msg, column=exc.colno)
        except RecursionError:
            yield n, Refused(m.TOO_DEEP)


def ref_of(rec: Any) -> str | None:
    """The record's `ref`, when it is a string (the report names the record by it)."""
    return rec.get("ref") if isinstance(rec, dict) and isinstance(rec.get("ref"), str) else None


def validate(rec: Any) -> tuple[str, dict]:
    """The record's type and its data loaded by the type's schema; Refused when it has none."""
    if isinstance(rec, Refused):
        raise rec
    if not isinstance(rec, dict):
        raise Refused(m.NOT_AN_OBJECT)
    rtype = rec.get("type")
    schema = RECORD_SCHEMAS.get(rtype) if isinstance(rtype, str) else None
    if schema is None:
        raise Refused(m.UNKNOWN_TYPE, "type", type=repr(rtype), types=", ".join(RECORD_SCHEMAS))
    try:
        return rtype, schema().load(rec)
    except ValidationError as exc:
        raise Refused.plain("; ".join(_flatten(exc.messages))) from None


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for k, v in messages.items():
            out += _flatten(v, f"{prefix}{k}." if prefix or k != "_schema" else "")
        return out
    if isinstance(messages, list) and all(isinstance(text, str) for text in messages):
        return [f"{prefix.rstrip('.')}: {text}" if prefix else text for text in messages]
    return [f"{prefix.rstrip('.')}: {messages}"]


def content_hash(data: dict) -> str:
    """What makes a second import of the same record change nothing (and a changed one a
    conflict)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
