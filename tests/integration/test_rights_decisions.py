"""Rights and decisions follow the Spec (issue 11, points 2, 3, 4, 5, 7), on the real database:
an Art. 11(9) matter is never repairable (R-REPAIR-ELIGIBLE), rewards go by role
(R-REWARD-OPERATOR, Art. 17), the filing and a concealment finding are checked when the bureau
decides (Art. 14(3)), intent belongs to each object (R-INTENT, Art. 13), and A12.1 scores a
seller only with the items Art. 12(1) names (rules §12)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from app.queries.scores import explained_score, find_object
from app.services import filing
from app.services.applications import apply_reward, file_repair
from app.services.case_effects import operator_repair_dates
from app.services.cases import Ctx, complete_task
from app.services.imports import import_records
from models import AuditEvent, CaseTask, LedgerEntry, Matter, Operator, ScoringObject, User
from tests.functional.web import make_user
from tests.helpers import jsonl, matter, operator, product, uscc

AT = datetime(2026, 11, 26, 2, tzinfo=UTC)
TODAY = date(2026, 11, 26)
P1 = uscc(1)  # a Shenzhen producer
S2 = uscc(2)  # a Shenzhen seller (no products)
PRODUCT = {"kind": "product", "producer": P1, "brand": "某牌", "nice_class": 9}
PRODUCER = {"kind": "producer", "uscc": P1}
SELLER = {"kind": "seller", "uscc": S2}
APPLICATION = {"not_intentional_statement": "供应商标签错误", "rectification": "已更换"}


def imported(records):
    report = import_records(jsonl(records).splitlines(True), today=TODAY, actor="test", at=AT)
    db.session.commit()
    return report


def load(records) -> None:
    report = imported(records)
    assert report.refusals == [], report.refusals


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def ctx(username: str | None = None, today: date = TODAY) -> Ctx:
    return Ctx(username or "scheduler", today, AT, user=user(username) if username else None)


def operator_id(uscc_: str) -> int:
    return db.session.scalar(select(Operator.id).where(Operator.uscc == uscc_))


def object_of(uscc_: str, kind: str = "operator") -> int:
    return db.session.scalar(
        select(ScoringObject.id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .where(Operator.uscc == uscc_, ScoringObject.kind == kind)
    )


def deduction(uscc_: str, ref: str, kind: str = "operator") -> LedgerEntry:
    return db.session.scalar(
        select(LedgerEntry)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(
            LedgerEntry.object_id == object_of(uscc_, kind),
            LedgerEntry.kind == "DEDUCTION",
            Matter.ref == ref,
        )
    )


def open_task(case) -> CaseTask:
    return db.session.scalar(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "open")
    )


@pytest.fixture
def people(seeded, db_session):
    """A producer with a product, a seller without, their enterprise users and officers."""
    load([operator(1), product(P1), operator(2)])
    make_user("ent_p1", "enterprise", operator_id=operator_id(P1))
    make_user("ent_s2", "enterprise", operator_id=operator_id(S2))
    make_user("sz_officer", "officer", bureau="440300")
    make_user("prov_officer", "officer", bureau="440000")
    make_user("gz_officer", "officer", bureau="440100")
    db.session.commit()


# ---- point 7: A12.1 for a seller only with Art. 11(2), 11(3), 11(5)-(7) -----------------------


@pytest.mark.parametrize("with_item", ["A11.4", "A11.8", "A11.9"])
def test_art_12_1_a_seller_is_not_scored_with_a11_4_a11_8_or_a11_9(people, with_item):
    report = imported([matter("粤深市监罚〔2025〕71号", [SELLER], items=[with_item, "A12.1"])])
    [refusal] = report.refusals
    assert "Art. 12(1)" in refusal.reason and "seller" in refusal.reason
    assert "A11.2, A11.3, A11.5, A11.6, A11.7" in refusal.reason
    assert db.session.scalar(select(Matter).where(Matter.ref == "粤深市监罚〔2025〕71号")) is None


@pytest.mark.parametrize("with_item", ["A11.2", "A11.3", "A11.5", "A11.6", "A11.7"])
def test_art_12_1_a_seller_is_scored_with_the_items_art_12_1_names(people, with_item):
    load([matter("粤深市监罚〔2025〕72号", [SELLER], items=[with_item, "A12.1"])])
    assert deduction(S2, "粤深市监罚〔2025〕72号").points == -3
    assert deduction(S2, "粤深市监罚〔2025〕72号").item == "A12.1"


def test_art_12_1_a_producer_goes_with_a11_4_but_not_alone(people):
    load([matter("粤深市监罚〔2025〕73号", [PRODUCER], items=["A11.4", "A12.1"])])
    assert deduction(P1, "粤深市监罚〔2025〕73号").points == -3
    report = imported([matter("粤深市监罚〔2025〕74号", [PRODUCER], items=["A12.1"])])
    [refusal] = report.refusals
    assert "Art. 12(1)" in refusal.reason and "producer" in refusal.reason


# ---- point 2: an A11.9 matter is never repairable, the flag follows the item -------------------


def test_r_repair_eligible_an_a11_9_import_stores_major_impact_and_lists_it_for_review(people):
    report = imported(
        [matter("粤深市监罚〔2025〕81号", [PRODUCT, PRODUCER], items=["A11.9", "A12.1"])]
    )
    assert report.refusals == []
    stored = db.session.scalar(select(Matter).where(Matter.ref == "粤深市监罚〔2025〕81号"))
    assert stored.major_impact is True  # the record said false
    [review] = report.review
    assert review.ref == "粤深市监罚〔2025〕81号"
    assert "A11.9" in review.reason and "major_impact" in review.reason
    # A matter without such an item keeps the flag it was given, and nothing is listed.
    report = imported([matter("粤深市监罚〔2025〕82号", [PRODUCER], items=["A11.8", "A12.1"])])
    assert report.review == []
    assert (
        db.session.scalar(select(Matter.major_impact).where(Matter.ref == "粤深市监罚〔2025〕82号"))
        is False
    )


def test_r_repair_eligible_the_producers_a12_1_entry_of_an_a11_9_matter_is_never_repaired(
    people,
):
    load([matter("粤深市监罚〔2025〕83号", [PRODUCT, PRODUCER], items=["A11.9", "A12.1"])])
    producer_entry = deduction(P1, "粤深市监罚〔2025〕83号")
    assert producer_entry.item == "A12.1"
    for entry in (producer_entry, deduction(P1, "粤深市监罚〔2025〕83号", "product")):
        with pytest.raises(DomainError, match=r"not repairable \(Art\. 14\)"):
            file_repair(entry.id, APPLICATION, ctx=ctx("ent_p1"))
        db.session.rollback()
    # Nothing is written, and none of the two repairs is used up.
    assert operator_repair_dates(operator_id(P1)) == []
    assert db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "REPAIR")).all() == []


def test_r_repair_eligible_the_decision_refuses_a_matter_found_of_major_impact(people):
    load([matter("粤深市监罚〔2025〕84号", [PRODUCER], items=["A11.7", "A12.1"])])
    case = file_repair(deduction(P1, "粤深市监罚〔2025〕84号").id, APPLICATION, ctx=ctx("ent_p1"))
    db.session.commit()
    stored = db.session.scalar(select(Matter).where(Matter.ref == "粤深市监罚〔2025〕84号"))
    stored.major_impact = True
    db.session.commit()
    with pytest.raises(DomainError, match=r"not repairable \(Art\. 14\)"):
        complete_task(
            open_task(case).id,
            {"decision": "approve", "rectified_confirmed": True},
            ctx=ctx("sz_officer"),
        )
    db.session.rollback()
    assert operator_repair_dates(operator_id(P1)) == []


# ---- point 3: rewards by role (Art. 17) --------------------------------------------------------


@pytest.mark.parametrize("code", ["R17.1", "R17.2"])
def test_r_reward_operator_a_seller_cannot_apply_for_the_producers_rewards(people, code):
    with pytest.raises(DomainError, match=r"Art\. 17") as refused:
        apply_reward(object_of(S2), code, "声明", ctx=ctx("ent_s2"))
    assert "producer" in refused.value.message and "seller" in refused.value.message


def test_r_reward_operator_r17_3_is_for_sellers_not_producers(people):
    with pytest.raises(DomainError, match=r"Art\. 17"):
        apply_reward(object_of(P1), "R17.3", "声明", ctx=ctx("ent_p1"))
    db.session.rollback()
    assert apply_reward(object_of(S2), "R17.3", "停售并填报", ctx=ctx("ent_s2")).id
    assert apply_reward(object_of(P1), "R17.2", "召回并报备", ctx=ctx("ent_p1")).id


def test_r_reward_operator_the_grant_checks_the_role_again(people):
    """A seller that has become a producer since it applied is no longer granted R17.3."""
    case = apply_reward(object_of(S2), "R17.3", "停售并填报", ctx=ctx("ent_s2"))
    db.session.commit()
    load([product(S2, brand="新牌")])
    with pytest.raises(DomainError, match=r"Art\. 17"):
        complete_task(open_task(case).id, {"decision": "approve"}, ctx=ctx("sz_officer"))
    db.session.rollback()
    assert db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "REWARD")).all() == []


# ---- point 4: the filing and concealment, checked again at the decision (Art. 14(3)) ----------


def test_r_reward_operator_refused_at_the_grant_when_the_filing_became_incomplete(people):
    # The proof R17.3 rests on: a self-inspection filed within 15 days of the notice.
    filing.add_item(
        operator_id(S2),
        {
            "kind": "self_inspection",
            "name": "某牌插座",
            "detail": "已停售同型号产品并报告",
            "event_on": date(2026, 11, 20),
        },
        ctx=ctx("ent_s2"),
    )
    case = apply_reward(object_of(S2), "R17.3", "停售并填报", ctx=ctx("ent_s2"))
    db.session.commit()
    load([operator(2, filing=False)])  # the filing is incomplete since
    with pytest.raises(DomainError, match=r"no longer complete \(Art\. 14\(3\)\)"):
        complete_task(open_task(case).id, {"decision": "approve"}, ctx=ctx("sz_officer"))
    db.session.rollback()
    load([operator(2, filing=True)])
    done = complete_task(open_task(case).id, {"decision": "approve"}, ctx=ctx("sz_officer"))
    assert done.outcome == "granted"


def test_r_repair_eligible_refused_at_the_decision_when_the_filing_became_incomplete(people):
    load([matter("粤深市监罚〔2025〕85号", [PRODUCER], items=["A11.7", "A12.1"])])
    case = file_repair(deduction(P1, "粤深市监罚〔2025〕85号").id, APPLICATION, ctx=ctx("ent_p1"))
    db.session.commit()
    load([operator(1, filing=False)])
    with pytest.raises(DomainError, match=r"no longer complete"):
        complete_task(
            open_task(case).id,
            {"decision": "approve", "rectified_confirmed": True},
            ctx=ctx("sz_officer"),
        )
    db.session.rollback()
    assert operator_repair_dates(operator_id(P1)) == []


def test_r_repair_eligible_a_concealment_finding_bars_repairs_and_rewards_until_cleared(people):
    load([matter("粤深市监罚〔2025〕86号", [PRODUCER], items=["A11.7", "A12.1"])])
    entry = deduction(P1, "粤深市监罚〔2025〕86号")
    # A repair filed before the finding is refused at the decision.
    case = file_repair(entry.id, APPLICATION, ctx=ctx("ent_p1"))
    db.session.commit()
    finding = filing.record_concealment(
        operator_id(P1), "抽查发现未填报的经销商", ctx=ctx("sz_officer")
    )
    db.session.commit()
    with pytest.raises(DomainError, match="concealment"):
        complete_task(
            open_task(case).id,
            {"decision": "approve", "rectified_confirmed": True},
            ctx=ctx("sz_officer"),
        )
    db.session.rollback()
    with pytest.raises(DomainError, match="concealment"):
        apply_reward(object_of(P1), "R17.2", "召回并报备", ctx=ctx("ent_p1"))
    db.session.rollback()
    # Audited: who found it, why.
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "filing.concealment"))
    assert (event.actor, event.object_ref) == ("sz_officer", P1)
    assert event.detail == {"finding": finding.id, "reason": "抽查发现未填报的经销商"}
    # Cleared: the same decision goes through, and the clearing is audited too.
    filing.clear_concealment(operator_id(P1), "已补充填报经销商", ctx=ctx("prov_officer"))
    db.session.commit()
    done = complete_task(
        open_task(case).id,
        {"decision": "approve", "rectified_confirmed": True},
        ctx=ctx("sz_officer"),
    )
    assert done.outcome == "approved"
    assert (
        db.session.scalar(
            select(AuditEvent.actor).where(AuditEvent.action == "filing.concealment_cleared")
        )
        == "prov_officer"
    )
    assert filing.active_finding(operator_id(P1)) is None


def test_r_repair_eligible_only_staff_of_the_operators_bureau_or_above_record_concealment(
    people,
):
    for who in ("gz_officer", "ent_p1"):  # another city's officer, the enterprise itself
        with pytest.raises(DomainError) as refused:
            filing.record_concealment(operator_id(P1), "理由", ctx=ctx(who))
        assert refused.value.status == 403
    with pytest.raises(DomainError, match="reason"):
        filing.record_concealment(operator_id(P1), "  ", ctx=ctx("sz_officer"))
    filing.record_concealment(operator_id(P1), "理由", ctx=ctx("prov_officer"))
    with pytest.raises(DomainError, match="already recorded"):
        filing.record_concealment(operator_id(P1), "再次", ctx=ctx("sz_officer"))


def test_r_repair_eligible_a_concealment_finding_refuses_the_application_with_the_reason(people):
    load([matter("粤深市监罚〔2025〕87号", [PRODUCER], items=["A11.7", "A12.1"])])
    filing.record_concealment(operator_id(P1), "隐瞒供货商", ctx=ctx("sz_officer"))
    db.session.commit()
    with pytest.raises(DomainError, match=r"concealment.*Art\. 14\(3\)"):
        file_repair(deduction(P1, "粤深市监罚〔2025〕87号").id, APPLICATION, ctx=ctx("ent_p1"))


# ---- point 5: intent per object (Art. 13) ------------------------------------------------------


def test_r_intent_a_seller_takes_the_ordinary_value_when_only_the_producer_acted_intentionally(
    people,
):
    ref = "粤深市监罚〔2025〕91号"
    load(
        [
            matter(
                ref,
                [{**PRODUCER, "intentional": True}, SELLER],
                items=["A11.5", "A12.1"],
            )
        ]
    )
    assert deduction(P1, ref).points == -6  # intentional value of A12.1
    assert deduction(S2, ref).points == -3  # ordinary value: the seller did not intend it
    stored = db.session.scalar(select(Matter).where(Matter.ref == ref))
    assert stored.intentional is False and stored.intentional_objects == [P1]
    assert explained_score(find_object(S2), TODAY)["score"] == "9.00"
    # The repair looks at each applicant's own intent (Art. 14(1)).
    with pytest.raises(DomainError, match=r"Art\. 14\(1\)"):
        file_repair(deduction(P1, ref).id, APPLICATION, ctx=ctx("ent_p1"))
    db.session.rollback()
    assert file_repair(deduction(S2, ref).id, APPLICATION, ctx=ctx("ent_s2")).id


def test_r_intent_the_matter_level_flag_still_means_every_object(people):
    ref = "粤深市监罚〔2025〕92号"
    load([matter(ref, [PRODUCER, SELLER], items=["A11.5", "A12.1"], intentional=True)])
    assert (deduction(P1, ref).points, deduction(S2, ref).points) == (-6, -6)
    stored = db.session.scalar(select(Matter).where(Matter.ref == ref))
    assert stored.intentional is True and stored.intentional_objects is None
    # The same record again changes nothing (its content hash is what it always was).
    assert imported([matter(ref, [PRODUCER, SELLER], items=["A11.5", "A12.1"], intentional=True)])
    report = imported([matter(ref, [PRODUCER, SELLER], items=["A11.5", "A12.1"], intentional=True)])
    assert (report.unchanged, report.refused) == (1, 0)


def test_r_intent_an_object_cannot_deny_the_matter_level_flag(people):
    report = imported(
        [
            matter(
                "粤深市监罚〔2025〕93号",
                [PRODUCER, {**SELLER, "intentional": False}],
                items=["A11.5", "A12.1"],
                intentional=True,
            )
        ]
    )
    [refusal] = report.refusals
    assert refusal.reason.startswith("objects.1.intentional") and "Art. 13" in refusal.reason
