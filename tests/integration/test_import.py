"""Bulk import (interchange §1) through the service, on the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.services.imports import import_records
from models import AuditEvent, LedgerEntry, Matter, Operator, ScoringObject, SpotCheck
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
P1 = uscc(1)
S1 = uscc(2, "440100")


def run(lines: bytes):
    report = import_records(lines.splitlines(keepends=True), today=TODAY, actor="test", at=AT)
    db.session.commit()
    return report


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def base_records():
    return [operator(1), operator(2, bureau="440100"), product(P1)]


def test_import_creates_objects_matters_and_entries(seeded, db_session):
    report = run(
        jsonl(
            [
                *base_records(),
                spot_check("GD-CC-2025-00017", P1),
                matter(
                    "粤深市监罚〔2025〕123号", [{"kind": "seller", "uscc": S1}], items=["A12.3"]
                ),
            ]
        )
    )
    assert report.refusals == []
    assert (report.read, report.created) == (5, 5)
    assert count(Operator) == 2
    assert count(ScoringObject) == 3  # two operator objects and one product
    kinds = db.session.execute(
        select(LedgerEntry.kind, LedgerEntry.points, LedgerEntry.item).order_by(LedgerEntry.id)
    ).all()
    assert [(k, str(p), i) for k, p, i in kinds] == [
        ("START", "12.00", None),
        ("DEDUCTION", "-3.00", "A11.1"),
        ("START", "12.00", None),
        ("DEDUCTION", "-4.00", "A12.3"),
    ]


def test_import_twice_changes_nothing(seeded, db_session):
    lines = jsonl([*base_records(), spot_check("GD-CC-1", P1)])
    run(lines)
    before = (count(LedgerEntry), count(Matter), count(AuditEvent))
    report = run(lines)
    assert (report.created, report.unchanged, report.refused) == (0, 4, 0)
    assert (count(LedgerEntry), count(Matter), count(AuditEvent)) == before


def test_ref_reused_with_other_content_is_a_conflict(seeded, db_session):
    run(jsonl([*base_records(), spot_check("GD-CC-1", P1)]))
    report = run(jsonl([spot_check("GD-CC-1", P1, effective_on="2025-05-01")]))
    assert report.refused == 1
    assert "conflict" in report.refusals[0].reason
    assert report.refusals[0].ref == "GD-CC-1"
    assert count(LedgerEntry) == 2


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # R-OBJ-OPERATOR: a bad check character
        ({**operator(9), "uscc": "914403001922038217"}, "uscc: invalid Unified Social Credit Code"),
        (
            matter("M-1", [{"kind": "seller", "uscc": S1}], items=["A99.9"]),
            "unknown item code A99.9",
        ),
        # R-SCOPE and R-OBJ-PRODUCT
        (
            product(P1, brand="食牌", category="食品"),
            "category: category 食品 is food (食品), outside the scope of the Specification "
            "(Art. 2)",
        ),
        (product(P1, nice_class=35), "nice_class: Nice class must be a goods class from 1 to 34"),
        (
            matter(
                "M-2", [{"kind": "seller", "uscc": S1}], items=["A12.3"], effective_on="2025-02-30"
            ),
            "effective_on: Not a valid date",
        ),
        (
            matter(
                "M-3", [{"kind": "seller", "uscc": S1}], items=["A12.3"], effective_on="2026-11-27"
            ),
            "effective_on: 2026-11-27 is in the future",
        ),
        ({**operator(9), "bureau": "449999"}, "bureau: unknown bureau 449999"),
        ({**operator(9), "colour": "red"}, "colour: Unknown field"),
        ({"type": "invoice"}, "unknown record type 'invoice'"),
        (
            matter("M-4", [{"kind": "seller", "uscc": S1}], items=["A11.1"]),
            "item A11.1 does not apply to a seller",
        ),
        (
            matter("M-5", [{"kind": "seller", "uscc": uscc(77)}], items=["A12.3"]),
            f"objects.0.uscc: operator {uscc(77)} is not registered",
        ),
        (
            matter("M-6", [{"kind": "seller", "uscc": S1}], items=["A12.3"], bureau="440000"),
            "scored by city bureaus",
        ),
        ({**spot_check("GD-CC-9", P1), "bureau": "440300"}, "recorded by the provincial bureau"),
    ],
)
def test_bad_record_is_refused_with_line_and_field_and_others_go_in(
    seeded, db_session, record, expected
):
    report = run(jsonl([*base_records(), record, spot_check("GD-CC-OK", P1)]))
    assert report.refused == 1, report.refusals
    refusal = report.refusals[0]
    assert refusal.line == 4
    assert expected in refusal.reason
    assert report.created == 4  # the good records around it are imported
    assert count(SpotCheck) == 1


def test_not_utf8_and_not_json_lines_are_named(seeded, db_session):
    lines = jsonl(base_records()) + '{"type": "operator", "name": "坏"}\n'.encode("gbk")
    lines += b"{not json}\n"
    report = run(lines)
    reasons = {r.line: r.reason for r in report.refusals}
    assert "not UTF-8" in reasons[4]
    assert "not valid JSON" in reasons[5]


def test_a_matter_with_one_bad_object_writes_nothing_of_it(seeded, db_session):
    objects = [{"kind": "seller", "uscc": S1}, {"kind": "seller", "uscc": uscc(404)}]
    report = run(jsonl([*base_records(), matter("M-HALF", objects, items=["A12.3"])]))
    assert report.refused == 1
    assert count(Matter) == 0
    assert count(LedgerEntry) == 0


def test_r_once_same_object_twice_in_a_matter_is_refused(seeded, db_session):
    objects = [{"kind": "seller", "uscc": S1}, {"kind": "seller", "uscc": S1}]
    report = run(jsonl([*base_records(), matter("M-TWICE", objects, items=["A12.3"])]))
    assert "R-ONCE" in report.refusals[0].reason


def test_r_max_and_r_intent_on_import(seeded, db_session):
    # A12.3 (4 / 8) and A12.1 (3 / 6) both fit a seller: it loses the larger, intentional value.
    run(
        jsonl(
            [
                *base_records(),
                matter(
                    "M-MAX",
                    [{"kind": "seller", "uscc": S1}],
                    items=["A12.1", "A12.3"],
                    intentional=True,
                ),
            ]
        )
    )
    points, item = db.session.execute(
        select(LedgerEntry.points, LedgerEntry.item).where(LedgerEntry.kind == "DEDUCTION")
    ).one()
    assert (str(points), item) == ("-8.00", "A12.3")


def test_intentional_spot_check_failure_also_deducts_the_producer(seeded, db_session):
    run(jsonl([*base_records(), spot_check("GD-CC-INT", P1, intentional=True)]))
    rows = db.session.execute(
        select(ScoringObject.kind, LedgerEntry.item, LedgerEntry.points)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .where(LedgerEntry.kind == "DEDUCTION")
        .order_by(LedgerEntry.id)
    ).all()
    assert [(k, i, str(p)) for k, i, p in rows] == [
        ("product", "A11.1", "-6.00"),
        ("operator", "A12.2", "-6.00"),
    ]


def test_r_start_earlier_record_arriving_later_dates_a_new_start(seeded, db_session):
    run(
        jsonl(
            [
                *base_records(),
                spot_check("GD-CC-B", P1, effective_on="2025-06-01", sampled_on="2025-05-01"),
            ]
        )
    )
    run(
        jsonl(
            [
                spot_check(
                    "GD-CC-A", P1, effective_on="2024-06-01", sampled_on="2024-05-01", model="Y-1"
                )
            ]
        )
    )
    starts = db.session.scalars(
        select(LedgerEntry.effective_on)
        .where(LedgerEntry.kind == "START")
        .order_by(LedgerEntry.effective_on)
    ).all()
    assert starts == [date(2024, 6, 1), date(2025, 6, 1)]


def test_r_start_passed_spot_check_starts_the_product_without_points(seeded, db_session):
    report = run(jsonl([*base_records(), spot_check("GD-CC-PASS", P1, result="pass")]))
    assert report.created == 4
    assert count(SpotCheck) == 1
    # R-START: a recorded pass is the product's first credit record; it takes no points.
    rows = db.session.execute(select(LedgerEntry.kind, LedgerEntry.effective_on)).all()
    assert rows == [("START", date(2025, 3, 2))]


def test_every_write_is_audited(seeded, db_session):
    run(jsonl([*base_records(), spot_check("GD-CC-1", P1)]))
    events = db.session.execute(
        select(AuditEvent.actor, AuditEvent.action, AuditEvent.object_ref)
        .where(AuditEvent.actor == "test")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events][-4:] == [
        "operator.create",
        "operator.create",
        "product.create",
        "spot_check.create",
    ]
    assert events[-1].object_ref == "GD-CC-1"


@pytest.mark.parametrize("table", ["ledger_entry", "audit_event"])
def test_ledger_and_audit_trail_are_append_only(seeded, db_session, table):
    run(jsonl([*base_records(), spot_check("GD-CC-1", P1)]))
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text(f"UPDATE {table} SET id = id"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text(f"DELETE FROM {table}"))
        db.session.flush()
    db.session.rollback()
    assert count(LedgerEntry) == 2


def test_operator_update_is_reported_and_audited(seeded, db_session):
    run(jsonl(base_records()))
    report = run(jsonl([operator(1, filing=False)]))
    assert report.updated == 1
    assert db.session.scalar(select(Operator.filing_complete).where(Operator.uscc == P1)) is False


def test_a_matter_takes_the_table_version_in_force_on_its_effective_date(seeded, db_session):
    from pathlib import Path

    from app.services.scoring_tables import publish_table

    root = Path(__file__).resolve().parents[2]
    newer = (
        (root / "data/scoring_tables/GD-2021-default.yaml")
        .read_text("utf-8")
        .replace('"GD-2021-default"', '"GD-2026"')
        .replace("applies_from: 2021-06-05", "applies_from: 2026-09-01")
        .replace("applies_until: 2026-06-04\n", "")
        .replace("default: true", "default: false")
        .replace(
            "{code: A12.3, objects: [producer, seller], title: 生产或销售国家明令淘汰的产品, "
            "points: 4,",
            "{code: A12.3, objects: [producer, seller], "
            "title: 生产或销售国家明令淘汰的产品, points: 5,",
        )
    )
    assert "points: 5," in newer
    publish_table(newer, actor="test", at=AT)
    db.session.commit()
    seller = [{"kind": "seller", "uscc": S1}]
    run(
        jsonl(
            [
                *base_records(),
                matter("OLD", seller, items=["A12.3"], effective_on="2026-08-31"),
                matter("NEW", seller, items=["A12.3"], effective_on="2026-09-01"),
            ]
        )
    )
    rows = db.session.execute(
        select(Matter.ref, Matter.table_version, LedgerEntry.points)
        .join(LedgerEntry, LedgerEntry.matter_id == Matter.id)
        .order_by(Matter.ref)
    ).all()
    assert [(r, v, str(p)) for r, v, p in rows] == [
        ("NEW", "GD-2026", "-5.00"),
        ("OLD", "GD-2026-demo-successor", "-4.00"),
    ]


def test_a_matter_before_any_table_is_refused(seeded, db_session):
    report = run(
        jsonl(
            [
                *base_records(),
                matter(
                    "EARLY",
                    [{"kind": "seller", "uscc": S1}],
                    items=["A12.3"],
                    effective_on="2021-06-04",
                ),
            ]
        )
    )
    assert "no scoring table is in force on 2021-06-04" in report.refusals[0].reason


@pytest.mark.parametrize("category", ["食品", "食品添加剂", "化妆品", "计量器具", "特种设备"])
def test_r_scope_art_2_exclusions_are_refused(seeded, db_session, category):
    report = run(jsonl([operator(1), product(P1, brand="排除牌", category=category)]))
    assert report.refused == 1
    assert f"category {category} is " in report.refusals[0].reason
    assert "outside the scope of the Specification (Art. 2)" in report.refusals[0].reason
    assert count(ScoringObject) == 1  # only the operator's own object


def test_r_obj_product_one_object_per_producer_brand_and_nice_class(seeded, db_session):
    report = run(
        jsonl([*base_records(), product(P1, nice_class=11), product(P1, brand="另牌"), product(P1)])
    )
    assert (report.created, report.unchanged) == (5, 1)
    assert (
        db.session.scalar(
            select(func.count()).select_from(ScoringObject).where(ScoringObject.kind == "product")
        )
        == 3
    )


@pytest.mark.parametrize(
    "code", ["91440300192203821", "9144030019220382166", "91440300I92203821X", "914403001922038215"]
)
def test_r_obj_operator_invalid_credit_codes_are_refused(seeded, db_session, code):
    report = run(jsonl([{**operator(1), "uscc": code}]))
    assert report.refused == 1
    assert "invalid Unified Social Credit Code" in report.refusals[0].reason


def test_a_bureau_moved_by_an_import_moves_its_supervisors_scope_at_once(seeded, db_session):
    """A county bureau re-parented by an import leaves its old city's tree and joins the new
    one in the same process, whose bureau tree was already read (no restart)."""
    from app.permissions import bureau_ancestors, bureau_tree_codes

    assert "440103" in bureau_tree_codes("440100")
    assert bureau_ancestors("440103") == ["440103", "440100", "440000"]
    line = {"type": "bureau", "code": "440103", "name": "荔湾区（划转）", "parent": "440300"}
    report = run(jsonl([line]))
    assert report.updated == 1
    assert "440103" not in bureau_tree_codes("440100")
    assert "440103" in bureau_tree_codes("440300")
    assert bureau_ancestors("440103") == ["440103", "440300", "440000"]
