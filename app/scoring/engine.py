"""The score of a scoring object as of a date, with the entries that make it up (Art. 7-10, 18).

Pure: ledger entries in, a `Score` out. The same entries give the same score whatever order
they arrive in, and a score as of T depends only on entries effective on or before T.

S(X) = 12 + Σ deductions + Σ repairs + min(Σ rewards, 2) over the in-window entries of X:
- R-WINDOW: an entry counts while effective_on <= T < effective_on + 36 months;
- R-ONCE / R-MAX: one matter counts once in X, at its heaviest (net of repairs) entry;
- R-180: a spot-check failure of the same product within 180 days after the last scored one
  is shown with 0 points;
- R-REPAIR-EXPIRY: a repair counts only while the deduction it repairs counts, and never
  restores more than that deduction took;
- R-REWARD-CAP: rewards add at most 2 points;
- a VOID cancels the entry it names (and the repairs of a voided deduction) from the VOID's
  effective date on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from .classes import class_for
from .dates import window_end, window_start
from .ledger import BASE_POINTS, ZERO, Entry, EntryKind

REWARD_CAP = Decimal("2.00")
R180_DAYS = 180
SPOT_CHECK_ITEM = "A11.1"  # Art. 11(1): 监督抽查不合格, the only item R-180 merges

NOTE_R180 = "merged under R-180"
NOTE_ONCE = "counted once under R-ONCE"
NOTE_CAP = "over the reward cap (R-REWARD-CAP)"


@dataclass(frozen=True, slots=True)
class Line:
    """One entry as it counts in a score: the lines of a score add up to it."""

    kind: str
    points: Decimal
    effective_on: date
    expires_on: date | None
    matter: str | None
    item: str | None
    via: str | None
    note: str | None
    entry_id: int | None


@dataclass(frozen=True, slots=True)
class Score:
    as_of: date
    points: Decimal | None  # None: unscored (class O)
    klass: str
    scored_since: date | None
    lines: tuple[Line, ...] = ()


def live_entries(entries: Iterable[Entry], as_of: date) -> list[Entry]:
    """Entries effective on or before `as_of` that no VOID effective by then cancels."""
    visible = [e for e in entries if e.effective_on <= as_of]
    live = [e for e in visible if e.kind is not EntryKind.VOID]
    if len(live) == len(visible):  # no VOID (most objects)
        return live
    voided = {e.target for e in visible if e.kind is EntryKind.VOID}
    live = [e for e in live if e.id not in voided]
    # A repair of a voided deduction goes with it.
    return [e for e in live if not (e.kind is EntryKind.REPAIR and e.target in voided)]


def order_key(effective_on: date, matter: str | None, entry_id: int = 0) -> tuple:
    """R-ORDER: entries of the same effective date are ordered by matter ref (then entry id,
    for entries of no matter). Every rule that needs an order asks this one function."""
    return (effective_on, matter or "", entry_id)


def product_key(producer: str, standard: str | None, brand: str, model: str | None) -> str | None:
    """ "The same product" of Art. 9 ¶2 (R-180): same producer, standard, brand and model.

    None when the model or the standard is unknown: sameness cannot be shown, so a failure
    without them is never merged."""
    if not (standard or "").strip() or not (model or "").strip():
        return None
    return "|".join([producer, standard.strip(), brand, model.strip()])


def r180_key(e: Entry) -> str | None:
    """The key under which an entry may merge under R-180, or None.

    Only the A11.1 deduction of a spot-check failure merges (it is always on the product);
    other items of the same matter — a producer's A12.2, a seller's item — score as usual.
    Keys recorded with an unknown standard or model (``P||B|``) never merge."""
    key = e.product_key
    if not key or e.kind is not EntryKind.DEDUCTION or e.item != SPOT_CHECK_ITEM:
        return None
    parts = key.split("|")
    if len(parts) < 4 or not parts[1] or not parts[-1]:
        return None
    return key


def r180_merged(live: Iterable[Entry]) -> frozenset[str]:
    """Matters whose spot-check failure is merged into an earlier one under R-180.

    Failures of one product key are taken in R-ORDER; one within 180 days after the last
    *scored* failure is merged. Day 180 is inside, day 181 scores again. The caller passes
    the live entries of one product (a product is one producer, brand and Nice class).
    """
    by_key: dict[str, dict[str, date]] = {}
    for e in live:
        key = r180_key(e)
        if key is not None and e.matter:
            matters = by_key.setdefault(key, {})
            known = matters.get(e.matter)
            if known is None or e.effective_on < known:
                matters[e.matter] = e.effective_on
    merged: set[str] = set()
    for matters in by_key.values():
        last_scored: date | None = None
        for effective_on, matter in sorted(
            ((d, m) for m, d in matters.items()), key=lambda dm: order_key(*dm)
        ):
            if last_scored is not None and (effective_on - last_scored).days <= R180_DAYS:
                merged.add(matter)
            else:
                last_scored = effective_on
    return frozenset(merged)


def is_merged(e: Entry, merged: frozenset[str]) -> bool:
    """Whether this entry is a failure merged under R-180 (recorded and shown, 0 points)."""
    return e.matter in merged and r180_key(e) is not None


def score_live(
    live: Sequence[Entry],
    as_of: date,
    merged: frozenset[str],
    *,
    explain: bool,
) -> Score:
    """S(X) for live entries X (see `live_entries`), R-180 merges already decided."""
    if not live:
        return _unscored(as_of)
    counts_from = window_start(as_of)  # R-WINDOW: as_of < window_end(effective_on)
    if not explain and not merged:
        plain = _plain_total(live, counts_from)
        if plain is not None:
            return _bare(as_of, plain)
    # Only the explanation needs the first record's date; a bulk run skips it.
    scored_since = min(e.effective_on for e in live) if explain else None

    deductions: list[Entry] = []
    repairs: dict[int, list[Entry]] = {}
    rewards: list[Entry] = []
    for e in live:  # live entries are all effective on or before as_of
        kind = e.kind
        if kind is EntryKind.DEDUCTION:
            if e.effective_on >= counts_from:
                deductions.append(e)
        elif kind is EntryKind.REWARD:
            if e.effective_on >= counts_from:
                rewards.append(e)
        elif kind is EntryKind.REPAIR and e.target is not None:
            repairs.setdefault(e.target, []).append(e)

    # Net effect of each deduction with its repairs; a matter counts once, at its worst net.
    groups: dict[object, list[tuple[Decimal, Entry]]] = {}
    for d in deductions:
        taken = ZERO if (merged and is_merged(d, merged)) else d.points
        if repairs:
            restored = sum((r.points for r in repairs.get(d.id, ())), ZERO)
            net = min(taken + restored, ZERO)
        else:
            net = taken
        key = d.matter if d.matter is not None else ("entry", d.id)
        group = groups.get(key)
        if group is None:
            groups[key] = [(net, d)]
        else:
            group.append((net, d))

    total = BASE_POINTS
    lines: list[Line] = []
    if explain:
        lines.append(Line("START", BASE_POINTS, scored_since, None, None, None, None, None, None))
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=lambda pair: (pair[0], pair[1].effective_on, pair[1].id))
        total += members[0][0]
        if explain:
            for rank, (net, d) in enumerate(members):
                lines.extend(_deduction_lines(d, net, rank == 0, merged, repairs.get(d.id, ())))

    if len(rewards) > 1:
        rewards.sort(key=lambda e: (e.effective_on, e.id))
    granted = ZERO
    for r in rewards:
        counted = max(min(r.points, REWARD_CAP - granted), ZERO)
        granted += counted
        if explain:
            note = NOTE_CAP if counted != r.points else None
            lines.append(_line(r, counted, window_end(r.effective_on), note))
    total += granted
    if not explain:
        return _bare(as_of, total)
    return Score(as_of, total, class_for(total), scored_since, tuple(lines))


def _plain_total(live: Sequence[Entry], counts_from: date) -> Decimal | None:
    """S(X) of the common ledger, in one pass: only STARTs and deductions, each deduction of its
    own matter and none merged under R-180 (the caller checks `merged`). There R-ONCE, the
    repairs and the reward cap change nothing, so S(X) is 12 plus the deductions still in the
    window, which the full path of `score_live` also adds in this order. None for any other
    ledger: the full path decides it."""
    total = BASE_POINTS
    matters: set[str] | None = None
    for e in live:
        kind = e.kind
        if kind is EntryKind.DEDUCTION:
            if e.effective_on >= counts_from:
                matter = e.matter
                if matter is not None:
                    if matters is None:
                        matters = {matter}
                    elif matter in matters:
                        return None
                    else:
                        matters.add(matter)
                total += e.points
        elif kind is not EntryKind.START:
            return None
    return total


_BARE: dict[tuple, Score] = {}


def _bare(as_of: date, points: Decimal) -> Score:
    """A score without its explanation, one immutable value per date and points: a bulk run
    asks for few distinct ones. Keyed by the points' text, since 9.0 == 9.00 as numbers."""
    key = (as_of, str(points))
    score = _BARE.get(key)
    if score is None:
        if len(_BARE) > 4096:  # a long-lived process sees ever new dates
            _BARE.clear()
        score = _BARE[key] = Score(as_of, points, class_for(points), None)
    return score


@cache
def _unscored(as_of: date) -> Score:
    """The score of an object with no live entry (class O): one immutable value per date, as a
    run asks for it for every unscored object of the province."""
    return Score(as_of, None, class_for(None), None)


def _line(e: Entry, points: Decimal, expires_on: date | None, note: str | None) -> Line:
    return Line(
        e.kind.value, points, e.effective_on, expires_on, e.matter, e.item, e.via, note, e.id
    )


def _deduction_lines(
    d: Entry, net: Decimal, counted: bool, merged: frozenset[str], repairs: Iterable[Entry]
) -> list[Line]:
    expires_on = window_end(d.effective_on)
    merged_failure = is_merged(d, merged)
    if not counted:
        lines = [_line(d, ZERO, expires_on, NOTE_ONCE)]
        lines += [_line(r, ZERO, expires_on, NOTE_ONCE) for r in repairs]
        return lines
    taken = ZERO if merged_failure else d.points
    lines = [_line(d, taken, expires_on, NOTE_R180 if merged_failure else None)]
    # Repairs restore at most what the deduction took: the lines still add up.
    room = net - taken
    for r in sorted(repairs, key=lambda e: (e.effective_on, e.id)):
        share = max(min(r.points, room), ZERO)
        room -= share
        note = None if share == r.points else "restores no more than the deduction took"
        lines.append(_line(r, share, expires_on, note))
    return lines


def score_object(entries: Iterable[Entry], as_of: date, *, explain: bool = True) -> Score:
    """The score of a product or a seller: S(its own entries) (R-SCORE-PRODUCT, R-SCORE-SELLER)."""
    live = live_entries(entries, as_of)
    return score_live(live, as_of, r180_merged(live), explain=explain)


@dataclass(frozen=True, slots=True)
class FamilyScores:
    """The scores of one operator and of each of its products, from the same entries."""

    operator: Score
    products: Mapping[int, Score]


def score_family(
    own: Iterable[Entry],
    products: Mapping[int, Iterable[Entry]],
    as_of: date,
    *,
    explain: bool = True,
) -> FamilyScores:
    """An operator's score and its products' (R-SCORE-PRODUCER, R-SCORE-PRODUCT,
    R-SCORE-SELLER), as every output needs them: the score API, the classification run,
    notices, letters, pages and exports all come here.

    With P its products scored by `as_of`: the operator's score is min over p in P of
    S(p ∪ own), else S(own) (a seller has no products). R-180 is decided on each product's
    own entries: only a product's A11.1 entries merge, so the union adds nothing to it.
    """
    own_live = live_entries(own, as_of)
    product_scores: dict[int, Score] = {}
    # Find the lowest union cheaply, then explain only that one.
    best: tuple[Decimal, list[Entry], frozenset[str]] | None = None
    for pid in sorted(products):
        raw = products[pid]
        es = live_entries(raw, as_of) if raw else []
        # Only a spot-check failure (which carries a product key) can merge under R-180, and
        # only into an earlier one: it takes two.
        keyed = [e for e in es if e.product_key]
        merged = r180_merged(keyed) if len(keyed) > 1 else frozenset()
        score = product_scores[pid] = score_live(es, as_of, merged, explain=explain)
        if not es:
            continue
        if own_live:
            union = own_live + es
            points = score_live(union, as_of, merged, explain=False).points
        else:  # the union is the product's own entries: the same score
            union, points = es, score.points
        if best is None or points < best[0]:  # type: ignore[operator]
            best = (points, union, merged)  # type: ignore[assignment]
    if best is None:
        operator = score_live(own_live, as_of, frozenset(), explain=explain)
    elif explain:
        operator = score_live(best[1], as_of, best[2], explain=True)
    else:
        operator = Score(as_of, best[0], class_for(best[0]), None)
    return FamilyScores(operator, product_scores)


def score_operator(
    own: Iterable[Entry],
    products: Mapping[int, Iterable[Entry]],
    as_of: date,
    *,
    explain: bool = True,
) -> Score:
    """An operator's score (R-SCORE-PRODUCER, R-SCORE-SELLER): see `score_family`."""
    return score_family(own, products, as_of, explain=explain).operator
