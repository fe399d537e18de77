"""Scores as of a date, with their explanation (interchange §2)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.errors import DomainError, NotFound
from app.extensions import db
from app.scoring import Entry, EntryKind, Score, score_object, score_operator
from models import (
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Matter,
    Operator,
    ScoringObject,
)


def find_object(
    uscc: str, brand: str | None = None, nice_class: int | None = None
) -> ScoringObject:
    operator = db.session.scalar(select(Operator).where(Operator.uscc == uscc))
    if operator is None:
        raise NotFound("no operator with credit code %(uscc)s", field="uscc", uscc=uscc)
    if brand is None and nice_class is None:
        obj = db.session.scalar(
            select(ScoringObject).where(
                ScoringObject.operator_id == operator.id, ScoringObject.kind == "operator"
            )
        )
    else:
        if brand is None or nice_class is None:
            raise DomainError("a product is named by brand and nice class together", field="brand")
        obj = db.session.scalar(
            select(ScoringObject).where(
                ScoringObject.operator_id == operator.id,
                ScoringObject.kind == "product",
                ScoringObject.brand == brand,
                ScoringObject.nice_class == nice_class,
            )
        )
    if obj is None:
        if brand:
            raise NotFound(
                "no scoring object for product %(brand)s/%(nice_class)s of %(uscc)s",
                brand=brand,
                nice_class=nice_class,
                uscc=uscc,
            )
        raise NotFound("no scoring object for operator %(uscc)s", uscc=uscc)
    return obj


def entries_where(where) -> dict[int, list[Entry]]:
    """Entries by object id; one query for the whole set."""
    rows = db.session.execute(
        select(
            LedgerEntry.id,
            LedgerEntry.object_id,
            LedgerEntry.kind,
            LedgerEntry.points,
            LedgerEntry.effective_on,
            Matter.ref,
            LedgerEntry.item,
            LedgerEntry.target_id,
            LedgerEntry.product_key,
            ScoringObject.kind,
            ScoringObject.brand,
            ScoringObject.nice_class,
        )
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .outerjoin(Matter, Matter.id == LedgerEntry.matter_id)
        .where(where)
    ).tuples()
    out: dict[int, list[Entry]] = {}
    for eid, oid, kind, points, eff, ref, item, target, pkey, okind, brand, nice in rows:
        via = f"product {brand}/{nice}" if okind == "product" else None
        out.setdefault(oid, []).append(
            Entry(eid, oid, EntryKind(kind), points, eff, ref, item, target, pkey, via)
        )
    return out


def score_of(obj: ScoringObject, as_of: date) -> Score:
    if obj.kind == "product":
        return score_object(entries_where(LedgerEntry.object_id == obj.id).get(obj.id, []), as_of)
    family = entries_where(LedgerEntry.operator_id == obj.operator_id)
    own = family.pop(obj.id, [])
    return score_operator(own, family, as_of)


def official_class_of(object_id: int, as_of: date) -> dict[str, Any] | None:
    row = db.session.execute(
        select(
            ClassificationResult.klass, ClassificationRun.run_on, ClassificationResult.locked_until
        )
        .join(ClassificationRun, ClassificationRun.id == ClassificationResult.run_id)
        .where(
            ClassificationResult.object_id == object_id,
            ClassificationRun.run_on <= as_of,
            ClassificationRun.finished_at.is_not(None),
        )
        .order_by(ClassificationRun.run_on.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"class": row[0], "run_on": row[1], "locked_until": row[2]}


def object_view(obj: ScoringObject) -> dict[str, Any]:
    op = obj.operator
    if obj.kind == "product":
        return {
            "kind": "product",
            "uscc": op.uscc,
            "name": op.name,
            "brand": obj.brand,
            "nice_class": obj.nice_class,
            "category": obj.category,
        }
    # Interchange §2 names an operator by its role: a producer has products, a seller none.
    has_products = db.session.scalar(
        select(ScoringObject.id)
        .where(ScoringObject.operator_id == op.id, ScoringObject.kind == "product")
        .limit(1)
    )
    return {"kind": "producer" if has_products else "seller", "uscc": op.uscc, "name": op.name}


def explained_score(obj: ScoringObject, as_of: date) -> dict[str, Any]:
    """The score document of interchange §2."""
    s = score_of(obj, as_of)
    return {
        "object": object_view(obj),
        "as_of": as_of,
        "score": None if s.points is None else f"{s.points:.2f}",
        "class": s.klass,
        "official_class": official_class_of(obj.id, as_of),
        "entries": [
            {
                "entry_id": ln.entry_id,
                "kind": ln.kind,
                "points": f"{ln.points:.2f}",
                "effective_on": ln.effective_on,
                "expires_on": ln.expires_on,
                "matter": ln.matter,
                "item": ln.item,
                "via": ln.via,
                "note": ln.note,
            }
            for ln in s.lines
        ],
    }
