"""What-if previews, pure part (app/scoring/whatif.py): the figures before and after a
hypothetical matter, repair or revocation are the rule core's, and the triggers follow its
rules — R-NOTICE, R-INTENT, R-180, R-CLASS, R-DLOCK, R-REPAIR-ONE-MATTER, R-REPAIR-SHARE,
R-REPAIR-LIMIT, R-REPAIR-KEEP, R-RIGHTS."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.scoring import BASE_POINTS, Entry, EntryKind, OfficialClass, parse_table
from app.scoring.repairs import matter_repair
from app.scoring.whatif import (
    CLASS_CHANGE,
    D_LOCK,
    D_LOCK_HELD,
    MERGED,
    NOTICE,
    Ledger,
    matter_entries,
    next_run_on,
    repair_count,
    repair_dates,
    repair_entries,
    revocation_entries,
    what_if,
)

TABLE = parse_table(
    yaml.safe_load(
        (Path(__file__).parents[2] / "data/scoring_tables/GD-2021-default.yaml").read_text(
            encoding="utf-8"
        )
    )
)
TODAY = date(2026, 11, 26)
NEXT_RUN = date(2027, 1, 1)
KEY = "P|GB 4943.1-2022|某牌|X-100"
OWN, PRODUCT = 1, 2
_ids = itertools.count(1)


def P(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def start(on: str, obj: int = OWN) -> Entry:
    return Entry(next(_ids), obj, EntryKind.START, BASE_POINTS, date.fromisoformat(on))


def ded(points, on: str, matter: str, item: str, obj: int = OWN, key: str | None = None) -> Entry:
    return Entry(
        next(_ids),
        obj,
        EntryKind.DEDUCTION,
        P(points),
        date.fromisoformat(on),
        matter,
        item,
        None,
        key,
    )


def rep(target: Entry, points, on: str) -> Entry:
    return Entry(
        next(_ids),
        target.object_id,
        EntryKind.REPAIR,
        P(points),
        date.fromisoformat(on),
        target.matter,
        None,
        target.id,
    )


def seller(*entries: Entry, in_force=None) -> Ledger:
    return Ledger(OWN, (start("2025-01-01"), *entries), {}, in_force or {})


def only(effects):
    assert len(effects) == 1, effects
    return effects[0]


# ---- recording a matter ------------------------------------------------------------------------


def test_r_notice_a_new_matter_shows_its_points_the_notice_and_the_class_at_the_next_run():
    ledger = seller(ded(-4, "2026-11-02", "M1", "A12.3"))
    changes = matter_entries(OWN, ledger.own, "M2", TABLE.items["A12.3"], False, date(2026, 11, 20))
    e = only(what_if(ledger, changes, TODAY, matter="M2", notice=True, next_run=NEXT_RUN))
    assert (e.before.points, e.before.klass) == (P(8), "B")
    assert (e.after.points, e.after.klass) == (P(4), "C")
    assert (e.matter_before, e.matter_after) == (P(0), P(-4))
    assert (e.next_before.klass, e.next_after.klass) == ("B", "C")
    assert e.triggers == (NOTICE, CLASS_CHANGE)
    # Nothing of the ledger itself changed: the preview works on a copy.
    assert len(ledger.own) == 2


def test_r_intent_an_intentional_matter_takes_the_heavier_value_and_locks_in_d():
    """R-INTENT, R-DLOCK: 8 - 8 = 0, class D at the next run, locked for three years."""
    ledger = seller(ded(-4, "2026-11-02", "M1", "A12.3"))
    changes = matter_entries(OWN, ledger.own, "M2", TABLE.items["A12.3"], True, date(2026, 11, 20))
    e = only(what_if(ledger, changes, TODAY, matter="M2", notice=True, next_run=NEXT_RUN))
    assert (e.after.points, e.after.klass, e.matter_after) == (P(0), "D", P(-8))
    assert e.next_after == OfficialClass("D", NEXT_RUN, date(2030, 1, 1))
    assert e.triggers == (NOTICE, CLASS_CHANGE, D_LOCK)


def test_r_start_a_first_record_starts_the_object_at_12():
    ledger = Ledger(OWN, (), {})
    changes = matter_entries(OWN, (), "M1", TABLE.items["A12.3"], False, date(2026, 11, 20))
    assert [c.kind for c in changes] == [EntryKind.START, EntryKind.DEDUCTION]
    e = only(what_if(ledger, changes, TODAY, matter="M1", notice=True, next_run=NEXT_RUN))
    assert (e.before.points, e.before.klass) == (None, "O")
    assert (e.after.points, e.after.klass) == (P(8), "B")


def test_r_180_a_failure_of_the_same_product_within_180_days_is_shown_merged_at_0():
    product = (start("2025-01-01", PRODUCT), ded(-3, "2026-09-01", "S1", "A11.1", PRODUCT, KEY))
    ledger = Ledger(OWN, (start("2025-01-01"),), {PRODUCT: product})
    changes = matter_entries(
        PRODUCT, product, "S2", TABLE.items["A11.1"], False, date(2026, 11, 20), KEY
    )
    effects = what_if(ledger, changes, TODAY, matter="S2", notice=True, next_run=NEXT_RUN)
    producer, prod = effects
    assert producer.object_id == OWN and prod.object_id == PRODUCT
    assert prod.matter_after == P(0) and MERGED in prod.triggers
    assert prod.before == prod.after and producer.before == producer.after
    assert CLASS_CHANGE not in prod.triggers


def test_r_score_producer_a_products_matter_shows_the_producer_too():
    product = (start("2025-01-01", PRODUCT),)
    ledger = Ledger(
        OWN, (start("2025-01-01"), ded(-2, "2026-01-05", "M0", "A12.6")), {PRODUCT: product}
    )
    changes = matter_entries(
        PRODUCT, product, "M1", TABLE.items["A11.3"], False, date(2026, 11, 20)
    )
    producer, prod = what_if(ledger, changes, TODAY, matter="M1", notice=True)
    assert (prod.before.points, prod.after.points) == (P(12), P(6))
    assert (producer.before.points, producer.after.points) == (P(10), P(4))  # own ∪ product
    assert prod.triggers == (NOTICE, CLASS_CHANGE)  # no run date: the class by score, A → C
    assert producer.triggers == (CLASS_CHANGE,)  # not its own entry: no notice of its own
    assert producer.touched is False and prod.touched is True


# ---- D lock --------------------------------------------------------------------------------------


def test_r_dlock_a_lock_in_force_keeps_d_whatever_the_score():
    deduction = ded(-8, "2026-05-01", "M1", "A12.3")
    lock = OfficialClass("D", date(2026, 7, 1), date(2029, 7, 1))
    ledger = seller(deduction, in_force={OWN: lock})
    changes = revocation_entries([deduction], ledger, TODAY)
    e = only(what_if(ledger, changes, TODAY, next_run=NEXT_RUN))
    assert (e.before.klass, e.after.klass) == ("C", "A")  # by score
    assert e.next_before == e.next_after == OfficialClass("D", NEXT_RUN, date(2029, 7, 1))
    assert e.in_force == lock and e.triggers == (D_LOCK_HELD,)
    assert (e.matter_before, e.matter_after) == (None, None)  # not a preview of one matter


def test_r_dlock_a_lock_ending_on_the_run_day_no_longer_holds():
    deduction = ded(-8, "2026-05-01", "M1", "A12.3")
    lock = OfficialClass("D", date(2024, 1, 1), NEXT_RUN)
    ledger = seller(deduction, in_force={OWN: lock})
    e = only(
        what_if(ledger, revocation_entries([deduction], ledger, TODAY), TODAY, next_run=NEXT_RUN)
    )
    assert (e.next_before.klass, e.next_after.klass) == ("C", "A")
    assert e.triggers == (CLASS_CHANGE,)


# ---- the ledger and the hypothetical entries -----------------------------------------------------


def test_the_ledger_gives_each_objects_entries_and_adds_changes_to_a_copy():
    product = (start("2025-01-01", PRODUCT),)
    lock = OfficialClass("D", date(2026, 7, 1), date(2029, 7, 1))
    ledger = Ledger(OWN, (start("2025-01-01"),), {PRODUCT: product}, {OWN: lock})
    assert ledger.entries(PRODUCT) == product and ledger.entries(99) == ()
    new = Entry(-1, 99, EntryKind.START, BASE_POINTS, TODAY)
    plus = ledger.plus([new])
    assert plus.products[99] == (new,) and plus.products[PRODUCT] == product
    assert plus.in_force == {OWN: lock} and 99 not in ledger.products


def test_hypothetical_entries_have_their_own_negative_ids_and_the_ledgers_fields():
    first = start("2026-11-20")
    matter = matter_entries(OWN, (), "M1", TABLE.items["A12.3"], True, date(2026, 11, 20))
    assert matter == [
        Entry(-1, OWN, EntryKind.START, BASE_POINTS, date(2026, 11, 20)),
        Entry(-2, OWN, EntryKind.DEDUCTION, P(-8), date(2026, 11, 20), "M1", "A12.3"),
    ]
    # R-START: an object with a record on that day (or earlier) gets no second START.
    again = matter_entries(OWN, (first,), "M1", TABLE.items["A12.3"], False, date(2026, 11, 20))
    assert [c.kind for c in again] == [EntryKind.DEDUCTION]
    d = ded(-6, "2026-05-01", "M1", "A11.3", PRODUCT)._replace(via="product 某牌/9")
    assert repair_entries([(d, P(6))], TODAY) == [
        Entry(-1, PRODUCT, EntryKind.REPAIR, P(6), TODAY, "M1", None, d.id, None, "product 某牌/9")
    ]


def test_r_repair_keep_the_compensating_entries_of_an_amended_matter():
    """Both objects of the matter are amended; only the repair of the amended deduction moves
    to the new points (another matter's repair stays)."""
    other = ded(-2, "2025-01-05", "M0", "A12.7")
    own = ded(-3, "2026-05-01", "M1", "A12.1")
    prod = ded(-6, "2026-05-01", "M1", "A11.3", PRODUCT)
    kept, untouched = rep(own, 3, "2026-08-01"), rep(other, 1, "2025-03-01")
    ledger = Ledger(
        OWN,
        (start("2025-01-01"), other, untouched, own, kept),
        {PRODUCT: (start("2025-01-01", PRODUCT), prod)},
    )
    changes = revocation_entries([own, prod], ledger, TODAY, P(2))
    assert changes == [
        Entry(-1, OWN, EntryKind.VOID, P(0), own.effective_on, "M1", "A12.1", own.id),
        own._replace(id=-2, points=P(-2), target=own.id),
        Entry(-3, OWN, EntryKind.VOID, P(0), kept.effective_on, "M1", None, kept.id),
        kept._replace(id=-4, points=P(2), target=-2),
        Entry(-5, PRODUCT, EntryKind.VOID, P(0), prod.effective_on, "M1", "A11.3", prod.id),
        prod._replace(id=-6, points=P(-2), target=prod.id),
    ]
    revoked = revocation_entries([own, prod], ledger, TODAY)
    assert [(c.kind, c.target) for c in revoked] == [
        (EntryKind.VOID, own.id),
        (EntryKind.VOID, prod.id),
    ]


def test_r_rights_an_amended_reward_is_replaced_by_one_of_the_new_points():
    reward = Entry(next(_ids), OWN, EntryKind.REWARD, P(1), date(2026, 3, 1), None, "R17.3")
    ledger = seller(reward)
    assert revocation_entries([reward], ledger, TODAY, P("0.5")) == [
        Entry(-1, OWN, EntryKind.VOID, P(0), reward.effective_on, None, "R17.3", reward.id),
        reward._replace(id=-2, points=P("0.5")),
    ]


# ---- repair --------------------------------------------------------------------------------------


def test_r_repair_one_matter_restores_the_product_and_its_producer_counted_once():
    on_product = ded(-6, "2026-05-01", "M1", "A11.3", PRODUCT)
    on_producer = ded(-3, "2026-05-01", "M1", "A12.1")
    product = (start("2025-01-01", PRODUCT), on_product)
    ledger = Ledger(OWN, (start("2025-01-01"), on_producer), {PRODUCT: product})
    restored = matter_repair([(on_producer, ledger.own), (on_product, product)], TODAY)
    assert [p for _d, p in restored] == [P(3), P(6)]  # R-REPAIR-SHARE: first deduction, 100 %
    changes = repair_entries(restored, TODAY)
    producer, prod = what_if(ledger, changes, TODAY, matter="M1", next_run=NEXT_RUN)
    assert (producer.before.points, producer.after.points) == (P(6), P(12))  # R-ONCE
    assert (prod.before.points, prod.after.points) == (P(6), P(12))
    assert (prod.matter_before, prod.matter_after) == (P(-6), P(0))
    assert CLASS_CHANGE in prod.triggers and NOTICE not in prod.triggers
    count = repair_count(repair_dates(ledger.all_entries()), TODAY)
    assert (count.used_before, count.used_after, count.limit_reached) == (0, 1, False)


def test_r_repair_share_a_second_deduction_in_the_window_is_restored_by_half():
    first, second = ded(-4, "2025-06-01", "M1", "A12.3"), ded(-4, "2026-06-01", "M2", "A12.3")
    ledger = seller(first, second)
    restored = matter_repair([(second, ledger.own)], TODAY)
    e = only(what_if(ledger, repair_entries(restored, TODAY), TODAY, matter="M2"))
    assert (e.before.points, e.after.points) == (P(4), P(6))
    assert (e.matter_before, e.matter_after) == (P(-4), P(-2))


def test_r_repair_limit_two_repaired_matters_in_36_months_refuse_a_third():
    a, b = ded(-2, "2024-03-01", "M1", "A12.7"), ded(-2, "2025-03-01", "M2", "A12.7")
    ledger = seller(a, rep(a, 2, "2024-05-01"), b, rep(b, 1, "2025-05-01"))
    count = repair_count(repair_dates(ledger.all_entries()), TODAY)
    assert (count.used_before, count.used_after, count.limit, count.limit_reached) == (
        2,
        2,
        2,
        True,
    )


def test_r_repair_limit_repairs_count_inside_the_36_months_up_to_the_day():
    """One per matter; a repair of no matter (its own entry) counts for itself; a repair of
    today counts, one 36 months old no longer does."""
    a, b = ded(-2, "2023-11-01", "M1", "A12.7"), ded(-2, "2026-11-01", "M2", "A12.7")
    loose = [rep(a, 1, "2023-11-26")._replace(matter=None), rep(b, 1, "2026-11-26")]
    loose.append(loose[1]._replace(id=next(_ids), matter=None))
    assert repair_dates(loose) == [date(2023, 11, 26), date(2026, 11, 26), date(2026, 11, 26)]
    count = repair_count([date(2023, 11, 26), date(2026, 11, 26)], TODAY)
    assert (count.used_before, count.used_after, count.limit_reached) == (1, 2, False)


def test_r_repair_limit_a_revoked_deduction_gives_its_repair_back():
    a = ded(-2, "2024-03-01", "M1", "A12.7")
    ledger = seller(a, rep(a, 2, "2024-05-01"))
    voids = revocation_entries([a], ledger, TODAY)
    assert repair_dates(ledger.all_entries()) == [date(2024, 5, 1)]
    assert repair_dates([*ledger.all_entries(), *voids]) == []


# ---- objection and correction (R-RIGHTS) ---------------------------------------------------------


def test_r_rights_a_revoked_deduction_gives_its_points_back():
    deduction = ded(-4, "2026-11-02", "M1", "A12.3")
    ledger = seller(deduction)
    changes = revocation_entries([deduction], ledger, TODAY)
    e = only(what_if(ledger, changes, TODAY, matter="M1", next_run=NEXT_RUN))
    assert (e.before.points, e.after.points) == (P(8), P(12))
    assert (e.matter_before, e.matter_after) == (P(-4), P(0))
    assert (e.next_before.klass, e.next_after.klass) == ("B", "A")
    assert e.triggers == (CLASS_CHANGE,)


def test_r_repair_keep_an_amended_deduction_keeps_its_repair_at_its_share():
    deduction = ded(-4, "2026-05-02", "M1", "A12.3")
    ledger = seller(deduction, rep(deduction, 4, "2026-08-01"))
    changes = revocation_entries([deduction], ledger, TODAY, P(2))
    kinds = [(c.kind, c.points) for c in changes]
    assert kinds == [
        (EntryKind.VOID, P(0)),
        (EntryKind.DEDUCTION, P(-2)),
        (EntryKind.VOID, P(0)),
        (EntryKind.REPAIR, P(2)),
    ]
    e = only(what_if(ledger, changes, TODAY, matter="M1", notice=True))
    assert (e.before.points, e.after.points) == (P(12), P(12))
    assert e.triggers == (NOTICE,)


def test_r_rights_an_amended_deduction_without_repair_takes_the_new_points():
    deduction = ded(-4, "2026-11-02", "M1", "A12.3")
    ledger = seller(deduction)
    e = only(
        what_if(ledger, revocation_entries([deduction], ledger, TODAY, P(2)), TODAY, matter="M1")
    )
    assert (e.after.points, e.matter_after) == (P(10), P(-2))


@pytest.mark.parametrize(
    ("today", "schedule", "expected"),
    [
        ("2026-11-26", "01-01,07-01", "2027-01-01"),
        ("2026-01-01", "01-01,07-01", "2026-07-01"),
        ("2026-06-30", "07-01,01-01", "2026-07-01"),
        ("2027-01-01", "02-29", "2027-02-28"),
    ],
)
def test_r_halfyear_the_next_run_is_the_first_scheduled_day_after_today(today, schedule, expected):
    assert next_run_on(date.fromisoformat(today), schedule) == date.fromisoformat(expected)
