"""Classification runs and their results, for the API and the dashboards."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.errors import NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes
from models import ClassificationResult, ClassificationRun, Operator, ScoringObject


def list_runs() -> list[ClassificationRun]:
    return list(
        db.session.scalars(select(ClassificationRun).order_by(ClassificationRun.run_on.desc()))
    )


def get_run(run_on: date) -> ClassificationRun:
    run = db.session.scalar(select(ClassificationRun).where(ClassificationRun.run_on == run_on))
    if run is None:
        raise NotFound("no classification run of %(date)s", date=run_on.isoformat())
    return run


def run_results(
    run_on: date, *, klass: str | None, bureau: str | None, page: int, per_page: int
) -> dict:
    run = get_run(run_on)
    where = [ClassificationResult.run_id == run.id]
    if klass:
        where.append(ClassificationResult.klass == klass)
    if bureau:
        where.append(Operator.bureau_code.in_(bureau_tree_codes(bureau)))
    base = (
        select(ClassificationResult, ScoringObject, Operator)
        .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .where(*where)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.execute(
        base.order_by(ClassificationResult.object_id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {
        "run_on": run.run_on,
        "page": page,
        "per_page": per_page,
        "total": total,
        "results": [
            {
                "kind": o.kind,
                "uscc": op.uscc,
                "name": op.name,
                "brand": o.brand,
                "nice_class": o.nice_class,
                "score": None if r.score is None else f"{r.score:.2f}",
                "class": r.klass,
                "previous_class": r.previous_klass,
                "locked_until": r.locked_until,
            }
            for r, o, op in rows
        ],
    }
