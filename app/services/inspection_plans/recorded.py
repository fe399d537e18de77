"""Recorded plans: drawn and recorded for a bureau in the user's tree (with its audit event),
listed, found, and drawn again to verify them."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes, can_plan_inspections
from models import (
    Bureau,
    ClassificationRun,
    InspectionPlan,
    User,
)

from ..audit import record_event
from .draw import weight_text
from .plan import PlanData, build_plan, plan_date, run_for_year, settings

MAX_SEED = 2**63 - 1


def _check_bureau(user: User, bureau: str) -> None:
    if db.session.get(Bureau, bureau) is None or not can_plan_inspections(user, bureau):
        raise NotFound("no bureau %(code)s", code=bureau)


def generate_plan(
    *, year: int, bureau: str, seed: int | None, user: User, today: date, now: datetime
) -> tuple[InspectionPlan, PlanData]:
    """Draw and record a plan for a year and a bureau in the user's tree."""
    _check_bureau(user, bureau)
    if not (2000 <= year <= today.year + 1):
        raise DomainError("the year must lie between 2000 and next year", field="year", status=400)
    if seed is None:
        seed = secrets.randbelow(10**12)
    if not (0 <= seed <= MAX_SEED):
        raise DomainError(
            "the seed must be a whole number from 0 to 2^63-1", field="seed", status=400
        )
    run = run_for_year(year, today)
    ratio, weight = settings()
    plan_on = plan_date(year, today)
    data = build_plan(
        year=year,
        bureau=bureau,
        run=run,
        plan_on=plan_on,
        seed=seed,
        ratio=ratio,
        clean_weight=weight,
        today=today,
    )
    plan = InspectionPlan(
        year=year,
        bureau_code=bureau,
        run_id=run.id,
        run_on=run.run_on,
        plan_on=plan_on,
        seed=seed,
        ratio=ratio,
        clean_weight=weight,
        candidates=data.candidates,
        candidates_digest=data.candidates_digest,
        selected=len(data.selected),
        selection_digest=data.selection_digest,
        selection=[[r.object_id, weight_text(r.weight or Decimal(1))] for r in data.selected],
        lowered=data.lowered,
        required=data.required_count,
        created_at=now,
        created_by=user.username,
    )
    db.session.add(plan)
    db.session.flush()
    record_event(
        now,
        user.username,
        "inspection_plan.generate",
        "inspection_plan",
        str(plan.id),
        {
            "year": year,
            "bureau": bureau,
            "run_on": run.run_on.isoformat(),
            "seed": seed,
            "ratio": str(ratio),
            "clean_weight": str(weight),
            "candidates_digest": data.candidates_digest,
        },
    )
    return plan, data


def get_plan(plan_id: int, user: User) -> InspectionPlan:
    plan = db.session.get(InspectionPlan, plan_id)
    if plan is None or not can_plan_inspections(user, plan.bureau_code):
        raise NotFound("no inspection plan %(id)s", id=plan_id)
    return plan


def verify(plan: InspectionPlan, *, today: date) -> tuple[bool, bool]:
    """Draw the recorded plan again from its recorded inputs: (the candidate list is the same,
    the selection is the same). The candidates change only if the run was repeated after a
    correction or the inspections before the plan date were recorded late."""
    run = db.session.get(ClassificationRun, plan.run_id)
    data = build_plan(
        year=plan.year,
        bureau=plan.bureau_code,
        run=run,
        plan_on=plan.plan_on,
        seed=plan.seed,
        ratio=plan.ratio,
        clean_weight=plan.clean_weight,
        today=today,
    )
    return (
        data.candidates_digest == plan.candidates_digest,
        data.selection_digest == plan.selection_digest,
    )


def list_plans(user: User, limit: int = 50) -> list[InspectionPlan]:
    if user.bureau_code is None:
        return []
    codes = bureau_tree_codes(user.bureau_code)
    return list(
        db.session.scalars(
            select(InspectionPlan)
            .where(InspectionPlan.bureau_code.in_(codes))
            .order_by(InspectionPlan.id.desc())
            .limit(limit)
        )
    )
