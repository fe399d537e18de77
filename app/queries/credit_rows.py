"""The rows the public pages (app/queries/disclosure.py) and the exports (app/services/exports)
both read, built from the same pieces so that a page and a file never disagree: the class
results of a run, and the original deductions of matters with what became of each (amended,
voided, repaired, merged under R-180)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.permissions import every_bureau, scope_filter
from app.queries.tables import load_tables
from app.scoring import live_entries, r180_merged
from app.scoring.disclosure import published_on, repaired_matters
from app.scoring.engine import SPOT_CHECK_ITEM
from app.scoring.ledger import KINDS, Entry
from models import (
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Matter,
    Operator,
    ScoringObject,
)

# ---- class results of a run -----------------------------------------------------------------


def class_base():
    """(result, object, operator) of classification results. The object's operator is the
    row's own (not joined a second time by the relationship's eager load)."""
    return (
        select(ClassificationResult, ScoringObject, Operator)
        .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .options(lazyload(ScoringObject.operator))
    )


def class_where(run: ClassificationRun, klass: str | None, codes: frozenset[str] | None) -> list:
    """The results of `run`, of one class if given, of operators in the bureau scope."""
    where = [ClassificationResult.run_id == run.id]
    if klass:
        where.append(ClassificationResult.klass == klass)
    return where + scope_filter(Operator.bureau_code, codes)


# ---- original deductions of matters ---------------------------------------------------------


def matter_base():
    """(entry, matter, object, operator) of ledger entries of matters. The object's operator
    is the row's own (not joined a second time by the relationship's eager load)."""
    return (
        select(LedgerEntry, Matter, ScoringObject, Operator)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .options(lazyload(ScoringObject.operator))
    )


def matter_where(
    since: date | None, until: date | None, codes: frozenset[str] | None, operator_id=None
) -> list:
    """Original deductions of matters effective in [since, until], decided by a bureau in the
    scope or against an operator of one: the joined `Operator`'s bureau, or, given the column
    `operator_id` of the operator instead (a query that does not join the operator table),
    whether that operator is one of the scope's."""
    where = [
        LedgerEntry.kind == "DEDUCTION",
        LedgerEntry.target_id.is_(None),
        LedgerEntry.matter_id.is_not(None),
    ]
    if since:
        where.append(Matter.effective_on >= since)
    if until:
        where.append(Matter.effective_on <= until)
    if not every_bureau(codes):
        listed = sorted(codes)
        of_operator = (
            Operator.bureau_code.in_(listed)
            if operator_id is None
            else operator_id.in_(select(Operator.id).where(Operator.bureau_code.in_(listed)))
        )
        where.append(or_(Matter.bureau_code.in_(listed), of_operator))
    return where


def item_titles() -> Callable[[str, str | None], str | None]:
    """title(table version, item code): the item's title in that version of the table."""
    tables = {t.version: t for t in load_tables()}

    def title(version: str, code: str | None) -> str | None:
        table = tables.get(version)
        if code is None or table is None or code not in table.items:
            return None
        return table.items[code].title

    return title


@dataclass
class Fate:
    """What became of an original deduction: amended or voided (objection, correction).
    Whether its matter was repaired is `repairs` below: a repair is of a matter."""

    status: str = "in_force"
    current: Decimal | None = None
    merged: bool = False  # a failure merged into an earlier one carries 0 points


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


def published_in_force(e: LedgerEntry, fate: Fate, today: date) -> bool:
    """Not voided, and inside its 36-month window on `today` (R-WINDOW)."""
    return fate.status != "voided" and published_on(e.effective_on, today)


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


def merged_failures(rows: Iterable[tuple[LedgerEntry, Matter]], on: date) -> set[int]:
    """Ids of the deductions among `rows` that are spot-check failures merged under R-180 on
    `on`: recorded and shown, but carrying 0 points. The rule core decides it on each
    product's entries, as it does for the score, the notices and the letters (R-ORDER)."""
    from app.queries.scores import entries_where

    failures = [(e, m) for e, m in rows if e.item == SPOT_CHECK_ITEM]
    if not failures:
        return set()
    products = sorted({e.object_id for e, _m in failures})
    merged = {
        oid: r180_merged(live_entries(es, on))
        for oid, es in entries_where(LedgerEntry.object_id.in_(products)).items()
    }
    return {e.id for e, m in failures if m.ref in merged.get(e.object_id, ())}
