"""The scoring rules of docs/rules.md (§2-5, 9, 12), one or more tests per rule id, at the edges.

Pure: ledger entries are built by hand and fed to `app.scoring`; no database, no Flask.
Every test name carries the rule id it checks (R-WINDOW → `test_r_window_...`).
"""

from __future__ import annotations

import copy
import itertools
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.scoring import (
    BASE_POINTS,
    Entry,
    EntryKind,
    OfficialClass,
    ScoringTable,
    TableError,
    add_months,
    class_for,
    ending_soon,
    latest_started,
    matter_effect,
    official_class,
    order_key,
    overlapping,
    parse_table,
    product_key,
    score_family,
    score_object,
    score_operator,
    table_in_force,
    window_end,
)
from app.scoring.classes import is_run_date
from app.scoring.repairs import (
    FULL,
    HALF,
    repair_limit_reached,
    repair_points,
    repair_refusals,
    repair_share,
)
from app.scoring.rewards import clean_year_runs, cycle_start, in_cycle

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TABLE = ROOT / "data" / "scoring_tables" / "GD-2021-default.yaml"
CENT = Decimal("0.01")
NOTE_R180 = "merged under R-180"

_ids = itertools.count(1)


# --- builders -------------------------------------------------------------------------------


def D(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def P(value: object) -> Decimal:
    """Points as the ledger stores them: a Decimal with two places."""
    return Decimal(str(value)).quantize(CENT)


def start(on: str, *, obj: int = 1) -> Entry:
    return Entry(next(_ids), obj, EntryKind.START, BASE_POINTS, D(on))


def ded(
    points: object,
    on: str | date,
    matter: str | None = None,
    *,
    obj: int = 1,
    key: str | None = None,
    item: str = "A11.1",
    via: str | None = None,
) -> Entry:
    i = next(_ids)
    return Entry(
        i,
        obj,
        EntryKind.DEDUCTION,
        P(points),
        D(on),
        matter or f"M-{i}",
        item,
        product_key=key,
        via=via,
    )


def repair(target: Entry, points: object, on: str | date) -> Entry:
    return Entry(
        next(_ids),
        target.object_id,
        EntryKind.REPAIR,
        P(points),
        D(on),
        target.matter,
        target.item,
        target=target.id,
    )


def reward(points: object, on: str | date, *, obj: int = 1, item: str = "R16") -> Entry:
    i = next(_ids)
    return Entry(i, obj, EntryKind.REWARD, P(points), D(on), f"RW-{i}", item)


def void(target: Entry, on: str | date) -> Entry:
    return Entry(
        next(_ids), target.object_id, EntryKind.VOID, P(0), D(on), target.matter, target=target.id
    )


def points(entries: list[Entry], on: str | date) -> Decimal | None:
    return score_object(entries, D(on)).points


def line_of(score, entry: Entry):
    found = [ln for ln in score.lines if ln.entry_id == entry.id]
    assert len(found) == 1, f"entry {entry.id} should have exactly one line, got {found}"
    return found[0]


def assert_two_places(value: Decimal) -> None:
    assert isinstance(value, Decimal)
    assert value.as_tuple().exponent == -2, f"{value!r} is not a decimal with two places"


def load_default() -> ScoringTable:
    return parse_table(yaml.safe_load(DEFAULT_TABLE.read_text(encoding="utf-8")))


# --- R-START --------------------------------------------------------------------------------


def test_r_start_object_without_any_record_is_unscored_class_o():
    score = score_object([], D("2025-01-01"))
    assert score.points is None
    assert score.klass == "O"
    assert score.scored_since is None
    assert score.lines == ()


def test_r_start_first_record_gives_12_points_from_its_date():
    s = start("2022-05-10")
    before = score_object([s], D("2022-05-09"))
    assert (before.points, before.klass) == (None, "O")

    score = score_object([s], D("2022-05-10"))
    assert score.points == Decimal("12.00")
    assert score.klass == "A"
    assert score.scored_since == D("2022-05-10")
    assert len(score.lines) == 1
    only = score.lines[0]
    assert (only.kind, only.points) == ("START", Decimal("12.00"))
    assert only.effective_on == D("2022-05-10")
    assert_two_places(only.points)


def test_r_start_object_is_scored_from_its_earliest_record_whatever_the_kind():
    first = ded(-3, "2022-03-01")
    score = score_object([start("2022-06-01"), first], D("2022-04-01"))
    assert score.points == Decimal("9.00")
    assert score.scored_since == D("2022-03-01")
    start_lines = [ln for ln in score.lines if ln.kind == "START"]
    assert [(ln.points, ln.effective_on) for ln in start_lines] == [(BASE_POINTS, D("2022-03-01"))]


def test_r_start_counts_12_once_even_with_two_start_entries():
    assert points([start("2021-01-01"), start("2022-01-01")], "2023-01-01") == Decimal("12.00")


# --- R-EFFECTIVE ----------------------------------------------------------------------------


def test_r_effective_deduction_effective_tomorrow_does_not_count_today():
    d = ded(-3, "2025-06-11")
    entries = [start("2024-01-01"), d]
    assert points(entries, "2025-06-10") == Decimal("12.00")
    assert all(ln.entry_id != d.id for ln in score_object(entries, D("2025-06-10")).lines)
    assert points(entries, "2025-06-11") == Decimal("9.00")


def test_r_effective_repair_and_reward_count_from_the_day_they_are_verified():
    d = ded(-4, "2024-01-01")
    fix = repair(d, 4, "2024-03-05")
    bonus = reward(1, "2024-03-05")
    entries = [d, fix, bonus]
    assert points(entries, "2024-03-04") == Decimal("8.00")
    assert points(entries, "2024-03-05") == Decimal("13.00")


def test_r_effective_object_whose_only_record_is_tomorrow_is_unscored_today():
    entries = [ded(-3, "2025-06-11")]
    score = score_object(entries, D("2025-06-10"))
    assert (score.points, score.klass) == (None, "O")


# --- R-WINDOW -------------------------------------------------------------------------------


def test_r_window_entry_drops_out_after_36_months():
    d = ded(-3, "2023-03-31")
    entries = [start("2023-01-01"), d]
    assert window_end(D("2023-03-31")) == D("2026-03-31")
    assert points(entries, "2023-03-31") == Decimal("9.00")
    assert points(entries, "2026-03-30") == Decimal("9.00")
    score = score_object(entries, D("2026-03-31"))
    assert score.points == Decimal("12.00")
    assert score.klass == "A"
    assert all(ln.entry_id != d.id for ln in score.lines)


def test_r_window_line_shows_the_day_the_entry_drops_out():
    d = ded(-3, "2023-03-31")
    assert line_of(score_object([d], D("2024-01-01")), d).expires_on == D("2026-03-31")


def test_r_window_29_february_drops_out_on_28_february():
    d = ded(-3, "2024-02-29")
    assert add_months(D("2024-02-29"), 36) == D("2027-02-28")
    assert points([d], "2027-02-27") == Decimal("9.00")
    assert points([d], "2027-02-28") == Decimal("12.00")


def test_r_window_28_february_into_a_leap_year_drops_out_on_28_february():
    d = ded(-3, "2021-02-28")
    assert points([d], "2024-02-27") == Decimal("9.00")
    assert points([d], "2024-02-28") == Decimal("12.00")


def test_r_window_rewards_drop_out_too():
    entries = [reward(1, "2022-01-01")]
    assert points(entries, "2024-12-31") == Decimal("13.00")
    assert points(entries, "2025-01-01") == Decimal("12.00")


def test_r_window_the_first_counting_day_agrees_with_every_entry_s_end_day_by_day():
    """`window_start(on)` is what a score compares entry dates with: an entry effective `d`
    counts on `on` exactly when `on < window_end(d)`, month ends and leap days included.
    Every pair of days over six years around two leap days is checked."""
    from app.scoring.dates import window_start

    days = [D("2023-01-01") + timedelta(days=n) for n in range(0, 6 * 366)]
    for on in days[3 * 365 :]:
        first = window_start(on)
        counting = [d for d in days if d <= on and on < window_end(d)]
        assert counting and counting[0] == first, on
        assert all(d >= first for d in counting)
        assert window_end(first - timedelta(days=1)) <= on


def test_r_window_start_never_drops_object_back_at_12_not_o():
    entries = [start("2019-01-01"), ded(-6, "2019-06-01"), reward(1, "2019-07-01")]
    assert points(entries, "2019-08-01") == Decimal("7.00")
    score = score_object(entries, D("2030-01-01"))
    assert score.points == Decimal("12.00")
    assert score.klass == "A"
    assert score.scored_since == D("2019-01-01")


def test_r_window_object_without_start_entry_whose_entries_expired_is_back_at_12():
    score = score_object([ded(-12, "2019-06-01")], D("2022-06-01"))
    assert (score.points, score.klass) == (Decimal("12.00"), "A")


# --- R-ONCE ---------------------------------------------------------------------------------


def test_r_once_one_matter_scores_one_object_once():
    first = ded(-3, "2024-01-10", "M1")
    again = ded(-3, "2024-01-10", "M1", item="A11.7")
    score = score_object([first, again], D("2024-02-01"))
    assert score.points == Decimal("9.00")
    zero = [ln for ln in score.lines if ln.entry_id in (first.id, again.id) and ln.points == 0]
    assert len(zero) == 1
    assert "R-ONCE" in zero[0].note


def test_r_once_a_matter_scores_each_object_it_concerns():
    product = [ded(-3, "2024-01-10", "M1", obj=1)]
    seller = [ded(-3, "2024-01-10", "M1", obj=2, item="A12.9")]
    assert points(product, "2024-02-01") == Decimal("9.00")
    assert score_operator(seller, {}, D("2024-02-01")).points == Decimal("9.00")


def test_r_once_different_matters_each_count():
    entries = [ded(-3, "2024-01-10", "M1"), ded(-2, "2024-01-10", "M2")]
    assert points(entries, "2024-02-01") == Decimal("7.00")


# --- R-MAX ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True])
def test_r_max_matter_fitting_several_items_loses_the_largest_only(reverse):
    light = ded(-3, "2024-01-10", "M1", item="A11.1")
    heavy = ded(-6, "2024-01-10", "M1", item="A11.3")
    entries = [light, heavy][::-1] if reverse else [light, heavy]
    score = score_object(entries, D("2024-02-01"))
    assert score.points == Decimal("6.00")
    assert line_of(score, heavy).points == Decimal("-6.00")
    assert line_of(score, light).points == Decimal("0.00")


def test_r_max_table_picks_the_heaviest_item_for_the_object():
    table = load_default()
    assert table.heaviest(["A11.1", "A11.3"], "product", False).code == "A11.3"
    assert table.heaviest(["A11.3", "A11.1"], "product", False).deduction(False) == Decimal("6")


def test_r_max_table_ignores_items_that_do_not_apply_to_the_object_kind():
    table = load_default()
    # A11.3 (6) is a product item: for the producer only A12.1 (3) applies.
    assert table.heaviest(["A11.3", "A12.1"], "producer", False).code == "A12.1"
    with pytest.raises(TableError, match="seller"):
        table.heaviest(["A11.1"], "seller", False)
    with pytest.raises(TableError, match=r"A99\.9"):
        table.heaviest(["A99.9"], "product", False)


# --- R-INTENT -------------------------------------------------------------------------------


def test_r_intent_intentional_matter_takes_the_heavier_value():
    item = load_default().items["A11.1"]
    assert item.deduction(False) == Decimal("3")
    assert item.deduction(True) == Decimal("6")


def test_r_intent_can_change_which_item_is_heaviest():
    table = load_default()
    # A12.2 is 6 / 6, A12.3 is 4 / 8.
    ordinary = table.heaviest(["A12.2", "A12.3"], "producer", False)
    intentional = table.heaviest(["A12.2", "A12.3"], "producer", True)
    assert (ordinary.code, ordinary.deduction(False)) == ("A12.2", Decimal("6"))
    assert (intentional.code, intentional.deduction(True)) == ("A12.3", Decimal("8"))


# --- R-180 ----------------------------------------------------------------------------------


DAY0 = D("2024-01-01")


def failure(
    day: int,
    key: str = "P|GB 1|Brand|X1",
    *,
    points: object = -3,
    obj: int = 1,
    matter: str | None = None,
) -> Entry:
    return ded(points, DAY0 + timedelta(days=day), matter, obj=obj, key=key)


def test_r_180_failure_on_day_180_is_merged():
    first, second = failure(0), failure(180)
    score = score_object([first, second], D("2024-12-31"))
    assert score.points == Decimal("9.00")
    merged = line_of(score, second)
    assert merged.points == Decimal("0.00")
    assert merged.note == NOTE_R180
    assert line_of(score, first).note is None


def test_r_180_failure_on_day_181_scores_again():
    first, second = failure(0), failure(181)
    score = score_object([first, second], D("2024-12-31"))
    assert score.points == Decimal("6.00")
    assert line_of(score, second).points == Decimal("-3.00")
    assert line_of(score, second).note is None


def test_r_180_counts_from_the_last_scored_failure_not_the_last_failure():
    # Day 100 is merged into day 0; day 200 is 200 days after the last *scored* one: it scores.
    f0, f100, f200 = failure(0), failure(100), failure(200)
    score = score_object([f200, f0, f100], D("2024-12-31"))
    assert score.points == Decimal("6.00")
    assert line_of(score, f100).note == NOTE_R180
    assert line_of(score, f200).points == Decimal("-3.00")


def test_r_180_different_model_is_a_different_product_and_scores_separately():
    a = failure(0, "P|GB 1|Brand|X1")
    b = failure(30, "P|GB 1|Brand|X2")
    assert points([a, b], "2024-12-31") == Decimal("6.00")


def test_r_180_does_not_apply_to_deductions_that_are_not_spot_check_failures():
    a = ded(-3, DAY0, item="A11.7")
    b = ded(-3, DAY0 + timedelta(days=30), item="A11.7")
    assert points([a, b], "2024-12-31") == Decimal("6.00")


def test_r_180_merged_failure_is_recorded_and_shown():
    first, second = failure(0), failure(10)
    score = score_object([first, second], D("2024-02-01"))
    assert {ln.entry_id for ln in score.lines} >= {first.id, second.id}


def test_r_180_voided_scored_failure_lets_the_later_one_score_from_the_void_date():
    first, second = failure(0), failure(100)
    cancel = void(first, DAY0 + timedelta(days=300))
    entries = [first, second, cancel]
    assert points(entries, DAY0 + timedelta(days=299)) == Decimal("9.00")
    assert line_of(score_object(entries, DAY0 + timedelta(days=299)), second).points == 0
    assert points(entries, DAY0 + timedelta(days=300)) == Decimal("9.00")
    assert line_of(score_object(entries, DAY0 + timedelta(days=300)), second).points == P(-3)


def test_r_180_applies_to_the_producer_through_its_product():
    key = "P|GB 1|Brand|X1"
    p0 = failure(0, key, matter="SC-1")
    p100 = failure(100, key, matter="SC-2")
    score = score_operator([], {1: [p0, p100]}, D("2024-12-31"))
    # The product's second failure is merged: the producer, through it, loses 3 once.
    assert score.points == Decimal("9.00")
    assert line_of(score, p100).note == NOTE_R180


def test_r_180_only_the_products_a11_1_entry_merges_not_the_producers_a12_2():
    # An ordinary failure, then an intentional one 100 days later: the product's A11.1 of the
    # second is merged (0), but the producer's A12.2 of it scores as usual (rules R-180).
    key = "P|GB 1|Brand|X1"
    p0 = failure(0, key, matter="SC-1")
    p100 = failure(100, key, points=-6, matter="SC-2")
    own100 = ded(-6, DAY0 + timedelta(days=100), "SC-2", obj=9, key=key, item="A12.2")
    score = score_operator([own100], {1: [p0, p100]}, D("2024-12-31"))
    assert score.points == Decimal("3.00")
    assert line_of(score, own100).points == Decimal("-6.00")
    assert line_of(score, own100).note is None
    assert score_object([p0, p100], D("2024-12-31")).points == Decimal("9.00")


def test_r_180_failure_with_unknown_model_is_never_merged():
    for unknown in ("P|GB 1|Brand|", "P||Brand|X1", None):
        a = failure(0, unknown)
        b = failure(30, unknown)
        assert points([a, b], "2024-12-31") == Decimal("6.00"), unknown


def test_r_180_product_key_is_none_when_model_or_standard_is_unknown():
    assert product_key("P", "GB 1", "Brand", "X1") == "P|GB 1|Brand|X1"
    assert product_key("P", " GB 1 ", "Brand", " X1 ") == "P|GB 1|Brand|X1"
    assert product_key("P", "GB 1", "Brand", None) is None
    assert product_key("P", "GB 1", "Brand", "  ") is None
    assert product_key("P", None, "Brand", "X1") is None
    assert product_key("P", "", "Brand", "X1") is None


def test_r_180_an_a11_1_entry_of_another_product_object_does_not_merge():
    # R-180 is decided per product (one producer, brand and Nice class): the same model
    # under another Nice class is another scoring object.
    key = "P|GB 1|Brand|X1"
    a = failure(0, key, obj=1, matter="SC-1")
    b = failure(30, key, obj=2, matter="SC-2")
    score = score_operator([], {1: [a], 2: [b]}, D("2024-12-31"))
    assert score.points == Decimal("9.00")  # each product lost 3; the minimum is 9
    family = score_family([], {1: [a], 2: [b]}, D("2024-12-31"))
    assert family.products[2].points == Decimal("9.00")


# --- R-ORDER --------------------------------------------------------------------------------


def test_r_order_same_day_failures_are_ordered_by_matter_ref_not_by_arrival():
    key = "P|GB 1|Brand|X1"
    late_id = failure(0, key, matter="SC-A")  # recorded second (higher id), ref first
    early_id = Entry(1, 1, EntryKind.DEDUCTION, P(-3), DAY0, "SC-B", "A11.1", product_key=key)
    for entries in ([late_id, early_id], [early_id, late_id]):
        score = score_object(entries, D("2024-12-31"))
        assert score.points == Decimal("9.00")
        assert line_of(score, late_id).note is None  # SC-A scores
        assert line_of(score, early_id).note == NOTE_R180  # SC-B, same day, is merged


def test_r_order_key_is_effective_date_then_matter_ref_then_entry():
    assert order_key(D("2024-01-01"), "Z") < order_key(D("2024-01-02"), "A")
    assert order_key(D("2024-01-01"), "A", 9) < order_key(D("2024-01-01"), "B", 1)
    assert order_key(D("2024-01-01"), None, 1) < order_key(D("2024-01-01"), None, 2)
    assert order_key(D("2024-01-01"), None, 5) < order_key(D("2024-01-01"), "A", 1)


def test_r_order_family_and_operator_scores_are_the_same_function():
    key = "P|GB 1|Brand|X1"
    a = failure(0, key, matter="SC-2")
    b = failure(0, key, matter="SC-1")
    own = ded(-2, DAY0, "M-own", obj=9, item="A12.3")
    family = score_family([own], {1: [a, b]}, D("2024-06-01"), explain=False)
    assert family.operator.points == score_operator([own], {1: [a, b]}, D("2024-06-01")).points
    assert family.products[1].points == score_object([a, b], D("2024-06-01")).points
    assert family.operator.points == Decimal("7.00")


# --- R-NOTICE -------------------------------------------------------------------------------


def test_r_notice_each_object_states_its_own_points_never_a_sum():
    # An intentional failure: the product loses 6 (A11.1), the producer 6 (A12.2); the
    # producer's notice says 6 for each object, not 12.
    key = "P|GB 1|Brand|X1"
    prod = failure(0, key, points=-6, matter="SC-1")
    own = ded(-6, DAY0, "SC-1", obj=9, item="A12.2")
    family = score_family([own], {1: [prod]}, D("2024-02-01"))
    on_product = matter_effect(family.products[1], "SC-1")
    on_producer = matter_effect(family.operator, "SC-1")
    assert on_product.points == Decimal("-6.00")
    assert on_producer.points == Decimal("-6.00")
    assert (on_product.score, on_product.klass) == (Decimal("6.00"), "C")
    assert (on_producer.score, on_producer.klass) == (Decimal("6.00"), "C")
    assert not on_product.merged


def test_r_notice_merged_failure_is_notified_as_zero_with_the_reason():
    key = "P|GB 1|Brand|X1"
    first, second = failure(0, key, matter="SC-1"), failure(100, key, matter="SC-2")
    effect = matter_effect(score_object([first, second], D("2024-06-01")), "SC-2")
    assert effect.points == Decimal("0.00")
    assert effect.merged
    assert effect.score == Decimal("9.00")


def test_r_notice_matter_counted_once_states_the_heavier_entry():
    prod = ded(-2, DAY0, "M-1", obj=1, item="A11.7")
    own = ded(-3, DAY0, "M-1", obj=9, item="A12.1")
    effect = matter_effect(score_operator([own], {1: [prod]}, D("2024-02-01")), "M-1")
    assert effect.points == Decimal("-3.00")
    assert effect.score == Decimal("9.00")
    assert effect.klass == "B"


def test_r_notice_a_matter_that_is_not_in_the_score_states_nothing():
    effect = matter_effect(score_object([failure(0)], D("2024-02-01")), "OTHER")
    assert effect.points == Decimal("0.00")
    assert not effect.merged


# --- R-SCORE-PRODUCT / R-SCORE-SELLER / R-SCORE-PRODUCER ------------------------------------


def test_r_score_product_is_s_of_the_products_entries():
    entries = [
        start("2022-01-01"),
        ded(-3, "2022-02-01"),
        ded(-2, "2023-01-01"),
        reward(1, "2024-01-01"),
    ]
    score = score_object(entries, D("2024-06-01"))
    assert (score.points, score.klass) == (Decimal("8.00"), "B")


def test_r_score_seller_is_s_of_its_own_entries():
    own = [
        start("2023-01-01", obj=5),
        ded(-3, "2023-05-01", obj=5, item="A12.9"),
        ded(-3, "2024-05-01", obj=5, item="A12.10"),
    ]
    as_of = D("2024-06-01")
    score = score_operator(own, {}, as_of)
    assert score.points == score_object(own, as_of).points == Decimal("6.00")
    assert score.klass == "C"


def test_r_score_producer_is_the_minimum_over_its_products():
    own = [ded(-1, "2024-01-01", "M0", obj=9, item="A12.6")]
    p1 = [ded(-3, "2024-02-01", "M1", obj=1)]
    p2 = [ded(-6, "2024-03-01", "M2", obj=2, item="A11.3")]
    score = score_operator(own, {1: p1, 2: p2}, D("2024-06-01"))
    assert score.points == Decimal("5.00")  # min(12-1-3, 12-1-6)
    assert score.klass == "C"
    assert {ln.matter for ln in score.lines if ln.kind == "DEDUCTION"} == {"M0", "M2"}


@pytest.mark.parametrize(("product_points", "own_points"), [(-3, -6), (-6, -3)])
def test_r_score_producer_matter_on_product_and_producer_counts_once_at_larger_value(
    product_points, own_points
):
    product = [ded(product_points, "2024-02-01", "M1", obj=1)]
    own = [ded(own_points, "2024-02-01", "M1", obj=9, item="A12.2")]
    assert score_operator(own, {1: product}, D("2024-06-01")).points == Decimal("6.00")


def test_r_score_producer_without_scored_products_has_its_own_score():
    own = [start("2023-01-01", obj=9), ded(-2, "2023-06-01", obj=9, item="A12.6")]
    future_only = [ded(-6, "2025-01-01", obj=2)]
    voided = ded(-6, "2023-02-01", obj=3)
    products = {1: [], 2: future_only, 3: [voided, void(voided, "2023-03-01")]}
    score = score_operator(own, products, D("2024-06-01"))
    assert score.points == Decimal("10.00")
    assert score.points == score_object(own, D("2024-06-01")).points


def test_r_score_producer_with_a_scored_product_and_no_own_entries_takes_the_products_score():
    product = [start("2023-01-01", obj=1), ded(-3, "2023-06-01", obj=1)]
    assert score_operator([], {1: product}, D("2024-06-01")).points == Decimal("9.00")


def test_r_score_producer_with_nothing_is_unscored():
    score = score_operator([], {}, D("2024-06-01"))
    assert (score.points, score.klass) == (None, "O")


# --- R-REPAIR-SHARE -------------------------------------------------------------------------


def test_r_repair_share_first_deduction_restores_100_percent():
    d = ded(-3, "2024-01-10")
    assert repair_share(d, [start("2023-01-01"), d], D("2024-03-01")) == FULL
    assert repair_points(d.points, FULL) == Decimal("3.00")


def test_r_repair_share_later_deduction_restores_50_percent():
    first = ded(-4, "2023-01-10")
    second = ded(-3, "2024-01-10")
    entries = [first, second]
    assert repair_share(first, entries, D("2024-03-01")) == FULL
    assert repair_share(second, entries, D("2024-03-01")) == HALF
    restored = repair_points(second.points, HALF)
    assert restored == Decimal("1.50")
    assert_two_places(restored)
    score = score_object([*entries, repair(second, restored, "2024-03-01")], D("2024-03-01"))
    assert score.points == Decimal("6.50")  # 12 - 4 - 3 + 1.50
    assert_two_places(score.points)


def test_r_repair_share_earlier_deduction_outside_36_months_does_not_count():
    old = ded(-3, "2020-03-31")
    on_edge = ded(-3, "2023-03-31")
    inside = ded(-3, "2023-03-30")
    assert repair_share(on_edge, [old, on_edge], D("2023-04-01")) == FULL
    assert repair_share(inside, [old, inside], D("2023-04-01")) == HALF


def test_r_repair_share_29_february_deduction_is_out_of_the_window_on_28_february():
    """The window is R-WINDOW's: a deduction effective 2020-02-29 no longer counts on 2023-02-28,
    so a deduction effective 2023-02-28 is the first in its window and restores 100 %."""
    old = ded(-3, "2020-02-29")
    later = ded(-3, "2023-02-28")
    entries = [old, later]
    # The score on that day no longer counts the old deduction ...
    assert points(entries, "2023-02-28") == Decimal("9.00")
    # ... so the later one is the first deduction in its window.
    assert repair_share(later, entries, D("2023-03-01")) == FULL


def test_r_repair_share_voided_earlier_deduction_does_not_count():
    first = ded(-4, "2023-01-10")
    second = ded(-3, "2024-01-10")
    entries = [first, void(first, "2023-06-01"), second]
    assert repair_share(second, entries, D("2024-03-01")) == FULL


def test_r_repair_share_same_day_deductions_do_not_depend_on_arrival_order():
    a = ded(-3, "2024-01-10", "MA")
    b = ded(-3, "2024-01-10", "MB")
    on = D("2024-03-01")
    forward = (repair_share(a, [a, b], on), repair_share(b, [a, b], on))
    backward = (repair_share(a, [b, a], on), repair_share(b, [b, a], on))
    assert forward == backward


def test_r_repair_share_half_of_an_odd_tenth_is_exact_to_the_cent():
    assert repair_points(P("-2.5"), HALF) == Decimal("1.25")
    assert repair_points(P(-12), HALF) == Decimal("6.00")


# --- R-REPAIR-LIMIT -------------------------------------------------------------------------


def test_r_repair_limit_third_repair_inside_36_months_is_refused():
    assert repair_limit_reached([D("2023-01-10"), D("2024-05-01")], D("2026-01-09")) is True


def test_r_repair_limit_third_repair_just_outside_the_window_is_allowed():
    assert repair_limit_reached([D("2023-01-10"), D("2024-05-01")], D("2026-01-10")) is False


def test_r_repair_limit_two_repairs_are_allowed():
    assert repair_limit_reached([], D("2024-01-01")) is False
    assert repair_limit_reached([D("2023-01-10")], D("2024-01-01")) is False


def test_r_repair_limit_counts_any_36_month_window_not_only_the_first():
    existing = [D("2020-01-01"), D("2022-06-01"), D("2024-01-01")]
    # 2022-06-01, 2024-01-01 and 2025-01-01 fit in [2022-06-01, 2025-06-01).
    assert repair_limit_reached(existing, D("2025-01-01")) is True
    # 2024-01-01 and 2027-01-01 share a window, but no third repair is in it.
    assert repair_limit_reached(existing, D("2027-01-01")) is False


def test_r_repair_limit_backdated_repair_between_two_others_is_refused():
    assert repair_limit_reached([D("2023-01-10"), D("2025-01-10")], D("2024-01-10")) is True


def test_r_repair_limit_refusal_gives_the_reason():
    reasons = _refusals(limit_reached=True)
    assert len(reasons) == 1
    assert "R-REPAIR-LIMIT" in reasons[0]


# --- R-REPAIR-EXPIRY ------------------------------------------------------------------------


def test_r_repair_expiry_repair_drops_out_with_its_deduction():
    repaired = ded(-3, "2023-03-31")
    fix = repair(repaired, 3, "2024-01-15")
    other = ded(-2, "2024-06-01")
    entries = [repaired, fix, other]
    assert points(entries, "2024-01-14") == Decimal("9.00")
    assert points(entries, "2024-01-15") == Decimal("12.00")
    assert points(entries, "2026-03-30") == Decimal("10.00")
    score = score_object(entries, D("2026-03-31"))
    assert score.points == Decimal("10.00")  # not 13: the repair went with its deduction
    assert all(ln.kind != "REPAIR" for ln in score.lines)


def test_r_repair_expiry_repair_never_restores_more_than_the_deduction_took():
    d = ded(-3, "2024-01-10")
    entries = [d, repair(d, 3, "2024-02-01"), repair(d, 3, "2024-03-01")]
    score = score_object(entries, D("2024-06-01"))
    assert score.points == Decimal("12.00")
    assert sum(ln.points for ln in score.lines) == score.points


def test_r_repair_expiry_repair_of_a_merged_failure_restores_nothing():
    first, second = failure(0), failure(50)
    entries = [first, second, repair(second, 3, DAY0 + timedelta(days=60))]
    assert points(entries, DAY0 + timedelta(days=90)) == Decimal("9.00")


def test_r_repair_expiry_voided_deduction_takes_its_repairs_with_it():
    d = ded(-3, "2024-01-10")
    entries = [d, repair(d, 3, "2024-02-01"), void(d, "2024-05-01"), ded(-1, "2024-01-01")]
    assert points(entries, "2024-04-30") == Decimal("11.00")
    assert points(entries, "2024-05-01") == Decimal("11.00")
    assert all(ln.kind != "REPAIR" for ln in score_object(entries, D("2024-05-01")).lines)


# --- R-REPAIR-ELIGIBLE ----------------------------------------------------------------------


_ELIGIBLE = dict(
    taken=P(-3),
    repairable=True,
    major_impact=False,
    already_repaired=False,
    shows_not_intentional=True,
    rectified_confirmed=True,
    filing_complete=True,
    limit_reached=False,
    on=D("2024-03-01"),
)


def _refusals(**changes) -> list[str]:
    deduction = changes.pop("deduction", None) or ded(-3, "2024-01-10")
    return repair_refusals(deduction=deduction, **{**_ELIGIBLE, **changes})


def test_r_repair_eligible_application_meeting_every_condition_is_not_refused():
    assert _refusals() == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"shows_not_intentional": False}, "14(1)"),
        ({"rectified_confirmed": False}, "14(2)"),
        ({"filing_complete": False}, "14(3)"),
        ({"major_impact": True}, "Art. 14"),
        ({"repairable": False}, "not repairable"),
        ({"limit_reached": True}, "R-REPAIR-LIMIT"),
        ({"already_repaired": True}, "already repaired"),
        ({"taken": P(0)}, "R-180"),
        ({"on": D("2027-01-10")}, "no longer counts"),
    ],
)
def test_r_repair_eligible_each_failed_condition_is_refused_with_its_reason(change, expected):
    reasons = _refusals(**change)
    assert len(reasons) == 1, reasons
    assert expected in reasons[0]


def test_r_repair_eligible_every_failed_condition_is_reported_at_once():
    reasons = _refusals(
        shows_not_intentional=False,
        rectified_confirmed=False,
        filing_complete=False,
        major_impact=True,
        limit_reached=True,
    )
    assert len(reasons) == 5
    assert len(set(reasons)) == 5
    for expected in ("14(1)", "14(2)", "14(3)", "Art. 14", "R-REPAIR-LIMIT"):
        assert any(expected in r for r in reasons), expected
    assert all(isinstance(r, str) and r.strip() for r in reasons)


def test_r_repair_eligible_art_11_9_matter_is_never_repairable():
    item = load_default().items["A11.9"]
    assert item.repairable is False
    reasons = _refusals(repairable=item.repairable)
    assert len(reasons) == 1


# --- R-REWARD-CAP ---------------------------------------------------------------------------


def test_r_reward_cap_three_one_point_rewards_count_two():
    rewards = [reward(1, "2024-01-10"), reward(1, "2024-02-10"), reward(1, "2024-03-10")]
    score = score_object(rewards, D("2024-06-01"))
    assert score.points == Decimal("14.00")
    capped = line_of(score, rewards[2])
    assert capped.points == Decimal("0.00")
    assert "R-REWARD-CAP" in capped.note
    assert sum(ln.points for ln in score.lines) == score.points


def test_r_reward_cap_applies_after_deductions():
    entries = [
        ded(-3, "2024-01-01"),
        reward(1, "2024-01-10"),
        reward(1, "2024-02-10"),
        reward(1, "2024-03-10"),
    ]
    assert points(entries, "2024-06-01") == Decimal("11.00")


def test_r_reward_cap_partial_reward_fills_up_to_the_cap():
    first, second = reward("1.5", "2024-01-10"), reward(1, "2024-02-10")
    score = score_object([second, first], D("2024-06-01"))
    assert score.points == Decimal("14.00")
    assert line_of(score, second).points == Decimal("0.50")


def test_r_reward_cap_is_per_window():
    entries = [reward(1, "2022-01-01"), reward(1, "2022-06-01"), reward(1, "2024-12-01")]
    assert points(entries, "2024-12-31") == Decimal("14.00")
    assert points(entries, "2025-01-01") == Decimal("14.00")  # first one expired, two remain
    assert points(entries, "2025-06-01") == Decimal("13.00")


def test_r_reward_cap_producer_with_product_rewards_is_capped_on_the_union():
    own = [
        reward(1, "2024-01-10", obj=9, item="R17.1"),
        reward(1, "2024-02-10", obj=9, item="R17.2"),
    ]
    product = [reward(1, "2024-03-10", obj=1)]
    assert score_operator(own, {1: product}, D("2024-06-01")).points == Decimal("14.00")


# --- R-REWARD-PRODUCT -----------------------------------------------------------------------


def test_r_reward_product_two_consecutive_clean_years_are_eligible():
    assert clean_year_runs([(D("2022-05-01"), True), (D("2023-03-01"), True)]) == [(2022, 2023)]


def test_r_reward_product_one_clean_year_is_not_enough():
    assert clean_year_runs([(D("2022-05-01"), True), (D("2022-11-01"), True)]) == []
    assert clean_year_runs([]) == []


def test_r_reward_product_year_without_spot_check_breaks_the_run():
    assert clean_year_runs([(D("2021-05-01"), True), (D("2023-05-01"), True)]) == []


def test_r_reward_product_year_with_a_failure_is_not_clean():
    results = [
        (D("2021-05-01"), True),
        (D("2022-02-01"), True),
        (D("2022-09-01"), False),
        (D("2023-05-01"), True),
        (D("2024-05-01"), True),
    ]
    assert clean_year_runs(results) == [(2023, 2024)]
    assert clean_year_runs(list(reversed(results))) == [(2023, 2024)]


def test_r_reward_product_longer_and_separate_runs():
    results = [(D(f"{y}-06-01"), True) for y in (2018, 2019, 2021, 2022, 2023)]
    assert clean_year_runs(results) == [(2018, 2019), (2021, 2023)]


def test_r_reward_product_checks_before_the_scoring_cycle_earn_nothing():
    results = [(D("2019-05-01"), True), (D("2020-05-01"), True)]
    assert clean_year_runs(results) == [(2019, 2020)]  # without a day: any years
    assert clean_year_runs(results, on=D("2026-11-26")) == []
    assert clean_year_runs(
        [(D("2024-05-01"), True), (D("2025-05-01"), True)], on=D("2026-11-26")
    ) == [(2024, 2025)]


def test_r_reward_product_cycle_starts_36_months_before_the_day_it_is_verified():
    on = D("2026-11-26")
    assert cycle_start(on) == D("2023-11-27")
    assert in_cycle(D("2023-11-27"), on) and not in_cycle(D("2023-11-26"), on)
    assert in_cycle(on, on) and not in_cycle(D("2026-11-27"), on)
    # The first day of the cycle: counts; the day before: not.
    assert clean_year_runs([(D("2023-11-27"), True), (D("2024-03-01"), True)], on=on) == [
        (2023, 2024)
    ]
    assert clean_year_runs([(D("2023-11-26"), True), (D("2024-03-01"), True)], on=on) == []


def test_r_reward_product_cycle_agrees_with_the_ledger_window_at_month_ends():
    # An entry of 2024-02-29 stops counting on 2027-02-28 (R-WINDOW): so does a spot check.
    on = D("2027-02-28")
    assert cycle_start(on) == D("2024-03-01")
    assert all(window_end(cycle_start(d)) > d for d in (on, D("2026-03-31"), D("2028-02-29")))
    assert all(
        window_end(cycle_start(d) - timedelta(days=1)) <= d
        for d in (on, D("2026-03-31"), D("2028-02-29"))
    )


def test_r_reward_product_a_failure_earlier_in_the_year_still_spoils_it():
    on = D("2026-11-26")
    results = [(D("2023-06-01"), False), (D("2023-12-01"), True), (D("2024-05-01"), True)]
    assert clean_year_runs(results, on=on) == []
    later = [(D("2026-12-01"), False), (D("2025-05-01"), True), (D("2026-05-01"), True)]
    assert clean_year_runs(later, on=on) == [(2025, 2026)]  # a check after the day: not yet known


# --- R-HALFYEAR (pure) -----------------------------------------------------------------------


def test_r_halfyear_run_dates_are_the_scheduled_days_only():
    assert is_run_date(D("2026-01-01"), "01-01,07-01")
    assert is_run_date(D("2026-07-01"), "01-01, 07-01")
    assert not is_run_date(D("2026-11-26"), "01-01,07-01")
    assert not is_run_date(D("2026-07-02"), "01-01,07-01")
    assert is_run_date(D("2026-03-31"), "03-31,09-30")
    with pytest.raises(ValueError, match="CLASSIFICATION_DAYS"):
        is_run_date(D("2026-01-01"), "01-01,13-01")


# --- R-CLASS --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "klass"),
    [
        ("14", "A"),
        ("12", "A"),
        ("12.00", "A"),
        ("11.99", "B"),
        ("6.01", "B"),
        ("6", "C"),
        ("6.00", "C"),
        ("0.01", "C"),
        ("0", "D"),
        ("0.00", "D"),
        ("-0.01", "D"),
        ("-7", "D"),
        (None, "O"),
    ],
)
def test_r_class_boundaries(value, klass):
    assert class_for(None if value is None else Decimal(value)) == klass


def test_r_class_of_a_score_is_the_class_of_its_points():
    score = score_object([ded(-6, "2024-01-01")], D("2024-02-01"))
    assert (score.points, score.klass) == (Decimal("6.00"), "C")
    score = score_object([ded(-12, "2024-01-01")], D("2024-02-01"))
    assert (score.points, score.klass) == (Decimal("0.00"), "D")


# --- R-DLOCK --------------------------------------------------------------------------------


def test_r_dlock_run_putting_object_in_d_locks_it_for_three_years():
    run = official_class(Decimal("0"), D("2022-07-01"), None)
    assert run == OfficialClass("D", D("2022-07-01"), D("2025-07-01"))


def test_r_dlock_runs_before_the_lock_date_keep_d_whatever_the_score():
    locked = official_class(Decimal("-1"), D("2022-07-01"), None)
    for run_on in ("2023-01-01", "2024-07-01", "2025-01-01", "2025-06-30"):
        result = official_class(Decimal("12"), D(run_on), locked)
        assert result.klass == "D", run_on
        assert result.locked_until == D("2025-07-01")
        assert result.run_on == D(run_on)


def test_r_dlock_run_on_the_lock_date_classifies_by_score_again():
    locked = official_class(Decimal("0"), D("2022-07-01"), None)
    result = official_class(Decimal("12"), D("2025-07-01"), locked)
    assert result == OfficialClass("A", D("2025-07-01"), None)
    assert official_class(Decimal("7"), D("2026-01-01"), locked).klass == "B"


def test_r_dlock_d_by_score_after_expiry_starts_a_new_lock():
    locked = official_class(Decimal("0"), D("2022-07-01"), None)
    again = official_class(Decimal("-2"), D("2025-07-01"), locked)
    assert again == OfficialClass("D", D("2025-07-01"), D("2028-07-01"))
    assert official_class(Decimal("12"), D("2028-01-01"), again).klass == "D"
    assert official_class(Decimal("12"), D("2028-07-01"), again).klass == "A"


def test_r_dlock_classes_other_than_d_do_not_lock():
    for value, klass in (("12", "A"), ("9", "B"), ("3", "C"), (None, "O")):
        run = official_class(None if value is None else Decimal(value), D("2024-01-01"), None)
        assert (run.klass, run.locked_until) == (klass, None)
    previous = official_class(Decimal("9"), D("2024-01-01"), None)
    assert official_class(Decimal("3"), D("2024-07-01"), previous).klass == "C"


# --- scoring table (§12) --------------------------------------------------------------------


def test_scoring_table_default_file_parses_with_nineteen_items():
    table = load_default()
    assert table.version == "GD-2021-default"
    assert table.applies_from == D("2021-06-05")
    assert table.is_default is True
    expected = {f"A11.{n}" for n in range(1, 10)} | {f"A12.{n}" for n in range(1, 11)}
    assert len(table.items) == 19
    assert set(table.items) == expected
    assert set(table.rewards) == {"R16", "R17.1", "R17.2", "R17.3"}
    for item in table.items.values():
        assert Decimal(0) < item.points <= item.intentional_points <= Decimal(12)
        assert_two_places(item.points)
    assert table.items["A11.9"].points == table.items["A11.9"].intentional_points == Decimal(12)


def _valid_table() -> dict:
    return {
        "version": "T-1",
        "applies_from": "2024-01-01",
        "items": [
            {
                "code": "A11.1",
                "objects": ["product"],
                "title": "t",
                "points": 3,
                "intentional_points": 6,
                "repairable": True,
            },
            {
                "code": "A12.1",
                "objects": ["producer", "seller"],
                "points": 3,
                "intentional_points": 6,
            },
        ],
        "rewards": [{"code": "R16", "objects": ["product"], "points": 1}],
    }


def test_scoring_table_minimal_valid_table_parses():
    table = parse_table(_valid_table())
    assert table.applies_from == D("2024-01-01")
    assert table.is_default is False
    assert table.items["A11.1"].points == Decimal("3.00")
    assert table.items["A12.1"].repairable is True


def _with(path: tuple, value) -> dict:
    raw = copy.deepcopy(_valid_table())
    node = raw
    for step in path[:-1]:
        node = node[step]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return raw


_DELETE = object()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        pytest.param(
            _with(("items", 0, "colour"), "red"),
            ["unknown field", "colour"],
            id="unknown-item-field",
        ),
        pytest.param(_with(("owner",), "x"), ["unknown field", "owner"], id="unknown-table-field"),
        pytest.param(
            _with(("rewards", 0, "bonus"), 1), ["unknown field", "bonus"], id="unknown-reward-field"
        ),
        pytest.param(
            _with(("items", 0, "points"), _DELETE), ["missing field", "points"], id="missing-points"
        ),
        pytest.param(
            _with(("items", 1, "intentional_points"), _DELETE),
            ["missing field", "intentional_points"],
            id="missing-intentional",
        ),
        pytest.param(_with(("items",), _DELETE), ["missing field", "items"], id="missing-items"),
        pytest.param(
            _with(("version",), _DELETE), ["missing field", "version"], id="missing-version"
        ),
        pytest.param(_with(("items", 0, "points"), 0), ["A11.1", "points"], id="points-0"),
        pytest.param(_with(("items", 0, "points"), 13), ["A11.1", "13"], id="points-13"),
        pytest.param(_with(("items", 0, "points"), -3), ["A11.1", "points"], id="points-negative"),
        pytest.param(
            _with(("items", 0, "intentional_points"), 13), ["A11.1", "13"], id="intentional-13"
        ),
        pytest.param(
            _with(("items", 0, "points"), 2.55), ["A11.1", "decimal"], id="points-two-decimals"
        ),
        pytest.param(
            _with(("items", 0, "points"), "three"), ["A11.1", "number"], id="points-not-a-number"
        ),
        pytest.param(
            _with(("items", 0, "intentional_points"), 2),
            ["A11.1", "intentional_points"],
            id="intentional-lighter",
        ),
        pytest.param(_with(("items", 1, "code"), "A11.1"), ["A11.1", "twice"], id="duplicate-code"),
        pytest.param(
            _with(("items", 0, "objects"), ["product", "consumer"]),
            ["A11.1", "consumer"],
            id="unknown-object-kind",
        ),
        pytest.param(_with(("items", 0, "objects"), []), ["A11.1", "objects"], id="no-object-kind"),
        pytest.param(
            _with(("rewards", 0, "objects"), ["buyer"]),
            ["R16", "buyer"],
            id="reward-unknown-object-kind",
        ),
        pytest.param(_with(("applies_from",), "2024-13-01"), ["applies_from"], id="bad-date"),
        pytest.param(_with(("items",), []), ["items"], id="no-items"),
        pytest.param(["not", "a", "mapping"], ["mapping"], id="not-a-mapping"),
    ],
)
def test_scoring_table_bad_table_gives_table_error_naming_the_problem(raw, words):
    with pytest.raises(TableError) as caught:
        parse_table(raw)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_scoring_table_duplicate_reward_code_is_refused():
    raw = _valid_table()
    raw["rewards"].append({"code": "R16", "objects": ["product"], "points": 1})
    with pytest.raises(TableError, match="R16"):
        parse_table(raw)


def _version(name: str, applies_from: str) -> ScoringTable:
    return parse_table({**_valid_table(), "version": name, "applies_from": applies_from})


def test_scoring_table_in_force_is_the_latest_applying_on_or_before_the_date():
    tables = [
        _version("v2", "2024-01-01"),
        _version("v1", "2021-06-05"),
        _version("v3", "2026-07-01"),
    ]
    assert table_in_force(tables, D("2021-06-04")) is None
    assert table_in_force(tables, D("2021-06-05")).version == "v1"
    assert table_in_force(tables, D("2023-12-31")).version == "v1"
    assert table_in_force(tables, D("2024-01-01")).version == "v2"
    assert table_in_force(tables, D("2026-06-30")).version == "v2"
    assert table_in_force(tables, D("2026-07-01")).version == "v3"
    assert table_in_force(list(reversed(tables)), D("2025-01-01")).version == "v2"
    assert table_in_force([], D("2025-01-01")) is None


# --- R-VALIDITY (Art. 36) and format version 2 of the table (interchange §3) ----------------

DEMO_SUCCESSOR = ROOT / "data" / "scoring_tables" / "demo" / "GD-2026-demo-successor.yaml"
REGULATION = {
    "title": "广东省市场监督管理局产品质量信用分类监管规范",
    "number": "粤市监规字〔2021〕5号",
}


def test_r_validity_format_2_fields_are_parsed():
    raw = _valid_table()
    raw["regulation"] = dict(REGULATION)
    raw["applies_until"] = "2026-06-04"
    raw["items"][1]["spot_check"] = True
    table = parse_table(raw)
    assert table.applies_until == D("2026-06-04")
    assert table.regulation.title == REGULATION["title"]
    assert table.regulation.number == "粤市监规字〔2021〕5号"
    assert table.items["A12.1"].spot_check is True
    assert table.items["A11.1"].spot_check is True  # a failed spot check always is


def test_r_validity_a_file_without_the_new_fields_stays_valid():
    table = parse_table(_valid_table())
    assert table.applies_until is None and table.regulation is None
    # spot_check defaults to false, except A11.1 (the failed spot check itself, Art. 19)
    assert {c: i.spot_check for c, i in table.items.items()} == {"A11.1": True, "A12.1": False}


def test_r_validity_reward_points_are_parsed():
    raw = _valid_table()
    raw["rewards"].append({"code": "R17.1", "objects": ["producer"], "points": 1.5})
    table = parse_table(raw)
    assert table.rewards["R16"].points == Decimal("1.00")
    assert table.rewards["R17.1"].points == Decimal("1.50")
    assert table.rewards["R17.1"].objects == ("producer",)


def test_r_validity_applies_until_may_equal_applies_from():
    table = parse_table({**_valid_table(), "applies_until": "2024-01-01"})
    assert table.covers(D("2024-01-01"))
    assert not table.covers(D("2024-01-02")) and not table.covers(D("2023-12-31"))


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        pytest.param(_with(("version",), ""), ["version", "non-empty"], id="empty-version"),
        pytest.param(_with(("version",), "   "), ["version", "non-empty"], id="blank-version"),
        pytest.param(_with(("version",), 2026), ["version", "non-empty"], id="number-version"),
        pytest.param(_with(("items", 0, "code"), "B11.1"), ["A11.1", "B11.1"], id="item-code-b"),
        pytest.param(_with(("items", 0, "code"), "11.1"), ["A11.1", "11.1"], id="item-code-bare"),
        pytest.param(_with(("items", 0, "code"), 11), ["A11.1", "11"], id="item-code-number"),
        pytest.param(_with(("rewards", 0, "code"), "A16"), ["R16", "A16"], id="reward-code-a"),
        pytest.param(_with(("rewards", 0, "code"), "16"), ["R16", "16"], id="reward-code-bare"),
        pytest.param(
            _with(("applies_until",), "2023-12-31"),
            ["applies_until", "2023-12-31", "before", "2024-01-01"],
            id="until-before-from",
        ),
        pytest.param(
            _with(("applies_until",), "2026-02-30"), ["applies_until", "date"], id="until-bad"
        ),
        pytest.param(_with(("applies_until",), 2026), ["applies_until", "date"], id="until-int"),
        pytest.param(
            _with(("regulation",), {"title": "规范"}), ["regulation", "number"], id="reg-no-number"
        ),
        pytest.param(
            _with(("regulation",), {"title": " ", "number": "粤市监规字〔2021〕5号"}),
            ["regulation", "title"],
            id="reg-blank-title",
        ),
        pytest.param(
            _with(("regulation",), {**REGULATION, "year": 2021}),
            ["regulation", "unknown field", "year"],
            id="reg-unknown-field",
        ),
        pytest.param(
            _with(("regulation",), "粤市监规字〔2021〕5号"),
            ["regulation", "mapping"],
            id="reg-text",
        ),
        pytest.param(
            _with(("items", 1, "spot_check"), "yes"), ["A12.1", "spot_check"], id="spot-not-bool"
        ),
        pytest.param(
            _with(("items", 0, "spot_check"), False),
            ["A11.1", "spot_check", "Art. 19"],
            id="a11-1-not-spot-check",
        ),
    ],
)
def test_r_validity_bad_version_2_fields_and_codes_are_refused(raw, words):
    with pytest.raises(TableError) as caught:
        parse_table(raw)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def _period(name: str, applies_from: str, applies_until: str | None = None) -> ScoringTable:
    raw = {**_valid_table(), "version": name, "applies_from": applies_from}
    if applies_until is not None:
        raw["applies_until"] = applies_until
    return parse_table(raw)


def test_r_validity_no_version_covers_a_day_after_the_last_one_ends():
    spec = _period("spec", "2021-06-05", "2026-06-04")
    assert table_in_force([spec], D("2021-06-04")) is None
    assert table_in_force([spec], D("2021-06-05")).version == "spec"
    assert table_in_force([spec], D("2026-06-04")).version == "spec"  # the last day in force
    assert table_in_force([spec], D("2026-06-05")) is None
    assert latest_started([spec], D("2026-06-05")).version == "spec"  # what the refusal names
    successor = _period("next", "2026-06-05")
    assert table_in_force([spec, successor], D("2026-06-05")).version == "next"
    assert table_in_force([successor, spec], D("2026-06-04")).version == "spec"
    assert table_in_force([spec, successor], D("2040-01-01")).version == "next"  # open-ended


def test_r_validity_a_gap_between_versions_is_covered_by_none():
    first = _period("first", "2021-06-05", "2026-06-04")
    later = _period("later", "2026-07-01", "2031-06-30")
    tables = [first, later]
    assert table_in_force(tables, D("2026-06-30")) is None
    assert table_in_force(tables, D("2026-07-01")).version == "later"
    assert table_in_force(tables, D("2031-07-01")) is None


def test_r_validity_overlapping_versions_are_found():
    spec = _period("spec", "2021-06-05", "2026-06-04")
    assert overlapping([spec], _period("in", "2026-06-04")).version == "spec"  # last day
    assert overlapping([spec], _period("next", "2026-06-05")) is None
    assert overlapping([spec], _period("around", "2020-01-01", "2021-06-05")).version == "spec"
    assert overlapping([spec], _period("before", "2020-01-01", "2021-06-04")) is None
    assert overlapping([spec], _period("same-start", "2021-06-05")).version == "spec"
    # An open-ended version ends where the next one starts: no overlap either way.
    open_old = _period("open", "2021-06-05")
    assert overlapping([open_old], _period("after", "2024-01-01", "2024-12-31")) is None
    assert overlapping([spec], _period("open-before", "2019-01-01")) is None
    # The same version published again is not an overlap with itself.
    assert overlapping([spec], spec) is None


def test_r_validity_administrators_are_warned_from_90_days_before_the_end():
    spec = _period("spec", "2021-06-05", "2026-06-04")
    assert ending_soon([spec], D("2026-03-05")) is None  # 91 days before the last day
    assert ending_soon([spec], D("2026-03-06")).version == "spec"  # 90 days
    assert ending_soon([spec], D("2026-06-04")).version == "spec"
    assert ending_soon([spec], D("2026-11-26")).version == "spec"  # ended, still no successor
    successor = _period("next", "2026-06-05")
    assert ending_soon([spec, successor], D("2026-05-01")) is None
    assert ending_soon([spec, successor], D("2026-11-26")) is None  # open-ended successor
    assert ending_soon([_period("open", "2021-06-05")], D("2026-11-26")) is None


def test_r_validity_the_shipped_default_ends_with_the_spec():
    table = load_default()
    assert (table.applies_from, table.applies_until) == (D("2021-06-05"), D("2026-06-04"))
    assert table.regulation.number == "粤市监规字〔2021〕5号"
    assert "产品质量信用分类监管规范" in table.regulation.title
    spot = {code for code, item in table.items.items() if item.spot_check}
    assert spot == {"A11.1", "A12.2", "A12.4"}  # rules §11


def test_r_validity_the_demo_successor_is_marked_and_follows_the_default():
    raw = yaml.safe_load(DEMO_SUCCESSOR.read_text(encoding="utf-8"))
    demo = parse_table(raw)
    default = load_default()
    assert demo.applies_from == default.applies_until + timedelta(days=1)
    assert demo.applies_until is None
    assert "demo" in demo.version and "演示" in demo.regulation.title and "演示" in raw["note"]
    assert demo.items == default.items and demo.rewards == default.rewards
    assert overlapping([default], demo) is None


# --- points: two places, lines add up (§3) --------------------------------------------------


def test_score_lines_add_up_to_points_and_points_have_two_places():
    base = ded(-3, "2023-01-10", "M1")
    second = ded(-3, "2023-06-10", "M2")
    twin = ded(-6, "2023-06-10", "M2", item="A11.3")
    f0, f90 = failure(0, matter="SC-1"), failure(90, matter="SC-2")
    entries = [
        start("2022-12-01"),
        base,
        repair(base, 3, "2023-03-01"),
        second,
        twin,
        repair(twin, 3, "2023-08-01"),
        f0,
        f90,
        repair(f90, "1.5", DAY0 + timedelta(days=120)),
        reward(1, "2024-01-10"),
        reward("1.5", "2024-02-10"),
        reward(1, "2024-03-10"),
    ]
    score = score_object(entries, D("2024-12-31"))
    # 12 + 0 (M1 repaired) - 3 (M2: twin -6 repaired by 3, base -3) - 3 (SC-1) + 0 (SC-2) + 2
    assert score.points == Decimal("8.00")
    assert sum(ln.points for ln in score.lines) == score.points
    assert_two_places(score.points)
    for ln in score.lines:
        assert_two_places(ln.points)
    assert score.lines[0].kind == "START"
    assert score.lines[0].points == Decimal("12.00")


# --- publication of dishonesty matters (Art. 7, 15, 29; rules §10) -------------------------


def test_r_window_a_matter_is_published_up_to_the_day_before_it_drops_out():
    from app.scoring.disclosure import published_on, published_until

    assert published_until(D("2023-11-27")) == D("2026-11-26")
    assert published_until(D("2023-03-31")) == D("2026-03-30")  # drops out 2026-03-31
    assert published_until(D("2024-02-29")) == D("2027-02-27")  # drops out 2027-02-28
    assert published_on(D("2023-11-27"), D("2026-11-26"))
    assert not published_on(D("2023-11-27"), D("2026-11-27"))
    assert not published_on(D("2026-11-27"), D("2026-11-26"))  # not in effect yet
    # The last day published is the last day it counts in the score.
    d = ded(-3, "2023-11-27")
    assert points([d], "2026-11-26") == P(9) and points([d], "2026-11-27") == P(12)


def test_r_repair_one_matter_a_repair_on_one_object_repairs_the_matter_for_the_operator():
    from app.scoring.disclosure import repaired_matters

    on_product = ded(-4, "2026-10-01", "M-1", obj=1)
    on_producer = ded(-4, "2026-10-01", "M-1", obj=2)
    other = ded(-2, "2026-10-05", "M-2", obj=2)
    fixed = repair(on_product, 4, "2026-11-20")
    entries = [on_product, on_producer, other, fixed]
    assert repaired_matters(entries, D("2026-11-20")) == {"M-1": D("2026-11-20")}
    assert repaired_matters(entries, D("2026-11-19")) == {}  # not verified yet (R-EFFECTIVE)


def test_r_repair_keep_a_voided_repair_or_a_revoked_deduction_repairs_nothing():
    from app.scoring.disclosure import repaired_matters

    d = ded(-4, "2026-10-01", "M-1")
    fixed = repair(d, 4, "2026-11-20")
    assert repaired_matters([d, fixed, void(fixed, "2026-11-20")], D("2026-11-26")) == {}
    assert repaired_matters([d, fixed, void(d, "2026-10-01")], D("2026-11-26")) == {}


# --- which items an item may go with (Art. 12(1), rules §12) ------------------------------------


def test_art_12_1_the_shipped_tables_state_what_a12_1_goes_with():
    for path in sorted(DEFAULT_TABLE.parent.rglob("*.yaml")):
        table = parse_table(yaml.safe_load(path.read_text(encoding="utf-8")))
        a12_1 = table.items["A12.1"]
        assert a12_1.with_items["seller"] == ("A11.2", "A11.3", "A11.5", "A11.6", "A11.7"), path
        assert a12_1.with_items["producer"] == tuple(f"A11.{n}" for n in range(2, 10)), path
        assert a12_1.article == "Art. 12(1)"


@pytest.mark.parametrize(
    ("codes", "kind", "scored"),
    [
        (["A11.5", "A12.1"], "seller", True),
        (["A11.7", "A12.1"], "seller", True),
        (["A11.4", "A12.1"], "seller", False),
        (["A11.8", "A12.1"], "seller", False),
        (["A11.9", "A12.1"], "seller", False),
        (["A12.1"], "seller", False),
        (["A11.4", "A12.1"], "producer", True),
        (["A11.9", "A12.1"], "producer", True),
        (["A11.1", "A12.1"], "producer", False),
    ],
)
def test_art_12_1_a12_1_scores_only_with_the_items_the_table_names(codes, kind, scored):
    table = load_default()
    if scored:
        assert table.heaviest(codes, kind, False).code == "A12.1"
    else:
        with pytest.raises(TableError, match=r"only together with .*\(Art\. 12\(1\)"):
            table.heaviest(codes, kind, False)


def test_art_12_1_another_item_of_the_matter_still_scores_the_seller():
    # A12.1 does not go with A11.4 for a seller, but A12.8 does not depend on it (R-MAX).
    assert load_default().heaviest(["A11.4", "A12.1", "A12.8"], "seller", False).code == "A12.8"


def test_art_12_1_with_is_optional_and_checked():
    assert parse_table(_valid_table()).items["A12.1"].with_items == {}
    ok = _with(("items", 1, "with"), {"seller": ["A11.1"]})
    assert parse_table(ok).items["A12.1"].with_items == {"seller": ("A11.1",)}
    for bad, words in (
        ({"seller": ["A11.9"]}, ["with.seller", "A11.9", "not an item"]),
        ({"product": ["A11.1"]}, ["with", "product", "not one of its objects"]),
        ({"seller": []}, ["with.seller", "non-empty"]),
        (["A11.1"], ["with must map"]),
    ):
        with pytest.raises(TableError) as caught:
            parse_table(_with(("items", 1, "with"), bad))
        for word in words:
            assert word in str(caught.value)
