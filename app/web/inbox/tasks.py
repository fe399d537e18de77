"""The officer's queue (待办任务): searched, in views (mine, unclaimed, overdue), paged with its
total, each task with its working days left (R-CAL); claiming one task or claiming or
reassigning several at once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.codes import Role
from app.errors import DomainError, NotFound
from app.permissions import can_claim_task
from app.queries import inbox as q
from app.queries.letters import letters_to_post
from app.queries.task_queue import VIEWS, task_page
from app.services import cases as case_service
from app.services.task_actions import BulkResult, claim_tasks, reassign_tasks
from forms.base import N_

from ..guards import case_ctx, roles
from ..layout import task_title
from .common import PROCESS_LABELS, STAFF, back, bp, user

PER_PAGE = 50
SORTS = {"due": N_("按期限"), "newest": N_("最新在前"), "oldest": N_("最早在前")}
VIEW_LABELS = {
    "all": N_("全部"),
    "mine": N_("我的"),
    "unclaimed": N_("待认领"),
    "overdue": N_("已超期"),
}
# What the queue's address keeps from page to page (and after a bulk action).
QUERY_KEYS = ("view", "q", "process", "overdue", "sort", "page")


def _queue_filters(args) -> dict[str, Any]:
    """View, search, process, overdue, sort and page from the query string; a bad value is a
    400."""
    view = args.get("view") or "all"
    if view not in VIEWS:
        raise DomainError("unknown view %(v)s: choose one from the list", status=400, v=view)
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
    search = (args.get("q") or "").strip()[:100]
    return {
        "view": view,
        "q": search,
        "process": process,
        "overdue": overdue,
        "sort": sort,
        "page": int(page),
    }


def _query(f: dict[str, Any], **change) -> dict[str, Any]:
    """The queue's address arguments without their defaults."""
    out = {**f, **change}
    defaults = {"view": "all", "sort": "due", "page": 1}
    return {k: v for k, v in out.items() if v and defaults.get(k) != v}


@bp.get("/")
@roles(*STAFF)
def queue():
    """Open tasks of my bureau (a supervisor's tree), overdue and due-soon first."""
    f = _queue_filters(request.args)
    ctx = case_ctx()
    me = user()
    found = task_page(
        me,
        today=ctx.today,
        cal=ctx.cal,
        view=f["view"],
        search=f["q"],
        process=f["process"] or None,
        overdue={"": None, "yes": True, "no": False}[f["overdue"]],
        sort=f["sort"],
        page=f["page"],
        per_page=PER_PAGE,
    )
    rows = found["rows"]
    names = q.usernames(r["claimed_by"] for r in rows)
    for r in rows:
        task = SimpleNamespace(lane=r["lane"], bureau_code=r["bureau"])
        r["claimer"] = names.get(r["claimed_by"])
        r["mine"] = r["claimed_by"] == me.id
        r["can_claim"] = r["claimed_by"] is None and can_claim_task(me, task)
    officers = []
    if me.role == Role.SUPERVISOR:
        officers = q.bureau_officers(*{r["bureau"] for r in rows})
    to_post = len(letters_to_post(me, me.bureau_code) or []) if me.bureau_code else 0
    return render_template(
        "inbox/queue.html",
        rows=rows,
        f=f,
        total=found["total"],
        pages=found["pages"],
        query=_query(f, page=None),
        page_url=lambda n: url_for("inbox.queue", **_query(f, page=n)),
        view_url=lambda v: url_for("inbox.queue", **_query(f, view=v, page=None)),
        views=VIEW_LABELS,
        sorts=SORTS,
        officers=officers,
        today=ctx.today,
        to_post=to_post,
    )


def _task_action(task_id: int, action, message: str):
    """A refusal raises (4xx), and the request boundary discards the writes."""
    task = action(task_id, ctx=case_ctx())
    flash(message, "success")
    return back(task.case_id)


@bp.post("/tasks/<int:task_id>/claim")
@roles(*STAFF)
def claim(task_id: int):
    return _task_action(task_id, case_service.claim_task, _("已认领，可以办理"))


@bp.post("/tasks/<int:task_id>/unclaim")
@roles(*STAFF)
def unclaim(task_id: int):
    return _task_action(task_id, case_service.unclaim_task, _("已取消认领，任务退回本局待办"))


def _named(task_id: int, task, err: DomainError) -> str:
    """A refused task by its case, step and enterprise; one the user may not see by its
    number only, so nothing of it leaks."""
    if task is None or isinstance(err, NotFound):
        return _("任务 %(id)s：%(reason)s", id=task_id, reason=_("没有这个任务"))
    return _(
        "案件 %(case)s · %(task)s · %(operator)s：%(reason)s",
        case=task.case_id,
        task=task_title(task.name, task.title),
        operator=q.operator_name(task.operator_id),
        reason=err.translated(),
    )


def _report(result: BulkResult, done_message) -> None:
    if result.done:
        flash(done_message(len(result.done)), "success")
    for task_id, task, err in result.refused:
        flash(_named(task_id, task, err), "error")


@bp.post("/tasks/bulk")
@roles(*STAFF)
def bulk():
    """Claim (or, for a supervisor, reassign) the ticked tasks: each refused one is reported
    by name, the others are done, all in the request's one transaction."""
    f = _queue_filters(request.form)
    back_to = redirect(url_for("inbox.queue", **_query(f)))
    ids = [int(v) for v in request.form.getlist("task") if v.isdigit()]
    if not ids:
        flash(_("请先勾选任务"), "error")
        return back_to
    action = request.form.get("action")
    ctx = case_ctx()
    if action == "claim":
        result = claim_tasks(ids, ctx=ctx)
        message = lambda n: _("已认领 %(n)s 项任务", n=n)  # noqa: E731
    elif action == "reassign":
        if current_user.role != Role.SUPERVISOR:
            raise DomainError(
                "only a supervisor over this bureau can reassign its tasks", status=403
            )
        to = q.user_by_username(request.form.get("username") or "")
        if to is None:
            flash(_("没有这个用户，请从列表中选择承办人"), "error")
            return back_to
        reason = request.form.get("reason") or ""
        if not reason.strip():
            flash(_("请填写改派理由"), "error")
            return back_to
        result = reassign_tasks(ids, to, reason, ctx=ctx)
        name = to.display_name
        message = lambda n: _("已将 %(n)s 项任务改派给 %(name)s", n=n, name=name)  # noqa: E731
    else:
        raise DomainError("unknown action %(a)s", status=400, a=action or "")
    _report(result, message)
    return back_to
