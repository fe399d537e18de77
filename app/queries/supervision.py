"""What the supervisor dashboard reads: open, due-soon and overdue tasks by bureau with drill
down (province → city → county), the overdue tasks of a subtree, on-time rates of completed
officer tasks, and the bureau's notifications. Plain indexed queries; no workflow loads."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, String, cast, func, literal_column, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased

from app.calendar import WorkCalendar
from app.clock import CST
from app.codes import Role
from app.errors import NotFound
from app.extensions import db
from app.permissions import bureau_ancestors, bureau_tree_codes, scope_filter, supervises
from app.queries.cases import overdue_overview
from app.queries.task_queue import search_clause
from app.scoring.dates import add_months
from models import Bureau, Case, CaseTask, Notification, Operator, User

STAFF_LANES = (Role.OFFICER, Role.SUPERVISOR)


def bureau_in_scope(user: User, code: str | None) -> Bureau:
    """The bureau a supervisor looks at: their own by default, any below it on request; one
    outside their tree is reported as not found, so codes of other trees do not leak."""
    code = code or user.bureau_code
    bureau = db.session.get(Bureau, code) if code else None
    if bureau is None or not supervises(user, bureau.code):
        raise NotFound("no bureau %(code)s in your area", code=code or "")
    return bureau


def breadcrumb(user: User, code: str) -> list[tuple[str, str]]:
    """(code, name) from the supervisor's own bureau down to `code`."""
    chain = list(reversed(bureau_ancestors(code)))
    chain = chain[chain.index(user.bureau_code) :] if user.bureau_code in chain else [code]
    names = dict(
        db.session.execute(select(Bureau.code, Bureau.name).where(Bureau.code.in_(chain)))
        .tuples()
        .all()
    )
    return [(c, names.get(c, c)) for c in chain]


def drilldown(user: User, code: str, *, today: date, cal: WorkCalendar) -> dict:
    """At bureau `code`: its own open tasks, then one row per child bureau with the totals of
    the child's whole subtree (the most overdue first), and the sum. Built from the per-bureau
    counts of `overdue_overview` (one grouped query over the supervisor's tree)."""
    per_bureau = {r["bureau"]: r for r in overdue_overview(user, today=today, cal=cal)}
    children = db.session.execute(
        select(Bureau.code, Bureau.name, Bureau.level)
        .where(Bureau.parent_code == code)
        .order_by(Bureau.code)
    ).all()
    bureau = db.session.get(Bureau, code)

    def totals(codes) -> dict:
        out = {"open": 0, "due_soon": 0, "overdue": 0}
        for c in codes:
            row = per_bureau.get(c)
            if row:
                for k in out:
                    out[k] += row[k]
        return out

    own = {"bureau": code, "name": bureau.name, "level": bureau.level, "has_children": False}
    own |= totals([code])
    rows = []
    for child, name, level in children:
        subtree = bureau_tree_codes(child)
        row = {"bureau": child, "name": name, "level": level, "has_children": len(subtree) > 1}
        rows.append(row | totals(subtree))
    # Where the work is late comes first: overdue, then due soon, then open, then by code.
    rows.sort(key=lambda r: (-r["overdue"], -r["due_soon"], -r["open"], r["bureau"]))
    total = totals(bureau_tree_codes(code))
    return {"own": own, "children": rows, "total": total}


def overdue_tasks(codes: frozenset[str], *, today: date, page: int = 1, per_page: int = 50) -> dict:
    """Open staff tasks past their due date in the given bureaus, longest overdue first."""
    return deadline_tasks(codes, today=today, soon=today, page=page, per_page=per_page)


def deadline_tasks(
    codes: frozenset[str],
    *,
    today: date,
    soon: date,
    which: str = "overdue",
    process: str | None = None,
    search: str = "",
    page: int = 1,
    per_page: int | None = 50,
) -> dict:
    """Open staff tasks of the given bureaus past their due date (`which="overdue"`, longest
    overdue first) or due from today to `soon` (`"soon"`), of one process and matching a search
    (enterprise name, credit code, case number), one page of them with the total. `per_page`
    None gives every row (the downloads)."""
    claimer = aliased(User)
    where = [
        CaseTask.state == "open",
        CaseTask.lane.in_(STAFF_LANES),
        *scope_filter(CaseTask.bureau_code, codes),
    ]
    if which == "soon":
        where += [CaseTask.due_on >= today, CaseTask.due_on <= soon]
    else:
        where.append(CaseTask.due_on < today)
    if process:
        where.append(CaseTask.process_id == process)
    if search.strip():
        where.append(search_clause(search))
    total = (
        db.session.scalar(
            select(func.count())
            .select_from(CaseTask)
            .join(Operator, Operator.id == CaseTask.operator_id)
            .where(*where)
        )
        or 0
    )
    query = (
        select(
            CaseTask.id,
            CaseTask.case_id,
            CaseTask.process_id,
            CaseTask.name,
            CaseTask.title,
            CaseTask.bureau_code,
            Bureau.name,
            CaseTask.due_on,
            Operator.name,
            Operator.uscc,
            claimer.display_name,
        )
        .join(Bureau, Bureau.code == CaseTask.bureau_code)
        .join(Operator, Operator.id == CaseTask.operator_id)
        .outerjoin(claimer, claimer.id == CaseTask.claimed_by)
        .where(*where)
        .order_by(CaseTask.due_on, CaseTask.id)
    )
    if per_page is not None:
        query = query.limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(query).all()
    return {
        "total": total,
        "page": page,
        "pages": max(1, -(-total // per_page)) if per_page else 1,
        "tasks": [
            {
                "id": tid,
                "case_id": case_id,
                "process": process_id,
                "task": task,
                "title": title,
                "bureau": bureau,
                "bureau_name": bureau_name,
                "due_on": due_on,
                "days_overdue": (today - due_on).days,
                "operator": op_name,
                "uscc": uscc,
                "claimed_by": claimed,
            }
            for (
                tid,
                case_id,
                process_id,
                task,
                title,
                bureau,
                bureau_name,
                due_on,
                op_name,
                uscc,
                claimed,
            ) in rows
        ],
    }


def case_list(
    codes: frozenset[str],
    *,
    process: str | None = None,
    status: str | None = None,
    search: str = "",
    page: int = 1,
    per_page: int | None = 50,
) -> dict:
    """Cases decided by the given bureaus, newest first, of one process and state and
    matching a search (enterprise name, credit code, case number): one page with the total
    over all pages. `per_page` None gives every row (the downloads)."""
    where = scope_filter(Case.deciding_bureau, codes)
    if process:
        where.append(Case.process_id == process)
    if status:
        where.append(Case.status == status)
    if search.strip():
        where.append(search_clause(search, Case.id))
    total = (
        db.session.scalar(
            select(func.count())
            .select_from(Case)
            .join(Operator, Operator.id == Case.operator_id)
            .where(*where)
        )
        or 0
    )
    query = (
        select(Case, Operator.name, Operator.uscc)
        .join(Operator, Operator.id == Case.operator_id)
        .where(*where)
        .order_by(Case.id.desc())
    )
    if per_page is not None:
        query = query.limit(per_page).offset((page - 1) * per_page)
    return {
        "total": total,
        "page": page,
        "pages": max(1, -(-total // per_page)) if per_page else 1,
        "cases": [
            {
                "id": c.id,
                "process": c.process_id,
                "status": c.status,
                "outcome": c.outcome,
                "overdue": c.overdue,
                "filed_on": c.filed_on,
                "bureau": c.deciding_bureau,
                "subject": c.subject or {},
                "operator": name,
                "uscc": uscc,
            }
            for c, name, uscc in db.session.execute(query).all()
        ],
    }


# ---- on-time rates ------------------------------------------------------------------------


def months_up_to(today: date, n: int = 6) -> list[str]:
    """The last `n` calendar months up to today's, oldest first, as YYYY-MM."""
    first = today.replace(day=1)
    return [add_months(first, -k).strftime("%Y-%m") for k in range(n - 1, -1, -1)]


def _cst_parts(column):
    """(China Standard Time date, YYYY-MM month) of a stored UTC instant: legal days are CST
    calendar days. The two backends spell the conversion differently."""
    # Constants are written inline, not bound: PostgreSQL must see the GROUP BY expression
    # exactly as selected, and separately bound parameters would differ ($1 vs $3).
    if db.session.get_bind().dialect.name == "postgresql":
        local = func.timezone(literal_column("'Asia/Shanghai'"), column)
        return cast(local, Date), func.to_char(local, literal_column("'YYYY-MM'"))
    shift = literal_column("'+8 hours'")
    return (
        func.date(column, shift),
        cast(func.strftime(literal_column("'%Y-%m'"), column, shift), String),
    )


def on_time(codes: frozenset[str], *, today: date, months: int = 6) -> dict:
    """On-time rate of officer tasks with a due date completed in the last `months` months:
    on time = completed (CST day) on or before the due date. One grouped query by completion
    month, process and bureau; the rest is summed here.

    Returns per (month, process), per month, per process and per bureau code:
    {"completed": n, "on_time": k}."""
    labels = months_up_to(today, months)
    start = datetime.combine(date.fromisoformat(labels[0] + "-01"), time(0), CST).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=1), time(0), CST).astimezone(UTC)
    done_day, month = _cst_parts(CaseTask.completed_at)
    rows = db.session.execute(
        select(
            month,
            CaseTask.process_id,
            CaseTask.bureau_code,
            func.count(),
            func.sum(sql_case((done_day <= CaseTask.due_on, 1), else_=0)),
        )
        .where(
            CaseTask.state == "done",
            CaseTask.lane == Role.OFFICER,
            CaseTask.due_on.is_not(None),
            CaseTask.completed_at >= start,
            CaseTask.completed_at < end,
            *scope_filter(CaseTask.bureau_code, codes),
        )
        .group_by(month, CaseTask.process_id, CaseTask.bureau_code)
    ).all()

    def cell() -> dict:
        return {"completed": 0, "on_time": 0}

    by_month_process: dict[tuple[str, str], dict] = defaultdict(cell)
    by_month: dict[str, dict] = defaultdict(cell)
    by_process: dict[str, dict] = defaultdict(cell)
    by_bureau: dict[str, dict] = defaultdict(cell)
    for m, process, bureau, n, ok in rows:
        ok = int(ok or 0)
        for bucket in (
            by_month_process[(m, process)],
            by_month[m],
            by_process[process],
            by_bureau[bureau],
        ):
            bucket["completed"] += n
            bucket["on_time"] += ok
    return {
        "months": labels,
        "processes": sorted(by_process),
        "by_month_process": dict(by_month_process),
        "by_month": dict(by_month),
        "by_process": dict(by_process),
        "by_bureau": dict(by_bureau),
    }


def rate(cell: dict | None) -> float | None:
    """On-time share in per cent, None when nothing was completed."""
    if not cell or not cell["completed"]:
        return None
    return round(100.0 * cell["on_time"] / cell["completed"], 1)


def subtree_cells(by_bureau: dict[str, dict], codes) -> dict:
    out = {"completed": 0, "on_time": 0}
    for c in codes:
        cell = by_bureau.get(c)
        if cell:
            out["completed"] += cell["completed"]
            out["on_time"] += cell["on_time"]
    return out


# ---- notifications ------------------------------------------------------------------------


def bureau_notifications(user: User, *, page: int = 1, per_page: int = 50) -> dict:
    """The notifications of the supervisor's bureau, unread first, newest first within each;
    each with its case's process and operator for the link."""
    where = [Notification.bureau_code == user.bureau_code]
    total = db.session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    unread = (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(*where, Notification.read_at.is_(None))
        )
        or 0
    )
    rows = db.session.execute(
        select(Notification, Case.process_id, Operator.name)
        .outerjoin(Case, Case.id == Notification.case_id)
        .outerjoin(Operator, Operator.id == Case.operator_id)
        .where(*where)
        .order_by(sql_case((Notification.read_at.is_(None), 0), else_=1), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {
        "total": total,
        "unread": unread,
        "page": page,
        "pages": max(1, -(-total // per_page)),
        "items": [
            {
                "id": n.id,
                "case_id": n.case_id,
                "kind": n.kind,
                "message": n.message,
                "created_at": n.created_at,
                "read_at": n.read_at,
                "process": process,
                "operator": op_name,
            }
            for n, process, op_name in rows
        ],
    }


def tree_bureaus(code: str) -> list[tuple[str, str]]:
    """(code, name) of a bureau and every bureau below it, by code: the bureau filter."""
    return list(
        db.session.execute(
            select(Bureau.code, Bureau.name)
            .where(*scope_filter(Bureau.code, bureau_tree_codes(code)))
            .order_by(Bureau.code)
        ).tuples()
    )
