"""Repair of a deduction (Art. 14, 15): how much it restores and whether one more is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from .dates import window_end
from .engine import is_merged, live_entries, order_key, r180_merged
from .ledger import ZERO, Entry, EntryKind

FULL = Decimal("1")
HALF = Decimal("0.5")
REPAIRS_PER_WINDOW = 2


def effective_deduction(deduction: Entry, object_entries: Iterable[Entry], on: date) -> Decimal:
    """Points the deduction takes as of `on` (0 when merged under R-180 or voided)."""
    live = live_entries(object_entries, on)
    if not any(e.id == deduction.id for e in live):
        return ZERO
    if is_merged(deduction, r180_merged(live)):
        return ZERO
    return deduction.points


def repair_share(deduction: Entry, object_entries: Iterable[Entry], on: date) -> Decimal:
    """R-REPAIR-SHARE: 100 % when the deduction was the object's first in its window (no other
    deduction of the object that took points, effective in the 36 months up to it), else 50 %.

    Deductions on the same day are ordered by R-ORDER, so the answer does not depend on the
    order in which they were recorded.
    """
    live = live_entries(object_entries, on)
    merged = r180_merged(live)
    own_key = order_key(deduction.effective_on, deduction.matter, deduction.id)
    for e in live:
        if (
            e.kind is not EntryKind.DEDUCTION
            or e.id == deduction.id
            or e.matter == deduction.matter
        ):
            continue
        if is_merged(e, merged):
            continue
        # Still inside its own 36-month window on the day of this deduction (R-WINDOW).
        if deduction.effective_on < window_end(e.effective_on) and (
            order_key(e.effective_on, e.matter, e.id) < own_key
        ):
            return HALF
    return FULL


def repair_points(taken: Decimal, share: Decimal) -> Decimal:
    """Points a repair restores: the share of what the deduction took (a positive number).

    Table values have at most one decimal place, so half of one needs at most two: exact.
    """
    restored = -taken * share
    if restored != restored.quantize(Decimal("0.01")):
        raise ValueError(f"repair of {taken} at {share} is not a whole number of cents")
    return restored.quantize(Decimal("0.01"))


def repair_limit_reached(existing: Iterable[date], new: date) -> bool:
    """R-REPAIR-LIMIT: would a repair effective `new` make three inside some 36-month window?

    `existing` are the effective dates of the operator's live repairs (its own deductions and
    its products'). Three repairs share a window when the latest is before the earliest plus
    36 months.
    """
    dates = sorted([*existing, new])
    for i in range(len(dates) - REPAIRS_PER_WINDOW):
        first, last = dates[i], dates[i + REPAIRS_PER_WINDOW]
        if last < window_end(first) and first <= new <= last:
            return True
    return False


def repair_refusals(
    *,
    deduction: Entry,
    taken: Decimal,
    repairable: bool,
    major_impact: bool,
    already_repaired: bool,
    shows_not_intentional: bool,
    rectified_confirmed: bool,
    filing_complete: bool,
    limit_reached: bool,
    on: date,
) -> list[str]:
    """R-REPAIR-ELIGIBLE: every condition that fails, each as a reason a person can read.

    Empty means the application may go to verification.
    """
    reasons: list[str] = []
    if not deduction.effective_on <= on < window_end(deduction.effective_on):
        reasons.append("该扣分已不在36个月记分周期内，无需修复 (deduction no longer counts)")
    if not repairable or major_impact:
        reasons.append("该事项造成重大社会影响或其他不良影响，不予修复 (Art. 14: not repairable)")
    if taken == ZERO:
        reasons.append("该事项按R-180合并记分，未扣分，无需修复 (no points were taken)")
    if already_repaired:
        reasons.append("该扣分已修复 (already repaired)")
    if not shows_not_intentional:
        reasons.append("未能证明失信行为或结果不属于主观故意 (Art. 14(1))")
    if not rectified_confirmed:
        reasons.append("整改尚未完成或未经市场监管部门确认 (Art. 14(2))")
    if not filing_complete:
        reasons.append("企业信息填报（产品、供货商、经销商）不完整 (Art. 14(3))")
    if limit_reached:
        reasons.append("一个记分周期内最多修复两次，已达上限 (Art. 15(2), R-REPAIR-LIMIT)")
    return reasons


def matter_repair(
    deductions: Iterable[tuple[Entry, Sequence[Entry]]], on: date
) -> list[tuple[Entry, Decimal]]:
    """R-REPAIR-ONE-MATTER: what one approved repair of a matter restores.

    `deductions` are the matter's deductions on every object of the applicant (its own and
    its products'), each with all entries of its object. Each deduction that still takes
    points on `on` and is not yet repaired is restored by its own R-REPAIR-SHARE.
    """
    out: list[tuple[Entry, Decimal]] = []
    for deduction, entries in deductions:
        if not deduction.effective_on <= on < window_end(deduction.effective_on):
            continue
        live = live_entries(entries, on)
        if any(e.kind is EntryKind.REPAIR and e.target == deduction.id for e in live):
            continue
        taken = effective_deduction(deduction, entries, on)
        if taken == ZERO:
            continue
        out.append((deduction, repair_points(taken, repair_share(deduction, entries, on))))
    return out


def repaired_matter_dates(repairs: Iterable[tuple[object, date]]) -> list[date]:
    """R-REPAIR-LIMIT counts repaired *matters*: one date per matter (its earliest live
    repair), from (matter, effective date) pairs of an operator's live repairs."""
    first: dict[object, date] = {}
    for matter, on in repairs:
        if matter not in first or on < first[matter]:
            first[matter] = on
    return sorted(first.values())
