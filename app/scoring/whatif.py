"""What a decision would do before it is taken (what-if): each object's score and class before
and after, and what the change triggers.

Pure: an operator's ledger plus hypothetical entries in, figures out. Every figure comes from
the rule core as it stands — `score_family` for the scores, `matter_effect` for what a matter
takes (R-NOTICE, R-180), `official_class` for the class the next run would set (R-DLOCK),
`matter_repair` and `repair_limit_reached` for a repair (R-REPAIR-ONE-MATTER, R-REPAIR-LIMIT),
`rebased_repair` for a correction (R-REPAIR-KEEP). Hypothetical entries get negative ids, so
they never meet a stored one. Nothing here is written anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import count

from .classes import OfficialClass, official_class, run_days
from .dates import window_end
from .engine import FamilyScores, live_entries, score_family
from .ledger import BASE_POINTS, ZERO, Entry, EntryKind
from .notices import matter_effect
from .repairs import (
    REPAIRS_PER_WINDOW,
    rebased_repair,
    repair_limit_reached,
    repaired_matter_dates,
)
from .table import Item

# What a change triggers, by object (codes; the pages give each its title).
NOTICE = "notice"  # a notice of the scoring goes to the operator (Art. 23, R-NOTICE)
MERGED = "r180"  # a spot-check failure merged under R-180: recorded at 0 points
CLASS_CHANGE = "class_change"  # the next classification run sets another class (R-CLASS)
D_LOCK = "d_lock"  # the next run puts the object in D and locks it for three years (R-DLOCK)
D_LOCK_HELD = "d_lock_held"  # a D lock in force keeps the class D whatever the score (R-DLOCK)


@dataclass(frozen=True, slots=True)
class Figures:
    points: Decimal | None  # None: unscored (class O)
    klass: str


@dataclass(frozen=True, slots=True)
class Ledger:
    """One operator's entries as the score functions take them: its own, each product's, and
    the class in force of each object (the latest classification run's, if any)."""

    own_id: int
    own: tuple[Entry, ...]
    products: Mapping[int, tuple[Entry, ...]]
    in_force: Mapping[int, OfficialClass] = field(default_factory=dict)

    def entries(self, object_id: int) -> tuple[Entry, ...]:
        return self.own if object_id == self.own_id else self.products.get(object_id, ())

    def all_entries(self) -> list[Entry]:
        return [*self.own, *(e for es in self.products.values() for e in es)]

    def plus(self, changes: Iterable[Entry]) -> Ledger:
        """The same ledger with the hypothetical entries added to their objects."""
        own = list(self.own)
        products = {pid: list(es) for pid, es in self.products.items()}
        for e in changes:
            if e.object_id == self.own_id:
                own.append(e)
            else:
                products.setdefault(e.object_id, []).append(e)
        return Ledger(
            self.own_id, tuple(own), {p: tuple(es) for p, es in products.items()}, self.in_force
        )

    def scores(self, as_of: date) -> FamilyScores:
        return score_family(self.own, self.products, as_of)


@dataclass(frozen=True, slots=True)
class ObjectEffect:
    """One object's figures before and after the change, and what the change triggers."""

    object_id: int
    before: Figures
    after: Figures
    # Points the matter takes from (negative) or gives back to this object, as its score
    # counts them (R-ONCE, R-MAX, R-180); None when the preview is not about one matter.
    matter_before: Decimal | None
    matter_after: Decimal | None
    touched: bool  # the hypothetical entries are on this object itself
    in_force: OfficialClass | None
    next_before: OfficialClass | None  # the class the next run would set without the change
    next_after: OfficialClass | None  # … and with it
    triggers: tuple[str, ...]


def next_run_on(today: date, schedule: str) -> date:
    """The first scheduled classification run after `today` (R-HALFYEAR)."""
    days = run_days(schedule)
    return min(
        d
        for year in (today.year, today.year + 1)
        for m, dd in days
        if (d := _day(year, m, dd)) > today
    )


def _day(year: int, month: int, day: int) -> date:
    """A scheduled day of `year`; 29 February in a common year is taken as 28 February."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, day - 1)


def what_if(
    ledger: Ledger,
    changes: Sequence[Entry],
    as_of: date,
    *,
    matter: str | None = None,
    notice: bool = False,
    next_run: date | None = None,
) -> tuple[ObjectEffect, ...]:
    """Each object the change touches, and the operator itself (its score follows its
    products', R-SCORE-PRODUCER), before and after the hypothetical `changes`, as of `as_of`.

    `notice`: the decision issues a notice of the matter (a new matter, or a correction, which
    issues a new one, R-RIGHTS) to the operator, for each object the change touches.
    `next_run`: the date of the next classification run, whose class (with the D lock in
    force, R-DLOCK) is worked out from the scores as of that day.
    """
    after_ledger = ledger.plus(changes)
    before, after = ledger.scores(as_of), after_ledger.scores(as_of)
    if next_run is not None:
        run_before, run_after = ledger.scores(next_run), after_ledger.scores(next_run)
    touched = {e.object_id for e in changes}
    shown = sorted(touched - {ledger.own_id})
    out: list[ObjectEffect] = []
    for oid in [ledger.own_id, *shown]:
        b, a = _score(before, ledger, oid), _score(after, after_ledger, oid)
        in_force = ledger.in_force.get(oid)
        next_b = next_a = None
        if next_run is not None:
            nb = _score(run_before, ledger, oid).points
            na = _score(run_after, after_ledger, oid).points
            next_b = official_class(nb, next_run, in_force)
            next_a = official_class(na, next_run, in_force)
        effect_b = matter_effect(b, matter) if matter else None
        effect_a = matter_effect(a, matter) if matter else None
        triggers: list[str] = []
        if notice and oid in touched:
            triggers.append(NOTICE)
        if effect_a is not None and effect_a.merged and not (effect_b and effect_b.merged):
            triggers.append(MERGED)
        triggers += _class_triggers(b, a, in_force, next_b, next_a)
        out.append(
            ObjectEffect(
                oid,
                Figures(b.points, b.klass),
                Figures(a.points, a.klass),
                effect_b.points if effect_b else None,
                effect_a.points if effect_a else None,
                oid in touched,
                in_force,
                next_b,
                next_a,
                tuple(triggers),
            )
        )
    return tuple(out)


def _score(scores: FamilyScores, ledger: Ledger, oid: int):
    return scores.operator if oid == ledger.own_id else scores.products[oid]


def _class_triggers(b, a, in_force, next_b, next_a) -> list[str]:
    """R-CLASS and R-DLOCK: the class the next run sets (by score, unless a D lock in force
    still holds on that day), else — no run date given — the class by score."""
    if next_a is None:
        return [CLASS_CHANGE] if a.klass != b.klass else []
    out = [CLASS_CHANGE] if next_a.klass != next_b.klass else []
    lock = in_force.locked_until if in_force is not None else None
    if lock is not None and next_a.run_on < lock:
        out.append(D_LOCK_HELD)  # the run keeps D, so the lock is not a new one
    if next_a.locked_until is not None and next_b.locked_until is None:
        out.append(D_LOCK)
    return out


# ---- hypothetical entries ---------------------------------------------------------------------


def _ids() -> Iterator[int]:
    return count(-1, -1)


def matter_entries(
    object_id: int,
    object_entries: Sequence[Entry],
    ref: str,
    item: Item,
    intentional: bool,
    on: date,
    product_key: str | None = None,
) -> list[Entry]:
    """The entries recording a matter against one object would add: its deduction at the
    item's value (R-INTENT, Art. 13), after a START when the object has no earlier record
    (R-START)."""
    ids = _ids()
    out = []
    first = min((e.effective_on for e in object_entries), default=None)
    if first is None or on < first:
        out.append(Entry(next(ids), object_id, EntryKind.START, BASE_POINTS, on))
    out.append(
        Entry(
            next(ids),
            object_id,
            EntryKind.DEDUCTION,
            -item.deduction(intentional),
            on,
            ref,
            item.code,
            None,
            product_key,
        )
    )
    return out


def repair_entries(restored: Iterable[tuple[Entry, Decimal]], on: date) -> list[Entry]:
    """The REPAIR entries of an approved repair, from `matter_repair`'s answer
    (R-REPAIR-ONE-MATTER): each deduction restored by its own share, effective `on`."""
    ids = _ids()
    return [
        Entry(
            next(ids), d.object_id, EntryKind.REPAIR, points, on, d.matter, None, d.id, None, d.via
        )
        for d, points in restored
    ]


def revocation_entries(
    disputed: Iterable[Entry], ledger: Ledger, on: date, points: Decimal | None = None
) -> list[Entry]:
    """The compensating entries of a revoked (`points` None) or amended scoring (R-RIGHTS):
    a VOID of each disputed entry from its own date (a revoked deduction takes its repairs
    with it, R-REPAIR-KEEP); amended, a new entry of the same kind, matter and date with the
    decided points, and each repair of an amended deduction kept on the new points at its
    share (`rebased_repair`)."""
    ids = _ids()
    out: list[Entry] = []
    for e in disputed:
        out.append(
            Entry(
                next(ids), e.object_id, EntryKind.VOID, ZERO, e.effective_on, e.matter, e.item, e.id
            )
        )
        if points is None:
            continue
        amended = points.quantize(Decimal("0.01"))
        if e.kind is EntryKind.DEDUCTION:
            new = e._replace(id=next(ids), points=-amended, target=e.id)
            out.append(new)
            for r in live_entries(ledger.entries(e.object_id), on):
                if r.kind is EntryKind.REPAIR and r.target == e.id:
                    out.append(
                        Entry(
                            next(ids),
                            r.object_id,
                            EntryKind.VOID,
                            ZERO,
                            r.effective_on,
                            r.matter,
                            None,
                            r.id,
                        )
                    )
                    out.append(
                        r._replace(
                            id=next(ids), points=rebased_repair(r, e, new.points), target=new.id
                        )
                    )
        else:
            out.append(e._replace(id=next(ids), points=amended))
    return out


# ---- the count of repairs (R-REPAIR-LIMIT) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepairCount:
    """Repaired matters of the operator inside the 36 months up to the day, before and after
    one more repair, and whether that one would make three in some window (refused)."""

    used_before: int
    used_after: int
    limit: int
    limit_reached: bool


def repair_dates(entries: Iterable[Entry]) -> list[date]:
    """One date per repaired matter (`repaired_matter_dates`) from an operator's entries: a
    voided repair, or the repair of a revoked deduction, gives the repair back."""
    entries = list(entries)
    voided = {e.target for e in entries if e.kind is EntryKind.VOID}
    return repaired_matter_dates(
        (e.matter or e.id, e.effective_on)
        for e in entries
        if e.kind is EntryKind.REPAIR and e.id not in voided and e.target not in voided
    )


def repair_count(existing: Sequence[date], on: date) -> RepairCount:
    used = sum(1 for d in existing if d <= on < window_end(d))
    reached = repair_limit_reached(existing, on)
    return RepairCount(used, used if reached else used + 1, REPAIRS_PER_WINDOW, reached)
