"""R-RIGHTS (Art. 23-25) on the real database: a repair, a reward and a refusal can be
objected to like a deduction, any scoring can be corrected, decision letters state the rights,
and a correction issues a new notice whose receipt starts a new 15-day window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from app.queries.scores import explained_score, find_object
from app.services.applications import (
    apply_reward,
    file_objection,
    file_repair,
    issue_notices,
    report_correction,
)
from app.services.cases import Ctx, complete_task
from app.services.imports import import_records
from models import Case, CaseTask, LedgerEntry, Notice, Operator, User
from tests.helpers import jsonl, matter, operator, uscc

AT = datetime(2026, 11, 26, 2, tzinfo=UTC)
TODAY = date(2026, 11, 26)
S1 = uscc(2, "440100")
REPAIR = {
    "not_intentional_statement": "目录版本错误",
    "rectification": "已下架",
    "undertaking": True,
}


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def ctx(username: str, day: date = TODAY) -> Ctx:
    user = db.session.scalar(select(User).where(User.username == username))
    return Ctx(username, day, at(day), user=user)


def finish(case_id: int, data: dict, officer: str = "gz_officer", day: date = TODAY) -> Case:
    task = db.session.scalar(
        select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
    )
    case = complete_task(task.id, data, ctx=ctx(officer, day))
    db.session.commit()
    return case


def score() -> str:
    return explained_score(find_object(S1), TODAY)["score"]


def entries(kind: str, on: date = TODAY) -> list[dict]:
    doc = explained_score(find_object(S1), on)
    return [e for e in doc["entries"] if e["kind"] == kind]


def deduction_of(ref: str) -> int:
    return next(e["entry_id"] for e in entries("DEDUCTION") if e["matter"] == ref)


@pytest.fixture
def seller(seeded, db_session):
    """A seller at 12 − 4 − 6 = 2 (M-4 on 2025-01-10, M-6 on 2025-03-10), notified on
    2026-11-26; its enterprise user and an officer of its city bureau."""
    from app.auth import create_user

    report = import_records(
        jsonl(
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
        ).splitlines(True),
        today=TODAY,
        actor="test",
        at=AT,
    )
    assert report.refusals == []
    op = db.session.scalar(select(Operator).where(Operator.uscc == S1))
    create_user("ent_s1", "enterprise", display_name="S1", at=AT, operator_id=op.id)
    create_user("gz_officer", "officer", display_name="GZ", at=AT, bureau_code="440100")
    # Errors are reported by another officer than the one who verifies them (four eyes).
    create_user("gz_officer2", "officer", display_name="GZ2", at=AT, bureau_code="440100")
    db.session.commit()
    issue_notices(ctx=Ctx("scheduler", TODAY, AT))
    db.session.commit()
    assert score() == "2.00"
    return op


def repair(ref: str, decision: dict, day: date = TODAY) -> Case:
    case = file_repair(deduction_of(ref), REPAIR, ctx=ctx("ent_s1", day))
    db.session.commit()
    return finish(case.id, decision, day=day)


def object_to(entry_ids=(), *, refused_case=None, day: date = TODAY) -> Case:
    case = file_objection(
        list(entry_ids), "证据材料", ctx=ctx("ent_s1", day), refused_case=refused_case
    )
    db.session.commit()
    return case


def resolve(case_id: int, outcome: str, points: str | None = None, day: date = TODAY) -> Case:
    finish(case_id, {"decision": "accept"}, day=day)
    data = {"outcome": outcome, "reasons": "经核实"}
    if points is not None:
        data["points"] = points
    return finish(case_id, data, day=day)


APPROVE = {"decision": "approve", "rectified_confirmed": True}


def test_r_rights_a_repair_share_can_be_objected_to_and_amended(seller):
    """A repair granted at 50 % where the enterprise believes 100 %: the objection amends the
    REPAIR entry by compensating entries; it still counts once toward R-REPAIR-LIMIT."""
    from app.services.case_effects import operator_repair_dates

    repair("M-6", APPROVE)  # M-6 is not the first deduction in 36 months: 50 %
    assert score() == "5.00"  # 12 − 4 − 6 + 3
    (rep,) = entries("REPAIR")
    case = object_to([rep["entry_id"]])
    assert case.subject["kinds"] == ["REPAIR"]
    assert case.deciding_bureau == "440100"
    done = resolve(case.id, "amended", "6")
    assert done.outcome == "amended"
    assert score() == "8.00"  # 12 − 4 − 6 + 6
    assert [(e["matter"], e["points"]) for e in entries("REPAIR")] == [("M-6", "6.00")]
    assert len(operator_repair_dates(seller.id)) == 1


def test_r_rights_an_amended_repair_restores_at_most_its_deduction(seller):
    repair("M-6", APPROVE)
    (rep,) = entries("REPAIR")
    case = object_to([rep["entry_id"]])
    finish(case.id, {"decision": "accept"})
    with pytest.raises(DomainError, match=r"at most the 6\.00 points"):
        finish(case.id, {"outcome": "amended", "points": "6.5", "reasons": "x"})
    db.session.rollback()
    assert score() == "5.00"


def test_r_rights_a_revoked_repair_gives_the_repair_back_to_the_limit(seller):
    from app.services.case_effects import operator_repair_dates

    repair("M-4", APPROVE)
    assert score() == "6.00"
    (rep,) = entries("REPAIR")
    resolve(object_to([rep["entry_id"]]).id, "revoked")
    assert score() == "2.00"
    assert entries("REPAIR") == []
    assert operator_repair_dates(seller.id) == []


def test_r_rights_a_repairs_window_runs_from_its_decision_day_15_in_day_16_out(seller):
    repair("M-4", APPROVE, day=date(2026, 11, 26))
    (rep,) = entries("REPAIR")
    # 15 days from 2026-11-26 end on 2026-12-11 (a Friday).
    with pytest.raises(DomainError, match="closed on 2026-12-11"):
        object_to([rep["entry_id"]], day=date(2026, 12, 12))
    db.session.rollback()
    case = object_to([rep["entry_id"]], day=date(2026, 12, 11))
    assert case.subject["window_closes"] == "2026-12-11"


def test_r_rights_a_reward_can_be_objected_to_and_corrected(seller):
    from app.services.filing import add_item

    op = seller
    # R-REWARD-OPERATOR: R17.3 rests on a self-inspection filed within 15 days of the notice.
    add_item(
        op.id,
        {
            "kind": "self_inspection",
            "name": "某牌插座",
            "detail": "已停售",
            "event_on": date(2026, 11, 20),
        },
        ctx=ctx("ent_s1"),
    )
    case = apply_reward(find_object(S1).id, "R17.3", "已停止销售并报告", ctx=ctx("ent_s1"))
    db.session.commit()
    _grant_reward_without_proof_check(case)
    (reward,) = entries("REWARD")
    assert reward["points"] == "1.00"
    objection = object_to([reward["entry_id"]])
    assert objection.matter_id is None and objection.deciding_bureau == "440100"
    with pytest.raises(DomainError, match="at most 2 points"):
        resolve(objection.id, "amended", "2.5")
    db.session.rollback()
    finish(objection.id, {"outcome": "amended", "points": "2", "reasons": "经核实"})
    assert [e["points"] for e in entries("REWARD")] == ["2.00"]
    # A correction of the reward (Art. 25) by staff: revoked.
    (reward,) = entries("REWARD")
    correction = report_correction(reward["entry_id"], "奖励有误", ctx=ctx("gz_officer2"))
    db.session.commit()
    assert correction.deciding_bureau == "440100"
    finish(correction.id, {"decision": "correct", "void": True, "reasons": "无召回报告"})
    assert entries("REWARD") == []
    assert op.id


def _grant_reward_without_proof_check(case: Case) -> None:
    """R17.3 granted by its verification (its proof is tested in test_rewards)."""
    finish(case.id, {"decision": "approve", "reasons": "经核实"}, day=TODAY)


def test_r_rights_a_refused_repair_can_be_objected_to_and_revoking_grants_it(seller):
    from app.services.case_effects import operator_repair_dates

    refused = repair("M-4", {"decision": "reject", "reasons": "整改未确认"})
    assert refused.outcome == "rejected" and score() == "2.00"
    with pytest.raises(DomainError, match="either ledger entries or a refusal"):
        file_objection([deduction_of("M-4")], "x", ctx=ctx("ent_s1"), refused_case=refused.id)
    case = object_to(refused_case=refused.id)
    assert (case.subject["refused_case"], case.deciding_bureau) == (refused.id, "440100")
    done = resolve(case.id, "revoked")
    assert done.outcome == "revoked"
    assert score() == "6.00"  # the repair of the −4 at 100 %
    assert len(operator_repair_dates(seller.id)) == 1


def test_r_rights_an_upheld_objection_to_a_refusal_changes_nothing(seller):
    refused = repair("M-4", {"decision": "reject", "reasons": "整改未确认"})
    resolve(object_to(refused_case=refused.id).id, "upheld")
    assert score() == "2.00"


def test_r_rights_only_a_refused_repair_or_reward_is_a_refusal(seller):
    granted = repair("M-4", APPROVE)
    with pytest.raises(DomainError, match="not a refused repair or reward"):
        object_to(refused_case=granted.id)


def test_r_rights_a_correction_issues_a_new_notice_whose_receipt_starts_the_window(seller):
    """The first notice was received on 2026-11-26 (window to 2026-12-11); a correction on
    2026-12-01 issues a new notice, received that day: the window now runs to 2026-12-16."""
    first = db.session.scalar(select(Notice).order_by(Notice.id).limit(1))
    entry_id = deduction_of("M-4")
    matter_id = db.session.get(LedgerEntry, entry_id).matter_id
    correction = report_correction(
        entry_id, "扣分值有误", ctx=ctx("gz_officer2", date(2026, 12, 1))
    )
    db.session.commit()
    finish(
        correction.id,
        {"decision": "correct", "points": "3", "reasons": "经核实"},
        day=date(2026, 12, 1),
    )
    notices = db.session.scalars(
        select(Notice).where(Notice.matter_id == matter_id).order_by(Notice.id)
    ).all()
    assert len(notices) == 2 and notices[0].id == first.id
    new = notices[1]
    assert new.content["correction_case"] == correction.id
    assert new.received_on == date(2026, 12, 1)
    (own,) = new.content["objects"]
    assert own["points"] == "-3.00"
    corrected = deduction_of("M-4")
    with pytest.raises(DomainError, match="closed on 2026-12-16"):
        object_to([corrected], day=date(2026, 12, 17))
    db.session.rollback()
    case = object_to([corrected], day=date(2026, 12, 14))  # after the first window closed
    assert case.subject["window_closes"] == "2026-12-16"


def test_r_rights_decision_letters_of_repairs_rewards_and_corrections_state_the_rights(
    seller, seeded
):
    from app.letters.content import case_letter

    refused = repair("M-4", {"decision": "reject", "reasons": "整改未确认"})
    granted = repair("M-6", APPROVE)
    correction = report_correction(deduction_of("M-6"), "扣分值有误", ctx=ctx("gz_officer2"))
    db.session.commit()
    finish(correction.id, {"decision": "correct", "points": "5", "reasons": "经核实"})
    for case in (refused, granted, correction):
        with seeded.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
            letter = case_letter(case, ctx=ctx("gz_officer"))
        assert letter.fact("异议期限") == "2026年12月11日", case.process_id
        (rights,) = [s for s in letter.sections if s.heading == "异议"]
        assert "15日内" in rights.paragraphs[0] and "第二十四条" in rights.paragraphs[0]
    from flask_babel import force_locale

    with seeded.test_request_context("/"), force_locale("en"):
        letter = case_letter(granted, ctx=ctx("gz_officer"))
    (rights,) = [s for s in letter.sections if s.heading == "Objection"]
    assert "15 days" in rights.paragraphs[0] and "Art. 24" in rights.paragraphs[0]
