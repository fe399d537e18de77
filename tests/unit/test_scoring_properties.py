"""Properties of the scoring engine (docs/rules.md §2-3), checked on generated ledgers.

The strategy builds realistic entry sets: an optional START, deductions of -1..-12 (some of
them half points, some spot-check failures with a product key, matters shared so that R-ONCE
applies), rewards, repairs of existing deductions (full, half, or an over-repair) and VOIDs of
existing entries, all effective between 2019 and 2026. Operators get their own entries plus a
few products, with producer entries mirroring some product failures (same matter, date and
product key), as the import service records them.

Runs are derandomized so that CI is reproducible.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.scoring import (
    BASE_POINTS,
    Entry,
    EntryKind,
    Score,
    class_for,
    score_object,
    score_operator,
)

CENT = Decimal("0.01")
FIRST_DAY = date(2019, 1, 1)
LAST_DAY = date(2026, 12, 31)
MAX_SCORE = Decimal("14.00")  # 12 + the reward cap
SPREAD = 900  # days over which one object's entries spread

PROPERTY = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# An operator's examples are several ledgers each: fewer of them keep the file quick.
OPERATOR_PROPERTY = settings(PROPERTY, max_examples=100)

as_of_dates = st.dates(min_value=date(2018, 12, 1), max_value=date(2030, 6, 30))


@st.composite
def dated(draw, entries_strategy):
    """Entries and a date T: mostly near one of the entries (before it, or up to a little over
    the 36-month window after it), sometimes anywhere."""
    entries = draw(entries_strategy)
    flat = (
        entries
        if isinstance(entries, list)
        else [*entries.own, *(e for es in entries.products.values() for e in es)]
    )
    if flat and draw(st.integers(0, 4)):
        near = draw(st.sampled_from(flat)).effective_on
        return entries, near + timedelta(days=draw(st.integers(-30, 1200)))
    return entries, draw(as_of_dates)


def P(value: object) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


class Ids:
    """Entry ids, unique over every entry set an operator's score sees."""

    def __init__(self, first: int) -> None:
        self.next = first

    def __call__(self) -> int:
        self.next += 1
        return self.next


def _base_entries(
    draw,
    ids: Ids,
    object_id: int,
    matters: Sequence[str],
    keys: Sequence[str],
    lo: date,
    hi: date,
    size: int,
) -> list[Entry]:
    # Entries cluster around an anchor, so that R-180, R-ONCE and the window all come into play.
    anchor = draw(st.dates(min_value=lo, max_value=max(lo, hi - timedelta(days=SPREAD))))
    dates = st.integers(0, SPREAD).map(lambda n: anchor + timedelta(days=n))
    entries: list[Entry] = []
    if draw(st.booleans()):
        entries.append(Entry(ids(), object_id, EntryKind.START, BASE_POINTS, draw(dates)))
    for _ in range(draw(st.integers(0, size))):
        if draw(st.integers(0, 2)) == 0:
            i = ids()
            entries.append(
                Entry(
                    i,
                    object_id,
                    EntryKind.REWARD,
                    P(draw(st.sampled_from(["0.5", "1", "1", "1", "1.5", "2"]))),
                    draw(dates),
                    f"RW-{i}",
                    "R16",
                )
            )
            continue
        whole = draw(st.integers(1, 12))
        half = draw(st.sampled_from(["0", "0", "0", "0.5"])) if whole < 12 else "0"
        key = draw(st.none() | st.sampled_from(keys)) if keys else None
        entries.append(
            Entry(
                ids(),
                object_id,
                EntryKind.DEDUCTION,
                -P(whole) - P(half),
                draw(dates),
                draw(st.sampled_from(matters)),
                "A11.1" if key else "A11.7",
                product_key=key,
            )
        )
    return entries


def _repairs_and_voids(
    draw, ids: Ids, entries: list[Entry], *, after: date | None = None, void_odds: int = 6
) -> list[Entry]:
    """Repairs of the deductions and VOIDs of the entries given, effective on or after their
    target (or strictly after `after` when given)."""
    extra: list[Entry] = []

    def later_than(e: Entry) -> date:
        floor = e.effective_on if after is None else max(e.effective_on, after + timedelta(1))
        return floor + timedelta(days=draw(st.integers(0, 1500)))

    for d in [e for e in entries if e.kind is EntryKind.DEDUCTION]:
        for _ in range(draw(st.integers(0, 2))):
            restored = draw(st.sampled_from([-d.points, P(-d.points / 2), P(1)]))
            extra.append(
                Entry(
                    ids(),
                    d.object_id,
                    EntryKind.REPAIR,
                    restored,
                    later_than(d),
                    d.matter,
                    d.item,
                    target=d.id,
                )
            )
    for e in [*entries, *extra]:
        if draw(st.integers(0, void_odds - 1)) == 0:
            extra.append(
                Entry(
                    ids(), e.object_id, EntryKind.VOID, P(0), later_than(e), e.matter, target=e.id
                )
            )
    return extra


@st.composite
def ledgers(
    draw,
    object_id: int = 1,
    first_id: int = 0,
    matters: Sequence[str] | None = None,
    keys: Sequence[str] = ("K1", "K2"),
    size: int = 7,
) -> list[Entry]:
    """The entries of one scoring object (a product or a seller)."""
    ids = Ids(first_id)
    matters = matters or [f"M{n}" for n in range(1, 7)]
    entries = _base_entries(draw, ids, object_id, matters, keys, FIRST_DAY, LAST_DAY, size)
    entries += _repairs_and_voids(draw, ids, entries)
    return entries


@dataclass
class Operator:
    own: list[Entry]
    products: dict[int, list[Entry]]


@st.composite
def operators(draw, mirror: bool = True) -> Operator:
    """A producer: its own entries, and up to three products with their own matters and
    product keys. With `mirror`, some product failures are also recorded on the producer
    (same matter, date and key, its own points)."""
    products: dict[int, list[Entry]] = {}
    all_matters: list[str] = []
    for pid in range(1, draw(st.integers(0, 3)) + 1):
        matters = [f"P{pid}-M{n}" for n in range(1, 5)]
        all_matters += matters
        products[pid] = draw(
            ledgers(
                object_id=pid,
                first_id=1000 * pid,
                matters=matters,
                keys=[f"P{pid}-K1", f"P{pid}-K2"],
                size=5,
            )
        )
    ids = Ids(0)
    own_matters = ["OWN-1", "OWN-2", "OWN-3", *all_matters]
    own = _base_entries(draw, ids, 99, own_matters, [], FIRST_DAY, LAST_DAY, 5)
    if mirror:
        for es in products.values():
            for e in es:
                if e.kind is EntryKind.DEDUCTION and e.product_key and draw(st.booleans()):
                    own.append(
                        Entry(
                            ids(),
                            99,
                            EntryKind.DEDUCTION,
                            -P(draw(st.integers(1, 6))),
                            e.effective_on,
                            e.matter,
                            "A12.1",
                            product_key=e.product_key,
                            via=str(e.object_id),
                        )
                    )
    own += _repairs_and_voids(draw, ids, own)
    return Operator(own, products)


def same(a: Score, b: Score) -> bool:
    """Equal scores, lines compared as a multiset (their order follows the input's)."""
    return (a.as_of, a.points, a.klass, a.scored_since) == (
        b.as_of,
        b.points,
        b.klass,
        b.scored_since,
    ) and Counter(a.lines) == Counter(b.lines)


def shuffled(entries: Sequence[Entry], seed: int) -> list[Entry]:
    out = list(entries)
    random.Random(seed).shuffle(out)
    return out


def operator_score(op: Operator, as_of: date, own=None, products: Mapping | None = None):
    return score_operator(
        op.own if own is None else own, op.products if products is None else products, as_of
    )


# --- (a) arrival order ----------------------------------------------------------------------


@PROPERTY
@given(case=dated(ledgers()), seed=st.integers(0, 2**32 - 1))
def test_order_of_entries_does_not_change_the_score(case, seed):
    entries, as_of = case
    score = score_object(entries, as_of)
    assert same(score, score_object(list(reversed(entries)), as_of))
    assert same(score, score_object(shuffled(entries, seed), as_of))


@OPERATOR_PROPERTY
@given(case=dated(operators()), seed=st.integers(0, 2**32 - 1))
def test_order_of_entries_and_products_does_not_change_an_operators_score(case, seed):
    op, as_of = case
    score = operator_score(op, as_of)
    reordered = {pid: shuffled(es, seed + pid) for pid, es in reversed(op.products.items())}
    other = operator_score(op, as_of, own=list(reversed(op.own)), products=reordered)
    assert (other.points, other.klass, other.scored_since) == (
        score.points,
        score.klass,
        score.scored_since,
    )
    assert Counter(other.lines) == Counter(score.lines)


# --- (b) a VOID cancels its entry -----------------------------------------------------------


@st.composite
def voidings(draw):
    """A ledger, one non-VOID entry x of it, a date T on or after x, and a VOID of x
    effective on or before T."""
    entries = draw(ledgers())
    candidates = [e for e in entries if e.kind is not EntryKind.VOID]
    if not candidates:
        x = Entry(10_000, 1, EntryKind.DEDUCTION, P(-3), draw(st.dates(FIRST_DAY, LAST_DAY)), "MX")
        entries = [*entries, x]
    else:
        x = draw(st.sampled_from(candidates))
    as_of = x.effective_on + timedelta(days=draw(st.integers(0, 1500)))
    voided_on = x.effective_on + timedelta(days=draw(st.integers(0, (as_of - x.effective_on).days)))
    cancel = Entry(20_000, x.object_id, EntryKind.VOID, P(0), voided_on, x.matter, target=x.id)
    return entries, x, cancel, as_of


@PROPERTY
@given(case=voidings())
def test_void_effective_by_t_is_the_same_as_never_having_the_entry(case):
    """What holds exactly: as of T, the set with x and a VOID of x effective by T scores like the
    set without x and without the repairs of x (a voided deduction takes its repairs along).
    This covers rewards and unrepaired deductions without a product key (score without x), and
    also repaired deductions and R-180 failures, whose merges are decided without x."""
    entries, x, cancel, as_of = case
    with_void = score_object([*entries, cancel], as_of)
    without = [
        e for e in entries if e is not x and not (e.kind is EntryKind.REPAIR and e.target == x.id)
    ]
    assert same(with_void, score_object(without, as_of))
    if x.kind is EntryKind.REWARD or (
        x.kind is EntryKind.DEDUCTION
        and not x.product_key
        and not any(e.kind is EntryKind.REPAIR and e.target == x.id for e in entries)
    ):
        assert with_void.points == score_object([e for e in entries if e is not x], as_of).points


@PROPERTY
@given(case=voidings(), late=st.integers(1, 1500))
def test_void_effective_after_t_changes_nothing_as_of_t(case, late):
    entries, x, cancel, as_of = case
    pending = Entry(
        cancel.id,
        cancel.object_id,
        EntryKind.VOID,
        P(0),
        as_of + timedelta(days=late),
        x.matter,
        target=x.id,
    )
    assert same(score_object([*entries, pending], as_of), score_object(entries, as_of))


# --- (c) the future does not change the past ------------------------------------------------


@st.composite
def with_future(draw):
    """A ledger, a date T, and entries effective after T: new deductions and rewards, and
    repairs and VOIDs of the ledger's own entries."""
    entries, as_of = draw(dated(ledgers()))
    ids = Ids(50_000)
    later = as_of + timedelta(days=1)
    future = _base_entries(
        draw,
        ids,
        1,
        [f"M{n}" for n in range(1, 7)],
        ["K1", "K2"],
        later,
        later + timedelta(days=1500),
        4,
    )
    future += _repairs_and_voids(draw, ids, [*entries, *future], after=as_of, void_odds=3)
    assert all(e.effective_on > as_of for e in future)
    return entries, future, as_of


@PROPERTY
@given(case=with_future(), seed=st.integers(0, 2**32 - 1))
def test_score_as_of_t_depends_only_on_entries_effective_by_t(case, seed):
    entries, future, as_of = case
    assert same(
        score_object(shuffled([*entries, *future], seed), as_of), score_object(entries, as_of)
    )


@OPERATOR_PROPERTY
@given(case=dated(operators()), late=st.integers(1, 1000))
def test_operator_score_as_of_t_depends_only_on_entries_effective_by_t(case, late):
    op, as_of = case
    later = as_of + timedelta(days=late)
    own = [*op.own, Entry(90_001, 99, EntryKind.DEDUCTION, P(-6), later, "OWN-1", "A12.4")]
    products = {
        pid: [
            *es,
            Entry(
                90_000 + pid * 10, pid, EntryKind.DEDUCTION, P(-12), later, f"P{pid}-M1", "A11.9"
            ),
        ]
        for pid, es in op.products.items()
    }
    products[7] = [Entry(90_100, 7, EntryKind.DEDUCTION, P(-12), later, "P7-M1", "A11.9")]
    # VOIDs of the producer's entries, effective after T.
    own += [
        Entry(
            91_000 + e.id,
            99,
            EntryKind.VOID,
            P(0),
            max(later, e.effective_on),
            e.matter,
            target=e.id,
        )
        for e in op.own
        if e.kind is not EntryKind.VOID
    ]
    before = operator_score(op, as_of)
    after = operator_score(op, as_of, own=own, products=products)
    assert (after.points, after.klass, after.scored_since) == (
        before.points,
        before.klass,
        before.scored_since,
    )
    assert Counter(after.lines) == Counter(before.lines)


# --- (d) lines add up, (e) bounds and class -------------------------------------------------


def _check_score(score: Score) -> None:
    if score.points is None:
        assert score.klass == "O"
        assert score.lines == ()
        assert score.scored_since is None
        return
    assert isinstance(score.points, Decimal)
    assert score.points.as_tuple().exponent == -2, score.points
    assert sum((ln.points for ln in score.lines), Decimal(0)) == score.points
    assert score.points <= MAX_SCORE
    assert score.klass == class_for(score.points)
    starts = [ln for ln in score.lines if ln.kind == "START"]
    assert len(starts) == 1
    assert starts[0].points == BASE_POINTS
    assert starts[0].effective_on == score.scored_since <= score.as_of
    rewards = sum((ln.points for ln in score.lines if ln.kind == "REWARD"), Decimal(0))
    assert Decimal(0) <= rewards <= Decimal(2)
    for ln in score.lines:
        assert ln.points.as_tuple().exponent == -2, ln
        if ln.kind == "DEDUCTION":
            assert ln.points <= 0
        elif ln.kind in ("REPAIR", "REWARD"):
            assert ln.points >= 0
        if ln.expires_on is not None:
            assert ln.effective_on <= score.as_of < ln.expires_on


@PROPERTY
@given(case=dated(ledgers()))
def test_lines_add_up_to_points_and_score_stays_within_bounds(case):
    entries, as_of = case
    _check_score(score_object(entries, as_of))


@OPERATOR_PROPERTY
@given(case=dated(operators()))
def test_operator_lines_add_up_to_points_and_score_stays_within_bounds(case):
    op, as_of = case
    _check_score(operator_score(op, as_of))


@PROPERTY
@given(case=dated(ledgers()))
def test_net_of_each_matter_never_restores_more_than_it_took(case):
    """R-REPAIR-EXPIRY: repairs never lift a deduction above 0, so without rewards the score
    never exceeds 12."""
    entries, as_of = case
    no_rewards = [e for e in entries if e.kind is not EntryKind.REWARD]
    score = score_object(no_rewards, as_of)
    if score.points is not None:
        assert score.points <= BASE_POINTS
        by_matter: dict[str | None, Decimal] = {}
        for ln in score.lines:
            if ln.kind in ("DEDUCTION", "REPAIR"):
                by_matter[ln.matter] = by_matter.get(ln.matter, Decimal(0)) + ln.points
        assert all(net <= 0 for net in by_matter.values()), by_matter


# --- R-SCORE-PRODUCER as a property ---------------------------------------------------------


@OPERATOR_PROPERTY
@given(case=dated(operators(mirror=False)))
def test_producer_score_is_the_minimum_over_products_of_the_union(case):
    """R-SCORE-PRODUCER: min over scored p of S(p ∪ own), else S(own). (Producer entries carry
    no product key here: with mirrored keys R-180 is decided over the whole family.)"""
    op, as_of = case
    candidates = [
        score_object([*op.own, *es], as_of).points
        for es in op.products.values()
        if score_object(es, as_of).points is not None
    ]
    expected = min(candidates) if candidates else score_object(op.own, as_of).points
    assert operator_score(op, as_of).points == expected


# --- a bulk run (no explanation) scores the same --------------------------------------------


@PROPERTY
@given(case=dated(ledgers()))
def test_score_without_explanation_has_the_same_points_and_class(case):
    entries, as_of = case
    full = score_object(entries, as_of)
    bulk = score_object(entries, as_of, explain=False)
    assert (bulk.points, bulk.klass) == (full.points, full.klass)
    assert bulk.lines == ()


@OPERATOR_PROPERTY
@given(case=dated(operators()))
def test_operator_score_without_explanation_has_the_same_points_and_class(case):
    op, as_of = case
    full = operator_score(op, as_of)
    bulk = score_operator(op.own, op.products, as_of, explain=False)
    assert (bulk.points, bulk.klass) == (full.points, full.klass)


def _starts_and_deductions(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.kind in (EntryKind.START, EntryKind.DEDUCTION)]


@PROPERTY
@given(case=dated(ledgers().map(_starts_and_deductions)), seed=st.integers(0, 2**32 - 1))
def test_the_common_ledger_scores_the_same_on_the_bulk_path(case, seed):
    """A ledger of STARTs and deductions only (most of a province) takes a one-pass path when
    not explained: the same points, written alike (9.00, not 9), and class, with or without
    shared matters (R-ONCE) and spot-check failures (R-180), in any order."""
    entries, as_of = case
    full = score_object(entries, as_of)
    for ledger in (entries, shuffled(entries, seed)):
        bulk = score_object(ledger, as_of, explain=False)
        assert (str(bulk.points), bulk.klass) == (str(full.points), full.klass)
