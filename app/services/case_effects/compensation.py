"""Compensating entries of an objection or a correction (rules §2, §8, R-RIGHTS): the
ledger is never edited; a disputed entry is voided and, if amended, replaced."""

from __future__ import annotations

from decimal import Decimal

from app.errors import DomainError
from app.scoring import EntryKind
from app.scoring.dates import window_end
from app.scoring.engine import live_entries
from app.scoring.repairs import rebased_repair
from models import Case, LedgerEntry

from ..ledger import add_entry, object_entries
from .common import ledger_entry


def replace_or_void(case: Case, ctx, *, void: bool, points: Decimal | None, why: str) -> None:
    """Compensating entries (rules §2, §8, R-RIGHTS): a VOID of each disputed entry and, if
    amended, a new entry of the same kind, matter and date with the decided points — a
    deduction (its repairs kept, R-REPAIR-KEEP), a repair of the same deduction, a reward of
    the same item. A revoked repair gives the repair back to R-REPAIR-LIMIT."""
    for entry_id in case.subject["entry_ids"]:
        entry, obj = ledger_entry(entry_id)
        entries = object_entries(obj.id)
        live = {e.id for e in live_entries(entries, ctx.today)}
        if entry.id not in live:
            raise DomainError("entry %(entry)s is already voided", entry=entry.id)
        amended_points = None
        if not void and points is not None:
            amended_points = Decimal(points).quantize(Decimal("0.01"))
            _check_amended(entry, amended_points, entries, ctx)
        add_entry(
            obj,
            "VOID",
            Decimal("0.00"),
            entry.effective_on,
            actor=ctx.actor,
            at=ctx.now,
            reason=f"{why} (case {case.id})",
            target_id=entry.id,
            matter_of=entry,
        )
        if amended_points is None:
            continue
        if entry.kind == "DEDUCTION":
            amended = add_entry(
                obj,
                "DEDUCTION",
                -amended_points,
                entry.effective_on,
                actor=ctx.actor,
                at=ctx.now,
                reason=f"{why} (case {case.id})",
                matter_of=entry,
                item=entry.item,
                target_id=entry.id,
                product_key=entry.product_key,
            )
            _keep_repairs(case, ctx, obj, entries, entry.id, amended, why)
        else:  # a repair names its deduction; a reward names nothing (rules §2)
            add_entry(
                obj,
                entry.kind,
                amended_points,
                entry.effective_on,
                actor=ctx.actor,
                at=ctx.now,
                reason=f"{why} (case {case.id}): replaces entry {entry.id}",
                matter_of=entry,
                item=entry.item,
                target_id=entry.target_id if entry.kind == "REPAIR" else None,
            )


def _check_amended(entry: LedgerEntry, points: Decimal, entries, ctx) -> None:
    """An amended repair restores at most its deduction (Art. 15); an amended reward keeps the
    object within 2 reward points (R-REWARD-CAP)."""
    if points <= 0:
        raise DomainError("amended points are more than 0; to cancel the entry, revoke it")
    if entry.kind == "REPAIR":
        deduction = next((e for e in entries if e.id == entry.target_id), None)
        if deduction is not None and points > -deduction.points:
            raise DomainError(
                "a repair restores at most the %(points)s points of its deduction (Art. 15)",
                points=f"{-deduction.points:.2f}",
            )
    if entry.kind == "REWARD":
        others = sum(
            (
                e.points
                for e in live_entries(entries, ctx.today)
                if e.kind is EntryKind.REWARD
                and e.id != entry.id
                and ctx.today < window_end(e.effective_on)
            ),
            Decimal("0"),
        )
        if others + points > 2:
            raise DomainError(
                "rewards count for at most 2 points per object (Art. 18, R-REWARD-CAP)"
            )


def _keep_repairs(case: Case, ctx, obj, entries, replaced_id: int, amended, why: str) -> None:
    """R-REPAIR-KEEP: each repair of the replaced deduction moves to the amended one, re-based
    on its points at the same share and on the same date (so it still counts once toward
    R-REPAIR-LIMIT): the old repair is voided and a new one names the amended deduction."""
    replaced = next(e for e in entries if e.id == replaced_id)
    for r in live_entries(entries, ctx.today):
        if r.kind is not EntryKind.REPAIR or r.target != replaced_id:
            continue
        reason = f"{why} (case {case.id}): repair kept on the corrected points"
        add_entry(
            obj,
            "VOID",
            Decimal("0.00"),
            r.effective_on,
            actor=ctx.actor,
            at=ctx.now,
            reason=reason,
            target_id=r.id,
            matter_of=amended,
        )
        add_entry(
            obj,
            "REPAIR",
            rebased_repair(r, replaced, amended.points),
            r.effective_on,
            actor=ctx.actor,
            at=ctx.now,
            reason=reason,
            target_id=amended.id,
            matter_of=amended,
        )
