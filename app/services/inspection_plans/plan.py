"""A plan as drawn from its inputs (the run, the bureau's subtree, the seed, the ratio and the
weight), or as recorded and shown today."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import func, select

from app.errors import DomainError
from app.extensions import db
from app.permissions import bureau_tree_codes
from models import (
    Bureau,
    ClassificationResult,
    ClassificationRun,
    InspectionPlan,
    Operator,
    ScoringObject,
)

from .draw import digest, draw, weight_text
from .inspections import REQUIRED, clean_twice, inspections_done

_CHUNK = 900  # ids per IN list (SQLite's bound-parameter limit)


@dataclass
class PlanRow:
    object_id: int
    klass: str
    kind: str
    uscc: str
    name: str
    bureau: str
    brand: str | None
    nice_class: int | None
    needed: int | None  # None for a randomly selected A object
    done: int
    weight: Decimal | None = None

    @property
    def remaining(self) -> int:
        return max((self.needed or 0) - self.done, 0)


@dataclass
class PlanData:
    """A plan as drawn: the B/C/D rows, the A candidates and the selection."""

    year: int
    bureau: str
    run_id: int
    run_on: date
    plan_on: date
    seed: int
    ratio: Decimal
    clean_weight: Decimal
    required: list[PlanRow] = field(default_factory=list)
    selected: list[PlanRow] = field(default_factory=list)
    candidates: int = 0
    lowered: int = 0  # candidates with the lowered coefficient
    required_count: int = 0
    candidates_digest: str = ""
    selection_digest: str = ""

    def totals(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for row in self.required:
            t = out.setdefault(row.klass, {"objects": 0, "needed": 0, "done": 0, "behind": 0})
            t["objects"] += 1
            t["needed"] += row.needed or 0
            t["done"] += min(row.done, row.needed or 0)
            t["behind"] += 1 if row.remaining else 0
        return out


def _decimal(value, name: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise DomainError("%(name)s must be a number", status=500, name=name) from None
    return d


def settings() -> tuple[Decimal, Decimal]:
    """(ratio, clean weight) from the configuration, checked."""
    ratio = _decimal(current_app.config["INSPECTION_RANDOM_RATIO"], "INSPECTION_RANDOM_RATIO")
    weight = _decimal(current_app.config["INSPECTION_CLEAN_WEIGHT"], "INSPECTION_CLEAN_WEIGHT")
    if not (0 < ratio <= 1) or not (0 < weight <= 1):
        raise DomainError(
            "INSPECTION_RANDOM_RATIO and INSPECTION_CLEAN_WEIGHT must lie in (0, 1]", status=500
        )
    return ratio, weight


def plan_date(year: int, today: date) -> date:
    return min(today, date(year, 12, 31))


def run_for_year(year: int, today: date) -> ClassificationRun:
    """The latest run on or before the plan date, inside the year; refused if there is none."""
    run = db.session.scalar(
        select(ClassificationRun)
        .where(
            ClassificationRun.run_on <= plan_date(year, today),
            ClassificationRun.run_on >= date(year, 1, 1),
        )
        .order_by(ClassificationRun.run_on.desc())
        .limit(1)
    )
    if run is None:
        raise DomainError(
            "there is no classification run in %(year)s up to today: an inspection plan needs "
            "the classes of a run in its year",
            year=year,
        )
    return run


def _objects(run_id: int, codes: frozenset[str] | None, where):
    q = (
        select(
            ClassificationResult.object_id,
            ClassificationResult.klass,
            ScoringObject.kind,
            Operator.uscc,
            Operator.name,
            Operator.bureau_code,
            ScoringObject.brand,
            ScoringObject.nice_class,
        )
        .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .where(ClassificationResult.run_id == run_id, where)
    )
    if codes is not None:
        q = q.where(Operator.bureau_code.in_(codes))
    return q


def _candidates(run_id: int, codes: frozenset[str] | None) -> list[int]:
    q = select(ClassificationResult.object_id).where(
        ClassificationResult.run_id == run_id, ClassificationResult.klass == "A"
    )
    if codes is not None:
        q = (
            q.join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
            .join(Operator, Operator.id == ScoringObject.operator_id)
            .where(Operator.bureau_code.in_(codes))
        )
    return list(db.session.connection().scalars(q.order_by(ClassificationResult.object_id)))


def _codes(bureau: str) -> frozenset[str] | None:
    """The bureau's subtree, or None for the root (the whole province: no filter)."""
    root = db.session.scalar(select(Bureau.code).where(Bureau.parent_code.is_(None)))
    return None if bureau == root else bureau_tree_codes(bureau)


def _required(data: PlanData, codes: frozenset[str] | None, today: date) -> None:
    """Every B/C/D object with the inspections its class needs and those done so far."""
    done = inspections_done(run_id=data.run_id, codes=codes, year=data.year, today=today)
    rows = db.session.connection().execute(
        _objects(data.run_id, codes, ClassificationResult.klass.in_(list(REQUIRED)))
    )
    data.required = [
        PlanRow(oid, klass, kind, uscc, name, code, brand, nice, REQUIRED[klass], done.get(oid, 0))
        for oid, klass, kind, uscc, name, code, brand, nice in rows
    ]
    data.required.sort(key=lambda r: (-REQUIRED[r.klass], r.bureau, r.object_id))


def _selected(data: PlanData, weights: dict[int, Decimal]) -> None:
    """The drawn objects' rows, by object id."""
    chosen = sorted(weights)
    conn = db.session.connection()
    data.selected = []
    for start in range(0, len(chosen), _CHUNK):
        chunk = chosen[start : start + _CHUNK]
        for oid, klass, kind, uscc, name, code, brand, nice in conn.execute(
            _objects(data.run_id, None, ClassificationResult.object_id.in_(chunk))
        ):
            data.selected.append(
                PlanRow(oid, klass, kind, uscc, name, code, brand, nice, None, 0, weights[oid])
            )
    data.selected.sort(key=lambda r: r.object_id)


def build_plan(
    *,
    year: int,
    bureau: str,
    run: ClassificationRun,
    plan_on: date,
    seed: int,
    ratio: Decimal,
    clean_weight: Decimal,
    today: date,
) -> PlanData:
    """Draw the plan from its inputs; the same inputs give the same plan. The B/C/D rows are
    counted only (`plan_view` lists them with the inspections done as of the day it shows)."""
    codes = _codes(bureau)
    data = PlanData(year, bureau, run.id, run.run_on, plan_on, seed, ratio, clean_weight)
    data.required_count = db.session.connection().scalar(
        select(func.count()).select_from(
            _objects(run.id, codes, ClassificationResult.klass.in_(list(REQUIRED))).subquery()
        )
    )
    ids = _candidates(run.id, codes)
    lowered = clean_twice(run_id=run.id, codes=codes, plan_on=plan_on) if ids else set()
    one = Decimal(1)
    weighted = [(oid, clean_weight if oid in lowered else one) for oid in ids]
    data.candidates = len(weighted)
    data.lowered = sum(1 for oid in ids if oid in lowered)
    data.candidates_digest = digest(f"{oid}:{weight_text(w)}" for oid, w in weighted)
    chosen = draw(weighted, seed, ratio)
    data.selection_digest = digest(str(oid) for oid in chosen)
    weights = dict(weighted)
    _selected(data, {oid: weights[oid] for oid in chosen})
    return data


def plan_view(plan: InspectionPlan, *, today: date) -> PlanData:
    """A recorded plan as it stands today: its recorded selection, and the B/C/D objects with
    the inspections done so far (no new draw: see `verify` for that)."""
    data = PlanData(
        plan.year,
        plan.bureau_code,
        plan.run_id,
        plan.run_on,
        plan.plan_on,
        plan.seed,
        plan.ratio,
        plan.clean_weight,
        candidates=plan.candidates,
        lowered=plan.lowered,
        candidates_digest=plan.candidates_digest,
        selection_digest=plan.selection_digest,
    )
    _required(data, _codes(plan.bureau_code), today)
    data.required_count = len(data.required)
    _selected(data, {oid: Decimal(w) for oid, w in plan.selection})
    return data
