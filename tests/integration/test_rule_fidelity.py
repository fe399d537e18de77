"""What the product tells people follows the Spec, on the real database: notices state each
object's own figures (R-NOTICE), a repair is of the matter (R-REPAIR-ONE-MATTER), R-180 merges
only the product's failure, and every output orders same-day entries alike (R-ORDER)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.queries.scores import explained_score, find_object
from app.services.applications import file_repair, issue_notices
from app.services.cases import Ctx, complete_task
from app.services.classification import run_classification
from app.services.imports import import_records
from models import CaseTask, ClassificationResult, Matter, Notice, Operator, ScoringObject, User
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

AT = datetime(2026, 11, 26, 2, tzinfo=UTC)
TODAY = date(2026, 11, 26)
P1 = uscc(1)
PRODUCT = {"kind": "product", "producer": P1, "brand": "某牌", "nice_class": 9}


def load(records) -> None:
    report = import_records(jsonl(records).splitlines(True), today=TODAY, actor="test", at=AT)
    assert report.refusals == [], report.refusals
    db.session.commit()


def score(brand: str | None = None, as_of: date = TODAY) -> str:
    obj = find_object(P1, brand, 9 if brand else None)
    return explained_score(obj, as_of)["score"]


def users():
    from app.auth import create_user

    op = db.session.scalar(select(Operator).where(Operator.uscc == P1))
    ent = create_user("ent_p1", "enterprise", display_name="P1", at=AT, operator_id=op.id)
    officer = create_user("sz_officer", "officer", display_name="SZ", at=AT, bureau_code="440300")
    db.session.commit()
    return ent, officer


def notice_of(ref: str) -> Notice:
    return db.session.scalar(select(Notice).join(Matter).where(Matter.ref == ref))


def issue(today: date = TODAY) -> None:
    issue_notices(ctx=Ctx("scheduler", today, AT))
    db.session.commit()


@pytest.fixture
def split_matter(seeded, db_session):
    """One matter that scored a product (A11.7, −2) and its producer (A12.1, −3)."""
    load(
        [
            operator(1),
            product(P1),
            matter(
                "粤深市监罚〔2025〕1号",
                [PRODUCT, {"kind": "producer", "uscc": P1}],
                items=["A11.7", "A12.1"],
                effective_on="2025-05-06",
            ),
        ]
    )
    return users()


def approve_repair(ent, officer, entry_id: int):
    case = file_repair(
        entry_id,
        {
            "not_intentional_statement": "标签供应商错误",
            "rectification": "已更换",
            "undertaking": True,
        },
        ctx=Ctx("ent_p1", TODAY, AT, user=ent),
    )
    db.session.commit()
    task = db.session.scalar(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "open")
    )
    done = complete_task(
        task.id,
        {"decision": "approve", "rectified_confirmed": True},
        ctx=Ctx("sz_officer", TODAY, AT, user=officer),
    )
    db.session.commit()
    return done


def test_r_repair_one_matter_restores_the_matter_on_the_product_and_its_producer(split_matter):
    from app.services.case_effects import operator_repair_dates

    ent, officer = split_matter
    assert (score(), score("某牌")) == ("9.00", "10.00")
    doc = explained_score(find_object(P1), TODAY)
    producer_entry = next(
        e["entry_id"] for e in doc["entries"] if e["kind"] == "DEDUCTION" and e["item"] == "A12.1"
    )
    done = approve_repair(ent, officer, producer_entry)
    assert done.outcome == "approved"
    # Both objects of the matter are restored, each at 100 % (its first deduction), so the
    # product's −2 does not come to count against the producer instead.
    assert (score(), score("某牌")) == ("12.00", "12.00")
    op = db.session.scalar(select(Operator).where(Operator.uscc == P1))
    assert len(operator_repair_dates(op.id)) == 1  # one matter repaired: counts once


def test_r_repair_one_matter_a_repaired_matter_cannot_be_repaired_again(split_matter):
    from app.errors import DomainError
    from app.queries.portal import settled_matters

    ent, officer = split_matter
    product_doc = explained_score(find_object(P1, "某牌", 9), TODAY)
    product_entry = next(e["entry_id"] for e in product_doc["entries"] if e["kind"] == "DEDUCTION")
    approve_repair(ent, officer, product_entry)
    doc = explained_score(find_object(P1), TODAY)
    producer_entry = next(
        e["entry_id"] for e in doc["entries"] if e["kind"] == "DEDUCTION" and e["item"] == "A12.1"
    )
    with pytest.raises(DomainError, match="already repaired"):
        file_repair(
            producer_entry,
            {"not_intentional_statement": "x", "rectification": "y", "undertaking": True},
            ctx=Ctx("ent_p1", TODAY, AT, user=ent),
        )
    repaired, _open = settled_matters(ent.operator_id, TODAY)
    assert repaired == {"粤深市监罚〔2025〕1号"}


def test_r_notice_an_intentional_failure_states_six_for_each_object_not_twelve(seeded, db_session):
    load([operator(1), product(P1), spot_check("GD-CC-1", P1, intentional=True)])
    issue()
    figures = notice_of("GD-CC-1").content["objects"]
    by_kind = {f["kind"]: f for f in figures}
    assert by_kind["product"]["points"] == "-6.00"
    assert by_kind["operator"]["points"] == "-6.00"
    assert (by_kind["product"]["score"], by_kind["product"]["class"]) == ("6.00", "C")
    assert (by_kind["operator"]["score"], by_kind["operator"]["class"]) == ("6.00", "C")
    assert [f["kind"] for f in figures] == ["operator", "product"]


def test_r_notice_letter_names_each_object_with_its_own_points(seeded, db_session):
    from app.letters.content import notice_letter

    load([operator(1), product(P1), spot_check("GD-CC-1", P1, intentional=True)])
    issue()
    with seeded.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        letter = notice_letter(notice_of("GD-CC-1"), ctx=Ctx("t", TODAY, AT))
    values = [v for label, v in letter.facts if label == "所记分值"]
    assert values == ["扣6分", "扣6分"]
    assert not any("扣12分" in v for _label, v in letter.facts)
    objects = [v for label, v in letter.facts if label == "记分对象"]
    assert any("某牌" in v for v in objects) and any(P1 in v for v in objects)


def test_r_notice_a_merged_failure_is_notified_as_zero_with_the_reason(seeded, db_session):
    from app.letters.content import notice_letter

    load(
        [
            operator(1),
            product(P1),
            spot_check("GD-CC-1", P1, effective_on="2025-04-10"),
            spot_check("GD-CC-2", P1, effective_on="2025-06-10", sampled_on="2025-05-20"),
        ]
    )
    issue()
    (figures,) = notice_of("GD-CC-2").content["objects"]
    assert (figures["points"], figures["merged"], figures["score"]) == ("0.00", True, "9.00")
    with seeded.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        letter = notice_letter(notice_of("GD-CC-2"), ctx=Ctx("t", TODAY, AT))
    assert "合并计分" in letter.fact("所记分值")
    assert "第九条" in letter.fact("所记分值")


def test_r_notice_of_a_product_shows_the_products_score_not_the_producers(seeded, db_session):
    load(
        [
            operator(1),
            product(P1),
            matter("M-OWN", [{"kind": "producer", "uscc": P1}], items=["A12.3"]),
            matter("M-PRODUCT", [PRODUCT], items=["A11.7"], effective_on="2025-06-01"),
        ]
    )
    issue()
    (figures,) = notice_of("M-PRODUCT").content["objects"]
    assert figures["kind"] == "product"
    assert (figures["points"], figures["score"], figures["class"]) == ("-2.00", "10.00", "B")
    assert score() == "6.00"  # the producer's own score is not what the product's notice says


def test_r_notice_states_the_class_in_force_where_it_differs(seeded, db_session):
    from app.letters.content import notice_letter

    load([operator(1), product(P1), spot_check("GD-CC-1", P1, effective_on="2025-04-10")])
    run_classification(date(2025, 7, 1), actor="test", at=AT)
    db.session.commit()
    load([spot_check("GD-CC-2", P1, effective_on="2025-12-10", sampled_on="2025-12-01")])
    issue()
    (figures,) = notice_of("GD-CC-2").content["objects"]
    assert (figures["score"], figures["class"]) == ("6.00", "C")
    assert figures["official_class"]["class"] == "B"
    assert figures["official_class"]["run_on"] == "2025-07-01"
    with seeded.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        letter = notice_letter(notice_of("GD-CC-2"), ctx=Ctx("t", TODAY, AT))
    assert "B类" in letter.fact("现行监管等级")
    assert "2025年7月1日" in letter.fact("现行监管等级")


def test_r_180_the_producers_a12_2_of_an_intentional_failure_is_not_merged(seeded, db_session):
    load(
        [
            operator(1),
            product(P1),
            spot_check("GD-CC-1", P1, effective_on="2025-04-10"),
            spot_check(
                "GD-CC-2", P1, effective_on="2025-06-10", sampled_on="2025-05-20", intentional=True
            ),
        ]
    )
    # The product's second failure is merged (9.00); the producer's A12.2 of it still costs 6.
    assert score("某牌") == "9.00"
    assert score() == "3.00"
    run_classification(date(2026, 7, 1), actor="test", at=AT)
    db.session.commit()
    stored = dict(
        db.session.execute(
            select(ScoringObject.kind, ClassificationResult.score).join(
                ClassificationResult, ClassificationResult.object_id == ScoringObject.id
            )
        ).all()
    )
    assert stored == {"operator": Decimal("3.00"), "product": Decimal("9.00")}


def test_r_180_failures_with_unknown_model_are_both_scored_and_reported(seeded, db_session):
    records = [
        operator(1),
        product(P1),
        spot_check("GD-CC-1", P1, effective_on="2025-04-10", model=None),
        spot_check(
            "GD-CC-2", P1, effective_on="2025-06-10", sampled_on="2025-05-20", standard=None
        ),
        spot_check("GD-CC-3", P1, effective_on="2025-08-10", sampled_on="2025-08-01"),
    ]
    report = import_records(jsonl(records).splitlines(True), today=TODAY, actor="t", at=AT)
    db.session.commit()
    assert report.refusals == []
    warned = [(w.ref, w.category) for w in report.review if "R-180" in w.reason]
    assert warned == [("GD-CC-1", None), ("GD-CC-2", None)]  # the known model is not warned
    assert score("某牌") == "3.00"  # none of the three merges: sameness cannot be shown


def test_r_order_score_api_and_classification_agree_on_same_day_failures(seeded, db_session):
    # Two failures of one product on one day, the later ref recorded first: every output
    # scores the first by ref and merges the other.
    load([operator(1), product(P1), spot_check("GD-CC-B", P1, effective_on="2025-04-10")])
    load([spot_check("GD-CC-A", P1, effective_on="2025-04-10", intentional=True)])
    doc = explained_score(find_object(P1, "某牌", 9), date(2026, 7, 1))
    merged = {e["matter"] for e in doc["entries"] if e["note"] == "merged under R-180"}
    assert merged == {"GD-CC-B"}
    api = {"product": doc["score"], "operator": score(as_of=date(2026, 7, 1))}
    run_classification(date(2026, 7, 1), actor="test", at=AT)
    db.session.commit()
    stored = {
        kind: f"{points:.2f}"
        for kind, points in db.session.execute(
            select(ScoringObject.kind, ClassificationResult.score).join(
                ClassificationResult, ClassificationResult.object_id == ScoringObject.id
            )
        )
    }
    assert stored == api == {"product": "6.00", "operator": "6.00"}


S1 = uscc(2, "440100")


@pytest.fixture
def repaired_seller(seeded, db_session):
    """A seller at 12 − 4 − 6 = 2, then its first deduction (−4) repaired at 100 %: 6.00."""
    from app.auth import create_user

    load(
        [
            operator(2, bureau="440100"),
            matter(
                "M-4",
                [{"kind": "seller", "uscc": S1}],
                items=["A12.3"],
                bureau="440100",
                effective_on="2025-01-10",
            ),
            matter(
                "M-6",
                [{"kind": "seller", "uscc": S1}],
                items=["A12.5"],
                bureau="440100",
                effective_on="2025-03-10",
            ),
        ]
    )
    op = db.session.scalar(select(Operator).where(Operator.uscc == S1))
    ent = create_user("ent_s1", "enterprise", display_name="S1", at=AT, operator_id=op.id)
    officer = create_user("gz_officer", "officer", display_name="GZ", at=AT, bureau_code="440100")
    db.session.commit()
    assert seller_score() == "2.00"
    entry = deduction_of("M-4")
    case = file_repair(
        entry,
        {
            "not_intentional_statement": "目录版本错误",
            "rectification": "已下架",
            "undertaking": True,
        },
        ctx=Ctx("ent_s1", TODAY, AT, user=ent),
    )
    db.session.commit()
    finish(case.id, {"decision": "approve", "rectified_confirmed": True}, officer)
    assert seller_score() == "6.00"
    return op, officer


def seller_score() -> str:
    return explained_score(find_object(S1), TODAY)["score"]


def deduction_of(ref: str) -> int:
    doc = explained_score(find_object(S1), TODAY)
    return next(
        e["entry_id"] for e in doc["entries"] if e["kind"] == "DEDUCTION" and e["matter"] == ref
    )


def finish(case_id: int, data: dict, officer) -> None:
    task = db.session.scalar(
        select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
    )
    complete_task(task.id, data, ctx=Ctx(officer.username, TODAY, AT, user=officer))
    db.session.commit()


def correct(entry_id: int, data: dict, officer) -> None:
    from app.services.applications import report_correction

    # Four eyes (Art. 25): another officer of the bureau reports, `officer` decides.
    reporter = db.session.scalar(select(User).where(User.username == "gz_officer2"))
    if reporter is None:
        from app.auth import create_user

        reporter = create_user(
            "gz_officer2", "officer", display_name="GZ2", at=AT, bureau_code="440100"
        )
    case = report_correction(
        entry_id, "扣分值有误", ctx=Ctx("gz_officer2", TODAY, AT, user=reporter)
    )
    db.session.commit()
    finish(case.id, {"decision": "correct", "reasons": "经核实扣分值有误", **data}, officer)


def test_r_repair_keep_a_correction_keeps_the_repair_re_based_on_the_corrected_points(
    repaired_seller,
):
    from app.services.case_effects import operator_repair_dates

    op, officer = repaired_seller
    correct(deduction_of("M-4"), {"points": "3"}, officer)
    # 12 − 3 − 6 + 3: the repair stays, at its 100 % share of the corrected 3 points.
    assert seller_score() == "6.00"
    doc = explained_score(find_object(S1), TODAY)
    repairs = [e for e in doc["entries"] if e["kind"] == "REPAIR"]
    assert [(e["matter"], e["points"]) for e in repairs] == [("M-4", "3.00")]
    assert len(operator_repair_dates(op.id)) == 1  # still one repair toward R-REPAIR-LIMIT


def test_r_repair_keep_a_half_share_repair_is_re_based_at_half(repaired_seller):
    from models import User

    _op, officer = repaired_seller
    ent = db.session.scalar(select(User).where(User.username == "ent_s1"))
    case = file_repair(
        deduction_of("M-6"),
        {"not_intentional_statement": "未察觉", "rectification": "已召回", "undertaking": True},
        ctx=Ctx("ent_s1", TODAY, AT, user=ent),
    )
    db.session.commit()
    finish(case.id, {"decision": "approve", "rectified_confirmed": True}, officer)
    assert seller_score() == "9.00"  # the later deduction restores 50 %: 6 + 3
    correct(deduction_of("M-6"), {"points": "5"}, officer)
    assert seller_score() == "9.50"  # 12 − 4 + 4 − 5 + 2.5


def test_r_repair_keep_a_revoked_deduction_takes_its_repair_and_gives_back_the_limit(
    repaired_seller,
):
    from app.services.case_effects import operator_repair_dates

    op, officer = repaired_seller
    assert len(operator_repair_dates(op.id)) == 1
    correct(deduction_of("M-4"), {"void": True}, officer)
    assert seller_score() == "6.00"  # 12 − 6: the revoked −4 and its +4 both go
    doc = explained_score(find_object(S1), TODAY)
    assert [e for e in doc["entries"] if e["kind"] == "REPAIR"] == []
    assert operator_repair_dates(op.id) == []
