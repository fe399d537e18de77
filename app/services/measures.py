"""Measures by class (rules §10, Art. 27, 30): what each classification run sets per object.

After a run, every object's official class brings its measures: B a yellow supervision notice
and a rectification order; C an orange warning, a rectification order and an interview with
training of the quality manager; D a red warning, a rectification order and an interview of
the legal representative and the quality manager (and the "情节严重" flag of Art. 30, read by
`app.queries.measures.serious_flag`); O guidance to build a quality archive and strengthened
quality-safety monitoring (Art. 27(5)), followed up by staff like an interview; A none.

A province-scale run has a million objects, so the measures are written by a few set-based
statements (INSERT … SELECT), never object by object. A rectification order becomes a case on
`workflows/rectification.bpmn`, started later by the scheduler (`start_rectifications`), once.
Notices and guidance are done when the enterprise acknowledges them (or staff record that they
were delivered); interviews and training when staff record them done with a note.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import (
    Integer,
    String,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
    update,
)

from app.clock import CST
from app.codes import Role, message
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.permissions import can_complete_measure, can_see_measure
from forms.base import N_
from models import (
    ClassificationResult,
    ClassificationRun,
    Measure,
    Notification,
    Operator,
    ScoringObject,
)

from .audit import record_event
from .bulk import copy_rows
from .cases import Ctx, start_case

KINDS_BY_CLASS: dict[str, tuple[str, ...]] = {
    "A": (),
    "B": ("yellow_notice", "rectification"),
    "C": ("orange_warning", "rectification", "interview_training"),
    "D": ("red_warning", "rectification", "interview"),
    "O": ("archive_guidance", "quality_monitoring"),
}
# The class notice of each class: what the enterprise acknowledges on its measures page.
NOTICE_KINDS = ("yellow_notice", "orange_warning", "red_warning", "archive_guidance")
# Measures staff record as done from the measures page (a rectification closes by its case).
STAFF_KINDS = ("interview_training", "interview", "quality_monitoring", *NOTICE_KINDS)

KIND_LABELS = {
    "yellow_notice": N_("黄色监管提示"),
    "orange_warning": N_("橙色监管警示"),
    "red_warning": N_("红色监管警示"),
    "archive_guidance": N_("指导建立产品质量管理档案"),
    "quality_monitoring": N_("加强质量安全监测"),
    "rectification": N_("责令整改"),
    "interview_training": N_("约谈和培训质量负责人"),
    "interview": N_("约谈法定代表人及质量负责人"),
}
STATE_LABELS = {"open": N_("待办"), "done": N_("已完成"), "cancelled": N_("已取消")}

_SEVERITY = {"O": 1, "B": 2, "C": 3, "D": 4}


def class_message(klass: str, run_on: date) -> str:
    """The class notice (监管提示/警示) an operator receives, stored by message key and shown in
    the reader's language (app/codes.py)."""
    return message("class_notice", run_on=run_on.isoformat(), klass=klass, measures=klass)


@dataclass
class MeasureReport:
    created: Counter = field(default_factory=Counter)
    cancelled: int = 0
    notified: int = 0


def issue_date(at: datetime) -> date:
    """The day the orders are issued: the run's instant as a China Standard Time day."""
    return at.astimezone(CST).date()


def generate_measures(
    run: ClassificationRun, *, repeated: bool, rewritten: int, at: datetime, actor: str
) -> MeasureReport:
    """The measures of a run, in the run's transaction. Idempotent: a run repeated for its
    date adds nothing unless a result changed; then the open measures of the old class that
    nothing has started are cancelled and the new class's measures added."""
    from .calendar import work_calendar

    report = MeasureReport()
    issued_on = issue_date(at)
    due_on = (
        work_calendar()
        .add_working_days(issued_on, int(current_app.config["RECTIFICATION_REPORT_WORKING_DAYS"]))
        .due_on
    )
    db.session.flush()
    conn = db.session.connection()  # set-based statements, no ORM bookkeeping
    before = conn.scalar(select(func.coalesce(func.max(Measure.id), 0)))

    # A corrected result (a repeated run that rewrote it): the old class's measures go.
    if repeated and rewritten:
        report.cancelled += conn.execute(
            update(Measure)
            .where(
                Measure.run_id == run.id,
                Measure.state == "open",
                Measure.case_id.is_(None),
                exists().where(
                    ClassificationResult.run_id == Measure.run_id,
                    ClassificationResult.object_id == Measure.object_id,
                    ClassificationResult.klass != Measure.klass,
                ),
            )
            .values(
                state="cancelled",
                completed_at=at,
                completed_by=actor,
                note="分类结果已更正，按新的类别另行下达措施。",
            )
        ).rowcount
    # Open measures of earlier runs that nothing has started are superseded by this run's.
    earlier = select(ClassificationRun.id).where(ClassificationRun.run_on < run.run_on)
    report.cancelled += conn.execute(
        update(Measure)
        .where(Measure.state == "open", Measure.case_id.is_(None), Measure.run_id.in_(earlier))
        .values(
            state="cancelled",
            completed_at=at,
            completed_by=actor,
            note=f"已由{run.run_on.isoformat()}分类评定的措施取代。",
        )
    ).rowcount

    # No statement below reads `measure` while writing it at scale: on PostgreSQL a probe of
    # a table that grows under the same statement can turn quadratic (fresh statistics say
    # it is empty, so the planner scans it once per row).
    has_any = conn.scalar(select(Measure.id).where(Measure.run_id == run.id).limit(1))
    values = {"issued_on": issued_on, "due_on": due_on, "at": at}
    if has_any is None:
        conn.execute(insert(Measure).from_select(_COLUMNS, _source(run, **values)))
    elif repeated and rewritten:
        _add_missing(conn, run, **values)
    # One rectification case per object at a time: an order of an earlier run still being
    # handled carries over instead of a second case.
    carried = conn.scalars(
        select(Measure.object_id).where(
            Measure.kind == "rectification",
            Measure.state == "open",
            Measure.case_id.is_not(None),
            Measure.run_id != run.id,
        )
    ).all()
    for start in range(0, len(carried), _CHUNK):
        conn.execute(
            delete(Measure).where(
                Measure.run_id == run.id,
                Measure.object_id.in_(carried[start : start + _CHUNK]),
                Measure.kind == "rectification",
                Measure.state != "cancelled",
                Measure.id > before,
            )
        )
    for kind, n in conn.execute(
        select(Measure.kind, func.count()).where(Measure.id > before).group_by(Measure.kind)
    ):
        report.created[kind] = n
    report.notified = _notify_classes(run, before, at)
    record_event(
        at,
        actor,
        "measures.generate",
        "classification_run",
        run.run_on.isoformat(),
        {
            "created": dict(report.created),
            "cancelled": report.cancelled,
            "notified": report.notified,
        },
    )
    return report


_COLUMNS = (
    "run_id",
    "object_id",
    "operator_id",
    "bureau_code",
    "klass",
    "kind",
    "state",
    "issued_on",
    "due_on",
    "created_at",
)
_CHUNK = 900  # ids per IN list (SQLite's bound-parameter limit)


def _source(run: ClassificationRun, *, issued_on: date, due_on: date, at: datetime):
    """Every (object, kind) the run's classes call for, as rows of `measure`: the mapping of
    classes to kinds joins as a small derived table, so it is one pass over the results."""
    pairs = union_all(
        *(
            # Constants of this module, written inline: no parameter types to infer.
            select(
                literal_column(f"'{klass}'").label("klass"),
                literal_column(f"'{kind}'").label("kind"),
            )
            for klass, kinds in KINDS_BY_CLASS.items()
            for kind in kinds
        )
    ).subquery("k")
    return (
        select(
            literal(run.id, Integer),
            ClassificationResult.object_id,
            ScoringObject.operator_id,
            Operator.bureau_code,
            ClassificationResult.klass,
            pairs.c.kind,
            literal("open", String(10)),
            literal(issued_on),
            case((pairs.c.kind == "rectification", literal(due_on)), else_=None),
            literal(at, Measure.__table__.c.created_at.type),
        )
        .select_from(ClassificationResult)
        .join(pairs, pairs.c.klass == ClassificationResult.klass)
        .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .where(ClassificationResult.run_id == run.id)
    )


def _add_missing(conn, run: ClassificationRun, *, issued_on: date, due_on: date, at: datetime):
    """After a repeated run rewrote results: the measures the new classes call for that the
    run does not have yet (compared in memory: the two lists are read once each)."""
    have = set(
        conn.execute(
            select(Measure.object_id, Measure.kind).where(
                Measure.run_id == run.id, Measure.state != "cancelled"
            )
        ).tuples()
    )
    rows = [
        (
            run.id,
            oid,
            operator_id,
            bureau,
            klass,
            kind,
            "open",
            issued_on,
            due_on if kind == "rectification" else None,
            at,
        )
        for _run, oid, operator_id, bureau, klass, kind, *_ in conn.execute(
            _source(run, issued_on=issued_on, due_on=due_on, at=at)
        )
        if (oid, kind) not in have
    ]
    copy_rows(Measure.__table__, _COLUMNS, rows, fallback=insert(Measure))


def _notify_classes(run: ClassificationRun, before: int, at: datetime) -> int:
    """One class notice per operator with new notices, naming its most severe class."""
    rank = case(*((Measure.klass == k, v) for k, v in _SEVERITY.items()), else_=0)
    worst = (
        select(Measure.operator_id, func.max(rank).label("worst"))
        .where(Measure.id > before, Measure.kind.in_(NOTICE_KINDS))
        .group_by(Measure.operator_id)
        .subquery()
    )
    message = case(
        *((worst.c.worst == v, literal(class_message(k, run.run_on))) for k, v in _SEVERITY.items())
    )
    result = db.session.connection().execute(
        insert(Notification)
        .from_select(
            ["operator_id", "kind", "message", "created_at"],
            select(
                worst.c.operator_id,
                literal("class_notice", String(30)),
                message,
                literal(at, Notification.__table__.c.created_at.type),
            ),
        )
        # An INSERT's row count is dropped unless asked for (SQLAlchemy 2.0).
        .execution_options(preserve_rowcount=True)
    )
    return result.rowcount


# ---- rectification cases ----------------------------------------------------------------


def start_rectifications(*, ctx: Ctx, limit: int = 200) -> int:
    """Start the case of each pending rectification order (one batch). Each order starts
    exactly once: its row is locked (SKIP LOCKED on PostgreSQL, so workers share the work),
    its case id written in the same transaction, and the case's idempotency key names it."""
    query = (
        select(Measure)
        .where(Measure.kind == "rectification", Measure.state == "open", Measure.case_id.is_(None))
        .order_by(Measure.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    pending = db.session.scalars(query).all()
    for measure in pending:
        obj = db.session.get(ScoringObject, measure.object_id)
        run_on = db.session.scalar(
            select(ClassificationRun.run_on).where(ClassificationRun.id == measure.run_id)
        )
        case_, _ = start_case(
            "rectification",
            ctx=ctx,
            operator_id=measure.operator_id,
            object_id=measure.object_id,
            deciding_bureau=measure.bureau_code,
            filed_on=measure.issued_on,
            idempotency_key=f"rectification:{measure.id}",
            subject={
                "measure_id": measure.id,
                "object": object_label(obj),
                "class": measure.klass,
                "run_on": run_on.isoformat() if run_on else None,
                "due_on": measure.due_on.isoformat() if measure.due_on else None,
            },
        )
        measure.case_id = case_.id
    db.session.flush()
    return len(pending)


def object_label(obj: ScoringObject) -> str:
    if obj.kind == "product":
        return f"{obj.operator.name} · {obj.brand}（第{obj.nice_class}类）"
    return f"{obj.operator.name}（{obj.operator.uscc}）"


# ---- completing measures ----------------------------------------------------------------


def get_measure(measure_id: int, *, ctx: Ctx) -> Measure:
    measure = db.session.get(Measure, measure_id)
    if measure is None or ctx.user is None or not can_see_measure(ctx.user, measure):
        raise NotFound("no measure %(id)s", id=measure_id)
    return measure


def complete_measure(measure_id: int, note: str, *, ctx: Ctx) -> Measure:
    """Staff record an interview, training, notice or guidance as done, with a note."""
    measure = get_measure(measure_id, ctx=ctx)
    if not can_complete_measure(ctx.user, measure):
        raise DomainError(
            "only staff of the responsible bureau can record this measure", status=403
        )
    if measure.kind not in STAFF_KINDS:
        raise Conflict("a rectification order is closed by verifying its rectification")
    if measure.state != "open":
        raise Conflict("this measure is no longer open")
    note = (note or "").strip()
    if not note or len(note) > 2000:
        raise DomainError("say what was done (1 to 2000 characters)", field="note")
    measure.state, measure.completed_at, measure.completed_by = "done", ctx.now, ctx.actor
    measure.note = note
    record_event(ctx.now, ctx.actor, "measure.done", "measure", str(measure.id), {"note": note})
    db.session.flush()
    return measure


def acknowledge_notices(run_id: int, *, ctx: Ctx) -> int:
    """The enterprise acknowledges (签收) its class notices of a run: they are done, and the
    class notice notifications are read."""
    user = ctx.user
    if user is None or user.role != Role.ENTERPRISE:
        raise DomainError("only the enterprise acknowledges its notices", status=403)
    open_ids = db.session.scalars(
        select(Measure.id).where(
            Measure.operator_id == user.operator_id,
            Measure.run_id == run_id,
            Measure.kind.in_(NOTICE_KINDS),
            Measure.state == "open",
        )
    ).all()
    if not open_ids:
        raise Conflict("there is nothing to acknowledge for this classification run")
    db.session.execute(
        update(Measure)
        .where(Measure.id.in_(open_ids))
        .values(state="done", completed_at=ctx.now, completed_by=ctx.actor, note="企业已签收")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Notification)
        .where(
            Notification.operator_id == user.operator_id,
            Notification.kind == "class_notice",
            Notification.read_at.is_(None),
        )
        .values(read_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    record_event(
        ctx.now,
        ctx.actor,
        "measure.acknowledged",
        "classification_run",
        str(run_id),
        {"measures": len(open_ids)},
    )
    return len(open_ids)


def open_rectification_task(measure: Measure):
    """The open task of a measure's rectification case, if any."""
    from models import CaseTask

    if measure.case_id is None:
        return None
    return db.session.scalar(
        select(CaseTask)
        .where(CaseTask.case_id == measure.case_id, CaseTask.state == "open")
        .order_by(CaseTask.id)
        .limit(1)
    )
