"""What a notice of a scoring states for each object (Art. 23, R-NOTICE).

A notice states, for each object of the recipient that the matter scored, the points *that
object* lost or regained by the matter — as its score counts them, after R-ONCE, R-MAX and
R-180, never a sum over objects — and that object's score and class. The figures are read off
the object's own explained `Score`, so a notice can never say other than the score does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .engine import NOTE_R180, Score
from .ledger import ZERO, EntryKind

_COUNTED_KINDS = (EntryKind.DEDUCTION.value, EntryKind.REPAIR.value)


@dataclass(frozen=True, slots=True)
class MatterEffect:
    """One object's figures for one matter, as of the score's date."""

    points: Decimal  # negative: lost; positive: regained; 0 when merged or counted elsewhere
    merged: bool  # a failure of the same product within 180 days, recorded at 0 points
    score: Decimal | None
    klass: str


def matter_effect(score: Score, matter: str) -> MatterEffect:
    """The points `matter` takes from (or gives back to) the object whose score this is.

    Only lines that count are added: a matter that scored a product and its producer counts
    once in the producer's score (R-ONCE) at its heavier entry, and a merged failure is 0.
    """
    lines = [ln for ln in score.lines if ln.matter == matter and ln.kind in _COUNTED_KINDS]
    points = sum((ln.points for ln in lines), ZERO)
    merged = any(ln.note == NOTE_R180 for ln in lines)
    return MatterEffect(points, merged, score.points, score.klass)
