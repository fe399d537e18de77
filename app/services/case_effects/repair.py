"""Effects of `repair.bpmn` (Art. 14, 15, 21) and the repair rules they share with the
applications and the objections against a refused repair."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.codes import message
from app.errors import DomainError
from app.extensions import db
from app.scoring import Entry, EntryKind
from app.scoring.engine import live_entries
from app.scoring.repairs import (
    NOT_REPAIRABLE,
    matter_repair,
    repair_limit_reached,
    repaired_matter_dates,
    unrepairable_items,
)
from models import Case, LedgerEntry, Matter, ScoringObject

from ..ledger import add_entry
from .common import latest_form, ledger_entry, notify_operator, refuse_on_filing
from .registry import effect


def matter_deductions(matter_ref: str, operator_id: int, on) -> list[tuple[Entry, list[Entry]]]:
    """The live deductions of one matter on every object of one operator (its own and its
    products'), each with all entries of its object (R-REPAIR-ONE-MATTER)."""
    from app.queries.scores import entries_where

    family = entries_where(LedgerEntry.operator_id == operator_id)
    out: list[tuple[Entry, list[Entry]]] = []
    for _oid, entries in sorted(family.items()):
        for e in live_entries(entries, on):
            if e.kind is EntryKind.DEDUCTION and e.matter == matter_ref:
                out.append((e, entries))
    return out


def matter_repairable(matter: Matter) -> bool:
    """R-REPAIR-ELIGIBLE: no major social or other adverse impact — neither flagged on the
    matter nor carried by one of its items (A11.9), for every object the matter scored."""
    from ..scoring_tables import load_tables

    table = next((t for t in load_tables() if t.version == matter.table_version), None)
    return not matter.major_impact and not unrepairable_items(matter.items, table)


def acted_intentionally(matter: Matter, uscc: str) -> bool:
    """R-INTENT (Art. 13): whether one of this operator's objects of the matter (itself or one
    of its products) acted intentionally. Without a per-object record, the matter-level flag
    speaks for every object."""
    if matter.intentional_objects is None:
        return matter.intentional
    return any(o == uscc or o.startswith(f"{uscc}/") for o in matter.intentional_objects)


@effect("repair_approved")
def _repair_approved(case: Case, ctx) -> None:
    """REPAIR entries effective on the verification date (Art. 21): one approved repair is of
    the matter, and restores its deduction on every object of the applicant that it scored,
    each by its own share (R-REPAIR-ONE-MATTER); it counts once toward R-REPAIR-LIMIT."""
    share = write_repair(case, ctx, case.subject["entry_id"])
    case.outcome = "approved"
    notify_operator(case, ctx, "repair", message("repair_approved", share=f"{share:.0%}"))


def write_repair(case: Case, ctx, entry_id: int) -> Decimal:
    """The REPAIR entries of a granted repair (by its approval, or by an objection that
    revoked its refusal); the largest share restored."""
    deduction, _obj = ledger_entry(entry_id)
    matter = db.session.get(Matter, deduction.matter_id)
    if not matter_repairable(matter):
        raise DomainError(NOT_REPAIRABLE)
    refuse_on_filing(case)
    restored = matter_repair(matter_deductions(matter.ref, case.operator_id, ctx.today), ctx.today)
    if not restored:
        raise DomainError("this deduction no longer takes points; there is nothing to repair")
    if repair_limit_reached(operator_repair_dates(case.operator_id), ctx.today):
        raise DomainError("the operator already has two repairs in 36 months (R-REPAIR-LIMIT)")
    shares = []
    for target, points in restored:
        add_entry(
            db.session.get(ScoringObject, target.object_id),
            "REPAIR",
            points,
            ctx.today,
            actor=ctx.actor,
            at=ctx.now,
            reason=f"repair case {case.id}",
            target_id=target.id,
            matter_of=deduction,
        )
        shares.append(points / -target.points)
    return max(shares)


def operator_repair_dates(operator_id: int) -> list:
    """One date per matter the operator has repaired (its own deductions and its products'),
    for R-REPAIR-LIMIT: a repair of a matter that scored a product and its producer counts
    once."""
    rows = db.session.execute(
        select(
            LedgerEntry.id, LedgerEntry.matter_id, LedgerEntry.effective_on, LedgerEntry.target_id
        ).where(LedgerEntry.operator_id == operator_id, LedgerEntry.kind == "REPAIR")
    ).all()
    if not rows:
        return []
    voided = set(
        db.session.scalars(
            select(LedgerEntry.target_id).where(
                LedgerEntry.operator_id == operator_id, LedgerEntry.kind == "VOID"
            )
        )
    )
    # A voided repair, or the repair of a revoked deduction, gives the repair back to the
    # limit (R-REPAIR-KEEP); a repair moved onto a corrected deduction still counts once.
    return repaired_matter_dates(
        (matter_id or ("entry", rid), eff)
        for rid, matter_id, eff, target in rows
        if rid not in voided and target not in voided
    )


@effect("repair_rejected")
def _repair_rejected(case: Case, ctx) -> None:
    case.outcome = "rejected"
    reasons = latest_form(case, ctx, "verify_repair").get("reasons")
    notify_operator(case, ctx, "repair", message("repair_rejected", reasons=reasons or ""))
