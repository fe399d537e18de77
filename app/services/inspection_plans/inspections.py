"""The inspections of an object (Art. 27, rules §10): spot checks of it, of its products and
of products sampled from it as a seller; matters break a run of clean inspections (Art. 27(1))
but are not inspections to count."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from app.extensions import db
from models import (
    ClassificationResult,
    LedgerEntry,
    Matter,
    Operator,
    ScoringObject,
    SpotCheck,
)

REQUIRED = {"B": 1, "C": 2, "D": 4}  # inspections a year by class (Art. 27)


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
