"""Reward applications (Art. 16-18, 22): applied for by the operator, or proposed by the system
for products spot-checked clean in consecutive years (R-REWARD-PRODUCT), each decided by the
bureau that verifies it."""

from __future__ import annotations

from sqlalchemy import select

from app.codes import Role
from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import can_start_for_operator
from app.scoring.rewards import SPOT_CHECK_REWARDS, clean_year_runs
from models import Case, Operator, ScoringObject, SpotCheck

from .bureaus import city_of, province_of
from .case_effects import refuse_reward_role
from .cases import Ctx, start_case
from .filing import CONCEALED, active_finding
from .scoring_tables import require_table


def reward_bureau(code: str, operator_bureau: str) -> str:
    """The bureau that verifies and decides a reward (Art. 22, rules §5): one resting on spot
    checks (R16, R17.1) by the provincial bureau, which runs them (Art. 19); the others by the
    city bureau of the operator. Never the bureau of whoever keyed the application in."""
    if code in SPOT_CHECK_REWARDS:
        return province_of(operator_bureau)
    return city_of(operator_bureau)


def apply_reward(
    object_id: int, code: str, statement: str, *, ctx: Ctx, idempotency_key: str | None = None
) -> Case:
    user = ctx.user
    obj = db.session.get(ScoringObject, object_id)
    if (
        obj is None
        or user is None
        or (user.role == Role.ENTERPRISE and user.operator_id != obj.operator_id)
    ):
        raise NotFound("no scoring object %(object)s", object=object_id)
    if not can_start_for_operator(user, obj.operator_id):
        raise DomainError("only the operator concerned can apply for a reward", status=403)
    table = require_table(ctx.today, None)  # R-VALIDITY: refused (Art. 36) if none covers
    reward = table.rewards.get(code)
    if reward is None:
        raise DomainError(
            "unknown reward %(code)s; the table has %(rewards)s",
            field="code",
            code=code,
            rewards=", ".join(table.rewards),
        )
    refuse_reward_role(reward, obj)
    operator = db.session.get(Operator, obj.operator_id)
    if code.startswith("R17") and not operator.filing_complete:
        raise DomainError("operator rewards need a complete information filing (Art. 17, 14(3))")
    if active_finding(operator.id) is not None:
        raise DomainError(CONCEALED)
    return start_case(
        "reward",
        ctx=ctx,
        operator_id=obj.operator_id,
        object_id=obj.id,
        deciding_bureau=reward_bureau(code, operator.bureau_code),
        idempotency_key=idempotency_key,
        subject={"code": code, "statement": statement, "applied_by": user.username},
    )[0]


def propose_rewards(*, ctx: Ctx, limit: int = 500) -> int:
    """R-REWARD-PRODUCT: products spot-checked clean in two or more consecutive years, all
    inside the scoring cycle ending today (Art. 16), get a reward case proposed by the system
    (once per run of clean years), in the provincial bureau's queue. At most `limit` a call: a
    call that reaches it may have left candidates for the next. Refused (Art. 36) on a day no
    scoring-table version covers (R-VALIDITY)."""
    require_table(ctx.today, None)
    rows = db.session.execute(
        select(SpotCheck.object_id, SpotCheck.sampled_on, SpotCheck.result).order_by(
            SpotCheck.object_id
        )
    ).all()
    by_object: dict[int, list] = {}
    for oid, sampled_on, result in rows:
        by_object.setdefault(oid, []).append((sampled_on, result == "pass"))
    # Proposed before: one query for all, not one per candidate.
    proposed = set(
        db.session.scalars(select(Case.idempotency_key).where(Case.idempotency_key.like("R16:%")))
    )
    started = 0
    for oid, results in by_object.items():
        if started >= limit:
            break
        runs = [r for r in clean_year_runs(results, on=ctx.today) if r[1] < ctx.today.year]
        if not runs:
            continue
        first, last = runs[-1]
        key = f"R16:{oid}:{first}-{last}"
        if key in proposed:
            continue
        obj = db.session.get(ScoringObject, oid)
        operator = db.session.get(Operator, obj.operator_id)
        start_case(
            "reward",
            ctx=ctx,
            operator_id=obj.operator_id,
            object_id=oid,
            deciding_bureau=reward_bureau("R16", operator.bureau_code),
            idempotency_key=key,
            subject={
                "code": "R16",
                "proposed": True,
                "clean_years": [first, last],
                "uscc": operator.uscc,
            },
        )
        started += 1
    return started
