"""My cases: the file, the enterprise's own steps, an objection to a refusal, withdrawing."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.codes import CaseStatus, Outcome, Process, Role
from app.errors import DomainError, NotFound
from app.extensions import db
from app.letters.content import OUTCOMES
from app.queries import portal as q
from app.queries.attachments import case_attachments
from app.queries.cases import case_file, case_history
from app.services.applications import (
    decision_day,
    file_objection,
    objection_window_closes,
)
from app.services.attachments import attach, read_uploads
from app.services.cases import complete_task, withdraw_case
from app.unit_of_work import attempt
from forms.tasks import TASK_FORMS
from models import Case, CaseTask

from ..forms import field_specs, load
from ..guards import case_ctx, roles
from .base import (
    ACTIONS,
    WITHDRAWABLE,
    bp,
    file_case,
    idempotency_key,
    key_for_form,
    my_operator,
    refused,
    started,
)

# ---- cases ----------------------------------------------------------------------------------


@bp.get("/cases")
@roles(Role.ENTERPRISE)
def cases():
    from app.queries.cases import my_cases

    ctx = case_ctx()
    return render_template(
        "portal/cases.html",
        cases=my_cases(current_user),
        tasks=q.open_tasks_by_case(my_operator(), today=ctx.today, cal=ctx.cal),
    )


def refusal_window(file: dict, ctx):
    """The last day an objection against this refused repair or reward may be filed, while
    it is open; None for any other case (R-RIGHTS)."""
    if not (
        file["process"] in (Process.REPAIR, Process.REWARD)
        and file["status"] == CaseStatus.COMPLETED
        and file["outcome"] == Outcome.REJECTED
    ):
        return None
    refused = db.session.get(Case, file["id"])
    closes = objection_window_closes(
        None, refused.operator_id, ctx, decided_on=decision_day(refused.completed_at)
    )
    return closes if ctx.today <= closes else None


def _case_page(
    case_id: int,
    *,
    refusal=None,
    values=None,
    errors=None,
    status=200,
    files_error=None,
    withdraw_error=None,
    objection_error=None,
):
    ctx = case_ctx()
    file = case_file(current_user, case_id, today=ctx.today)
    history = case_history(current_user, case_id)
    soon = ctx.cal.add_working_days(ctx.today, 1).due_on
    for t in file["tasks"]:
        due = t["due_on"]
        t["overdue"] = t["state"] == "open" and due is not None and due < ctx.today
        t["due_soon"] = t["state"] == "open" and due is not None and ctx.today <= due <= soon
    mine_open = [
        t
        for t in file["tasks"]
        if t["state"] == "open" and t["lane"] == Role.ENTERPRISE and t["form"] in TASK_FORMS
    ]
    task = mine_open[0] if mine_open else None
    task_specs = field_specs(TASK_FORMS[task["form"]], values, errors) if task else None
    # What the bureau asked for (e.g. the material a repair verification found missing),
    # shown beside the form that answers it.
    asked = q.bureau_request(case_id) if task is not None else None
    decided = (
        file["status"] == CaseStatus.COMPLETED
        and (file["process"], file["outcome"] or "") in OUTCOMES
    )
    return (
        render_template(
            "portal/case.html",
            c=file,
            history=history,
            actions=ACTIONS,
            task=task,
            task_specs=task_specs,
            asked=asked,
            attachments=case_attachments(current_user, db.session.get(Case, case_id)),
            files_error=files_error,
            decided=decided,
            withdrawable=file["status"] == CaseStatus.OPEN and file["process"] in WITHDRAWABLE,
            withdraw_error=withdraw_error,
            objection_error=objection_error,
            # R-RIGHTS: a refused repair or reward can be objected to within 15 days.
            refusal_objectable=refusal_window(file, ctx),
            idempotency_key=key_for_form(),
            refusal=refusal,
        ),
        status,
    )


@bp.get("/cases/<int:case_id>")
@roles(Role.ENTERPRISE)
def case(case_id: int):
    return _case_page(case_id)


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>")
@roles(Role.ENTERPRISE)
def task(case_id: int, task_id: int):
    """The enterprise's step of a case (e.g. the material a repair verification asked for)."""
    ctx = case_ctx()
    case_file(current_user, case_id, today=ctx.today)  # 404 for another's case
    row = db.session.get(CaseTask, task_id)
    if row is None or row.case_id != case_id:
        raise NotFound("no task %(id)s", id=task_id)
    schema = TASK_FORMS.get(row.form_key or "")
    if schema is None:
        raise DomainError("task %(name)s has no known form", status=500, name=row.name)
    data, raw, errors = load(schema, request.form)
    if data is None:
        return _case_page(case_id, values=raw, errors=errors, status=422)
    try:
        uploads = read_uploads(request.files.getlist("files"))
        with attempt():
            case = complete_task(task_id, data, ctx=ctx)
            attach(case, uploads, ctx=ctx, task=row)
    except NotFound:
        raise
    except DomainError as err:
        return _case_page(case_id, values=raw, status=err.status, **refused(err))
    flash(_("已提交"), "success")
    return redirect(url_for("portal.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/objection")
@roles(Role.ENTERPRISE)
def refusal_objection(case_id: int):
    """R-RIGHTS: an objection against a refused repair or reward, from its case page."""
    key = idempotency_key()
    evidence = request.form.get("evidence", "")
    try:
        case = file_case(
            key,
            lambda: file_objection(
                [], evidence, ctx=case_ctx(), idempotency_key=key, refused_case=case_id
            ),
        )
    except NotFound:
        raise
    except DomainError as err:
        return _case_page(case_id, objection_error=err.translated(), status=err.status)
    return started(case, _("异议已提交"))


@bp.post("/cases/<int:case_id>/withdraw")
@roles(Role.ENTERPRISE)
def withdraw(case_id: int):
    """Withdrawing cannot be undone: the enterprise confirms it first (the box on the form)."""
    if request.form.get("confirm") != "1":
        return _case_page(
            case_id,
            withdraw_error=_("撤回后不能恢复：请勾选确认后再撤回。"),
            status=422,
        )
    try:
        with attempt():
            withdraw_case(case_id, ctx=case_ctx())
    except NotFound:
        raise
    except DomainError as err:
        return _case_page(case_id, refusal=err.translated(), status=err.status)
    flash(_("案件已撤回"), "success")
    return redirect(url_for("portal.case", case_id=case_id))
