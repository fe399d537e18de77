"""Disclosure and sharing exports (Art. 29, 31, 32): classes of a run, matters, the A-class list
and the dishonesty matters in force, as CSV, JSON Lines or XLSX.

An export is bounded by the caller's bureau tree (administrators: the province), counted and
written to the audit log before its first byte is sent, then streamed in keyset-paged batches
so that memory stays flat whatever the size of the province.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import Schema
from openpyxl import Workbook
from sqlalchemy import func, or_, select

from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes, export_bureaus
from app.scoring.dates import add_months, window_end
from app.scoring.disclosure import published_on, published_until, repaired_matters
from app.scoring.ledger import KINDS, Entry
from forms import exports as schemas
from models import (
    Bureau,
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Matter,
    Operator,
    ScoringObject,
    User,
)

from .audit import record_event
from .cells import csv_text, xlsx_cell
from .scoring_tables import load_tables

BATCH = 2000
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Export:
    """What one export will send: its rows (a generator of batches), how many, and why."""

    name: str
    filters: dict[str, Any]
    columns: Schema
    count: int
    batches: Callable[[], Iterator[list[dict]]]

    def filename(self, fmt: str) -> str:
        parts = [self.name, *(str(v) for v in self.filters.values() if v)]
        return re.sub(r"[^0-9A-Za-z.-]+", "_", "-".join(parts)) + f".{fmt}"


# ---- checks -------------------------------------------------------------------------------


def check_format(fmt: str) -> str:
    if fmt not in schemas.FORMATS:
        raise DomainError(
            "unknown format %(format)s: use one of %(formats)s",
            field="format",
            status=400,
            format=fmt,
            formats=", ".join(schemas.FORMATS),
        )
    return fmt


def check_class(klass: str | None) -> str | None:
    if klass is not None and klass not in schemas.CLASSES:
        raise DomainError(
            "there is no class %(klass)s: the classes are %(classes)s",
            field="class",
            status=422,
            klass=klass,
            classes=", ".join(schemas.CLASSES),
        )
    return klass


def export_scope(user: User, bureau: str | None) -> frozenset[str] | None:
    """The bureau codes the export covers (None: all). A bureau outside the caller's tree is
    refused with 403, an unknown one with 404."""
    if user.role == "enterprise":
        raise DomainError("exports are for staff of the administration", status=403)
    allowed = export_bureaus(user)
    if bureau is None:
        return allowed
    if db.session.get(Bureau, bureau) is None:
        raise NotFound("no bureau with code %(code)s", field="bureau", code=bureau)
    if allowed is not None and bureau not in allowed:
        raise DomainError(
            "bureau %(bureau)s is outside your area (%(own)s and the bureaus below it); "
            "you may only export your own area",
            field="bureau",
            status=403,
            bureau=bureau,
            own=user.bureau_code,
        )
    return bureau_tree_codes(bureau)


def _whole_province(codes: frozenset[str] | None) -> bool:
    if codes is None:
        return True
    total = db.session.scalar(select(func.count()).select_from(Bureau)) or 0
    return len(codes) >= total


def _in(column, codes: frozenset[str] | None):
    """A filter on a bureau column, or none when the scope is the whole province."""
    return None if _whole_province(codes) else column.in_(sorted(codes))


def _run(run_on: date | None) -> ClassificationRun:
    where = [ClassificationRun.finished_at.is_not(None)]
    if run_on is not None:
        where.append(ClassificationRun.run_on == run_on)
    run = db.session.scalar(
        select(ClassificationRun).where(*where).order_by(ClassificationRun.run_on.desc()).limit(1)
    )
    if run is None:
        if run_on is not None:
            raise NotFound(
                "no classification run of %(date)s", field="run_on", date=run_on.isoformat()
            )
        raise NotFound("there is no classification run yet")
    return run


def _check_period(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise DomainError(
            "since (%(since)s) is after until (%(until)s)",
            field="since",
            status=422,
            since=since.isoformat(),
            until=until.isoformat(),
        )


def _producers(operator_ids: Iterable[int]) -> set[int]:
    """Operators with products (producers); the others are sellers (as interchange §2 says)."""
    ids = sorted(set(operator_ids))
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(ScoringObject.operator_id)
            .where(ScoringObject.kind == "product", ScoringObject.operator_id.in_(ids))
            .distinct()
        )
    )


def _role(kind: str, operator_id: int, producers: set[int]) -> str:
    if kind == "product":
        return "product"
    return "producer" if operator_id in producers else "seller"


def _pts(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


# ---- classes of a run (Art. 31, 32) and the A-class list (Art. 29) -----------------------


def _class_where(run: ClassificationRun, klass: str | None, codes) -> list:
    where = [ClassificationResult.run_id == run.id]
    if klass:
        where.append(ClassificationResult.klass == klass)
    scope = _in(Operator.bureau_code, codes)
    if scope is not None:
        where.append(scope)
    return where


def _class_base():
    return (
        select(ClassificationResult, ScoringObject, Operator)
        .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
    )


def _class_batches(where: list, shape: Callable) -> Callable[[], Iterator[list[dict]]]:
    def batches() -> Iterator[list[dict]]:
        last = 0
        while True:
            rows = db.session.execute(
                _class_base()
                .where(*where, ClassificationResult.object_id > last)
                .order_by(ClassificationResult.object_id)
                .limit(BATCH)
            ).all()
            if not rows:
                return
            producers = _producers(op.id for _r, _o, op in rows)
            yield [shape(r, o, op, producers) for r, o, op in rows]
            last = rows[-1][0].object_id

    return batches


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def class_export(
    user: User, *, run_on: date | None, klass: str | None, bureau: str | None
) -> Export:
    klass = check_class(klass)
    codes = export_scope(user, bureau)
    run = _run(run_on)
    where = _class_where(run, klass, codes)

    def shape(r: ClassificationResult, o: ScoringObject, op: Operator, producers) -> dict:
        return {
            "run_on": run.run_on,
            "object_kind": _role(o.kind, op.id, producers),
            "uscc": op.uscc,
            "name": op.name,
            "brand": o.brand,
            "nice_class": o.nice_class,
            "category": o.category,
            "bureau": op.bureau_code,
            "score": _pts(r.score),
            "class": r.klass,
            "previous_class": r.previous_klass,
            "locked_until": r.locked_until,
        }

    return Export(
        "classes",
        {"run_on": run.run_on.isoformat(), "class": klass, "bureau": bureau},
        schemas.ClassRow(),
        _count(_class_base().where(*where)),
        _class_batches(where, shape),
    )


def a_class_export(user: User, *, run_on: date | None, bureau: str | None) -> Export:
    codes = export_scope(user, bureau)
    run = _run(run_on)
    where = _class_where(run, "A", codes)
    names = dict(db.session.execute(select(Bureau.code, Bureau.name)).tuples().all())

    def shape(r: ClassificationResult, o: ScoringObject, op: Operator, producers) -> dict:
        return {
            "run_on": run.run_on,
            "object_kind": _role(o.kind, op.id, producers),
            "uscc": op.uscc,
            "name": op.name,
            "brand": o.brand,
            "nice_class": o.nice_class,
            "bureau": op.bureau_code,
            "bureau_name": names.get(op.bureau_code, op.bureau_code),
            "class": r.klass,
        }

    return Export(
        "a-class",
        {"run_on": run.run_on.isoformat(), "bureau": bureau},
        schemas.AClassRow(),
        _count(_class_base().where(*where)),
        _class_batches(where, shape),
    )


# ---- matters (Art. 31, 32) and dishonesty matters in force (Art. 29) ---------------------


@dataclass
class Fate:
    """What became of an original deduction: amended or voided (objection, correction).
    Whether its matter was repaired is `repairs` below: a repair is of a matter."""

    status: str = "in_force"
    current: Decimal | None = None


def fates(originals: dict[int, Decimal]) -> dict[int, Fate]:
    """Follow each original deduction through its VOIDs and replacing deductions."""
    out = {oid: Fate(current=pts) for oid, pts in originals.items()}
    head = {oid: oid for oid in originals}  # original → the entry now standing for it
    frontier = set(originals)
    seen: set[int] = set()
    voided: set[int] = set()
    owner: dict[int, int] = {oid: oid for oid in originals}
    while frontier:
        rows = db.session.execute(
            select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.target_id, LedgerEntry.points)
            .where(LedgerEntry.target_id.in_(sorted(frontier)))
            .order_by(LedgerEntry.id)
        ).all()
        seen |= frontier
        frontier = set()
        for eid, kind, target, points in rows:
            original = owner[target]
            owner[eid] = original
            if kind == "VOID":
                voided.add(target)
            elif kind == "DEDUCTION":
                head[original] = eid
                out[original].current = points
                out[original].status = "amended"
            if eid not in seen:
                frontier.add(eid)
    for original, fate in out.items():
        if head[original] in voided:
            fate.status, fate.current = "voided", Decimal("0.00")
    return out


def repairs(pairs: Iterable[tuple[int, int]], today: date) -> dict[tuple[int, int], date]:
    """(operator id, matter id) → effective date of the operator's repair of that matter, for
    the pairs that have one as of `today`. A repair is of a matter (R-REPAIR-ONE-MATTER): it
    withdraws the matter from publication for every object of the operator. Whether a repair
    still stands (not voided, its deduction not revoked) is decided by the pure core
    (`app.scoring.disclosure.repaired_matters`, over `live_entries`). Two queries for a whole
    batch: the repairs of its matters, then the entries of the few pairs that have one."""
    pairs = set(pairs)
    if not pairs:
        return {}
    operators = sorted({o for o, _m in pairs})
    matters = sorted({m for _o, m in pairs})
    found = {
        (o, m)
        for o, m in db.session.execute(
            select(LedgerEntry.operator_id, LedgerEntry.matter_id).where(
                LedgerEntry.kind == "REPAIR",
                LedgerEntry.matter_id.in_(matters),
                LedgerEntry.operator_id.in_(operators),
            )
        ).tuples()
    } & pairs
    if not found:
        return {}
    rows = db.session.execute(
        select(
            LedgerEntry.id,
            LedgerEntry.object_id,
            LedgerEntry.operator_id,
            LedgerEntry.kind,
            LedgerEntry.points,
            LedgerEntry.effective_on,
            LedgerEntry.matter_id,
            LedgerEntry.item,
            LedgerEntry.target_id,
            LedgerEntry.product_key,
        ).where(
            LedgerEntry.matter_id.in_(sorted({m for _o, m in found})),
            LedgerEntry.operator_id.in_(sorted({o for o, _m in found})),
        )
    ).tuples()
    by_operator: dict[int, list[Entry]] = {}
    for eid, oid, op, kind, points, eff, mid, item, target, pkey in rows:
        by_operator.setdefault(op, []).append(
            Entry(eid, oid, KINDS[kind], points, eff, str(mid), item, target, pkey)
        )
    out = {}
    for op, entries in by_operator.items():
        for matter, on in repaired_matters(entries, today).items():
            if (op, int(matter)) in pairs:
                out[(op, int(matter))] = on
    return out


def _matter_where(since, until, codes) -> list:
    where = [
        LedgerEntry.kind == "DEDUCTION",
        LedgerEntry.target_id.is_(None),
        LedgerEntry.matter_id.is_not(None),
    ]
    if since:
        where.append(Matter.effective_on >= since)
    if until:
        where.append(Matter.effective_on <= until)
    if not _whole_province(codes):
        listed = sorted(codes)
        where.append(or_(Matter.bureau_code.in_(listed), Operator.bureau_code.in_(listed)))
    return where


def _matter_base():
    return (
        select(LedgerEntry, Matter, ScoringObject, Operator)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
    )


def _titles() -> Callable[[str, str | None], str | None]:
    tables = {t.version: t for t in load_tables()}

    def title(version: str, code: str | None) -> str | None:
        table = tables.get(version)
        if code is None or table is None or code not in table.items:
            return None
        return table.items[code].title

    return title


def _matter_batches(where: list, keep: Callable, shape: Callable, today: date):
    """Rows in batches; `keep(entry, fate)` says which go out, `shape(…, repaired_on, …)` makes
    each, where `repaired_on` is the date of the operator's repair of the matter or None."""
    title = _titles()

    def batches() -> Iterator[list[dict]]:
        last = 0
        while True:
            rows = db.session.execute(
                _matter_base()
                .where(*where, LedgerEntry.id > last)
                .order_by(LedgerEntry.id)
                .limit(BATCH)
            ).all()
            if not rows:
                return
            last = rows[-1][0].id
            fate = fates({e.id: e.points for e, *_ in rows})
            kept = [(e, m, o, op) for e, m, o, op in rows if keep(e, fate[e.id])]
            producers = _producers(op.id for *_, op in kept)
            repaired = repairs(((e.operator_id, e.matter_id) for e, *_ in kept), today)
            out = [
                shape(e, m, o, op, fate[e.id], repaired.get(pair), producers, title)
                for e, m, o, op in kept
                for pair in [(e.operator_id, e.matter_id)]
            ]
            if out:
                yield out

    return batches


def matter_export(
    user: User, *, since: date | None, until: date | None, bureau: str | None, today: date
) -> Export:
    _check_period(since, until)
    codes = export_scope(user, bureau)
    where = _matter_where(since, until, codes)

    def shape(e, m, o, op, fate: Fate, repaired_on, producers, title) -> dict:
        return {
            "matter_ref": m.ref,
            "source": m.source,
            "effective_on": m.effective_on,
            "deciding_bureau": m.bureau_code,
            "items": ";".join(m.items or []),
            "item": e.item,
            "item_title": title(m.table_version, e.item),
            "intentional": m.intentional,
            "major_impact": m.major_impact,
            "model": m.model,
            "standard": m.standard,
            "summary": m.summary,
            "object_kind": _role(o.kind, op.id, producers),
            "uscc": op.uscc,
            "name": op.name,
            "operator_bureau": op.bureau_code,
            "brand": o.brand,
            "nice_class": o.nice_class,
            "points": _pts(e.points),
            "current_points": _pts(fate.current),
            "status": fate.status,
            "repaired": repaired_on is not None,
            "repaired_on": repaired_on,
            "expires_on": window_end(e.effective_on),
        }

    return Export(
        "matters",
        {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "bureau": bureau,
        },
        schemas.MatterRow(),
        _count(_matter_base().where(*where)),
        _matter_batches(where, lambda e, f: True, shape, today),
    )


def _in_force(e: LedgerEntry, fate: Fate, today: date) -> bool:
    """Not voided, and inside its 36-month window on `today` (R-WINDOW)."""
    return fate.status != "voided" and published_on(e.effective_on, today)


def dishonesty_export(
    user: User, *, since: date | None, until: date | None, bureau: str | None, today: date
) -> Export:
    """Dishonesty matters in force on `today`: not voided, inside their 36-month window
    (R-WINDOW), each with the last day it is published. A repaired matter is no longer on the
    public list (信用修复后停止公示) but stays in this authorised export, marked `repaired` with
    the repair's date (rules §10). The count is exact: it follows every row through its fate
    first."""
    _check_period(since, until)
    codes = export_scope(user, bureau)
    # Entries whose window may still be open: those effective in the last 36 months (+1 for
    # month-end clamping); the exact test is `published_on` (app.scoring.disclosure).
    where = [
        *_matter_where(since, until, codes),
        LedgerEntry.effective_on >= add_months(today, -37),
        LedgerEntry.effective_on <= today,
    ]
    names = dict(db.session.execute(select(Bureau.code, Bureau.name)).tuples().all())

    def shape(e, m, o, op, fate: Fate, repaired_on, producers, title) -> dict:
        return {
            "matter_ref": m.ref,
            "effective_on": m.effective_on,
            "deciding_bureau": m.bureau_code,
            "deciding_bureau_name": names.get(m.bureau_code, m.bureau_code),
            "item": e.item,
            "item_title": title(m.table_version, e.item),
            "summary": m.summary,
            "object_kind": _role(o.kind, op.id, producers),
            "uscc": op.uscc,
            "name": op.name,
            "brand": o.brand,
            "nice_class": o.nice_class,
            "points": _pts(fate.current),
            "published_until": published_until(e.effective_on),
            "repaired": repaired_on is not None,
            "repaired_on": repaired_on,
        }

    batches = _matter_batches(where, lambda e, f: _in_force(e, f, today), shape, today)
    count = sum(len(b) for b in batches())
    return Export(
        "dishonesty",
        {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "bureau": bureau,
        },
        schemas.DishonestyRow(),
        count,
        batches,
    )


# ---- audit and streaming ------------------------------------------------------------------


def record_export(export: Export, fmt: str, *, user: User, at: datetime) -> None:
    """Who exported what, with which filters, how many rows (Art. 31, 32: authorised only)."""
    record_event(
        at,
        user.username,
        f"export.{export.name}",
        "export",
        export.name,
        {"filters": export.filters, "format": fmt, "rows": export.count, "role": user.role},
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


__all__ = [
    "MEDIA_TYPES",
    "Export",
    "a_class_export",
    "class_export",
    "dishonesty_export",
    "matter_export",
    "record_export",
    "stream",
]
