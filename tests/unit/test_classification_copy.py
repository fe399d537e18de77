"""The rows a PostgreSQL classification run hands to COPY (R-HALFYEAR, R-DLOCK): the text
format must carry an unscored object (class O, no score), a D lock and a first run's missing
previous class as NULLs, or the stored run would differ from the rule core's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.scoring import EntryKind
from app.services.classification import _copy_text, _entries_by_object


def test_r_halfyear_copy_rows_carry_nulls_scores_and_d_locks():
    rows = [
        (11, Decimal("12.00"), "A", None, None),
        (12, None, "O", None, "B"),
        (13, Decimal("-1.50"), "D", date(2029, 7, 1), "C"),
    ]
    assert _copy_text(7, rows).decode().splitlines() == [
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
    entries = _entries_by_object(rows)
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
