"""The case page: the case file, history and diagram beside the work of each open task;
completing a task with its form and a supervisor's reassignment."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.codes import Role
from app.errors import Conflict, DomainError, NotFound
from app.letters.content import OUTCOMES
from app.permissions import can_claim_task, can_reassign
from app.queries import inbox as q
from app.queries.attachments import case_attachments
from app.queries.cases import case_file, case_history
from app.queries.measures import serious_flag
from app.services import cases as case_service
from app.unit_of_work import attempt
from forms.base import N_
from forms.cases import Reassignment
from forms.tasks import TASK_FORMS
from models import Case, CaseTask

from ..forms import field_specs, load
from ..guards import case_ctx, roles
from .common import STAFF, bp, user

# Application texts kept in a case's subject, shown in the case file.
SUBJECT_TEXTS = (
    ("evidence", N_("异议理由和证据")),
    ("description", N_("错误情况")),
    ("not_intentional_statement", N_("非主观故意的说明")),
    ("rectification", N_("整改情况")),
    ("statement", N_("申请说明")),
)


def _diagram(case: Case) -> dict | None:
    """The BPMN the case runs on with its completed and current activities."""
    try:
        return case_service.engine().diagram(case_service.load_run(case))
    except DomainError:
        return None


def _case_page(case_id: int, *, posted=None, refusal=None, status: int = 200):
    """The case file, history and diagram beside the work of each open task. `posted` is
    {(what, task_id): (values, errors)} of a refused form, shown again with its errors."""
    ctx = case_ctx()
    me = user()
    file = case_file(me, case_id, today=ctx.today)  # 404 outside what the user may see
    history = case_history(me, case_id)
    case = q.case(case_id)
    posted = posted or {}
    rows = q.case_tasks(case_id)
    soon = ctx.cal.add_working_days(ctx.today, 1).due_on
    names = q.usernames(t["claimed_by"] for t in file["tasks"])
    work = []
    for t in file["tasks"]:
        due, is_open = t["due_on"], t["state"] == "open"
        t["overdue"] = is_open and due is not None and due < ctx.today
        t["due_soon"] = is_open and due is not None and ctx.today <= due <= soon
        t["claimer"] = names.get(t["claimed_by"])
        if not is_open or t["lane"] == Role.ENTERPRISE:
            continue
        row = rows[t["id"]]
        own_report = case_service.reported_by(case, me)  # four eyes (Art. 25)
        mine = row.claimed_by == me.id and can_claim_task(me, row) and not own_report
        item: dict[str, Any] = {
            "task": t,
            "can_claim": row.claimed_by is None and can_claim_task(me, row) and not own_report,
            "own_report": own_report,
            "mine": mine,
            "specs": None,
            "reassign": None,
        }
        if mine and row.form_key in TASK_FORMS:
            values, errors = posted.get(("task", row.id), ({}, {}))
            item["specs"] = field_specs(TASK_FORMS[row.form_key], values, errors)
        if can_reassign(me, row):
            values, errors = posted.get(("reassign", row.id), ({}, {}))
            specs = {s["name"]: s for s in field_specs(Reassignment, values, errors)}
            item["reassign"] = {
                "officers": [
                    o for o in q.bureau_officers(row.bureau_code) if o.id != row.claimed_by
                ],
                "username": specs["username"],
                "reason": specs["reason"],
            }
        work.append(item)
    subject = file["subject"] or {}
    object_id = q.case_object_id(case)
    return (
        render_template(
            "inbox/case.html",
            c=file,
            case=case,
            object_id=object_id,
            history=history,
            work=work,
            entries=q.case_entries(subject),
            texts=[(label, subject[key]) for key, label in SUBJECT_TEXTS if subject.get(key)],
            diagram=_diagram(case),
            attachments=case_attachments(me, case),
            flag=serious_flag(case.operator_id, ctx.today),
            decided=file["status"] == "completed"
            and (file["process"], file["outcome"] or "") in OUTCOMES,
            refusal=refusal,
            today=ctx.today,
        ),
        status,
    )


@bp.get("/cases/<int:case_id>")
@roles(*STAFF)
def case(case_id: int):
    return _case_page(case_id)


def _case_task(case_id: int, task_id: int) -> CaseTask:
    """A task of a case the user may see; anything else is 404."""
    case_file(user(), case_id, today=case_ctx().today)
    row = q.task(task_id)
    if row is None or row.case_id != case_id:
        raise NotFound("no task %(id)s", id=task_id)
    return row


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>")
@roles(*STAFF)
def complete(case_id: int, task_id: int):
    """Complete my task with its form (the task's formKey schema checks it, as in the API)."""
    row = _case_task(case_id, task_id)
    if row.state != "open":
        return _case_page(case_id, refusal=_gone(), status=409)
    schema = TASK_FORMS.get(row.form_key or "")
    if schema is None or row.lane == Role.ENTERPRISE:
        raise DomainError("this task is not worked in the inbox", status=403)
    data, raw, errors = load(schema, request.form)
    if data is None:
        return _case_page(case_id, posted={("task", task_id): (raw, errors)}, status=422)
    title = row.title
    try:
        with attempt():  # a refused call is undone before the page is drawn again
            case_service.complete_task(task_id, data, ctx=case_ctx())
    except NotFound:
        raise
    except DomainError as err:
        refusal = _gone() if isinstance(err, Conflict) else err.translated()
        return _case_page(
            case_id, posted={("task", task_id): (raw, {})}, refusal=refusal, status=err.status
        )
    flash(_("已办理：%(task)s", task=_(title)), "success")
    return redirect(url_for("inbox.case", case_id=case_id))


def _gone() -> str:
    return _("该任务已由他人办理或已关闭，未作任何更改。下面是案件的最新状态。")


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>/reassign")
@roles(Role.SUPERVISOR)
def reassign(case_id: int, task_id: int):
    """Give a task to another officer of its bureau, with a reason (supervisors over it)."""
    _case_task(case_id, task_id)
    data, raw, errors = load(Reassignment, request.form)
    to = None
    if data is not None:
        to = q.user_by_username(data["username"])
        if to is None:
            errors = {"username": [_("没有这个用户，请从列表中选择承办人")]}
    if data is None or to is None:
        return _case_page(case_id, posted={("reassign", task_id): (raw, errors)}, status=422)
    try:
        with attempt():
            case_service.reassign_task(task_id, to, data["reason"], ctx=case_ctx())
    except NotFound:
        raise
    except DomainError as err:
        return _case_page(
            case_id,
            posted={("reassign", task_id): (raw, {})},
            refusal=err.translated(),
            status=err.status,
        )
    flash(_("已改派给 %(name)s", name=to.display_name), "success")
    return redirect(url_for("inbox.case", case_id=case_id))
