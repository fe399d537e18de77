"""Yearly inspection plans (rules §10, Art. 27): every B, C and D object of a bureau's subtree
with the inspections its class needs (B ≥ 1, C ≥ 2, D ≥ 4 a year) and those done so far, and a
random selection of A-class objects (双随机) that anyone can draw again.

How the plan reads the rules:
- The classes are those of the latest classification run on or before the plan date (the
  earlier of today and 31 December of the year), which must fall in the year.
- The inspections of Art. 27 (每年实施N次以上监督抽查或检查) are inspections: an inspection
  of an object is a spot check (监督抽查, passed or failed) of it, dated when it was sampled.
  An operator's own object is also inspected by spot checks of its products and of products
  sampled from it as a seller. Other credit matters (a penalty decision, a refusal found
  elsewhere) are not inspections and are not counted (rules §10). The system records no
  on-site visits (现场检查) of their own yet; spot checks are the inspections it knows. "Done
  so far" counts those dated in the year up to today.
- Art. 27(1) lets the random-selection coefficient of an A object be lowered after two or
  more consecutive inspections that found nothing ("未发现不合格或其他违法行为"): when its two
  latest inspections up to the plan date were both clean (passed spot checks) and no matter
  was recorded against it in between or since, its weight in the draw is
  INSPECTION_CLEAN_WEIGHT (0.5 by default) instead of 1. There a matter breaks the run of
  clean inspections (a violation was found), although it is not counted as an inspection.
- The draw: candidates ordered by object id, `random.Random(seed)` gives each a number u in
  that order, and the ceil(N × ratio) candidates with the largest u ** (1 / weight) are
  selected (weighted sampling without replacement, Efraimidis–Spirakis). The seed, run,
  bureau, ratio, weight and a digest of the candidate list are recorded with the plan.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import math
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes, can_plan_inspections
from models import (
    Bureau,
    ClassificationResult,
    ClassificationRun,
    InspectionPlan,
    LedgerEntry,
    Matter,
    Operator,
    ScoringObject,
    SpotCheck,
    User,
)

from .audit import record_event

REQUIRED = {"B": 1, "C": 2, "D": 4}
MAX_SEED = 2**63 - 1
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


# ---- inspections ----------------------------------------------------------------------


def _events(until: date, since: date | None = None, *, matters: bool = True):
    """Every inspection event (target object, date, clean: 1 or 0) in the date range: the
    spot checks and, with `matters`, the matters recorded (as unclean events: they break a
    run of clean inspections, Art. 27(1), but are not inspections to count)."""
    product = aliased(ScoringObject)
    own = aliased(ScoringObject)
    seller = aliased(Operator)

    def window(col):
        return and_(col <= until, col >= since) if since else col <= until

    clean = case((SpotCheck.result == "pass", 1), else_=0)
    # A spot check inspects the product, its producer and, if sampled at a seller, the seller.
    on_product = select(
        SpotCheck.object_id.label("target"), SpotCheck.sampled_on.label("on_"), clean.label("clean")
    ).where(window(SpotCheck.sampled_on))
    on_producer = (
        select(own.id, SpotCheck.sampled_on, clean)
        .join(product, product.id == SpotCheck.object_id)
        .join(own, and_(own.operator_id == product.operator_id, own.kind == "operator"))
        .where(window(SpotCheck.sampled_on))
    )
    on_seller = (
        select(own.id, SpotCheck.sampled_on, clean)
        .join(seller, seller.uscc == SpotCheck.seller_uscc)
        .join(own, and_(own.operator_id == seller.id, own.kind == "operator"))
        .where(window(SpotCheck.sampled_on))
    )
    if not matters:
        return union_all(on_product, on_producer, on_seller).subquery("ev")
    # A matter (other than a spot-check failure, counted above) inspects the object it deducts
    # and, through its products, the producer: each (object, matter) once.
    deducted = and_(
        LedgerEntry.kind == "DEDUCTION",
        LedgerEntry.target_id.is_(None),
        Matter.source != "spot_check",
        window(Matter.effective_on),
    )
    direct = (
        select(
            LedgerEntry.object_id.label("target"),
            Matter.effective_on.label("on_"),
            Matter.id.label("matter_id"),
        )
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(deducted)
    )
    family = (
        select(own.id, Matter.effective_on, Matter.id)
        .select_from(LedgerEntry)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .join(own, and_(own.operator_id == LedgerEntry.operator_id, own.kind == "operator"))
        .where(deducted, own.id != LedgerEntry.object_id)
    )
    pairs = select(union_all(direct, family).subquery("m")).distinct().subquery("mp")
    matters = select(pairs.c.target, pairs.c.on_, literal(0))
    return union_all(on_product, on_producer, on_seller, matters).subquery("ev")


def _of_plan(ev, run_id: int, classes: Iterable[str], codes: frozenset[str] | None):
    """Events of the run's objects of these classes (in the subtree, unless None)."""
    r = aliased(ClassificationResult)
    q = select(ev.c.target, ev.c.on_, ev.c.clean).join(
        r, and_(r.object_id == ev.c.target, r.run_id == run_id, r.klass.in_(list(classes)))
    )
    if codes is not None:
        o = aliased(ScoringObject)
        op = aliased(Operator)
        q = (
            q.join(o, o.id == ev.c.target)
            .join(op, op.id == o.operator_id)
            .where(op.bureau_code.in_(codes))
        )
    return q


def clean_twice(*, run_id: int, codes: frozenset[str] | None, plan_on: date) -> set[int]:
    """A objects whose two latest inspections up to `plan_on` were clean. The inspections of
    an object are ranked by date, a failed one after a clean one of the same day. One window
    sort, no self-join: a join of the events with their own aggregate invites the planner,
    which cannot estimate either side, to pick a nested loop over a million rows."""
    ev = _of_plan(_events(plan_on), run_id, ("A",), codes).subquery("plan_ev")
    rn = (
        func.row_number()
        .over(partition_by=ev.c.target, order_by=(ev.c.on_.desc(), ev.c.clean.asc()))
        .label("rn")
    )
    ranked = select(ev.c.target, ev.c.clean, rn).subquery("ranked")
    return set(
        db.session.connection().scalars(
            select(ranked.c.target)
            .where(ranked.c.rn <= 2)
            .group_by(ranked.c.target)
            .having(and_(func.count() == 2, func.sum(ranked.c.clean) == 2))
        )
    )


def inspections_done(
    *, run_id: int, codes: frozenset[str] | None, year: int, today: date
) -> dict[int, int]:
    """Inspections (spot checks, not other matters: rules §10) of each B/C/D object dated in
    the year, up to today."""
    until = min(today, date(year, 12, 31))
    if until < date(year, 1, 1):
        return {}
    events = _events(until, date(year, 1, 1), matters=False)
    in_year = _of_plan(events, run_id, REQUIRED, codes).subquery()
    return dict(
        db.session.connection()
        .execute(select(in_year.c.target, func.count()).group_by(in_year.c.target))
        .tuples()
        .all()
    )


# ---- the plan ------------------------------------------------------------------------------


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


def weight_text(w: Decimal) -> str:
    return format(w.normalize(), "f")


def digest(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def draw(candidates: list[tuple[int, Decimal]], seed: int, ratio: Decimal) -> list[int]:
    """The selected object ids, sorted: weighted sampling without replacement."""
    k = math.ceil(len(candidates) * ratio)
    if k == 0:
        return []
    rng = random.Random(seed)
    keyed = ((rng.random() ** (1.0 / float(w)), oid) for oid, w in candidates)
    return sorted(oid for _, oid in heapq.nlargest(k, keyed))


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


# ---- export ------------------------------------------------------------------------------


def _product(row: PlanRow) -> str | None:
    """A product object as 商标·第N类; empty for an operator's own object."""
    return f"{row.brand}·第{row.nice_class}类" if row.kind == "product" else None


def to_xlsx(plan: InspectionPlan, data: PlanData, *, bureau_name: str) -> bytes:
    """The plan as an XLSX workbook, rows streamed (a province plan has ~3 million cells)."""
    from .xlsx import workbook

    info = (
        ("年度", plan.year),
        ("市场监管部门", f"{plan.bureau_code} {bureau_name}"),
        ("分类评定日期", plan.run_on.isoformat()),
        ("计划基准日", plan.plan_on.isoformat()),
        ("随机种子", str(plan.seed)),
        ("A类随机抽取比例", str(plan.ratio)),
        ("连续两次以上未发现问题的抽取权重", str(plan.clean_weight)),
        ("A类候选对象数", plan.candidates),
        ("候选名单摘要 (SHA-256)", plan.candidates_digest),
        ("抽中对象数", plan.selected),
        ("抽取结果摘要 (SHA-256)", plan.selection_digest),
        (
            "抽取方法",
            "候选对象按编号排序，random.Random(种子) 依次生成 u，取 u^(1/权重) 最大的 "
            "ceil(候选数×比例) 个（加权不放回抽样）",
        ),
        ("检查频次", "B类每年1次以上，C类2次以上，D类4次以上（第二十七条）"),
    )
    required_head = (
        ("对象编号", "类别", "统一社会信用代码", "经营者名称", "产品（商标·尼斯分类）",
         "所在地监管部门", "全年应检次数", "已检次数", "尚需次数")
    )  # fmt: skip
    required = (
            (r.object_id, r.klass, r.uscc, r.name, _product(r), r.bureau, r.needed, r.done,
             r.remaining)
            for r in data.required
    )  # fmt: skip
    chosen_head = (
        ("对象编号", "统一社会信用代码", "经营者名称", "产品（商标·尼斯分类）", "所在地监管部门",
         "抽取权重")
    )  # fmt: skip
    chosen = (
            (r.object_id, r.uscc, r.name, _product(r), r.bureau,
             weight_text(r.weight or Decimal(1)))
            for r in data.selected
    )  # fmt: skip
    return workbook(
        [
            ("计划说明", info),
            ("重点检查对象", itertools.chain([required_head], required)),
            ("A类随机抽取", itertools.chain([chosen_head], chosen)),
        ]
    )
