"""Effects of `reward.bpmn` (Art. 16-18, 22) and the reward rules they share with the
applications and the objections against a refused reward."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.clock import CST
from app.codes import message
from app.errors import DomainError
from app.extensions import db
from app.scoring.dates import window_end
from app.scoring.engine import REWARD_CAP, live_entries
from app.scoring.rewards import SPOT_CHECK_REWARDS, clean_year_runs, cycle_start
from models import Case, FilingItem, ScoringObject, SpotCheck

from ..ledger import add_entry, object_entries
from .common import latest_form, notify_operator, refuse_on_filing
from .registry import effect


@effect("reward_granted")
def _reward_granted(case: Case, ctx) -> None:
    """A REWARD entry effective on the verification date, within the 2-point cap (R-REWARD-CAP)."""
    obj = db.session.get(ScoringObject, case.object_id)
    write_reward(case, ctx, obj, case.subject["code"])
    case.outcome = "granted"
    notify_operator(case, ctx, "reward", message("reward_granted"))


def write_reward(
    case: Case, ctx, obj: ScoringObject, code: str, *, points: Decimal | None = None
) -> None:
    """The REWARD entry of a granted reward (by its verification, or by an objection against
    its refusal), with its proof checked on the day (Art. 16, 17) and within the cap."""
    from ..scoring_tables import require_table

    table = require_table(ctx.today, None)  # R-VALIDITY: refused (Art. 36) if none covers
    reward = table.rewards.get(code)
    if reward is None:
        raise DomainError(
            "reward %(code)s is not in table %(table)s", code=code, table=table.version
        )
    refuse_reward_role(reward, obj)
    refuse_on_filing(case, filing=reward.code.startswith("R17"))
    if reward.code in SPOT_CHECK_REWARDS:
        _refuse_without_proof_in_cycle(reward.code, obj, ctx.today)
    if reward.code in REPORT_REWARDS:
        case.subject = {**case.subject, "proof": operator_report(reward.code, obj, ctx).id}
    granted = sum(
        (
            e.points
            for e in live_entries(object_entries(obj.id), ctx.today)
            if e.kind.value == "REWARD" and ctx.today < window_end(e.effective_on)
        ),
        Decimal("0"),
    )
    room = REWARD_CAP - granted
    if room <= 0:
        raise DomainError("this object already has 2 reward points in its window (R-REWARD-CAP)")
    add_entry(
        obj,
        "REWARD",
        min(points if points is not None else reward.points, room),
        ctx.today,
        actor=ctx.actor,
        at=ctx.now,
        reason=f"reward case {case.id}",
        item=reward.code,
    )


# R-REWARD-OPERATOR: the rewards that rest on a report the operator filed (Art. 17(2), 17(3)).
REPORT_REWARDS = {"R17.2": "recall", "R17.3": "self_inspection"}
SELF_INSPECTION_DAYS = 15


def operator_report(code: str, obj: ScoringObject, ctx) -> FilingItem:
    """The filed report an operator reward rests on, checked on the day of the decision
    (R-REWARD-OPERATOR): for R17.2 a recall report whose recall lies inside the scoring cycle;
    for R17.3 a self-inspection filed within 15 days of a non-conformity notice that lies
    inside the cycle (day 15 counts; rules §6). A statement in the application proves nothing:
    without such a report the reward is refused."""
    start = cycle_start(ctx.today)
    reports = db.session.scalars(
        select(FilingItem)
        .where(FilingItem.operator_id == obj.operator_id, FilingItem.kind == REPORT_REWARDS[code])
        .order_by(FilingItem.event_on.desc(), FilingItem.id.desc())
    ).all()
    for item in reports:
        if item.event_on is None or not start <= item.event_on <= ctx.today:
            continue
        if code == "R17.2":
            return item
        filed_on = item.filed_on or item.created_at.astimezone(CST).date()
        if filed_on <= ctx.cal.add_days(item.event_on, SELF_INSPECTION_DAYS).due_on:
            return item
    if code == "R17.2":
        raise DomainError(
            "reward R17.2 rests on a recall report in the information filing, the recall "
            "inside the scoring cycle from %(start)s to %(end)s; a statement alone proves "
            "nothing (Art. 17(2), R-REWARD-OPERATOR)",
            start=start.isoformat(),
            end=ctx.today.isoformat(),
        )
    raise DomainError(
        "reward R17.3 rests on a self-inspection filed within 15 days of the non-conformity "
        "notice, the notice inside the scoring cycle from %(start)s to %(end)s; a statement "
        "alone proves nothing (Art. 17(3), R-REWARD-OPERATOR)",
        start=start.isoformat(),
        end=ctx.today.isoformat(),
    )


def operator_role(operator_id: int) -> str:
    """An operator's role for rewards (Art. 17): a producer has products, a seller none."""
    has_products = db.session.scalar(
        select(ScoringObject.id)
        .where(ScoringObject.operator_id == operator_id, ScoringObject.kind == "product")
        .limit(1)
    )
    return "producer" if has_products is not None else "seller"


def refuse_reward_role(reward, obj: ScoringObject) -> None:
    """R-REWARD-OPERATOR (Art. 16, 17): R16 is for products; R17.1 and R17.2 for producers,
    R17.3 for sellers, as the table states. Refused naming the article, when applying and
    when granting."""
    kind = "product" if obj.kind == "product" else operator_role(obj.operator_id)
    if kind in reward.objects:
        return
    if obj.kind == "product" or "product" in reward.objects:
        raise DomainError(
            "reward %(code)s does not apply to this kind of object (Art. 16, 17)",
            field="code",
            code=reward.code,
        )
    raise DomainError(
        "reward %(code)s is for %(roles)s, and this operator is a %(role)s (Art. 17)",
        field="code",
        code=reward.code,
        roles=", ".join(reward.objects),
        role=kind,
    )


def _refuse_without_proof_in_cycle(code: str, obj: ScoringObject, on) -> None:
    """R-REWARD-PRODUCT at the decision: the clean spot-check years must still lie inside the
    scoring cycle on the day the reward is verified (Art. 16; for a producer, its products'
    checks, Art. 17(1)). A proposal whose proof has left the cycle since is refused."""
    where = (
        SpotCheck.object_id == obj.id
        if code == "R16"
        else SpotCheck.object_id.in_(
            select(ScoringObject.id).where(ScoringObject.operator_id == obj.operator_id)
        )
    )
    results = [
        (sampled_on, result == "pass")
        for sampled_on, result in db.session.execute(
            select(SpotCheck.sampled_on, SpotCheck.result).where(where)
        )
    ]
    if not clean_year_runs(results, on=on):
        raise DomainError(
            "reward %(code)s refused: no two consecutive years of clean spot checks lie inside "
            "the scoring cycle from %(start)s to %(end)s (Art. 16, R-REWARD-PRODUCT)",
            code=code,
            start=cycle_start(on).isoformat(),
            end=on.isoformat(),
        )


@effect("reward_rejected")
def _reward_rejected(case: Case, ctx) -> None:
    case.outcome = "rejected"
    reasons = latest_form(case, ctx, "verify_reward").get("reasons") or ""
    notify_operator(case, ctx, "reward", message("reward_rejected", reasons=reasons))
