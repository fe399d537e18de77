"""Ledger entries as the scoring engine sees them: immutable facts, never updated in place."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

ZERO = Decimal("0.00")
BASE_POINTS = Decimal("12.00")
CENT = Decimal("0.01")


class EntryKind(StrEnum):
    START = "START"  # 起始分: marks the object's first credit record (R-START)
    DEDUCTION = "DEDUCTION"  # 扣除分 (negative points)
    REPAIR = "REPAIR"  # 修复分 (positive points), names the deduction it repairs
    REWARD = "REWARD"  # 奖励分 (positive points)
    VOID = "VOID"  # cancels the entry it names, from its own effective date on


class Entry(NamedTuple):
    """One ledger entry of one scoring object (a tuple: millions are built in a run).

    `target` is the id of the deduction a REPAIR restores, or of the entry a VOID cancels.
    `product_key` identifies "the same product" of Art. 9 ¶2 (producer, standard, brand,
    model) on entries that come from a spot-check failure; R-180 merges on it.
    `via` says, for a producer's score, which product an entry came through.
    """

    id: int
    object_id: int
    kind: EntryKind
    points: Decimal
    effective_on: date
    matter: str | None = None
    item: str | None = None
    target: int | None = None
    product_key: str | None = None
    via: str | None = None


# Kind by its stored name, without the cost of EntryKind(...) per row.
KINDS: dict[str, EntryKind] = {k.value: k for k in EntryKind}
