"""Writing ledger entries one at a time (cases); bulk imports write their own in batches."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.scoring import BASE_POINTS, Entry
from models import LedgerEntry, ScoringObject

from .audit import record_event


def add_entry(
    obj: ScoringObject,
    kind: str,
    points: Decimal,
    effective_on: date,
    *,
    actor: str,
    at: datetime,
    reason: str,
    matter_of: LedgerEntry | None = None,
    item: str | None = None,
    target_id: int | None = None,
    product_key: str | None = None,
) -> LedgerEntry:
    """Append one entry (and a START if this is the object's earliest record, R-START).
    `matter_of` is the entry whose matter this one continues (a repair, a VOID, an amended
    deduction): the new entry keeps its matter id and ref."""
    first = db.session.scalar(
        select(func.min(LedgerEntry.effective_on)).where(
            LedgerEntry.object_id == obj.id, LedgerEntry.kind == "START"
        )
    )
    if first is None or effective_on < first:
        db.session.add(
            LedgerEntry(
                object_id=obj.id,
                operator_id=obj.operator_id,
                kind="START",
                points=BASE_POINTS,
                effective_on=effective_on,
                recorded_by=actor,
                recorded_at=at,
                reason="first credit record",
            )
        )
    entry = LedgerEntry(
        object_id=obj.id,
        operator_id=obj.operator_id,
        matter_id=matter_of.matter_id if matter_of is not None else None,
        matter_ref=matter_of.matter_ref if matter_of is not None else None,
        kind=kind,
        points=points,
        effective_on=effective_on,
        item=item,
        target_id=target_id,
        product_key=product_key,
        reason=reason,
        recorded_by=actor,
        recorded_at=at,
    )
    db.session.add(entry)
    db.session.flush()
    record_event(
        at,
        actor,
        f"ledger.{kind.lower()}",
        "ledger_entry",
        str(entry.id),
        {"object_id": obj.id, "points": str(points), "target_id": target_id, "reason": reason},
    )
    return entry


def object_entries(object_id: int) -> list[Entry]:
    """The engine's view of one object's entries."""
    from app.queries.scores import entries_where

    return entries_where(LedgerEntry.object_id == object_id).get(object_id, [])
