"""Measures by class for the pages: staff lists by bureau, an enterprise's own measures and
class notices, and the "情节严重" flag of Art. 30."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.permissions import measure_bureaus
from models import (
    CaseTask,
    ClassificationResult,
    ClassificationRun,
    Measure,
    Notification,
    Operator,
    ScoringObject,
    User,
)


def serious_flag(operator_id: int, on: date) -> dict | None:
    """ "情节严重" (Art. 30) applies while the operator is D-class by the latest classification
    run on or before `on`: a new quality violation by it may be treated as serious. None when
    it does not apply (not D, or no run yet).

    Show it on a page that records a matter against the operator, e.g.
    `{% if flag %}<p class="refusal">{{ _('情节严重') }} · {{ flag.message }}</p>{% endif %}`.
    """
    run = db.session.execute(
        select(ClassificationRun.id, ClassificationRun.run_on)
        .where(ClassificationRun.run_on <= on)
        .order_by(ClassificationRun.run_on.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    row = db.session.execute(
        select(
            ClassificationResult.klass,
            ClassificationResult.score,
            ClassificationResult.locked_until,
        )
        .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
        .where(
            ClassificationResult.run_id == run.id,
            ScoringObject.operator_id == operator_id,
            ScoringObject.kind == "operator",
        )
    ).first()
    if row is None or row.klass != "D":
        return None
    return {
        "flag": "情节严重",
        "article": "第三十条",
        "run_on": run.run_on,
        "score": row.score,
        "locked_until": row.locked_until,
        "message": (
            f"该经营者在{run.run_on.isoformat()}分类评定中被划为D类"
            + (f"（锁定至{row.locked_until.isoformat()}）" if row.locked_until else "")
            + "，发生违反产品质量法律法规的质量违法行为的，可依法适用“情节严重”的情形处理"
            "（《广东省产品质量信用分类监管规范》第三十条）。"
        ),
    }


def _base():
    return (
        select(Measure, ScoringObject, Operator, ClassificationRun.run_on)
        .join(ScoringObject, ScoringObject.id == Measure.object_id)
        .join(Operator, Operator.id == Measure.operator_id)
        .join(ClassificationRun, ClassificationRun.id == Measure.run_id)
    )


def _view(m: Measure, obj: ScoringObject, op: Operator, run_on: date, today: date) -> dict:
    return {
        "id": m.id,
        "kind": m.kind,
        "klass": m.klass,
        "state": m.state,
        "run_id": m.run_id,
        "run_on": run_on,
        "bureau": m.bureau_code,
        "issued_on": m.issued_on,
        "due_on": m.due_on,
        "overdue": m.state == "open" and m.due_on is not None and m.due_on < today,
        "case_id": m.case_id,
        "note": m.note,
        "completed_at": m.completed_at,
        "completed_by": m.completed_by,
        "object_kind": obj.kind,
        "brand": obj.brand,
        "nice_class": obj.nice_class,
        "operator": {"id": op.id, "uscc": op.uscc, "name": op.name},
    }


def _staff_where(user: User, *, kind, klass, state) -> list:
    where = []
    codes = measure_bureaus(user)
    if codes is not None:
        where.append(Measure.bureau_code.in_(codes))
    if state:
        where.append(Measure.state == state)
    if kind:
        where.append(Measure.kind == kind)
    if klass:
        where.append(Measure.klass == klass)
    return where


def staff_measures(
    user: User,
    *,
    today: date,
    kind: str | None = None,
    klass: str | None = None,
    state: str | None = "open",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Measures of the user's bureau (an officer) or tree (a supervisor), earliest due first."""
    where = _staff_where(user, kind=kind, klass=klass, state=state)
    total = db.session.scalar(select(func.count()).select_from(Measure).where(*where)) or 0
    rows = db.session.execute(
        _base()
        .where(*where)
        .order_by(Measure.due_on.asc().nulls_last(), Measure.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [_view(*r, today) for r in rows], total


def staff_summary(user: User, *, state: str | None = "open") -> dict[str, dict[str, int]]:
    """Counts by kind and class: {kind: {class: n}}."""
    where = _staff_where(user, kind=None, klass=None, state=state)
    out: dict[str, dict[str, int]] = {}
    for kind, klass, n in db.session.execute(
        select(Measure.kind, Measure.klass, func.count())
        .where(*where)
        .group_by(Measure.kind, Measure.klass)
    ):
        out.setdefault(kind, {})[klass] = n
    return out


def operator_measures(operator_id: int, *, today: date, limit: int = 200) -> list[dict]:
    """An enterprise's measures (not cancelled), newest run first."""
    rows = db.session.execute(
        _base()
        .where(Measure.operator_id == operator_id, Measure.state != "cancelled")
        .order_by(ClassificationRun.run_on.desc(), Measure.object_id, Measure.id)
        .limit(limit)
    ).all()
    return [_view(*r, today) for r in rows]


def class_notices(operator_id: int, *, limit: int = 20) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.operator_id == operator_id, Notification.kind == "class_notice")
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def measure_view(measure: Measure, *, today: date) -> dict:
    row = db.session.execute(_base().where(Measure.id == measure.id)).one()
    view = _view(*row, today)
    view["tasks"] = (
        [
            {
                "id": t.id,
                "name": t.name,
                "title": t.title,
                "lane": t.lane,
                "form": t.form_key,
                "due_on": t.due_on,
                "state": t.state,
                "completed_at": t.completed_at,
                "completed_by": t.completed_by,
                "form_data": t.form_data,
            }
            for t in db.session.scalars(
                select(CaseTask).where(CaseTask.case_id == measure.case_id).order_by(CaseTask.id)
            )
        ]
        if measure.case_id
        else []
    )
    return view
