"""The officer's queue (待办任务) and claiming a task."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import flash, render_template, request
from flask_babel import gettext as _

from app.errors import DomainError
from app.extensions import db
from app.permissions import can_claim_task
from app.queries import inbox as q
from app.queries.cases import queue as task_queue
from app.queries.letters import letters_to_post
from app.services import cases as case_service
from forms.base import N_

from ..guards import case_ctx, roles
from .common import PROCESS_LABELS, STAFF, back, bp, user

PER_PAGE = 50
SORTS = {"due": N_("按期限"), "newest": N_("最新在前"), "oldest": N_("最早在前")}


def _queue_filters() -> dict[str, Any]:
    """Process, overdue, sort and page from the query string; a bad value is a 400."""
    args = request.args
    process = args.get("process") or ""
    if process and process not in PROCESS_LABELS:
        raise DomainError("unknown process %(p)s: choose one from the list", status=400, p=process)
    overdue = args.get("overdue") or ""
    if overdue not in ("", "yes", "no"):
        raise DomainError("overdue must be yes or no", status=400)
    sort = args.get("sort") or "due"
    if sort not in SORTS:
        raise DomainError("unknown sort order %(s)s: choose one from the list", status=400, s=sort)
    page = args.get("page") or "1"
    if not page.isdigit() or int(page) < 1:
        raise DomainError("page must be a whole number from 1", status=400)
    return {"process": process, "overdue": overdue, "sort": sort, "page": int(page)}


@bp.get("/")
@roles(*STAFF)
def queue():
    """Open tasks of my bureau (a supervisor's tree), overdue and due-soon first."""
    f = _queue_filters()
    ctx = case_ctx()
    me = user()
    rows = task_queue(
        me,
        today=ctx.today,
        cal=ctx.cal,
        process=f["process"] or None,
        overdue={"": None, "yes": True, "no": False}[f["overdue"]],
        sort=f["sort"],
        limit=PER_PAGE + 1,
        offset=(f["page"] - 1) * PER_PAGE,
    )
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    names = q.usernames(r["claimed_by"] for r in rows)
    for r in rows:
        task = SimpleNamespace(lane=r["lane"], bureau_code=r["bureau"])
        r["claimer"] = names.get(r["claimed_by"])
        r["mine"] = r["claimed_by"] == me.id
        r["can_claim"] = r["claimed_by"] is None and can_claim_task(me, task)
    query = {k: v for k, v in f.items() if k != "page" and v and not (k == "sort" and v == "due")}
    to_post = len(letters_to_post(me, me.bureau_code) or []) if me.bureau_code else 0
    return render_template(
        "inbox/queue.html",
        rows=rows,
        f=f,
        more=more,
        query=query,
        sorts=SORTS,
        today=ctx.today,
        to_post=to_post,
    )


def _task_action(task_id: int, action, message: str):
    try:
        task = action(task_id, ctx=case_ctx())
        case_id = task.case_id
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    flash(message, "success")
    return back(case_id)


@bp.post("/tasks/<int:task_id>/claim")
@roles(*STAFF)
def claim(task_id: int):
    return _task_action(task_id, case_service.claim_task, _("已认领，可以办理"))


@bp.post("/tasks/<int:task_id>/unclaim")
@roles(*STAFF)
def unclaim(task_id: int):
    return _task_action(task_id, case_service.unclaim_task, _("已取消认领，任务退回本局待办"))
