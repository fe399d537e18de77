"""Repair of a deduction (Art. 14, 15): how much it restores and whether one more is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from .dates import window_end
from .engine import is_merged, live_entries, order_key, r180_merged
from .ledger import ZERO, Entry, EntryKind


def N_(text: str) -> str:  # noqa: N802  (the gettext convention)
    """Marks a text for the message catalogues; the pages show it in their language."""
    return text


# R-REPAIR-ELIGIBLE: why an application is refused, each naming its article.
NO_LONGER_COUNTS = N_(
    "the deduction no longer counts in its 36-month scoring cycle: there is nothing to repair "
    "(Art. 7)"
)
NOT_REPAIRABLE = N_(
    "the matter caused a major social or other adverse impact: not repairable (Art. 14)"
)
NOTHING_TAKEN = N_(
    "the failure was merged under R-180 and took no points: there is nothing to repair (Art. 9)"
)
ALREADY_REPAIRED = N_("the matter is already repaired (Art. 15)")
NOT_SHOWN_UNINTENTIONAL = N_(
    "it is not shown that the conduct or its result was not intentional (Art. 14(1))"
)
NOT_RECTIFIED = N_(
    "the rectification is not complete or not confirmed by the market supervision bureau "
    "(Art. 14(2))"
)
FILING_INCOMPLETE = N_(
    "the enterprise information filing (products, suppliers, distributors) is incomplete "
    "(Art. 14(3))"
)
LIMIT_REACHED = N_(
    "at most two repairs within a scoring cycle, and the limit is reached "
    "(Art. 15(2), R-REPAIR-LIMIT)"
)

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
        reasons.append(NO_LONGER_COUNTS)
    if not repairable or major_impact:
        reasons.append(NOT_REPAIRABLE)
    if taken == ZERO:
        reasons.append(NOTHING_TAKEN)
    if already_repaired:
        reasons.append(ALREADY_REPAIRED)
    if not shows_not_intentional:
        reasons.append(NOT_SHOWN_UNINTENTIONAL)
    if not rectified_confirmed:
        reasons.append(NOT_RECTIFIED)
    if not filing_complete:
        reasons.append(FILING_INCOMPLETE)
    if limit_reached:
        reasons.append(LIMIT_REACHED)
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


def rebased_repair(repair: Entry, replaced: Entry, corrected: Decimal) -> Decimal:
    """R-REPAIR-KEEP: a correction or an amended objection changes the disputed points only.
    A repair granted on the replaced deduction stays, re-based on the corrected points (a
    negative number) at the share it was granted at (R-REPAIR-SHARE)."""
    share = FULL if repair.points >= -replaced.points else HALF
    return repair_points(corrected, share)


def repaired_matter_dates(repairs: Iterable[tuple[object, date]]) -> list[date]:
    """R-REPAIR-LIMIT counts repaired *matters*: one date per matter (its earliest live
    repair), from (matter, effective date) pairs of an operator's live repairs."""
    first: dict[object, date] = {}
    for matter, on in repairs:
        if matter not in first or on < first[matter]:
            first[matter] = on
    return sorted(first.values())
