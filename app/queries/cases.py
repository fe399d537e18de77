"""Task queues, case files and the overdue overview: plain indexed queries, no workflow loads."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale, gettext
from sqlalchemy import and_, func, select
from sqlalchemy import case as sql_case

from app.calendar import WorkCalendar
from app.clock import CST
from app.codes import Role, render_message
from app.errors import NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes, can_see_case, scope_filter
from models import Bureau, Case, CaseEvent, CaseTask, Deadline, Notification, Operator, User

SORTS = {
    "due": (CaseTask.due_on.asc().nulls_last(), CaseTask.id),
    "newest": (CaseTask.id.desc(),),
    "oldest": (CaseTask.id,),
}


def task_view(t: CaseTask, op: Operator, today: date, soon: date) -> dict:
    return {
        "id": t.id,
        "case_id": t.case_id,
        "process": t.process_id,
        "task": t.name,
        "title": t.title,
        "lane": t.lane,
        "bureau": t.bureau_code,
        "form": t.form_key,
        "operator": {"uscc": op.uscc, "name": op.name},
        "due_on": t.due_on,
        "overdue": t.due_on is not None and t.due_on < today,
        "due_soon": t.due_on is not None and today <= t.due_on <= soon,
        "claimed_by": t.claimed_by,
        "created_at": t.created_at,
    }


def queue(
    user: User,
    *,
    today: date,
    cal: WorkCalendar,
    process: str | None = None,
    overdue: bool | None = None,
    sort: str = "due",
    limit: int = 50,
    offset: int = 0,
) -> list[dict]:
    """Open tasks the user may work: an officer's bureau, a supervisor's tree, an enterprise's
    own tasks. Overdue and due-soon first when sorted by due date."""
    where = [CaseTask.state == "open"]
    if user.role == Role.ENTERPRISE:
        where += [CaseTask.lane == Role.ENTERPRISE, CaseTask.operator_id == user.operator_id]
    elif user.role == Role.OFFICER:
        where += [CaseTask.bureau_code == user.bureau_code, CaseTask.lane == Role.OFFICER]
    elif user.role == Role.SUPERVISOR:
        where += [
            CaseTask.bureau_code.in_(bureau_tree_codes(user.bureau_code)),
            CaseTask.lane != Role.ENTERPRISE,
        ]
    if process:
        where.append(CaseTask.process_id == process)
    if overdue is True:
        where.append(CaseTask.due_on < today)
    elif overdue is False:
        where.append(func.coalesce(CaseTask.due_on >= today, True))
    soon = cal.add_working_days(today, 1).due_on
    rows = db.session.execute(
        select(CaseTask, Operator)
        .join(Operator, Operator.id == CaseTask.operator_id)
        .where(*where)
        .order_by(*SORTS.get(sort, SORTS["due"]))
        .limit(limit)
        .offset(offset)
    ).all()
    return [task_view(t, op, today, soon) for t, op in rows]


def open_tasks(case_id: int) -> list[dict]:
    """What can be done next on a case (so a client needs no second request to find it)."""
    rows = db.session.execute(
        select(CaseTask.id, CaseTask.name, CaseTask.lane, CaseTask.due_on)
        .where(CaseTask.case_id == case_id, CaseTask.state == "open")
        .order_by(CaseTask.id)
    ).all()
    return [{"id": i, "task": n, "lane": lane, "due_on": due} for i, n, lane, due in rows]


def queue_task(task: CaseTask, *, today: date, cal: WorkCalendar) -> dict:
    op = db.session.get(Operator, task.operator_id)
    return task_view(task, op, today, cal.add_working_days(today, 1).due_on)


def overdue_overview(user: User, *, today: date, cal: WorkCalendar) -> list[dict]:
    """Per bureau in the supervisor's tree: open, due soon and overdue tasks."""
    codes = bureau_tree_codes(user.bureau_code) if user.role == Role.SUPERVISOR else None
    soon = cal.add_working_days(today, 1).due_on
    where = [CaseTask.state == "open", CaseTask.lane != Role.ENTERPRISE]
    where += scope_filter(CaseTask.bureau_code, codes)
    rows = db.session.execute(
        select(
            CaseTask.bureau_code,
            Bureau.name,
            func.count(),
            func.sum(sql_case((CaseTask.due_on < today, 1), else_=0)),
            func.sum(
                sql_case((and_(CaseTask.due_on >= today, CaseTask.due_on <= soon), 1), else_=0)
            ),
        )
        .join(Bureau, Bureau.code == CaseTask.bureau_code)
        .where(*where)
        .group_by(CaseTask.bureau_code, Bureau.name)
        .order_by(CaseTask.bureau_code)
    ).all()
    return [
        {"bureau": code, "name": name, "open": n, "overdue": int(od or 0), "due_soon": int(ds or 0)}
        for code, name, n, od, ds in rows
    ]


def case_file(user: User, case_id: int, *, today: date) -> dict:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(user, case):
        raise NotFound("no case %(case)s", case=case_id)
    op = db.session.get(Operator, case.operator_id)
    tasks = db.session.scalars(
        select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id)
    ).all()
    deadlines = db.session.scalars(
        select(Deadline).where(Deadline.case_id == case.id).order_by(Deadline.id)
    ).all()
    return {
        "id": case.id,
        "process": case.process_id,
        "status": case.status,
        "outcome": case.outcome,
        "overdue": case.overdue,
        "bureau": case.deciding_bureau,
        "operator": {"uscc": op.uscc, "name": op.name},
        "filed_on": case.filed_on,
        "subject": case.subject,
        "started_by": case.started_by,
        "tasks": [
            {
                "id": t.id,
                "task": t.name,
                "title": t.title,
                "lane": t.lane,
                "state": t.state,
                "due_on": t.due_on,
                "claimed_by": t.claimed_by,
                "form": t.form_key,
                "completed_by": t.completed_by,
            }
            for t in tasks
        ],
        "deadlines": [
            {
                "name": d.name,
                "working_days": d.working_days,
                "days": d.days,
                "start_on": d.start_on,
                "due_on": d.due_on,
                "state": d.state,
                "provisional": d.provisional,
                "paused_on": d.paused_on,
                "remaining": d.remaining,
            }
            for d in deadlines
        ],
        "pauses": case_pauses(case, list(deadlines)),
    }


def case_pauses(case: Case, deadlines: list[Deadline] | None = None) -> list[dict]:
    """Each time a deadline's clock stopped while the applicant supplemented material
    (R-PAUSE: 补正期间不计入办理时限), oldest first: the deadline, the day it stopped, the day
    the material arrived and it went on (None while it is still stopped, or the day the case
    ended if it ended first), the days that were left and whether they are working days."""
    if deadlines is None:
        deadlines = list(db.session.scalars(select(Deadline).where(Deadline.case_id == case.id)))
    by_name = {d.name: d for d in deadlines}
    events = db.session.scalars(
        select(CaseEvent)
        .where(
            CaseEvent.case_id == case.id,
            CaseEvent.action.in_(("deadline_paused", "deadline_resumed")),
        )
        .order_by(CaseEvent.id)
    )
    out: list[dict] = []
    open_: dict[str, dict] = {}
    for e in events:
        name = e.detail.get("deadline")
        if e.action == "deadline_paused":
            row = by_name.get(name)
            open_[name] = {
                "deadline": name,
                "since": date.fromisoformat(e.detail["on"]),
                "until": None,
                "remaining": e.detail.get("remaining"),
                "working_days": row is None or row.working_days is not None,
            }
            out.append(open_[name])
        elif name in open_:
            open_.pop(name)["until"] = date.fromisoformat(e.detail["on"])
    ended = case.completed_at.astimezone(CST).date() if case.completed_at else None
    for pause in open_.values():
        row = by_name.get(pause["deadline"])
        if row is None or row.state != "paused":
            pause["until"] = ended
    return out


def case_history(user: User, case_id: int) -> list[dict]:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(user, case):
        raise NotFound("no case %(case)s", case=case_id)
    return [
        {"at": e.at, "actor": e.actor, "action": e.action, "task": e.task, "detail": e.detail}
        for e in db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    ]


def my_cases(user: User, *, limit: int = 100) -> list[dict]:
    if user.role == Role.ENTERPRISE:
        where = [Case.operator_id == user.operator_id]
    elif user.role == Role.OFFICER:
        where = [Case.deciding_bureau == user.bureau_code]
    elif user.role == Role.SUPERVISOR:
        where = [Case.deciding_bureau.in_(bureau_tree_codes(user.bureau_code))]
    else:
        where = []
    rows = db.session.scalars(select(Case).where(*where).order_by(Case.id.desc()).limit(limit))
    return [
        {
            "id": c.id,
            "process": c.process_id,
            "status": c.status,
            "outcome": c.outcome,
            "overdue": c.overdue,
            "filed_on": c.filed_on,
            "bureau": c.deciding_bureau,
            "subject": c.subject,
        }
        for c in rows
    ]


def _english(stored: str) -> str:
    """A notification as the API states it: in English, as its refusals."""
    with force_locale("en"):
        return render_message(stored, gettext)


def notifications(user: User, *, limit: int = 100) -> list[dict]:
    if user.role == Role.ENTERPRISE:
        where = [Notification.operator_id == user.operator_id]
    elif user.role in (Role.OFFICER, Role.SUPERVISOR):
        where = [Notification.bureau_code == user.bureau_code]
    else:
        where = []
    rows = db.session.scalars(
        select(Notification).where(*where).order_by(Notification.id.desc()).limit(limit)
    )
    return [
        {
            "id": n.id,
            "case_id": n.case_id,
            "kind": n.kind,
            "message": _english(n.message),
            "created_at": n.created_at,
            "read": n.read_at is not None,
        }
        for n in rows
    ]
