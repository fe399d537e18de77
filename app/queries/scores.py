"""Scores as of a date, with their explanation (interchange §2)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.errors import DomainError, NotFound
from app.extensions import db
from app.scoring import (
    Entry,
    EntryKind,
    Score,
    matter_effect,
    score_family,
    score_object,
)
from models import (
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
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
            LedgerEntry.matter_ref,
            LedgerEntry.item,
            LedgerEntry.target_id,
            LedgerEntry.product_key,
            ScoringObject.kind,
            ScoringObject.brand,
            ScoringObject.nice_class,
        )
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
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
    products = {oid: family.pop(oid, []) for oid in _product_ids(obj.operator_id)}
    return score_family(own, products, as_of).operator


def _product_ids(operator_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(ScoringObject.id).where(
                ScoringObject.operator_id == operator_id, ScoringObject.kind == "product"
            )
        )
    )


def notice_figures(operator_id: int, matter_ref: str, as_of: date) -> list[dict[str, Any]]:
    """R-NOTICE: for each object of the operator that the matter scored, the points that
    object lost by it (after R-ONCE, R-MAX, R-180), its score and class as of `as_of`, and
    the class in force. Every figure comes from the rule core's explained scores."""
    family = entries_where(LedgerEntry.operator_id == operator_id)
    objects = {
        o.id: o
        for o in db.session.scalars(
            select(ScoringObject).where(ScoringObject.operator_id == operator_id)
        )
    }
    own_id = next((oid for oid, o in objects.items() if o.kind == "operator"), None)
    products = {oid: family.get(oid, []) for oid, o in objects.items() if o.kind == "product"}
    scores = score_family(family.get(own_id, []), products, as_of)
    out = []
    for oid in sorted(family):
        scored = [
            e for e in family[oid] if e.kind is EntryKind.DEDUCTION and e.matter == matter_ref
        ]
        if not scored:
            continue
        obj = objects[oid]
        score = scores.products[oid] if obj.kind == "product" else scores.operator
        effect = matter_effect(score, matter_ref)
        official = official_class_of(oid, as_of)
        out.append(
            {
                "object_id": oid,
                "kind": obj.kind,
                "brand": obj.brand,
                "nice_class": obj.nice_class,
                "items": sorted({e.item for e in scored if e.item}),
                "points": f"{effect.points:.2f}",
                "merged": effect.merged,
                "score": None if effect.score is None else f"{effect.score:.2f}",
                "class": effect.klass,
                "official_class": None
                if official is None
                else {
                    "class": official["class"],
                    "run_on": official["run_on"].isoformat(),
                    "locked_until": official["locked_until"].isoformat()
                    if official["locked_until"]
                    else None,
                },
            }
        )
    # The operator's own line first, then its products.
    out.sort(key=lambda f: (f["kind"] != "operator", f["object_id"]))
    return out


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
