"""R-SCOPE (Art. 2) through the import service, on the real database: products, spot checks
and matters about products outside the Specification are refused and write nothing; a
category the catalogue does not know is accepted and listed for review."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.services.imports import import_records
from app.services.scope import DEFAULT_CATALOGUE
from models import AuditEvent, LedgerEntry, Matter, Operator, ScoringObject, SpotCheck
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
P1 = uscc(1)
S1 = uscc(2, "440100")
ART_2 = "outside the scope of the Specification (Art. 2)"


def run(lines: bytes):
    report = import_records(lines.splitlines(keepends=True), today=TODAY, actor="test", at=AT)
    db.session.commit()
    return report


def counts() -> dict[str, int]:
    return {
        m.__name__: db.session.scalar(select(func.count()).select_from(m))
        for m in (AuditEvent, LedgerEntry, Matter, Operator, ScoringObject, SpotCheck)
    }


@pytest.fixture
def operators(seeded, db_session):
    report = run(jsonl([operator(1), operator(2, bureau="440100"), product(P1)]))
    assert report.refusals == []
    return report


@pytest.fixture
def lift(operators):
    """A product stored with category 电梯 before imports checked the scope (e.g. by an older
    release): brand 升牌, Nice class 7 of producer P1."""
    producer = db.session.scalar(select(Operator.id).where(Operator.uscc == P1))
    db.session.add(
        ScoringObject(
            kind="product", operator_id=producer, brand="升牌", nice_class=7, category="电梯"
        )
    )
    db.session.commit()
    return (P1, "升牌", 7)


@pytest.mark.parametrize(
    ("category", "family"),
    [
        ("电梯", "special equipment (特种设备)"),
        ("乘客电梯", "special equipment (特种设备)"),
        ("液化气钢瓶", "special equipment (特种设备)"),
        ("保健食品", "food (食品)"),
        ("进口保健食品", "food (食品)"),
        ("化妆品", "cosmetics (化妆品)"),
        ("电子秤", "measuring instruments (计量器具)"),
    ],
)
def test_r_scope_an_out_of_scope_product_is_refused_naming_art_2_and_its_family(
    operators, category, family
):
    before = counts()
    report = run(jsonl([product(P1, brand="外牌", category=category)]))
    assert (report.refused, report.created) == (1, 0)
    refusal = report.refusals[0]
    assert refusal.line == 1
    assert refusal.reason == f"category: category {category} is {family}, {ART_2}"
    assert counts() == before  # nothing written, not even an audit event
    assert report.review == []


def test_r_scope_an_in_scope_exception_is_imported_without_review(operators):
    report = run(
        jsonl(
            [
                product(P1, brand="机牌", category="食品机械"),
                product(P1, brand="轨牌", category="电梯导轨"),
            ]
        )
    )
    assert (report.created, report.refused, report.review) == (2, 0, [])


def test_r_scope_a_product_cannot_be_moved_into_an_excluded_category(operators):
    before = counts()
    report = run(jsonl([product(P1, category="乘客电梯")]))  # 某牌/9 is 电子电器
    assert report.refused == 1 and ART_2 in report.refusals[0].reason
    assert counts() == before
    category = db.session.scalar(
        select(ScoringObject.category).where(ScoringObject.brand == "某牌")
    )
    assert category == "电子电器"


def test_r_scope_an_unknown_category_is_accepted_and_listed_for_review(operators):
    report = run(
        jsonl(
            [
                product(P1, brand="光牌", category="太阳能光伏组件"),
                product(P1, brand="电牌", category="电线电缆"),
                product(P1, brand="坏牌", nice_class=35, category="另一种未知类别"),
            ]
        )
    )
    assert (report.created, report.refused) == (2, 1)
    # only the accepted unknown category; a refused record is not also listed for review
    assert [(r.line, r.category) for r in report.review] == [(1, "太阳能光伏组件")]
    assert "not in the scope catalogue" in report.review[0].reason
    assert report.as_dict()["review"] == [
        {
            "line": 1,
            "ref": None,
            "category": "太阳能光伏组件",
            "reason": "category 太阳能光伏组件 is not in the scope catalogue; check that it is an "
            "industrial product (Art. 2)",
        }
    ]
    stored = db.session.scalar(select(ScoringObject.category).where(ScoringObject.brand == "光牌"))
    assert stored == "太阳能光伏组件"


def test_r_scope_the_report_keeps_its_fields_and_adds_review(operators):
    report = run(jsonl([product(P1)]))
    assert report.as_dict() == {
        "read": 1,
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "refused": 0,
        "refusals": [],
        "review": [],
    }


def test_r_scope_a_matter_against_a_stored_out_of_scope_product_is_refused(lift):
    before = counts()
    report = run(
        jsonl(
            [
                matter(
                    "M-LIFT",
                    [{"kind": "product", "producer": P1, "brand": "升牌", "nice_class": 7}],
                    items=["A11.2"],
                )
            ]
        )
    )
    assert report.refused == 1
    assert report.refusals[0].reason == (
        f"objects.0: category 电梯 is special equipment (特种设备), {ART_2}"
    )
    assert report.refusals[0].ref == "M-LIFT"
    assert counts() == before


def test_r_scope_a_spot_check_of_a_stored_out_of_scope_product_is_refused(lift):
    before = counts()
    for result in ("fail", "pass"):
        check = spot_check(f"GD-CC-{result}", P1, brand="升牌", nice_class=7, result=result)
        report = run(jsonl([{**check, "seller": S1}]))
        assert report.refused == 1, result
        assert report.refusals[0].reason.startswith("product: category 电梯 is special equipment")
    assert counts() == before


@pytest.mark.parametrize("kind", ["producer", "seller"])
@pytest.mark.parametrize("category", ["电梯", "进口保健食品"])
def test_r_scope_a_matter_against_the_producer_or_seller_of_an_out_of_scope_product_is_refused(
    operators, kind, category
):
    who = P1 if kind == "producer" else S1
    before = counts()
    record = {
        **matter("M-OP", [{"kind": kind, "uscc": who}], items=["A12.3"]),
        "category": category,
    }
    report = run(jsonl([record]))
    assert report.refused == 1
    assert report.refusals[0].reason.startswith(f"category: category {category} is ")
    assert ART_2 in report.refusals[0].reason
    assert counts() == before


def test_r_scope_a_matter_naming_an_in_scope_or_unknown_category_goes_in(operators):
    records = [
        {
            **matter("M-IN", [{"kind": "seller", "uscc": S1}], items=["A12.3"]),
            "category": "电子电器",
        },
        {
            **matter("M-UNK", [{"kind": "producer", "uscc": P1}], items=["A12.3"]),
            "category": "无人机",
        },
    ]
    report = run(jsonl(records))
    assert (report.created, report.refused) == (2, 0)
    assert [(r.line, r.ref, r.category) for r in report.review] == [(2, "M-UNK", "无人机")]


def test_r_scope_a_matter_recorded_before_is_still_unchanged_on_reimport(lift):
    """The optional `category` does not change the content hash of records without it, and an
    already recorded matter is not a new matter."""
    record = matter("M-OLD", [{"kind": "seller", "uscc": S1}], items=["A12.3"])
    assert run(jsonl([record])).created == 1
    again = run(jsonl([record]))
    assert (again.unchanged, again.refused) == (1, 0)


def test_r_scope_refusal_carries_its_template_for_the_pages(operators):
    report = run(jsonl([product(P1, brand="外牌", category="保健品")]))
    refusal = report.refusals[0]
    assert refusal.fieldname == "category"
    assert refusal.params == {"category": "保健品", "family": "food", "family_zh": "食品"}
    assert refusal.template % refusal.params in refusal.reason
    assert "template" not in json.dumps(report.as_dict())


def test_r_scope_the_catalogue_is_data_read_again_when_it_changes(operators, tmp_path):
    """SCOPE_CATALOGUE names the file; a name added to it decides the next import."""
    path = tmp_path / "scope.yaml"
    path.write_text(DEFAULT_CATALOGUE.read_text("utf-8"), "utf-8")
    current_app.config["SCOPE_CATALOGUE"] = str(path)
    report = run(jsonl([product(P1, brand="直牌", category="家用直梯")]))
    assert (report.created, [r.category for r in report.review]) == (1, ["家用直梯"])
    path.write_text(
        path.read_text("utf-8").replace("自动扶梯, 扶梯,", "自动扶梯, 扶梯, 直梯,"), "utf-8"
    )
    os.utime(path, (1, 1))  # a new modification time, even within the clock's resolution
    report = run(jsonl([product(P1, brand="直牌", category="家用直梯")]))
    assert report.refused == 1
    assert report.refusals[0].reason.startswith("category: category 家用直梯 is special equipment")
