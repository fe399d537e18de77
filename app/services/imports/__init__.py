"""Bulk import of credit records (interchange §1).

Each record is checked on its own against the rules and against what the database and the
earlier lines of the same file hold; only records that pass are written, in bulk, so a bad
record stops nothing else and nothing is ever half-written. `ref` (and the natural keys of
reference records) make a second import of the same file change nothing; a `ref` re-used
with other content is refused as a conflict.

records.py reads and validates lines, checks.py holds the rules a record must pass,
planner.py turns records into a plan of named rows (plan.py), apply.py writes it; the
refusals are catalogue messages (messages.py) so that pages show them in their language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from ..scoring_tables import load_tables
from .apply import apply
from .plan import Known, Plan
from .planner import Planner
from .records import read_lines
from .report import ImportReport, Refusal, Refused, Review

__all__ = ["CHUNK", "ImportReport", "Refusal", "Refused", "Review", "import_records", "read_lines"]

CHUNK = 2000


def import_records(
    raw_lines: Iterable[bytes],
    *,
    today: date,
    actor: str,
    at: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import JSON Lines records; returns the report. Flushes, does not commit."""
    report = ImportReport()
    known = Known()
    planner = Planner(known, load_tables(), today=today, actor=actor, at=at, report=report)
    chunk: list[tuple[int, Any]] = []

    def flush_chunk() -> None:
        known.preload(chunk)
        for line, rec in chunk:
            report.read += 1
            planner.record(line, rec)
        apply(planner.plan, known, actor=actor, at=at)
        planner.plan = Plan()
        if progress:
            progress(len(chunk))
        chunk.clear()

    for item in read_lines(raw_lines):
        chunk.append(item)
        if len(chunk) >= CHUNK:
            flush_chunk()
    if chunk:
        flush_chunk()
    report.refusals.sort(key=lambda r: r.line)
    return report
