"""Edges of the scoring rules that totals alone do not show (docs/rules.md §2-5, 12).

The tests in test_scoring_rules.py pin each rule by its effect on a score; these pin what
mutation testing of `app/scoring` (scripts/mutation, docs/mutation.md) found unpinned: the
repair functions the services call, boundaries of the repair rules, and the explanation
lines of a score (points, notes, expiry dates, item, via and their order). Pure: ledger
entries built by hand, no database.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.scoring import (
    Entry,
    EntryKind,
    Line,
    MatterEffect,
    Reward,
    Score,
    TableError,
    matter_effect,
    parse_table,
    repairs,
    score_family,
    score_object,
    score_operator,
)
from app.scoring.classes import run_days
from app.scoring.disclosure import published_on, repaired_matters
from app.scoring.engine import NOTE_CAP, NOTE_ONCE, NOTE_R180
from app.scoring.repairs import (
    FULL,
    HALF,
    effective_deduction,
    matter_repair,
    rebased_repair,
    repair_limit_reached,
    repair_points,
    repair_refusals,
    repair_share,
    repaired_matter_dates,
)
from app.scoring.rewards import clean_year_runs
from app.scoring.scope import CatalogueError, Decision, Family, Scope, parse_catalogue
from app.scoring.table import overlapping
from tests.unit.test_scoring_rules import (
    _DELETE,
    DAY0,
    D,
    P,
    _period,
    _valid_table,
    _with,
    ded,
    failure,
    line_of,
    repair,
    reward,
    start,
    void,
)

KEY = "P|GB 1|Brand|X1"
NOTE_CAPPED_REPAIR = "restores no more than the deduction took"


def line(entry, points, expires_on, note=None) -> Line:
    """The line an entry should show: its own date, matter, item, via and id."""
    return Line(
        entry.kind.value,
        P(points),
        entry.effective_on,
        None if expires_on is None else D(expires_on),
        entry.matter,
        entry.item,
        entry.via,
        note,
        entry.id,
    )


def start_line(points, on) -> Line:
    return Line("START", P(points), D(on), None, None, None, None, None, None)


def as_str(value: Decimal) -> str:
    """How a figure prints on a notice or a page: the exponent shows."""
    return str(value)


# --- R-REPAIR-SHARE: the deduction a repair restores --------------------------------------


def test_r_repair_share_effective_deduction_is_the_points_the_deduction_takes():
    d = ded(-3, "2024-01-10")
    entries = [start("2023-01-01"), ded(-2, "2023-06-01"), d]
    taken = effective_deduction(d, entries, D("2024-03-01"))
    assert taken == Decimal("-3.00")
    assert as_str(taken) == "-3.00"
    # On its own effective date it already takes its points; the day before, nothing.
    assert effective_deduction(d, entries, D("2024-01-10")) == Decimal("-3.00")
    assert as_str(effective_deduction(d, entries, D("2024-01-09"))) == "0.00"


def test_r_repair_share_effective_deduction_of_a_voided_deduction_is_zero_from_the_void():
    d = ded(-3, "2024-01-10")
    entries = [d, void(d, "2024-02-01")]
    assert effective_deduction(d, entries, D("2024-01-31")) == Decimal("-3.00")
    assert as_str(effective_deduction(d, entries, D("2024-02-01"))) == "0.00"


def test_r_repair_share_effective_deduction_of_a_merged_failure_is_zero():
    first, second = failure(0, KEY), failure(100, KEY)
    entries = [second, first]
    on = DAY0 + timedelta(days=120)
    assert effective_deduction(first, entries, on) == Decimal("-3.00")
    assert as_str(effective_deduction(second, entries, on)) == "0.00"
    # Until the first failure is on the ledger, the second is the scored one.
    alone = [second]
    assert effective_deduction(second, alone, on) == Decimal("-3.00")


def test_r_repair_share_same_day_deductions_the_lower_matter_ref_is_the_first():
    # R-ORDER: same date, then matter ref; the ids (order of recording) do not decide.
    later_ref = ded(-3, "2024-01-10", "M-B")
    earlier_ref = ded(-3, "2024-01-10", "M-A")  # recorded after, higher id
    on = D("2024-03-01")
    for entries in ([later_ref, earlier_ref], [earlier_ref, later_ref]):
        assert repair_share(earlier_ref, entries, on) == FULL
        assert repair_share(later_ref, entries, on) == HALF


def test_r_repair_share_earlier_deduction_of_the_same_matter_does_not_make_it_later():
    # One matter is one deduction for the object (R-ONCE): its other entry is not "earlier".
    first = ded(-6, "2024-01-10", "M-1", item="A11.3")
    same_matter = ded(-3, "2024-02-10", "M-1")
    on = D("2024-03-01")
    assert repair_share(same_matter, [first, same_matter], on) == FULL
    # Another matter effective before it does.
    other = ded(-1, "2024-01-20", "M-0", item="A11.7")
    assert repair_share(same_matter, [first, other, same_matter], on) == HALF


def test_r_repair_share_earlier_failure_merged_under_r180_took_nothing():
    # f0 scored, f150 merged into it; the deduction of 2024-01-05 is after f0's window (it
    # ended 2024-01-01) and inside f150's, but f150 took nothing: it is the first, 100 %.
    f0 = ded(-3, "2021-01-01", "SC-1", key=KEY)
    f150 = ded(-3, "2021-05-31", "SC-2", key=KEY)
    target = ded(-2, "2024-01-05", "M-9", item="A11.7")
    on = D("2024-02-01")
    assert repair_share(target, [f0, f150, target], on) == FULL
    # Without the merge (another model: a scored failure of its own) it is a later one.
    f150_other = ded(-3, "2021-05-31", "SC-2", key="P|GB 1|Brand|X2")
    assert repair_share(target, [f0, f150_other, target], on) == HALF


def test_r_repair_share_a_merged_failure_met_first_does_not_hide_a_later_scored_one():
    # Whatever order the ledger gives, a merged failure is passed over, not an end.
    f0, f50 = failure(0, KEY, matter="SC-1"), failure(50, KEY, matter="SC-2")
    target = ded(-2, DAY0 + timedelta(days=60), "M-9", item="A11.7")
    on = DAY0 + timedelta(days=90)
    for entries in ([f50, f0, target], [target, f50, f0], [f0, f50, target]):
        assert repair_share(target, entries, on) == HALF


def test_r_repair_share_refusal_of_an_inexact_share_names_the_figures():
    with pytest.raises(ValueError) as caught:
        repair_points(Decimal("-2.55"), HALF)
    assert str(caught.value) == "repair of -2.55 at 0.5 is not a whole number of cents"


# --- R-REPAIR-ONE-MATTER ---------------------------------------------------------------------


def _product_and_producer():
    earlier = ded(-4, "2023-01-10", "M-0", obj=1)
    on_product = ded(-3, "2024-01-10", "M-1", obj=1)
    on_producer = ded(-6, "2024-01-10", "M-1", obj=9, item="A12.2")
    product = [start("2022-01-01", obj=1), earlier, on_product]
    producer = [start("2022-01-01", obj=9), on_producer]
    return on_product, product, on_producer, producer


def test_r_repair_one_matter_restores_each_object_by_its_own_share():
    on_product, product, on_producer, producer = _product_and_producer()
    restored = matter_repair([(on_product, product), (on_producer, producer)], D("2024-03-01"))
    # The product had an earlier deduction (50 %); the producer had none (100 %).
    assert restored == [(on_product, Decimal("1.50")), (on_producer, Decimal("6.00"))]
    assert [as_str(points) for _, points in restored] == ["1.50", "6.00"]
    backwards = matter_repair([(on_producer, producer), (on_product, product)], D("2024-03-01"))
    assert backwards == [(on_producer, Decimal("6.00")), (on_product, Decimal("1.50"))]


def test_r_repair_one_matter_counts_from_the_deductions_own_effective_date():
    on_product, product, on_producer, producer = _product_and_producer()
    pairs = [(on_product, product), (on_producer, producer)]
    assert [d for d, _ in matter_repair(pairs, D("2024-01-10"))] == [on_product, on_producer]
    assert matter_repair(pairs, D("2024-01-09")) == []


def test_r_repair_one_matter_restores_nothing_once_the_deduction_left_the_window():
    on_product, product, on_producer, producer = _product_and_producer()
    pairs = [(on_product, product), (on_producer, producer)]
    assert len(matter_repair(pairs, D("2027-01-09"))) == 2
    assert matter_repair(pairs, D("2027-01-10")) == []


def test_r_repair_one_matter_skips_a_deduction_already_repaired():
    on_product, product, on_producer, producer = _product_and_producer()
    fixed = repair(on_producer, 6, "2024-02-01")
    other_fix = repair(product[1], 2, "2024-02-01")  # a repair of another deduction
    pairs = [(on_producer, [*producer, fixed]), (on_product, [*product, other_fix])]
    assert matter_repair(pairs, D("2024-03-01")) == [(on_product, Decimal("1.50"))]
    # The repair is not yet effective the day before: both are still to restore.
    assert len(matter_repair(pairs, D("2024-01-31"))) == 2
    # A voided repair no longer counts as one.
    pairs = [(on_producer, [*producer, fixed, void(fixed, "2024-02-15")])]
    assert matter_repair(pairs, D("2024-03-01")) == [(on_producer, Decimal("6.00"))]


def test_r_repair_one_matter_skips_a_failure_merged_under_r180():
    # SC-2's A11.1 on the product is merged (nothing to restore); the producer's A12.2 of the
    # same matter scored as usual and is restored in full.
    first, second = failure(0, KEY, matter="SC-1"), failure(100, KEY, matter="SC-2")
    product = [first, second]
    own = ded(-6, DAY0 + timedelta(days=100), "SC-2", obj=9, item="A12.2")
    on = DAY0 + timedelta(days=120)
    assert matter_repair([(second, product), (own, [own])], on) == [(own, Decimal("6.00"))]
    assert matter_repair([(second, product)], on) == []
    assert matter_repair([(first, product)], on) == [(first, Decimal("3.00"))]


def test_r_repair_one_matter_a_deduction_not_yet_effective_does_not_stop_the_others():
    on_product = ded(-3, "2024-01-10", "M-1", obj=1)
    on_producer = ded(-6, "2024-03-01", "M-1", obj=9, item="A12.2")  # determined later
    pairs = [(on_producer, [on_producer]), (on_product, [on_product])]
    assert matter_repair(pairs, D("2024-02-01")) == [(on_product, Decimal("3.00"))]
    assert matter_repair(pairs, D("2024-03-01")) == [
        (on_producer, Decimal("6.00")),
        (on_product, Decimal("3.00")),
    ]


def test_r_repair_limit_counts_a_matter_once_at_its_earliest_repair():
    repairs = [
        ("M-1", D("2024-05-01")),
        ("M-2", D("2024-03-01")),
        ("M-1", D("2024-02-01")),
        ("M-1", D("2024-06-01")),
    ]
    assert repaired_matter_dates(repairs) == [D("2024-02-01"), D("2024-03-01")]
    assert repaired_matter_dates([]) == []


# --- R-REPAIR-LIMIT ----------------------------------------------------------------------------


def test_r_repair_limit_backdated_repair_that_becomes_the_earliest_of_three_is_refused():
    existing = [D("2024-01-10"), D("2025-01-10")]
    assert repair_limit_reached(existing, D("2023-06-01")) is True
    # The same date as the earliest repair is inside too.
    assert repair_limit_reached(existing, D("2024-01-10")) is True
    # Far enough back, the three no longer share a window.
    assert repair_limit_reached(existing, D("2022-01-10")) is False
    assert repair_limit_reached(existing, D("2022-01-11")) is True


# --- R-REPAIR-ELIGIBLE -----------------------------------------------------------------------


_REASONS = {
    "window": repairs.NO_LONGER_COUNTS,
    "impact": repairs.NOT_REPAIRABLE,
    "zero": repairs.NOTHING_TAKEN,
    "repaired": repairs.ALREADY_REPAIRED,
    "intent": repairs.NOT_SHOWN_UNINTENTIONAL,
    "rectified": repairs.NOT_RECTIFIED,
    "filing": repairs.FILING_INCOMPLETE,
    "limit": repairs.LIMIT_REACHED,
}


def _eligible(**changes) -> list[str]:
    values = dict(
        deduction=ded(-3, "2024-01-10"),
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
    return repair_refusals(**{**values, **changes})


def test_r_repair_eligible_every_refusal_is_given_in_order_each_naming_its_article():
    reasons = _eligible(
        on=D("2027-01-10"),
        major_impact=True,
        taken=P(0),
        already_repaired=True,
        shows_not_intentional=False,
        rectified_confirmed=False,
        filing_complete=False,
        limit_reached=True,
    )
    assert reasons == list(_REASONS.values())
    assert len(set(reasons)) == 8
    assert all("(Art. " in reason for reason in reasons)


def test_r_repair_eligible_on_the_deductions_own_effective_date_it_may_be_repaired():
    assert _eligible(on=D("2024-01-10")) == []
    assert _eligible(on=D("2024-01-09")) == [_REASONS["window"]]
    assert _eligible(on=D("2027-01-09")) == []
    assert _eligible(on=D("2027-01-10")) == [_REASONS["window"]]


# --- explanation lines (R-WINDOW, R-ONCE, R-180, R-REPAIR-EXPIRY, R-REWARD-CAP) -------------


def test_r_start_unscored_object_is_a_score_as_of_its_date_without_lines():
    on = D("2024-06-01")
    assert score_object([], on) == Score(on, None, "O", None, ())
    assert score_operator([], {1: []}, on) == Score(on, None, "O", None, ())


def test_r_once_lines_of_a_matter_counted_once_name_why_and_when_they_drop_out():
    # One matter, two deductions on the object: the heavier counts; the other and its repair
    # are shown at 0 with the R-ONCE note, dropping out with that deduction (2027-02-10).
    heavy = ded(-6, "2024-01-10", "M-1", item="A11.3")
    light = ded(-3, "2024-02-10", "M-1", item="A11.1")
    fix = repair(light, 3, "2024-03-01")
    score = score_object([light, fix, heavy], D("2024-06-01"))
    assert score.points == Decimal("6.00")
    assert score.lines == (
        start_line(12, "2024-01-10"),
        line(heavy, -6, "2027-01-10"),
        line(light, 0, "2027-02-10", NOTE_ONCE),
        line(fix, 0, "2027-02-10", NOTE_ONCE),
    )


def test_r_repair_expiry_repair_lines_in_date_order_restore_no_more_than_was_taken():
    d = ded(-3, "2024-01-10", "M-1")
    recorded_first = repair(d, 3, "2024-03-01")
    backdated = repair(d, 3, "2024-02-01")  # recorded later, effective earlier
    score = score_object([d, recorded_first, backdated], D("2024-06-01"))
    assert score.points == Decimal("12.00")
    # Each repair line drops out with the deduction (R-REPAIR-EXPIRY), not on its own date.
    assert score.lines == (
        start_line(12, "2024-01-10"),
        line(d, -3, "2027-01-10"),
        line(backdated, 3, "2027-01-10"),
        line(recorded_first, 0, "2027-01-10", NOTE_CAPPED_REPAIR),
    )


def test_r_repair_expiry_partial_repair_line_is_cut_to_what_is_left():
    d = ded(-3, "2024-01-10", "M-1")
    half = repair(d, "1.5", "2024-02-01")
    full = repair(d, 3, "2024-03-01")
    score = score_object([full, half, d], D("2024-06-01"))
    assert score.lines[1:] == (
        line(d, -3, "2027-01-10"),
        line(half, "1.5", "2027-01-10"),
        line(full, "1.5", "2027-01-10", NOTE_CAPPED_REPAIR),
    )


def test_r_180_merged_failure_line_and_its_repair():
    first = failure(0, KEY, matter="SC-1")
    second = failure(100, KEY, matter="SC-2")
    fix = repair(second, 3, DAY0 + timedelta(days=110))
    score = score_object([first, second, fix], DAY0 + timedelta(days=120))
    assert score.lines == (
        start_line(12, DAY0),
        line(first, -3, "2027-01-01"),
        line(second, 0, "2027-04-10", NOTE_R180),
        line(fix, 0, "2027-04-10", NOTE_CAPPED_REPAIR),
    )


def test_r_reward_cap_reward_lines_in_date_order_with_their_own_expiry():
    late = reward(1, "2024-03-10")
    early = reward("1.5", "2024-01-10")
    middle = reward(1, "2024-02-10")
    score = score_object([late, early, middle], D("2024-06-01"))
    assert score.points == Decimal("14.00")
    assert score.lines == (
        start_line(12, "2024-01-10"),
        line(early, "1.5", "2027-01-10"),
        line(middle, "0.5", "2027-02-10", NOTE_CAP),
        line(late, 0, "2027-03-10", NOTE_CAP),
    )


def test_r_score_producer_lines_name_the_item_and_the_product_they_came_through():
    own = ded(-2, "2024-01-05", "M-0", obj=9, item="A12.6")
    through = ded(-3, "2024-02-01", "M-1", obj=1, item="A11.7", via="某牌 X1")
    score = score_operator([own], {1: [through]}, D("2024-06-01"))
    assert score.points == Decimal("7.00")
    assert score.lines == (
        start_line(12, "2024-01-05"),
        line(own, -2, "2027-01-05"),
        line(through, -3, "2027-02-01"),
    )
    assert score.lines[2].via == "某牌 X1"
    assert score.lines[2].item == "A11.7"


def test_r_score_producer_products_of_equal_union_score_are_explained_by_the_first():
    first = ded(-3, "2024-02-01", "M-1", obj=1, via="product 1")
    second = ded(-3, "2024-03-01", "M-2", obj=2, via="product 2")
    for products in ({1: [first], 2: [second]}, {2: [second], 1: [first]}):
        score = score_operator([], products, D("2024-06-01"))
        assert score.points == Decimal("9.00")
        assert score.lines == (start_line(12, "2024-02-01"), line(first, -3, "2027-02-01"))


def test_r_score_producer_without_explanation_gives_points_and_class_only():
    # A bulk run (the classification run) asks for no lines: every score has none.
    own = [ded(-2, "2024-01-05", "M-0", obj=9, item="A12.6")]
    products = {1: [ded(-3, "2024-02-01", "M-1", obj=1)], 2: []}
    on = D("2024-06-01")
    family = score_family(own, products, on, explain=False)
    assert family.operator == Score(on, Decimal("7.00"), "B", None, ())
    assert family.products[1] == Score(on, Decimal("9.00"), "B", None, ())
    assert family.products[2] == Score(on, None, "O", None, ())
    assert score_operator(own, products, on, explain=False) == family.operator
    alone = score_family(own, {}, on, explain=False).operator
    assert alone == Score(on, Decimal("10.00"), "B", None, ())
    explained = score_family(own, products, on)
    assert explained.operator.scored_since == D("2024-01-05")
    assert len(explained.operator.lines) == 3
    assert len(explained.products[1].lines) == 2
    assert len(score_family(own, {}, on).operator.lines) == 2


# --- R-NOTICE ----------------------------------------------------------------------------------


def test_r_notice_a_matter_not_in_the_score_states_zero_points_with_two_places():
    score = score_object([failure(0, KEY, matter="SC-1")], D("2024-02-01"))
    effect = matter_effect(score, "OTHER")
    assert effect == MatterEffect(Decimal("0.00"), False, Decimal("9.00"), "B")
    assert as_str(effect.points) == "0.00"
    assert as_str(matter_effect(score, "SC-1").points) == "-3.00"


# --- scoring table (§12): what the loader refuses, in the words an administrator reads ---------


def test_scoring_table_reward_points_title_and_objects_are_parsed():
    raw = _valid_table()
    raw["rewards"] = [
        {"code": "R16", "objects": ["product"], "points": 1, "title": "连续两年抽查合格"},
        {"code": "R17.1", "objects": ["producer", "seller"], "points": "0.5"},
    ]
    table = parse_table(raw)
    assert table.rewards == {
        "R16": Reward("R16", ("product",), Decimal("1.00"), "连续两年抽查合格"),
        "R17.1": Reward("R17.1", ("producer", "seller"), Decimal("0.50"), ""),
    }
    assert as_str(table.rewards["R16"].points) == "1.00"
    assert table.items["A11.1"].title == "t"
    assert table.items["A12.1"].title == ""  # no title given
    assert table.items["A12.1"].code == "A12.1"


def test_scoring_table_version_is_kept_without_surrounding_blanks():
    assert parse_table({**_valid_table(), "version": "  T-2 "}).version == "T-2"


def test_scoring_table_without_rewards_parses_with_none():
    assert parse_table(_with(("rewards",), _DELETE)).rewards == {}
    assert parse_table(_with(("rewards",), None)).rewards == {}


def _reward(**fields) -> dict:
    raw = _valid_table()
    raw["rewards"] = [{"code": "R16", "objects": ["product"], "points": 1, **fields}]
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(
            "table",
            "a scoring table must be a mapping with version, applies_from, items",
            id="text",
        ),
        pytest.param(
            _with(("version",), "  "), "table: version must be a non-empty string", id="blank"
        ),
        pytest.param(
            _with(("version",), 2024), "table: version must be a non-empty string", id="number"
        ),
        pytest.param(_with(("owner",), "x"), "table: unknown field 'owner'", id="table-field"),
        pytest.param(
            _with(("applies_from",), _DELETE), "table: missing field 'applies_from'", id="no-date"
        ),
        pytest.param(
            _with(("applies_from",), 20240101),
            "table: applies_from 20240101 is not a date (YYYY-MM-DD)",
            id="date-number",
        ),
        pytest.param(
            _with(("applies_from",), "2024-13-01"),
            "table: applies_from '2024-13-01' is not a date",
            id="date-text",
        ),
        pytest.param(_with(("items",), {}), "table: items must be a non-empty list", id="items"),
        pytest.param(_with(("items", 1), "A12.1"), "item #2: must be a mapping", id="item-text"),
        pytest.param(
            _with(("items", 1, "colour"), "red"), "item #2: unknown field 'colour'", id="item-field"
        ),
        pytest.param(
            _with(("items", 1, "code"), "B12.1"),
            "item #2: code must look like A11.1, got 'B12.1'",
            id="item-code-letter",
        ),
        pytest.param(
            _with(("items", 0, "code"), 11),
            "item #1: code must look like A11.1, got 11",
            id="item-code-number",
        ),
        pytest.param(
            _with(("items", 1, "code"), "A11.1"), "item A11.1: listed twice", id="item-twice"
        ),
        pytest.param(
            _with(("items", 0, "points"), True),
            "item A11.1: points must be a number, got True",
            id="points-bool",
        ),
        pytest.param(
            _with(("items", 0, "points"), "three"),
            "item A11.1: points must be a number, got 'three'",
            id="points-text",
        ),
        pytest.param(
            _with(("items", 0, "points"), 13),
            "item A11.1: points must be above 0 and at most 12, got 13",
            id="points-13",
        ),
        pytest.param(
            _with(("items", 0, "points"), 2.55),
            "item A11.1: points may have at most one decimal place, got 2.55",
            id="points-cents",
        ),
        pytest.param(
            _with(("items", 0, "intentional_points"), 2),
            "item A11.1: intentional_points must not be lighter than points",
            id="intentional-lighter",
        ),
        pytest.param(
            _with(("items", 0, "repairable"), "yes"),
            "item A11.1: repairable must be true or false",
            id="repairable",
        ),
        pytest.param(
            _with(("items", 0, "objects"), []),
            "item A11.1: objects must be a non-empty list of product, producer, seller",
            id="objects-empty",
        ),
        pytest.param(
            _with(("items", 0, "objects"), ["product", "consumer"]),
            "item A11.1: unknown object kind 'consumer'; use product, producer, seller",
            id="objects-unknown",
        ),
        pytest.param(
            {**_valid_table(), "rewards": [_valid_table()["rewards"][0], "R17"]},
            "reward #2: must be a mapping",
            id="reward-text",
        ),
        pytest.param(_reward(bonus=1), "reward #1: unknown field 'bonus'", id="reward-field"),
        pytest.param(
            _reward(code="A16"),
            "reward #1: code must look like R16 or R17.1, got 'A16'",
            id="reward-code-letter",
        ),
        pytest.param(
            _reward(code=16),
            "reward #1: code must look like R16 or R17.1, got 16",
            id="reward-code-number",
        ),
        pytest.param(
            _reward(points=0), "reward R16: points must be above 0 and at most 12, got 0", id="rp"
        ),
        pytest.param(
            _reward(objects="product"),
            "reward R16: objects must be a non-empty list of product, producer, seller",
            id="reward-objects",
        ),
        pytest.param(
            {**_valid_table(), "default": "yes"},
            "table: default must be true or false",
            id="default",
        ),
    ],
)
def test_scoring_table_refusal_says_where_and_why(raw, message):
    with pytest.raises(TableError) as caught:
        parse_table(raw)
    assert str(caught.value) == message


def test_scoring_table_matter_fitting_no_item_is_refused_naming_the_codes():
    table = parse_table(_valid_table())
    with pytest.raises(TableError) as caught:
        table.heaviest(["A11.1", "A99.1", "A99.2"], "product", False)
    assert str(caught.value) == "unknown item code A99.1, A99.2 in table T-1"
    with pytest.raises(TableError) as caught:
        table.heaviest(["A11.1", "A12.1"], "nobody", False)
    assert str(caught.value) == "item A11.1, A12.1 does not apply to a nobody (table T-1)"


# --- R-180 and R-ONCE: which entry of a matter counts ------------------------------------------


def test_r_180_a_deduction_of_another_item_does_not_merge_a_later_failure():
    # An A11.7 deduction, then a spot-check failure 30 days later, half repaired: the failure
    # is the product's first, so it scores (-3) and its repair restores 1.50.
    other = ded(-2, DAY0, "M-0", item="A11.7")
    fail = failure(30, KEY, matter="SC-1")
    fix = repair(fail, "1.5", DAY0 + timedelta(days=40))
    score = score_object([other, fail, fix], DAY0 + timedelta(days=60))
    assert score.points == Decimal("8.50")
    assert score.lines[2:] == (
        line(fail, -3, "2027-01-31"),
        line(fix, "1.5", "2027-01-31"),
    )


def test_r_180_a_matter_counts_from_its_earliest_failure():
    # SC-2 has two failure entries of the product (day 100 and day 300): it is a failure of
    # day 100, within 180 days of SC-1, so both its entries are merged.
    first = failure(0, KEY, matter="SC-1")
    early = failure(100, KEY, matter="SC-2")
    late = failure(300, KEY, matter="SC-2")
    for entries in ([first, early, late], [late, first, early], [first, late, early]):
        score = score_object(entries, DAY0 + timedelta(days=320))
        assert score.points == Decimal("9.00")
        assert line_of(score, early).note == NOTE_R180
        assert line_of(score, late).points == Decimal("0.00")


def test_r_once_deductions_of_no_matter_each_count():
    a = Entry(9001, 1, EntryKind.DEDUCTION, P(-3), D("2024-01-10"), None, "A11.7")
    b = Entry(9002, 1, EntryKind.DEDUCTION, P(-2), D("2024-02-10"), None, "A11.7")
    score = score_object([a, b], D("2024-06-01"))
    assert score.points == Decimal("7.00")
    assert score.lines[1:] == (line(a, -3, "2027-01-10"), line(b, -2, "2027-02-10"))


def test_r_once_of_equal_entries_of_a_matter_the_earliest_counts_whatever_was_recorded_first():
    later = ded(-3, "2024-02-10", "M-1", item="A11.7")  # recorded first: lower id
    earlier = ded(-3, "2024-01-10", "M-1", item="A11.6")
    score = score_object([later, earlier], D("2024-06-01"))
    assert score.points == Decimal("9.00")
    assert score.lines[1:] == (
        line(earlier, -3, "2027-01-10"),
        line(later, 0, "2027-02-10", NOTE_ONCE),
    )


# --- R-REPAIR-KEEP, R-HALFYEAR, disclosure, R-REWARD-PRODUCT, R-VALIDITY ------------------------


def test_r_repair_keep_a_corrected_deduction_keeps_its_repair_at_the_share_granted():
    replaced = ded(-3, "2024-01-10", "M-1")
    full = repair(replaced, 3, "2024-02-01")
    half = repair(replaced, "1.5", "2024-02-01")
    assert rebased_repair(full, replaced, P(-2)) == Decimal("2.00")
    assert rebased_repair(half, replaced, P(-2)) == Decimal("1.00")
    assert as_str(rebased_repair(half, replaced, P(-5))) == "2.50"
    # Just under the full amount is a 50 % repair.
    assert rebased_repair(repair(replaced, "2.99", "2024-02-01"), replaced, P(-4)) == P(2)


def test_r_halfyear_29_february_is_a_possible_run_day():
    assert run_days("01-01, 07-01") == [(1, 1), (7, 1)]
    assert run_days("02-29") == [(2, 29)]
    with pytest.raises(ValueError, match="'02-30'"):
        run_days("01-01,02-30")


def test_r_window_a_matter_is_published_from_its_effective_day():
    assert published_on(D("2024-01-10"), D("2024-01-10")) is True
    assert published_on(D("2024-01-10"), D("2024-01-09")) is False
    assert published_on(D("2024-01-10"), D("2027-01-09")) is True
    assert published_on(D("2024-01-10"), D("2027-01-10")) is False


def test_r_repair_one_matter_is_shown_repaired_from_its_earliest_live_repair():
    d = ded(-3, "2024-01-10", "M-1")
    early, late = repair(d, 3, "2024-02-01"), repair(d, 3, "2024-05-01")
    for entries in ([d, early, late], [d, late, early]):
        assert repaired_matters(entries, D("2024-06-01")) == {"M-1": D("2024-02-01")}
    assert repaired_matters([d, early, late], D("2024-01-31")) == {}


def test_r_reward_product_a_check_on_the_day_of_the_proposal_counts():
    results = [(D("2025-05-01"), True), (D("2026-11-26"), True)]
    assert clean_year_runs(results, D("2026-11-26")) == [(2025, 2026)]
    assert clean_year_runs(results, D("2026-11-25")) == []


def test_r_validity_a_version_of_the_same_name_is_passed_over_not_an_end():
    spec = _period("spec", "2021-06-05", "2026-06-04")
    again = _period("next", "2026-06-05")
    assert overlapping([again, spec], _period("next", "2026-06-01")).version == "spec"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"applies_until": "2024-13-01"}, "table: applies_until '2024-13-01' is not a date"),
        ({"regulation": "GD"}, "table: regulation must be a mapping with title and number"),
        ({"regulation": {"title": "t"}}, "regulation: missing field 'number'"),
        (
            {"regulation": {"title": " ", "number": "n"}},
            "regulation: title must be a non-empty string",
        ),
        (
            {"regulation": {"title": "t", "number": 7}},
            "regulation: number must be a non-empty string",
        ),
    ],
)
def test_r_validity_table_refusal_says_where_and_why(changes, message):
    with pytest.raises(TableError) as caught:
        parse_table({**_valid_table(), **changes})
    assert str(caught.value) == message


# --- R-SCOPE: the catalogue as parsed, each decision in full, refusals word for word -----------


def _catalogue() -> dict:
    return {
        "version": 3,
        "excluded": [
            {
                "family": "special_equipment",
                "name": "特种设备",
                "name_en": "special equipment",
                "source": "Art. 2",
                "categories": [
                    {"name": "电梯", "names": ["乘客电梯", "扶梯"]},
                    {"name": "气瓶", "names": ["钢瓶"]},
                ],
            },
            {
                "family": "food",
                "name": "食品",
                "name_en": "food",
                "source": "Art. 2 (食品安全法)",
                "categories": [{"name": "保健食品", "names": ["保健品"]}],
            },
        ],
        "in_scope": {
            "categories": ["电线电缆", "家用电器"],
            "exceptions": ["电梯导轨", "食品机械"],
        },
    }


SPECIAL = Family("special_equipment", "特种设备", "special equipment", "Art. 2")
FOOD = Family("food", "食品", "food", "Art. 2 (食品安全法)")


def test_r_scope_catalogue_is_parsed_longest_names_first():
    catalogue = parse_catalogue(_catalogue())
    assert catalogue.version == "3"
    assert catalogue.families == {"special_equipment": SPECIAL, "food": FOOD}
    assert catalogue.excluded == (
        ("乘客电梯", SPECIAL, "电梯"),
        ("保健食品", FOOD, "保健食品"),
        ("保健品", FOOD, "保健食品"),
        ("扶梯", SPECIAL, "电梯"),
        ("气瓶", SPECIAL, "气瓶"),
        ("电梯", SPECIAL, "电梯"),
        ("钢瓶", SPECIAL, "气瓶"),
    )
    assert catalogue.in_scope == frozenset({"电线电缆", "家用电器"})
    raw = _catalogue()
    raw["in_scope"]["exceptions"] = ["食品机械", "电梯导轨", "电梯导轨", "电梯导轨支架"]
    assert parse_catalogue(raw).exceptions == ("电梯导轨支架", "电梯导轨", "食品机械")


def test_r_scope_each_decision_states_the_category_and_what_matched():
    catalogue = parse_catalogue(_catalogue())
    assert catalogue.decide(" 电梯导轨 ") == Decision(
        "电梯导轨", Scope.IN, matched="电梯导轨", exception=True
    )
    assert catalogue.decide("家用 电器") == Decision("家用电器", Scope.IN, matched="家用电器")
    assert catalogue.decide("进口乘客电梯") == Decision(
        "进口乘客电梯", Scope.OUT, SPECIAL, "电梯", "乘客电梯"
    )
    assert catalogue.decide("玩具 ") == Decision("玩具", Scope.UNKNOWN)


def _scope_with(path: tuple, value) -> dict:
    raw = _catalogue()
    node = raw
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("catalogue", "catalogue: a mapping is required"),
        ({**_catalogue(), "owner": 1, "zone": 2}, "catalogue: unknown keys owner, zone"),
        ({"version": 1}, "catalogue: missing excluded, in_scope"),
        (
            _scope_with(("excluded",), {"food": "食品"}),
            "excluded: a non-empty list of families is required",
        ),
        (_scope_with(("excluded", 1), "食品"), "excluded.1: a mapping is required"),
        (
            _scope_with(("excluded", 1, "family"), "special_equipment"),
            ("excluded.1: family special_equipment is listed twice"),
        ),
        (
            _scope_with(("excluded", 0, "categories"), "电梯"),
            "excluded.0.categories: a non-empty list is required",
        ),
        (
            _scope_with(("excluded", 0, "categories", 1), {"name": "气瓶"}),
            "excluded.0.categories.1: missing names",
        ),
        (
            _scope_with(("excluded", 0, "categories", 1, "names"), ["钢瓶", " "]),
            "excluded.0.categories.1.names.1: a name must be a non-empty string",
        ),
        (
            _scope_with(("excluded", 0, "categories", 1, "names"), ["保健品"]),
            "excluded.1: 保健品 is already a name of family special_equipment",
        ),
        (_scope_with(("in_scope",), []), "in_scope: a mapping is required"),
        (
            _scope_with(("in_scope", "categories"), "电线电缆"),
            "in_scope.categories: a non-empty list of names is required",
        ),
        (
            _scope_with(("in_scope", "categories"), ["电线电缆", 7]),
            "in_scope.categories.1: a name must be a non-empty string",
        ),
        (
            _scope_with(("in_scope", "categories"), ["钢瓶"]),
            "in_scope.categories: 钢瓶 is also an excluded name",
        ),
        (
            _scope_with(("in_scope", "exceptions"), []),
            "in_scope.exceptions: a non-empty list of names is required",
        ),
    ],
)
def test_r_scope_a_malformed_catalogue_is_refused_word_for_word(raw, message):
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(raw)
    assert str(caught.value) == message
