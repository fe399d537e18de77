"""The officer's queue as a page: open staff tasks searched by enterprise name, unified credit
code or case number, in a view (all, mine, unclaimed, overdue), with the total and each task's
time left counted in working days (R-CAL) on the bureau's calendar."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from app.calendar import WorkCalendar
from app.codes import Role
from app.extensions import db
from app.permissions import bureau_tree_codes
from models import CaseTask, Operator, User

from .cases import SORTS, task_view

VIEWS = ("all", "mine", "unclaimed", "overdue")


def search_clause(text: str, case_id=CaseTask.case_id):
    """Enterprise name (any part), unified credit code (from its start) or case number (of
    `case_id`: a task's case, or `Case.id` for a list of cases)."""
    text = text.strip()
    number = text.lstrip("#")
    clauses = [
        Operator.name.contains(text, autoescape=True),
        Operator.uscc.startswith(text.upper(), autoescape=True),
    ]
    if number.isdigit() and len(number) < 12:
        clauses.append(case_id == int(number))
    return or_(*clauses)


def time_left(due_on: date | None, today: date, cal: WorkCalendar) -> dict | None:
    """Working days from today to the due day (R-CAL): {"state": "left"|"today"|"overdue",
    "days": n}. Days left count (today, due]; days overdue count (due, today], so a task due on
    Friday is one working day overdue on Monday and none over the weekend."""
    if due_on is None:
        return None
    if due_on == today:
        return {"state": "today", "days": 0}
    if due_on > today:
        return {"state": "left", "days": cal.working_days_between(today, due_on)}
    return {"state": "overdue", "days": cal.working_days_between(due_on, today)}


def task_page(
    user: User,
    *,
    today: date,
    cal: WorkCalendar,
    view: str = "all",
    search: str = "",
    process: str | None = None,
    overdue: bool | None = None,
    sort: str = "due",
    page: int = 1,
    per_page: int = 50,
) -> dict:
    """One page of the open staff tasks the user may work (an officer's bureau, a supervisor's
    tree) with the total over all pages: {"rows", "total", "page", "pages"}."""
    where = [CaseTask.state == "open"]
    if user.role == Role.SUPERVISOR:
        where += [
            CaseTask.bureau_code.in_(sorted(bureau_tree_codes(user.bureau_code))),
            CaseTask.lane != Role.ENTERPRISE,
        ]
    else:
        where += [CaseTask.bureau_code == user.bureau_code, CaseTask.lane == Role.OFFICER]
    if view == "mine":
        where.append(CaseTask.claimed_by == user.id)
    elif view == "unclaimed":
        where.append(CaseTask.claimed_by.is_(None))
    elif view == "overdue":
        where.append(CaseTask.due_on < today)
    if overdue is True and view != "overdue":
        where.append(CaseTask.due_on < today)
    elif overdue is False:
        where.append(func.coalesce(CaseTask.due_on >= today, True))
    if process:
        where.append(CaseTask.process_id == process)
    if search.strip():
        where.append(search_clause(search))
    base = select(CaseTask, Operator).join(Operator, Operator.id == CaseTask.operator_id)
    counted = select(func.count()).select_from(CaseTask)
    if search.strip():  # the enterprise is joined only when the search needs it
        counted = counted.join(Operator, Operator.id == CaseTask.operator_id)
    total = db.session.scalar(counted.where(*where)) or 0
    pages = max(1, -(-total // per_page))
    rows = db.session.execute(
        base.where(*where)
        .order_by(*SORTS.get(sort, SORTS["due"]))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    soon = cal.add_working_days(today, 1).due_on
    out = []
    for t, op in rows:
        view_row = task_view(t, op, today, soon)
        view_row["left"] = time_left(t.due_on, today, cal)
        out.append(view_row)
    return {"rows": out, "total": total, "page": page, "pages": pages}
