"""The enterprise portal (粤品通): my scoring objects and why they score what they do, my
notices, my cases (repair, objection, reward) and the information filing. Everything is read
for the signed-in user's operator only; an id of another operator's record answers 404."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.clock import CST
from app.context import now, today
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.letters.content import OUTCOMES, notice_objects, operator_objects
from app.queries import portal as q
from app.queries.attachments import case_attachments
from app.queries.cases import case_file, case_history
from app.queries.scores import explained_score, object_view
from app.services import filing as filing_service
from app.services.applications import (
    OBJECTION_DAYS,
    apply_reward,
    decision_day,
    entry_window_closes,
    file_objection,
    file_repair,
    objection_window_closes,
)
from app.services.attachments import attach, read_uploads
from app.services.cases import complete_task, withdraw_case
from app.services.scoring_tables import load_tables, table_for
from forms.base import N_
from forms.cases import ObjectionFiling, RepairApplication, RewardApplication
from forms.filing import ContactForm, FilingDeclaration, FilingItemForm
from forms.tasks import TASK_FORMS
from models import Case, CaseTask, Notification, Operator

from .charts import step_chart
from .forms import field_specs, load
from .guards import case_ctx, roles
from .labels import (
    DEADLINE_LABELS,
    ENTRY_KINDS,
    OUTCOME_LABELS,
    PROCESS_LABELS,
    STATUS_LABELS,
    history_actions,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")

ACTIONS = {
    "started": N_("立案"),
    "task_opened": N_("待办"),
    "task_completed": N_("办理"),
    "claimed": N_("承办人认领"),
    "unclaimed": N_("取消认领"),
    "reassigned": N_("改派"),
    "completed": N_("办结"),
    "overdue": N_("超期"),
}
ACTIONS = history_actions(ACTIONS)
ROLES = {"producer": N_("生产者"), "seller": N_("销售者"), "product": N_("产品")}
FILING_KINDS = {
    "product": N_("产品"),
    "supplier": N_("供货商"),
    "distributor": N_("经销商"),
    "recall": N_("召回报告"),
    "self_inspection": N_("自查情况（不合格通报后）"),
}
# The enterprise starts these cases, so it may withdraw them before the decision.
WITHDRAWABLE = ("repair", "objection", "reward")


@bp.context_processor
def _shared() -> dict:
    def local_time(value) -> str:
        return value.astimezone(CST).strftime("%Y-%m-%d %H:%M") if value else ""

    return {
        "local_time": local_time,
        "process_labels": PROCESS_LABELS,
        "status_labels": STATUS_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "entry_kinds": ENTRY_KINDS,
        "object_roles": ROLES,
        "filing_kinds": FILING_KINDS,
        "deadline_labels": DEADLINE_LABELS,
    }


def _mine() -> int:
    """The operator the signed-in enterprise user speaks for."""
    operator_id = current_user.operator_id
    if operator_id is None:
        raise DomainError("this account is not bound to an enterprise", status=403)
    return operator_id


# ---- my scoring objects -----------------------------------------------------------------------


@bp.get("/")
@roles("enterprise")
def home():
    mine = _mine()
    operator = db.session.get(Operator, mine)
    return render_template(
        "portal/home.html",
        operator=operator,
        objects=q.my_objects(mine, today()),
        summary=q.summary(mine),
        today=today(),
    )


@bp.get("/objects/<int:object_id>", endpoint="object")
@roles("enterprise")
def scoring_object(object_id: int):
    mine = _mine()
    obj = q.own_object(mine, object_id)
    ctx = case_ctx()
    doc = explained_score(obj, ctx.today)
    entries = doc["entries"]
    deduction_ids = [e["entry_id"] for e in entries if e["kind"] == "DEDUCTION"]
    matters = q.entry_matters(deduction_ids)
    notices = q.notices_by_matter(mine, set(matters.values()))
    windows = {}
    for matter_id, notice in notices.items():
        if notice.received_on is not None:
            windows[matter_id] = objection_window_closes(matter_id, mine, ctx)
    # R-RIGHTS: a repair or a reward can be objected to within 15 days of its decision.
    decisions = q.decision_entries([e["entry_id"] for e in entries if e.get("entry_id")])
    repaired, in_progress = q.settled_matters(mine, ctx.today)
    for e in entries:
        if e.get("entry_id") in decisions:
            e["window_closes"] = entry_window_closes(decisions[e["entry_id"]], mine, ctx)
            continue
        e["repaired"] = e["matter"] in repaired
        e["in_progress"] = e["matter"] in in_progress
        matter_id = matters.get(e["entry_id"])
        notice = notices.get(matter_id) if matter_id else None
        e["notice"] = notice
        e["window_closes"] = windows.get(matter_id)
    start, steps = q.score_history(obj, ctx.today)
    values = [v for _d, v in steps]
    chart = step_chart(
        _("近36个月信用分"),
        steps,
        start=start,
        end=ctx.today,
        lo=min([0.0, *values]),
        hi=max([12.0, *values]),
    )
    return render_template(
        "portal/object.html",
        obj=obj,
        doc=doc,
        entries=entries,
        official=doc["official_class"],
        chart=chart,
        today=ctx.today,
    )


# ---- applications: repair, objection, reward --------------------------------------------------


def _key_for_form() -> str:
    """A fresh per-form key: a double submission of the same form starts one case."""
    posted = request.form.get("idempotency_key", "")
    try:
        return str(uuid.UUID(posted))
    except ValueError:
        return str(uuid.uuid4())


def _idempotency_key() -> str:
    posted = request.form.get("idempotency_key", "")
    try:
        token = uuid.UUID(posted)
    except ValueError:
        raise DomainError(
            "the form is incomplete; reload the page and try again", status=400
        ) from None
    # Scoped to the user, so one user's key can never name another's case.
    return f"portal:{current_user.id}:{token}"


def _reasons(refusal: str | None) -> tuple[str | None, list[str]]:
    """A refusal that lists several failed conditions ("…: a；b") as a heading and a list."""
    if not refusal or "；" not in refusal:
        return refusal, []
    # The heading ends at the first colon, full-width (Chinese) or not (English).
    cut = min((i for i in (refusal.find("："), refusal.find(": ")) if i >= 0), default=-1)
    if cut < 0:
        head, rest = "", refusal
    else:
        head, rest = refusal[:cut], refusal[cut + 1 :].lstrip()
    return head, [r.strip() for r in rest.split("；") if r.strip()]


def _refused(err: DomainError) -> dict:
    """A refusal shown beside the file input when it is about the files, else on top."""
    if err.field == "files":
        return {"files_error": err.translated()}
    return {"refusal": err.translated()}


def _apply_page(
    kind: str, context: dict, specs: list, *, refusal=None, status=200, files_error=None
):
    head, reasons = _reasons(refusal)
    return (
        render_template(
            "portal/apply.html",
            kind=kind,
            specs=specs,
            key=_key_for_form() if request.method == "POST" else str(uuid.uuid4()),
            refusal=head,
            reasons=reasons,
            files_error=files_error,
            **context,
        ),
        status,
    )


def _commit_case(case: Case, key: str) -> Case:
    """Commit the new case; a concurrent double submission lost the race to the first one,
    whose case it then shows."""
    case_id = case.id
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(select(Case).where(Case.idempotency_key == key))
        if existing is None:
            raise
        return existing
    return db.session.get(Case, case_id)


def _started(case: Case, message: str):
    flash(message, "success")
    return redirect(url_for("portal.case", case_id=case.id))


def _int_arg(name: str) -> int:
    value = request.args.get(name, type=int)
    if value is None:
        raise DomainError("say which record: the address lacks its %(name)s", status=400, name=name)
    return value


def _refuse_settled(entry) -> None:
    """No application form for a deduction already revoked, repaired or being handled."""
    why = q.settled_deduction(_mine(), entry, case_ctx().today)
    if why:
        raise Conflict(why)


def _repair_context(entry_id: int) -> dict:
    entry, obj, matter = q.own_deduction(_mine(), entry_id)
    return {"entry": entry, "obj": obj, "matter": matter}


@bp.get("/apply/repair")
@roles("enterprise")
def repair():
    entry_id = _int_arg("entry")
    context = _repair_context(entry_id)
    _refuse_settled(context["entry"])
    specs = field_specs(RepairApplication, {"entry_id": entry_id}, hidden=("entry_id",))
    return _apply_page("repair", context, specs)


@bp.post("/apply/repair")
@roles("enterprise")
def repair_post():
    key = _idempotency_key()
    data, raw, errors = load(RepairApplication, request.form)
    entry_id = data["entry_id"] if data else _posted_int("entry_id")
    context = _repair_context(entry_id)
    if data is None:
        specs = field_specs(RepairApplication, raw, errors, hidden=("entry_id",))
        return _apply_page("repair", context, specs, status=422)
    application = {k: v for k, v in data.items() if k != "entry_id"}
    ctx = case_ctx()
    try:
        uploads = read_uploads(request.files.getlist("files"))
        case = file_repair(entry_id, application, ctx=ctx, idempotency_key=key)
        attach(case, uploads, ctx=ctx)
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        specs = field_specs(RepairApplication, raw, hidden=("entry_id",))
        return _apply_page("repair", context, specs, status=err.status, **_refused(err))
    return _started(_commit_case(case, key), _("修复申请已提交"))


def _posted_int(name: str) -> int:
    """An id the schema refused (not a number): the form was tampered with."""
    value = request.form.get(name, type=int)
    if value is None:
        raise DomainError("the form names no valid %(name)s", status=400, name=name)
    return value


def _objection_context(entry_ids: list[int]) -> dict:
    mine = _mine()
    found = [q.own_scoring(mine, i) for i in entry_ids]
    entry, obj, matter = found[0]
    notice = q.notices_by_matter(mine, {matter.id}).get(matter.id) if matter else None
    closes = None
    if entry.kind != "DEDUCTION" or (notice is not None and notice.received_on is not None):
        closes = entry_window_closes(entry, mine, case_ctx())
    return {
        "entry": entry,
        "entries": [f[0] for f in found],
        "obj": obj,
        "matter": matter,
        "notice": notice,
        "window_closes": closes,
        "objection_days": OBJECTION_DAYS,
    }


def _objection_specs(entry_ids: list[int], values=None, errors=None) -> list[dict]:
    specs = field_specs(ObjectionFiling, values, errors, hidden=("entry_ids",))
    for s in specs:
        if s["name"] == "entry_ids":
            s["kind"] = "hidden_list"
            s["value"] = entry_ids
    return specs


@bp.get("/apply/objection")
@roles("enterprise")
def objection():
    entry_id = _int_arg("entry")
    context = _objection_context([entry_id])
    _refuse_settled(context["entry"])
    return _apply_page("objection", context, _objection_specs([entry_id]))


@bp.post("/apply/objection")
@roles("enterprise")
def objection_post():
    key = _idempotency_key()
    data, raw, errors = load(ObjectionFiling, request.form)
    if data is not None:
        entry_ids = data["entry_ids"]
    else:
        try:
            entry_ids = [int(v) for v in request.form.getlist("entry_ids")]
        except ValueError:
            entry_ids = []
        if not entry_ids:
            raise DomainError("the form names no valid %(name)s", status=400, name="entry_ids")
    context = _objection_context(entry_ids)
    if data is None:
        specs = _objection_specs(entry_ids, raw, errors)
        return _apply_page("objection", context, specs, status=422)
    ctx = case_ctx()
    try:
        uploads = read_uploads(request.files.getlist("files"))
        case = file_objection(entry_ids, data["evidence"], ctx=ctx, idempotency_key=key)
        attach(case, uploads, ctx=ctx)
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        specs = _objection_specs(entry_ids, raw)
        return _apply_page("objection", context, specs, status=err.status, **_refused(err))
    return _started(_commit_case(case, key), _("异议已提交"))


def _reward_context(object_id: int) -> dict:
    mine = _mine()
    obj = q.own_object(mine, object_id)
    role = object_view(obj)["kind"]  # product, producer or seller
    table = table_for(load_tables(), today())
    rewards = [r for r in table.rewards.values() if role in r.objects]
    return {"obj": obj, "role": role, "rewards": rewards, "table": table}


def _reward_specs(context: dict, values=None, errors=None) -> list[dict]:
    specs = field_specs(RewardApplication, values, errors, hidden=("object_id",))
    for s in specs:
        if s["name"] == "code":
            s["kind"] = "radio"
            s["choices"] = [
                (r.code, f"{r.code} · {_(r.title)}（+{r.points.normalize():f}）")
                for r in context["rewards"]
            ]
    return specs


@bp.get("/apply/reward")
@roles("enterprise")
def reward():
    object_id = _int_arg("object")
    context = _reward_context(object_id)
    return _apply_page("reward", context, _reward_specs(context, {"object_id": object_id}))


@bp.post("/apply/reward")
@roles("enterprise")
def reward_post():
    key = _idempotency_key()
    data, raw, errors = load(RewardApplication, request.form)
    object_id = data["object_id"] if data else _posted_int("object_id")
    context = _reward_context(object_id)
    if data is None:
        return _apply_page("reward", context, _reward_specs(context, raw, errors), status=422)
    ctx = case_ctx()
    try:
        uploads = read_uploads(request.files.getlist("files"))
        case = apply_reward(
            object_id, data["code"], data["statement"], ctx=ctx, idempotency_key=key
        )
        attach(case, uploads, ctx=ctx)
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        specs = _reward_specs(context, raw)
        return _apply_page("reward", context, specs, status=err.status, **_refused(err))
    return _started(_commit_case(case, key), _("奖励申请已提交"))


# ---- notices --------------------------------------------------------------------------------


@bp.get("/notices")
@roles("enterprise")
def notices():
    mine = _mine()
    ctx = case_ctx()
    rows = []
    operator = db.session.get(Operator, mine)
    objects = operator_objects(mine)  # one query for the page, not one per notice
    for notice, object_ids in q.my_notices(mine):
        closes = None
        if notice.received_on is not None:
            closes = ctx.cal.add_days(notice.received_on, OBJECTION_DAYS).due_on
        rows.append(
            {
                "notice": notice,
                "c": notice.content or {},
                "figures": notice_objects(notice, operator, objects),
                "objects": object_ids,
                "closes": closes,
                "open": closes is not None and ctx.today <= closes,
            }
        )
    return render_template(
        "portal/notices.html",
        rows=rows,
        notifications=q.my_notifications(mine),
        today=ctx.today,
    )


@bp.post("/notices/read")
@roles("enterprise")
def notices_read():
    """Mark the notifications read (class notices are signed for on the measures page)."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.operator_id == _mine(),
            Notification.read_at.is_(None),
            Notification.kind != "class_notice",
        )
        .values(read_at=now())
    )
    db.session.commit()
    flash(_("已全部标为已读"), "success")
    return redirect(url_for("portal.notices"))


# ---- cases ----------------------------------------------------------------------------------


@bp.get("/cases")
@roles("enterprise")
def cases():
    from app.queries.cases import my_cases

    ctx = case_ctx()
    return render_template(
        "portal/cases.html",
        cases=my_cases(current_user),
        tasks=q.open_tasks_by_case(_mine(), today=ctx.today, cal=ctx.cal),
    )


def refusal_window(file: dict, ctx):
    """The last day an objection against this refused repair or reward may be filed, while
    it is open; None for any other case (R-RIGHTS)."""
    if not (
        file["process"] in ("repair", "reward")
        and file["status"] == "completed"
        and file["outcome"] == "rejected"
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
        if t["state"] == "open" and t["lane"] == "enterprise" and t["form"] in TASK_FORMS
    ]
    task = mine_open[0] if mine_open else None
    task_specs = field_specs(TASK_FORMS[task["form"]], values, errors) if task else None
    # What the bureau asked for (e.g. the material a repair verification found missing),
    # shown beside the form that answers it.
    asked = None
    if task is not None:
        asked_row = db.session.scalar(
            select(CaseTask)
            .where(
                CaseTask.case_id == case_id,
                CaseTask.lane != "enterprise",
                CaseTask.state == "done",
            )
            .order_by(CaseTask.id.desc())
            .limit(1)
        )
        if asked_row is not None and (asked_row.form_data or {}).get("reasons"):
            asked = {
                "task": asked_row.name,
                "title": asked_row.title,
                "reasons": asked_row.form_data["reasons"],
                "at": asked_row.completed_at,
            }
    decided = file["status"] == "completed" and (file["process"], file["outcome"] or "") in OUTCOMES
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
            withdrawable=file["status"] == "open" and file["process"] in WITHDRAWABLE,
            withdraw_error=withdraw_error,
            objection_error=objection_error,
            # R-RIGHTS: a refused repair or reward can be objected to within 15 days.
            refusal_objectable=refusal_window(file, ctx),
            idempotency_key=_key_for_form(),
            refusal=refusal,
        ),
        status,
    )


@bp.get("/cases/<int:case_id>")
@roles("enterprise")
def case(case_id: int):
    return _case_page(case_id)


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>")
@roles("enterprise")
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
        case = complete_task(task_id, data, ctx=ctx)
        attach(case, uploads, ctx=ctx, task=row)
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        return _case_page(case_id, values=raw, status=err.status, **_refused(err))
    db.session.commit()
    flash(_("已提交"), "success")
    return redirect(url_for("portal.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/objection")
@roles("enterprise")
def refusal_objection(case_id: int):
    """R-RIGHTS: an objection against a refused repair or reward, from its case page."""
    key = _idempotency_key()
    evidence = request.form.get("evidence", "")
    try:
        case = file_objection(
            [], evidence, ctx=case_ctx(), idempotency_key=key, refused_case=case_id
        )
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        return _case_page(case_id, objection_error=err.translated(), status=err.status)
    return _started(_commit_case(case, key), _("异议已提交"))


@bp.post("/cases/<int:case_id>/withdraw")
@roles("enterprise")
def withdraw(case_id: int):
    """Withdrawing cannot be undone: the enterprise confirms it first (the box on the form)."""
    if request.form.get("confirm") != "1":
        return _case_page(
            case_id,
            withdraw_error=_("撤回后不能恢复：请勾选确认后再撤回。"),
            status=422,
        )
    try:
        withdraw_case(case_id, ctx=case_ctx())
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        return _case_page(case_id, refusal=err.translated(), status=err.status)
    db.session.commit()
    flash(_("案件已撤回"), "success")
    return redirect(url_for("portal.case", case_id=case_id))


# ---- information filing ---------------------------------------------------------------------


def _filing_page(
    *, refusal=None, values=None, errors=None, status=200, contact_values=None, contact_errors=None
):
    mine = _mine()
    items = filing_service.items(mine)
    grouped = {k: [i for i in items if i.kind == k] for k in FILING_KINDS}
    operator = db.session.get(Operator, mine)
    if contact_values is None:
        contact_values = {
            "email": operator.email or "",
            "mobile": operator.mobile or "",
            "postal_address": operator.postal_address or "",
        }
    return (
        render_template(
            "portal/filing.html",
            operator=operator,
            contact_specs=field_specs(ContactForm, contact_values, contact_errors),
            grouped=grouped,
            missing=filing_service.missing(mine),
            item_specs=field_specs(FilingItemForm, values or {"kind": "product"}, errors),
            declaration_specs=field_specs(FilingDeclaration),
            finding=filing_service.active_finding(mine),
            refusal=refusal,
        ),
        status,
    )


@bp.get("/filing")
@roles("enterprise")
def filing():
    return _filing_page()


def _filing_write(action, message: str, **page):
    try:
        action()
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        return _filing_page(refusal=err.translated(), status=err.status, **page)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("portal.filing"))


@bp.post("/filing/items")
@roles("enterprise")
def filing_add():
    data, raw, errors = load(FilingItemForm, request.form)
    if data is None:
        return _filing_page(values=raw, errors=errors, status=422)
    mine = _mine()
    return _filing_write(
        lambda: filing_service.add_item(mine, data, ctx=case_ctx()),
        _("已添加"),
        values=raw,
    )


@bp.post("/filing/items/<int:item_id>/delete")
@roles("enterprise")
def filing_remove(item_id: int):
    mine = _mine()
    return _filing_write(
        lambda: filing_service.remove_item(mine, item_id, ctx=case_ctx()), _("已删除")
    )


@bp.post("/filing/contacts")
@roles("enterprise")
def filing_contacts():
    data, raw, errors = load(ContactForm, request.form)
    if data is None:
        return _filing_page(contact_values=raw, contact_errors=errors, status=422)
    mine = _mine()
    return _filing_write(
        lambda: filing_service.set_contacts(mine, data, ctx=case_ctx()),
        _("联系方式已保存"),
        contact_values=raw,
    )


@bp.post("/filing/declare")
@roles("enterprise")
def filing_declare():
    data, _raw, _errors = load(FilingDeclaration, request.form)
    if data is None:
        return _filing_page(refusal=_("请勾选承诺如实填报"), status=422)
    mine = _mine()
    return _filing_write(
        lambda: filing_service.declare(mine, ctx=case_ctx()), _("信息填报已确认完成")
    )
