"""Yearly inspection plans (rules §10, Art. 27): inspections per class, the reproducible random
draw of A-class objects (双随机) and its lowered coefficient for clean objects."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.errors import DomainError, NotFound
from app.extensions import db
from app.services import inspection_plans as plans
from app.services.classification import run_classification
from app.services.imports import import_records
from models import ClassificationRun, InspectionPlan, Operator, ScoringObject, User
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
S2, S3, S4, P6 = uscc(2, "440100"), uscc(3, "440100"), uscc(4), uscc(6)
TWICE, ONCE, BROKEN = uscc(7), uscc(8), uscc(9)


def load(records):
    report = import_records(jsonl(records).splitlines(True), today=TODAY, actor="test", at=NOW)
    assert report.refusals == []
    db.session.commit()


def sc(ref, producer, sampled_on, brand, result="pass"):
    return spot_check(
        ref,
        producer,
        result=result,
        brand=brand,
        sampled_on=sampled_on,
        effective_on=sampled_on,
    )


@pytest.fixture
def province(seeded, db_session):
    """Classes on 2026-07-01: S2 B, S3 C, S4 D, P6's product and P6 B; TWICE's product passed
    two spot checks; ONCE's one; BROKEN's product passed, had a (since expired) matter, passed
    again; 30 more producers with one clean product each (A)."""
    records = [
        operator(2, bureau="440100"),
        matter("M-B", [{"kind": "seller", "uscc": S2}], items=["A12.3"], bureau="440100"),
        operator(3, bureau="440100"),
        matter(
            "M-C",
            [{"kind": "seller", "uscc": S3}],
            items=["A12.5"],
            intentional=True,
            bureau="440100",
        ),
        matter(
            "M-C2",
            [{"kind": "seller", "uscc": S3}],
            items=["A12.7"],
            effective_on="2026-02-01",
            bureau="440100",
        ),
        operator(4),
        matter("M-D1", [{"kind": "seller", "uscc": S4}], items=["A12.5"], intentional=True),
        matter("M-D2", [{"kind": "seller", "uscc": S4}], items=["A12.3"], intentional=True),
        operator(6),
        product(P6, brand="乙牌"),
        sc("GD-CC-6", P6, "2025-03-02", "乙牌", "fail"),
        sc("GD-CC-6b", P6, "2026-03-01", "乙牌"),
        operator(7),
        product(TWICE, brand="丙牌"),
        sc("GD-CC-7a", TWICE, "2024-05-01", "丙牌"),
        sc("GD-CC-7b", TWICE, "2025-05-01", "丙牌"),
        operator(8),
        product(ONCE, brand="丁牌"),
        sc("GD-CC-8", ONCE, "2025-05-01", "丁牌"),
        operator(9),
        product(BROKEN, brand="戊牌"),
        sc("GD-CC-9a", BROKEN, "2021-05-01", "戊牌"),
        matter(
            "M-OLD",
            [{"kind": "product", "producer": BROKEN, "brand": "戊牌", "nice_class": 9}],
            items=["A11.5"],
            effective_on="2022-03-01",
        ),
        sc("GD-CC-9b", BROKEN, "2025-05-01", "戊牌"),
    ]
    for n in range(100, 130):
        records += [
            operator(n, bureau="440100" if n % 2 else "440300"),
            product(uscc(n, "440100" if n % 2 else "440300"), brand=f"牌{n}"),
            sc(f"GD-CC-{n}", uscc(n, "440100" if n % 2 else "440300"), "2025-06-01", f"牌{n}"),
        ]
    load(records)
    run_classification(date(2026, 7, 1), actor="test", at=NOW)
    db.session.commit()
    from tests.functional.web import make_user

    make_user("gz_officer", "officer", bureau="440100")
    make_user("gz_supervisor", "supervisor", bureau="440100")
    make_user("prov_supervisor", "supervisor", bureau="440000")
    make_user("sz_officer", "officer", bureau="440300")
    db.session.commit()


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def generate(name="prov_supervisor", bureau="440000", seed=7, year=2026, today=TODAY):
    return plans.generate_plan(
        year=year, bureau=bureau, seed=seed, user=user(name), today=today, now=NOW
    )


def objects_of(code: str) -> dict[str, int]:
    """{'operator': id, brand: id} of an operator's objects."""
    op = db.session.scalar(select(Operator.id).where(Operator.uscc == code))
    return {
        (o.brand or "operator"): o.id
        for o in db.session.scalars(select(ScoringObject).where(ScoringObject.operator_id == op))
    }


def test_plan_lists_b_c_d_objects_with_inspections_needed_per_class(province):
    plan, _drawn = generate()
    data = plans.plan_view(plan, today=TODAY)
    rows = {r.object_id: r for r in data.required}
    assert {r.klass for r in data.required} == {"B", "C", "D"}
    s2, s3, s4, p6 = (objects_of(c) for c in (S2, S3, S4, P6))
    assert (rows[s2["operator"]].klass, rows[s2["operator"]].needed) == ("B", 1)
    assert (rows[s3["operator"]].klass, rows[s3["operator"]].needed) == ("C", 2)
    assert (rows[s4["operator"]].klass, rows[s4["operator"]].needed) == ("D", 4)
    # Done in 2026: P6's product passed a spot check on 2026-03-01 (also an inspection of
    # P6 itself); S3's matter of 2026-02-01 is not an inspection; S2 had none.
    assert rows[p6["乙牌"]].done == 1 and rows[p6["operator"]].done == 1
    assert rows[s3["operator"]].done == 0 and rows[s3["operator"]].remaining == 2
    assert rows[s2["operator"]].done == 0
    # D first (most inspections), then C, then B.
    assert [r.klass for r in data.required][:2] == ["D", "C"]
    assert plan.required == len(data.required) == 5
    assert plan.run_on == date(2026, 7, 1) and plan.plan_on == TODAY


def test_r_art27_inspection_counts_count_spot_checks_not_other_matters(province):
    """Rules §10: the yearly inspections of Art. 27 (B ≥ 1, C ≥ 2, D ≥ 4) are spot checks of
    the object, of its products, or sampled from it as a seller; a matter recorded against it
    (a penalty decision) is no inspection, whatever its date."""
    run = db.session.scalar(select(ClassificationRun))
    s3, s4, p6 = objects_of(S3), objects_of(S4), objects_of(P6)

    def done():
        return plans.inspections_done(run_id=run.id, codes=None, year=2026, today=TODAY)

    before = done()
    assert s3["operator"] not in before  # C, with a matter of 2026-02-01 only
    assert s4["operator"] not in before  # D, matters of 2025 only
    assert before[p6["乙牌"]] == before[p6["operator"]] == 1
    load(
        [
            # Another matter against S3 this year, and one against P6's product: still none.
            matter(
                "M-C3",
                [{"kind": "seller", "uscc": S3}],
                items=["A12.10"],
                effective_on="2026-06-01",
                bureau="440100",
            ),
            matter(
                "M-P6",
                [{"kind": "product", "producer": P6, "brand": "乙牌", "nice_class": 9}],
                items=["A11.6"],
                effective_on="2026-05-01",
            ),
            # P6's product sampled from S4 (a seller) on 2026-04-01, and failed: an inspection
            # of the product, of P6 and of S4.
            {
                **sc("GD-CC-6c", P6, "2026-04-01", "乙牌", "fail"),
                "model": "Y-200",
                "seller": S4,
            },
            # Sampled on the last day of 2025: not an inspection of 2026.
            sc("GD-CC-6d", P6, "2025-12-31", "乙牌"),
        ]
    )
    after = done()
    assert s3["operator"] not in after
    assert after[s4["operator"]] == 1
    assert after[p6["乙牌"]] == after[p6["operator"]] == 2


def test_r_art27_two_clean_inspections_lower_the_coefficient(province):
    run = db.session.scalar(select(ClassificationRun))
    lowered = plans.clean_twice(run_id=run.id, codes=None, plan_on=TODAY)
    twice, once, broken = objects_of(TWICE), objects_of(ONCE), objects_of(BROKEN)
    # Two passed spot checks: the product and its producer (inspected through it).
    assert twice["丙牌"] in lowered and twice["operator"] in lowered
    assert once["丁牌"] not in lowered  # one clean inspection only
    # Passed, a matter, passed: the two latest inspections are not both clean.
    assert broken["戊牌"] not in lowered
    _plan, data = generate()
    assert data.lowered == len(lowered) == 2


def test_draw_selects_clean_objects_less_often():
    candidates = [(i, Decimal("0.5") if i % 2 else Decimal(1)) for i in range(10_000)]
    chosen = plans.draw(candidates, seed=42, ratio=Decimal("0.1"))
    assert len(chosen) == 1000
    share = sum(1 for i in chosen if i % 2) / len(chosen)
    assert 0.25 < share < 0.42  # weight 0.5 against 1: about a third of the draw
    assert plans.draw(candidates, seed=42, ratio=Decimal("0.1")) == chosen


def xlsx_values(body: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(body), read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_same_seed_same_plan_and_workbook_different_seed_different_draw(province):
    first, a = generate(seed=20261126)
    second, b = generate(seed=20261126)
    assert first.id != second.id
    assert [r.object_id for r in a.selected] == [r.object_id for r in b.selected]
    assert len(a.selected) == 4  # ceil(66 candidates × 5 %)
    assert a.candidates_digest == b.candidates_digest == first.candidates_digest
    assert first.selection_digest == second.selection_digest
    view_a, view_b = plans.plan_view(first, today=TODAY), plans.plan_view(second, today=TODAY)
    assert [vars(r) for r in view_a.required] == [vars(r) for r in view_b.required]
    assert [vars(r) for r in view_a.selected] == [vars(r) for r in a.selected]
    book_a = xlsx_values(plans.to_xlsx(first, view_a, bureau_name="省局"))
    book_b = xlsx_values(plans.to_xlsx(second, view_b, bureau_name="省局"))
    assert book_a == book_b
    assert len(book_a["A类随机抽取"]) == 1 + 4 and len(book_a["重点检查对象"]) == 1 + 5
    # The recorded plan draws again the same from its recorded inputs.
    assert plans.verify(first, today=TODAY) == (True, True)
    _other, c = generate(seed=1)
    assert [r.object_id for r in c.selected] != [r.object_id for r in a.selected]
    assert c.candidates_digest == a.candidates_digest


def test_plan_covers_the_bureau_subtree_only(province):
    plan, data = generate("gz_officer", "440100")
    assert {r.bureau for r in plans.plan_view(plan, today=TODAY).required} == {"440100"}
    assert {r.bureau for r in data.selected} == {"440100"}
    assert data.candidates == 30  # the 15 Guangzhou producers and their products


def test_refusals_bureau_outside_the_tree_and_a_year_without_a_run(province):
    with pytest.raises(NotFound):
        generate("gz_officer", "440300")
    with pytest.raises(NotFound):
        generate("gz_supervisor", "440000")
    with pytest.raises(NotFound):
        generate("gz_supervisor", "999999")
    with pytest.raises(DomainError, match="no classification run in 2025"):
        generate(year=2025)
    with pytest.raises(DomainError, match="no classification run in 2026"):
        generate(today=date(2026, 6, 30))
    with pytest.raises(DomainError, match="year"):
        generate(year=2031)
    assert db.session.scalar(select(InspectionPlan.id)) is None
