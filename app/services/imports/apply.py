"""Writing a plan: the changes, then the new rows in bulk, parents before children, ids of
planned objects resolved as they are inserted. Flushes, does not commit."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import insert, update

from app.extensions import db
from app.permissions import forget_bureau_tree
from models import Bureau, LedgerEntry, Matter, Operator, ScoringObject, SpotCheck

from ..audit import record_events
from .plan import Known, KnownOperator, KnownProduct, NewEntry, ObjectRef, Plan


def apply(plan: Plan, known: Known, *, actor: str, at: datetime) -> None:
    """Write the plan and bring `known` up to date with the ids it was given."""
    s = db.session
    if plan.bureaus:
        s.execute(insert(Bureau), [asdict(b) for b in plan.bureaus])
    for change in plan.changes:  # after the new bureaus: a change may name one as parent
        key = change.model.code if change.model is Bureau else change.model.id
        s.execute(update(change.model).where(key == change.id).values(**change.values))
    if plan.bureaus or any(c.model is Bureau for c in plan.changes):
        forget_bureau_tree()
    if plan.operators:
        _insert_operators(plan, known)
    if plan.products:
        _insert_products(plan, known)
    matter_ids: dict[str, int] = {}
    if plan.matters:
        rows = s.execute(
            insert(Matter).returning(Matter.id, Matter.ref), [asdict(m) for m in plan.matters]
        ).all()
        matter_ids = {ref: mid for mid, ref in rows}
    if plan.spot_checks:
        params = []
        for check in plan.spot_checks:
            row = asdict(check)
            row["object_id"] = known.products[row.pop("product")].id
            row["matter_id"] = matter_ids.get(check.ref) if check.result == "fail" else None
            params.append(row)
        s.execute(insert(SpotCheck), params)
    if plan.entries:
        s.execute(
            insert(LedgerEntry), [_entry_row(e, known, matter_ids, actor, at) for e in plan.entries]
        )
    record_events(at, actor, plan.events)
    s.flush()


def _insert_operators(plan: Plan, known: Known) -> None:
    """New operators, each with its operator scoring object."""
    s = db.session
    rows = s.execute(
        insert(Operator).returning(Operator.id, Operator.uscc),
        [asdict(o) for o in plan.operators],
    ).all()
    for oid, uscc in rows:
        known.operators[uscc] = KnownOperator(oid, *known.operators[uscc][1:])
    objs = s.execute(
        insert(ScoringObject).returning(ScoringObject.id, ScoringObject.operator_id),
        [{"kind": "operator", "operator_id": oid} for oid, _ in rows],
    ).all()
    by_operator = dict(rows)
    for object_id, operator_id in objs:
        uscc = by_operator[operator_id]
        known.operator_object[uscc] = object_id
        known.rekey(ObjectRef("operator", uscc), object_id)


def _insert_products(plan: Plan, known: Known) -> None:
    params = [
        {
            "kind": "product",
            "operator_id": known.operators[p.key[0]].id,
            "brand": p.key[1],
            "nice_class": p.key[2],
            "category": p.category,
        }
        for p in plan.products
    ]
    rows = db.session.execute(
        insert(ScoringObject).returning(
            ScoringObject.id,
            ScoringObject.brand,
            ScoringObject.nice_class,
            ScoringObject.operator_id,
            sort_by_parameter_order=True,
        ),
        params,
    ).all()
    for p, row in zip(plan.products, rows, strict=True):
        known.products[p.key] = KnownProduct(row.id, p.category)
        known.rekey(ObjectRef("product", p.key), row.id)


def _entry_row(
    e: NewEntry, known: Known, matter_ids: dict[str, int], actor: str, at: datetime
) -> dict:
    kind, key = e.object
    if kind == "product":
        object_id, operator_id = known.products[key].id, known.operators[key[0]].id
    else:
        object_id, operator_id = known.operator_object[key], known.operators[key].id
    return {
        "object_id": object_id,
        "operator_id": operator_id,
        "matter_id": matter_ids.get(e.matter) if e.matter else None,
        "matter_ref": e.matter or None,
        "kind": e.kind,
        "points": e.points,
        "effective_on": e.effective_on,
        "item": e.item,
        "product_key": e.product_key,
        "recorded_by": actor,
        "recorded_at": at,
    }
