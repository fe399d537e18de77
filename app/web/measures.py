"""Measures by class (rules §10): staff see the open measures of their bureau (an officer) or
tree (a supervisor) and record interviews and training; enterprises see their own measures and
class notices, acknowledge the notices and report rectification; staff draw and download the
yearly inspection plans."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.codes import Role
from app.context import today
from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import can_act_on_task, can_complete_measure
from app.queries import measures as q
from app.queries.administration import bureaus_under, latest_run_day
from app.services import inspection_plans as plans
from app.services.cases import complete_task
from app.services.measures import (
    KIND_LABELS,
    NOTICE_KINDS,
    STAFF_KINDS,
    STATE_LABELS,
    acknowledge_notices,
    complete_measure,
    get_measure,
    open_rectification_task,
)
from app.unit_of_work import attempt
from forms.measures import InspectionPlanForm, MeasureDoneForm
from forms.tasks import TASK_FORMS
from models import Bureau

from .forms import field_specs, load
from .guards import case_ctx, roles

bp = Blueprint("measures", __name__, url_prefix="/measures")

PER_PAGE = 50
CLASSES = ("B", "C", "D", "O")
PREVIEW = 200  # plan rows shown on the page; the XLSX has them all


def _labels() -> dict:
    return {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS, "classes": CLASSES}


# ---- staff ----------------------------------------------------------------------------------


@bp.get("/")
@roles(Role.OFFICER, Role.SUPERVISOR)
def index():
    kind = request.args.get("kind") or None
    klass = request.args.get("klass") or None
    state = request.args.get("state", "open")
    if kind not in (None, *KIND_LABELS) or klass not in (None, *CLASSES):
        raise DomainError("unknown measure kind or class", status=400)
    if state not in ("open", "done", "cancelled", "all"):
        raise DomainError("unknown measure state", status=400)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = q.staff_measures(
        current_user,
        today=today(),
        kind=kind,
        klass=klass,
        state=None if state == "all" else state,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    summary = q.staff_summary(current_user)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)

    def page_url(n: int) -> str:
        return url_for("measures.index", kind=kind, klass=klass, state=state, page=n)

    return render_template(
        "measures/index.html",
        rows=rows,
        total=total,
        summary=summary,
        kind=kind,
        klass=klass,
        state=state,
        page=page,
        pages=pages,
        page_url=page_url,
        **_labels(),
    )


# ---- one measure ------------------------------------------------------------------------------


def _detail(measure_id: int, *, refusal: str | None = None, values=None, errors=None, status=200):
    ctx = case_ctx()
    measure = get_measure(measure_id, ctx=ctx)
    view = q.measure_view(measure, today=ctx.today)
    task = open_rectification_task(measure)
    task_specs = None
    if task is not None and can_act_on_task(ctx.user, task) and task.form_key in TASK_FORMS:
        task_specs = field_specs(TASK_FORMS[task.form_key], values, errors)
    done_specs = None
    if (
        measure.state == "open"
        and measure.kind in STAFF_KINDS
        and current_user.role in (Role.OFFICER, Role.SUPERVISOR)
        and can_complete_measure(current_user, measure)
    ):
        done_specs = field_specs(MeasureDoneForm, values, errors)
    flag = None
    if current_user.role in (Role.OFFICER, Role.SUPERVISOR):
        flag = q.serious_flag(measure.operator_id, ctx.today)
    return (
        render_template(
            "measures/detail.html",
            m=view,
            task=task,
            task_specs=task_specs,
            done_specs=done_specs,
            flag=flag,
            refusal=refusal,
            **_labels(),
        ),
        status,
    )


@bp.get("/<int:measure_id>")
@roles(Role.OFFICER, Role.SUPERVISOR, Role.ENTERPRISE)
def detail(measure_id: int):
    return _detail(measure_id)


@bp.post("/<int:measure_id>/done")
@roles(Role.OFFICER, Role.SUPERVISOR)
def done(measure_id: int):
    data, raw, errors = load(MeasureDoneForm, request.form)
    if data is None:
        return _detail(measure_id, values=raw, errors=errors, status=422)
    try:
        with attempt():
            complete_measure(measure_id, data["note"], ctx=case_ctx())
    except NotFound:
        raise
    except DomainError as err:
        return _detail(measure_id, refusal=err.translated(), values=raw, status=err.status)
    flash(_("已记录办理情况"), "success")
    return redirect(url_for("measures.detail", measure_id=measure_id))


@bp.post("/<int:measure_id>/task")
@roles(Role.OFFICER, Role.SUPERVISOR, Role.ENTERPRISE)
def task(measure_id: int):
    """Work the open task of a rectification case: the enterprise's report or the officer's
    verification (the same service as the inbox and the API)."""
    ctx = case_ctx()
    measure = get_measure(measure_id, ctx=ctx)
    open_task = open_rectification_task(measure)
    if open_task is None:
        return _detail(measure_id, refusal=_("这项措施没有待办任务"), status=409)
    schema = TASK_FORMS.get(open_task.form_key or "")
    if schema is None:
        raise DomainError("task %(name)s has no known form", status=500, name=open_task.name)
    if str(open_task.id) != request.form.get("task_id"):
        return _detail(measure_id, refusal=_("任务已变化，请刷新后重试"), status=409)
    posted = request.form.copy()
    posted.pop("task_id", None)
    data, raw, errors = load(schema, posted)
    if data is None:
        return _detail(measure_id, values=raw, errors=errors, status=422)
    try:
        with attempt():
            complete_task(open_task.id, data, ctx=ctx)
    except NotFound:
        raise
    except DomainError as err:
        return _detail(measure_id, refusal=err.translated(), values=raw, status=err.status)
    flash(_("已提交"), "success")
    return redirect(url_for("measures.detail", measure_id=measure_id))


# ---- enterprise -------------------------------------------------------------------------------


def _mine(refusal: str | None = None, status: int = 200):
    op = current_user.operator_id
    rows = q.operator_measures(op, today=today())
    runs: dict[int, dict] = {}
    for r in rows:
        group = runs.setdefault(r["run_id"], {"run_on": r["run_on"], "rows": [], "to_ack": 0})
        group["rows"].append(r)
        if r["kind"] in NOTICE_KINDS and r["state"] == "open":
            group["to_ack"] += 1
    return (
        render_template(
            "measures/mine.html",
            runs=runs,
            notices=q.class_notices(op),
            refusal=refusal,
            **_labels(),
        ),
        status,
    )


@bp.get("/mine")
@roles(Role.ENTERPRISE)
def mine():
    return _mine()


@bp.post("/mine/acknowledge")
@roles(Role.ENTERPRISE)
def acknowledge():
    run_id = request.form.get("run_id", type=int)
    if run_id is None:
        return _mine(refusal=_("请选择要签收的分类评定"), status=400)
    try:
        with attempt():
            n = acknowledge_notices(run_id, ctx=case_ctx())
    except DomainError as err:
        return _mine(refusal=err.translated(), status=err.status)
    flash(_("已签收 %(n)s 项监管提示", n=n), "success")
    return redirect(url_for("measures.mine"))


# ---- inspection plans ---------------------------------------------------------------------------


def _plans_page(*, values=None, errors=None, refusal=None, status=200):
    latest = latest_run_day()
    values = values or {"year": str(today().year), "bureau": current_user.bureau_code}
    return (
        render_template(
            "measures/plans.html",
            plans=plans.list_plans(current_user),
            bureaus=bureaus_under(current_user.bureau_code),
            values=values,
            errors=errors or {},
            refusal=refusal,
            latest=latest,
            specs=[
                s for s in field_specs(InspectionPlanForm, values, errors) if s["name"] != "bureau"
            ],
        ),
        status,
    )


@bp.get("/plans")
@roles(Role.OFFICER, Role.SUPERVISOR)
def plan_list():
    return _plans_page()


@bp.post("/plans")
@roles(Role.OFFICER, Role.SUPERVISOR)
def plan_new():
    data, raw, errors = load(InspectionPlanForm, request.form)
    if data is None:
        return _plans_page(values=raw, errors=errors, status=400)
    try:
        with attempt():
            plan, _data = plans.generate_plan(
                year=data["year"],
                bureau=data["bureau"],
                seed=data.get("seed"),
                user=current_user,
                today=today(),
                now=case_ctx().now,
            )
    except NotFound:
        raise
    except DomainError as err:
        return _plans_page(values=raw, refusal=err.translated(), status=err.status)
    flash(_("检查计划已生成并记录"), "success")
    return redirect(url_for("measures.plan", plan_id=plan.id))


@bp.get("/plans/<int:plan_id>")
@roles(Role.OFFICER, Role.SUPERVISOR)
def plan(plan_id: int):
    record = plans.get_plan(plan_id, current_user)
    data = plans.plan_view(record, today=today())
    bureau = db.session.get(Bureau, record.bureau_code)
    return render_template(
        "measures/plan.html",
        plan=record,
        data=data,
        bureau=bureau,
        totals=data.totals(),
        preview=PREVIEW,
        weight_text=plans.weight_text,
    )


@bp.get("/plans/<int:plan_id>/verify")
@roles(Role.OFFICER, Role.SUPERVISOR)
def plan_verify(plan_id: int):
    """Anyone may check the draw: the recorded inputs drawn again give the recorded plan."""
    record = plans.get_plan(plan_id, current_user)
    same_candidates, same_selection = plans.verify(record, today=today())
    if same_selection:
        flash(_("核验一致：按记录的输入重新抽取，结果与记录相同。"), "success")
    elif not same_candidates:
        flash(_("核验不一致：候选名单已与记录时不同（分类结果或检查记录已更正）。"), "error")
    else:
        flash(_("核验不一致：抽取结果与记录不同。"), "error")
    return redirect(url_for("measures.plan", plan_id=plan_id))


@bp.get("/plans/<int:plan_id>.xlsx")
@roles(Role.OFFICER, Role.SUPERVISOR)
def plan_xlsx(plan_id: int):
    record = plans.get_plan(plan_id, current_user)
    data = plans.plan_view(record, today=today())
    bureau = db.session.get(Bureau, record.bureau_code)
    body = plans.to_xlsx(record, data, bureau_name=bureau.name)
    filename = f"inspection-plan-{record.year}-{record.bureau_code}-{record.id}.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
