"""Rewards on the real database: proposals and grants count only spot checks inside the scoring
cycle (R-REWARD-PRODUCT, Art. 16), and each reward is decided by the bureau of Art. 22 (rules
§5): spot-check rewards by the province, the others by the operator's city bureau."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from app.services.applications import apply_reward, propose_rewards, reward_bureau
from app.services.cases import Ctx, complete_task
from app.services.imports import import_records
from models import Case, CaseTask, LedgerEntry, Operator, ScoringObject, User
from tests.functional.web import make_user
from tests.helpers import jsonl, operator, product, spot_check, uscc

TODAY = date(2026, 11, 26)  # the scoring cycle ending today starts on 2023-11-27
P1 = uscc(1)  # a Shenzhen producer (city bureau 440300)
P5 = uscc(5, "440305")  # a producer of Nanshan district, Shenzhen (county bureau 440305)
S6 = uscc(6, "440305")  # a seller of Nanshan district


def load(records) -> None:
    report = import_records(
        jsonl(records).splitlines(True),
        today=TODAY,
        actor="test",
        at=datetime(2026, 11, 26, 1, tzinfo=UTC),
    )
    assert report.refusals == []
    db.session.commit()


def checks(producer: str, *days: str, brand: str = "某牌") -> list[dict]:
    return [
        spot_check(f"GD-CC-{producer[-6:]}-{brand}-{day}", producer, result="pass", sampled_on=day)
        for day in days
    ]


def ctx(today: date = TODAY, username: str | None = None) -> Ctx:
    user = db.session.scalar(select(User).where(User.username == username)) if username else None
    return Ctx(
        username or "scheduler", today, datetime.combine(today, datetime.min.time(), UTC), user=user
    )


def proposals() -> list[Case]:
    return list(
        db.session.scalars(select(Case).where(Case.process_id == "reward").order_by(Case.id))
    )


def task_of(case: Case) -> CaseTask:
    return db.session.scalar(
        select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "open")
    )


def object_id(uscc_: str, kind: str = "product") -> int:
    return db.session.scalar(
        select(ScoringObject.id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .where(Operator.uscc == uscc_, ScoringObject.kind == kind)
    )


@pytest.fixture
def producers(seeded, db_session):
    load([operator(1), product(P1), operator(5, bureau="440305"), product(P5)])


# ---- R-REWARD-PRODUCT: only checks inside the cycle -------------------------------------------


def test_r_reward_product_clean_checks_of_2019_2020_are_not_proposed_in_2026(producers):
    load(checks(P1, "2019-05-01", "2020-05-01"))
    assert propose_rewards(ctx=ctx()) == 0
    assert proposals() == []


def test_r_reward_product_clean_checks_of_2024_2025_are_proposed(producers):
    load(checks(P1, "2024-05-01", "2025-05-01"))
    assert propose_rewards(ctx=ctx()) == 1
    [case] = proposals()
    assert case.subject["clean_years"] == [2024, 2025]
    assert propose_rewards(ctx=ctx()) == 0  # once


def test_r_reward_product_a_check_on_the_first_day_of_the_cycle_counts(producers):
    load(checks(P1, "2023-11-27", "2024-05-01"))
    assert propose_rewards(ctx=ctx()) == 1
    assert proposals()[0].subject["clean_years"] == [2023, 2024]


def test_r_reward_product_a_check_on_the_day_before_the_cycle_does_not(producers):
    load(checks(P1, "2023-11-26", "2024-05-01"))
    assert propose_rewards(ctx=ctx()) == 0


def test_r_reward_product_grant_refused_when_the_proof_left_the_cycle(producers):
    """Proposed on 2026-11-26 on checks of 2023-11-27 and 2024; verified a day later, the 2023
    check has left the cycle (which now starts 2023-11-28): no reward, and the refusal names
    Art. 16."""
    load(checks(P1, "2023-11-27", "2024-05-01"))
    make_user("prov_officer", "officer", bureau="440000")
    db.session.commit()
    propose_rewards(ctx=ctx())
    db.session.commit()
    [case] = proposals()
    task = task_of(case)
    later = date(2026, 11, 27)
    with pytest.raises(DomainError, match=r"Art\. 16") as refused:
        complete_task(task.id, {"decision": "approve"}, ctx=ctx(later, "prov_officer"))
    assert "2023-11-28" in refused.value.message
    db.session.rollback()
    assert db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "REWARD")).all() == []
    # On the day it was proposed the same proof still holds: granted.
    done = complete_task(task_of(case).id, {"decision": "approve"}, ctx=ctx(TODAY, "prov_officer"))
    assert done.outcome == "granted"


# ---- reward routing (Art. 22, rules §5) ----------------------------------------------------------


def test_reward_routing_r16_of_a_shenzhen_producer_lands_in_the_provincial_queue(producers):
    load(checks(P1, "2024-05-01", "2025-05-01") + checks(P5, "2024-06-01", "2025-06-01"))
    assert propose_rewards(ctx=ctx()) == 2
    for case in proposals():
        assert case.deciding_bureau == "440000"
        assert task_of(case).bureau_code == "440000"


def test_reward_routing_r17_3_of_a_county_seller_lands_in_its_city_bureaus_queue(
    seeded, db_session
):
    load([operator(6, bureau="440305")])
    seller = db.session.scalar(select(Operator).where(Operator.uscc == S6))
    make_user("ent_s6", "enterprise", operator_id=seller.id)
    db.session.commit()
    case = apply_reward(
        object_id(S6, "operator"), "R17.3", "接到通告后7日内停售并填报", ctx=ctx(username="ent_s6")
    )
    assert case.deciding_bureau == "440300"  # Shenzhen, not Nanshan (440305)
    assert task_of(case).bureau_code == "440300"


def test_reward_routing_r16_applied_for_by_a_county_producer_goes_to_the_province(producers):
    producer = db.session.scalar(select(Operator).where(Operator.uscc == P5))
    make_user("ent_p5", "enterprise", operator_id=producer.id)
    db.session.commit()
    case = apply_reward(object_id(P5), "R16", "连续两年抽查合格", ctx=ctx(username="ent_p5"))
    assert case.deciding_bureau == "440000"
    assert task_of(case).bureau_code == "440000"


@pytest.mark.parametrize(
    ("code", "bureau", "deciding"),
    [
        ("R16", "440305", "440000"),
        ("R17.1", "440100", "440000"),
        ("R17.2", "440305", "440300"),
        ("R17.2", "440106", "440100"),
        ("R17.3", "440100", "440100"),
        ("R17.3", "440000", "440000"),  # an operator kept by the province itself
    ],
)
def test_reward_routing_names_the_deciding_bureau_of_each_reward(
    seeded, db_session, code, bureau, deciding
):
    assert reward_bureau(code, bureau) == deciding
