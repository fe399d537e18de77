"""The rows a PostgreSQL classification run hands to COPY (R-HALFYEAR, R-DLOCK): the text
format must carry an unscored object (class O, no score), a D lock and a first run's missing
previous class as NULLs, or the stored run would differ from the rule core's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.scoring import EntryKind
from app.services.classification_rows import copy_text, entries_by_object


def test_r_halfyear_copy_rows_carry_nulls_scores_and_d_locks():
    rows = [
        (11, Decimal("12.00"), "A", None, None),
        (12, None, "O", None, "B"),
        (13, Decimal("-1.50"), "D", date(2029, 7, 1), "C"),
    ]
    assert copy_text(7, rows).decode().splitlines() == [
        "7\t11\t12.00\tA\t\\N\t\\N",
        "7\t12\t\\N\tO\t\\N\tB",
        "7\t13\t-1.50\tD\t2029-07-01\tC",
    ]


def test_entries_read_by_a_run_are_the_rule_cores_entries():
    rows = [
        (1, 5, "START", Decimal("0.00"), date(2024, 1, 2), None, None, None, None),
        (2, 5, "DEDUCTION", Decimal("-3.00"), date(2025, 1, 2), "M-1", "A11.1", None, "P|S|B|M"),
        (3, 6, "VOID", Decimal("0.00"), date(2025, 2, 2), None, None, 2, None),
    ]
    entries = entries_by_object(rows)
    assert sorted(entries) == [5, 6]
    deduction = entries[5][1]
    assert deduction.kind is EntryKind.DEDUCTION
    assert (deduction.matter, deduction.item, deduction.product_key, deduction.via) == (
        "M-1",
        "A11.1",
        "P|S|B|M",
        None,
    )
    assert entries[6][0].kind is EntryKind.VOID and entries[6][0].target == 2


def test_a_province_is_cut_into_blocks_of_operators_at_the_cuts():
    from app.services.classification_parallel import blocks

    assert blocks(1, 10, [6]) == [(1, 6), (6, 11)]
    assert blocks(1, 10, [8, 3, 3]) == [(1, 3), (3, 8), (8, 11)]
    assert blocks(5, 5, [5]) == [(5, 6)]  # one operator: one block
    assert blocks(1, 10, [1, 12]) == [(1, 11)]  # a cut outside the range cuts nothing


def test_a_blocks_objects_are_cut_into_ranges_without_losing_or_splitting_a_family():
    from app.services.classification_parallel import families_by_range

    # (object id, operator id): operators 1..12, ordered by operator as the cursor returns them
    rows = [(10, 1), (11, 1), (20, 2), (70, 7), (71, 7), (72, 7), (120, 12)]
    ranges = list(families_by_range(iter(rows), 1, 13, 5))
    assert [(lo, hi) for lo, hi, _ in ranges] == [(1, 6), (6, 11), (11, 13)]
    assert [[r[0] for r in batch] for _, _, batch in ranges] == [
        [10, 11, 20],
        [70, 71, 72],
        [120],
    ]
