"""The officer inbox (承办人待办): the queue of a bureau (a supervisor's: the whole tree below),
the case file beside the task form, the case's BPMN diagram, the staff view of a scoring object
with the error report (纠错), and recording a matter (登记事项).

Every write goes through the same services as the API; a matter typed into the form becomes one
interchange record and passes through the import service, so it meets exactly the checks of a
bulk-imported one. What a user may see is narrowed by `app.permissions`; ids outside answer 404.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.clock import CST
from app.context import now
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.letters.content import OUTCOMES
from app.permissions import (
    can_claim_task,
    can_reassign,
    can_record_concealment,
    can_see_case,
    can_see_matter,
    can_see_operator_records,
)
from app.queries.attachments import case_attachments
from app.queries.cases import case_file, case_history, my_cases
from app.queries.cases import queue as task_queue
from app.queries.measures import serious_flag
from app.queries.scores import explained_score
from app.services import cases as case_service
from app.services import filing as filing_service
from app.services.applications import report_correction
from app.services.attachments import attach, read_uploads
from app.services.imports import Refusal, import_records
from app.services.scoring_tables import load_tables, table_for
from forms.base import N_, Strict
from forms.cases import CorrectionReport, Reassignment
from forms.tasks import TASK_FORMS
from models import Case, CaseTask, LedgerEntry, Matter, Operator, ScoringObject, User

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

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

STAFF = ("officer", "supervisor")
PER_PAGE = 50
SORTS = {"due": N_("按期限"), "newest": N_("最新在前"), "oldest": N_("最早在前")}
TASK_STATES = {"open": N_("待办"), "done": N_("已完成"), "cancelled": N_("已取消")}
DEADLINE_STATES = {
    "running": N_("计时中"),
    "paused": N_("暂停"),
    "met": N_("按期办结"),
    "passed": N_("已超期"),
}
ACTIONS = {
    "started": N_("立案"),
    "task_opened": N_("待办"),
    "task_completed": N_("办理"),
    "claimed": N_("认领"),
    "unclaimed": N_("取消认领"),
    "reassigned": N_("改派"),
    "completed": N_("办结"),
    "overdue": N_("超期"),
}
ACTIONS = history_actions(ACTIONS)
OBJECT_KINDS = {"product": N_("产品"), "producer": N_("生产者"), "seller": N_("销售者")}
# Application texts kept in a case's subject, shown in the case file.
SUBJECT_TEXTS = (
    ("evidence", N_("异议理由和证据")),
    ("description", N_("错误情况")),
    ("not_intentional_statement", N_("非主观故意的说明")),
    ("rectification", N_("整改情况")),
    ("statement", N_("申请说明")),
)


@bp.context_processor
def _shared() -> dict:
    def local_time(value) -> str:
        return value.astimezone(CST).strftime("%Y-%m-%d %H:%M") if value else ""

    return {
        "local_time": local_time,
        "process_labels": PROCESS_LABELS,
        "status_labels": STATUS_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "task_states": TASK_STATES,
        "deadline_states": DEADLINE_STATES,
        "deadline_labels": DEADLINE_LABELS,
        "actions": ACTIONS,
        "entry_kinds": ENTRY_KINDS,
        "object_kinds": OBJECT_KINDS,
    }


def _user() -> User:
    return current_user._get_current_object()


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


# ---- the queue --------------------------------------------------------------------------------


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
    user = _user()
    rows = task_queue(
        user,
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
    names = _usernames(r["claimed_by"] for r in rows)
    for r in rows:
        task = SimpleNamespace(lane=r["lane"], bureau_code=r["bureau"])
        r["claimer"] = names.get(r["claimed_by"])
        r["mine"] = r["claimed_by"] == user.id
        r["can_claim"] = r["claimed_by"] is None and can_claim_task(user, task)
    query = {k: v for k, v in f.items() if k != "page" and v and not (k == "sort" and v == "due")}
    from app.queries.letters import letters_to_post

    to_post = len(letters_to_post(user, user.bureau_code) or []) if user.bureau_code else 0
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


def _back(case_id: int):
    """Back where the button was: the case page or the queue."""
    if request.form.get("back") == "case":
        return redirect(url_for("inbox.case", case_id=case_id))
    return redirect(url_for("inbox.queue"))


def _task_action(task_id: int, action, message: str):
    try:
        task = action(task_id, ctx=case_ctx())
        case_id = task.case_id
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    flash(message, "success")
    return _back(case_id)


@bp.post("/tasks/<int:task_id>/claim")
@roles(*STAFF)
def claim(task_id: int):
    return _task_action(task_id, case_service.claim_task, _("已认领，可以办理"))


@bp.post("/tasks/<int:task_id>/unclaim")
@roles(*STAFF)
def unclaim(task_id: int):
    return _task_action(task_id, case_service.unclaim_task, _("已取消认领，任务退回本局待办"))


# ---- cases -----------------------------------------------------------------------------------


@bp.get("/cases")
@roles(*STAFF)
def cases():
    """Cases decided by my bureau (a supervisor's: the tree), newest first."""
    return render_template("inbox/cases.html", cases=my_cases(_user()))


def _entries(subject: dict) -> list[dict]:
    """The ledger entries a case is about, with their object and matter."""
    raw = subject.get("entry_ids") or ([subject["entry_id"]] if subject.get("entry_id") else [])
    ids = [i for i in raw if isinstance(i, int)]
    if not ids:
        return []
    rows = db.session.execute(
        select(LedgerEntry, ScoringObject, Matter)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .outerjoin(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id.in_(ids))
        .order_by(LedgerEntry.id)
    ).all()
    return [{"entry": e, "obj": o, "matter": m} for e, o, m in rows]


def _diagram(case: Case) -> dict | None:
    """The BPMN the case runs on with its completed and current activities."""
    try:
        return case_service.engine().diagram(case_service.load_run(case))
    except DomainError:
        return None


def _officers(bureau_code: str) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "officer", User.bureau_code == bureau_code, User.active)
            .order_by(User.username)
        )
    )


def _case_page(case_id: int, *, posted=None, refusal=None, status: int = 200):
    """The case file, history and diagram beside the work of each open task. `posted` is
    {(what, task_id): (values, errors)} of a refused form, shown again with its errors."""
    ctx = case_ctx()
    user = _user()
    file = case_file(user, case_id, today=ctx.today)  # 404 outside what the user may see
    history = case_history(user, case_id)
    case = db.session.get(Case, case_id)
    posted = posted or {}
    rows = {
        t.id: t for t in db.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id))
    }
    soon = ctx.cal.add_working_days(ctx.today, 1).due_on
    names = _usernames(t["claimed_by"] for t in file["tasks"])
    work = []
    for t in file["tasks"]:
        due, is_open = t["due_on"], t["state"] == "open"
        t["overdue"] = is_open and due is not None and due < ctx.today
        t["due_soon"] = is_open and due is not None and ctx.today <= due <= soon
        t["claimer"] = names.get(t["claimed_by"])
        if not is_open or t["lane"] == "enterprise":
            continue
        row = rows[t["id"]]
        own_report = case_service.reported_by(case, user)  # four eyes (Art. 25)
        mine = row.claimed_by == user.id and can_claim_task(user, row) and not own_report
        item: dict[str, Any] = {
            "task": t,
            "can_claim": row.claimed_by is None and can_claim_task(user, row) and not own_report,
            "own_report": own_report,
            "mine": mine,
            "specs": None,
            "reassign": None,
        }
        if mine and row.form_key in TASK_FORMS:
            values, errors = posted.get(("task", row.id), ({}, {}))
            item["specs"] = field_specs(TASK_FORMS[row.form_key], values, errors)
        if can_reassign(user, row):
            values, errors = posted.get(("reassign", row.id), ({}, {}))
            specs = {s["name"]: s for s in field_specs(Reassignment, values, errors)}
            item["reassign"] = {
                "officers": [o for o in _officers(row.bureau_code) if o.id != row.claimed_by],
                "username": specs["username"],
                "reason": specs["reason"],
            }
        work.append(item)
    subject = file["subject"] or {}
    # The object the case is about; a notice concerns the operator itself.
    object_id = case.object_id or db.session.scalar(
        select(ScoringObject.id).where(
            ScoringObject.operator_id == case.operator_id, ScoringObject.kind == "operator"
        )
    )
    return (
        render_template(
            "inbox/case.html",
            c=file,
            case=case,
            object_id=object_id,
            history=history,
            work=work,
            entries=_entries(subject),
            texts=[(label, subject[key]) for key, label in SUBJECT_TEXTS if subject.get(key)],
            diagram=_diagram(case),
            attachments=case_attachments(user, case),
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
    case_file(_user(), case_id, today=case_ctx().today)
    row = db.session.get(CaseTask, task_id)
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
    if schema is None or row.lane == "enterprise":
        raise DomainError("this task is not worked in the inbox", status=403)
    data, raw, errors = load(schema, request.form)
    if data is None:
        return _case_page(case_id, posted={("task", task_id): (raw, errors)}, status=422)
    title = row.title
    try:
        case_service.complete_task(task_id, data, ctx=case_ctx())
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        refusal = _gone() if isinstance(err, Conflict) else err.translated()
        return _case_page(
            case_id, posted={("task", task_id): (raw, {})}, refusal=refusal, status=err.status
        )
    db.session.commit()
    flash(_("已办理：%(task)s", task=_(title)), "success")
    return redirect(url_for("inbox.case", case_id=case_id))


def _gone() -> str:
    return _("该任务已由他人办理或已关闭，未作任何更改。下面是案件的最新状态。")


@bp.post("/cases/<int:case_id>/tasks/<int:task_id>/reassign")
@roles("supervisor")
def reassign(case_id: int, task_id: int):
    """Give a task to another officer of its bureau, with a reason (supervisors over it)."""
    _case_task(case_id, task_id)
    data, raw, errors = load(Reassignment, request.form)
    to = None
    if data is not None:
        to = db.session.scalar(select(User).where(User.username == data["username"]))
        if to is None:
            errors = {"username": [_("没有这个用户，请从列表中选择承办人")]}
    if data is None or to is None:
        return _case_page(case_id, posted={("reassign", task_id): (raw, errors)}, status=422)
    try:
        case_service.reassign_task(task_id, to, data["reason"], ctx=case_ctx())
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        return _case_page(
            case_id,
            posted={("reassign", task_id): (raw, {})},
            refusal=err.translated(),
            status=err.status,
        )
    db.session.commit()
    flash(_("已改派给 %(name)s", name=to.display_name), "success")
    return redirect(url_for("inbox.case", case_id=case_id))


# ---- scoring objects and error reports (纠错, Art. 25) ----------------------------------------


def _staff_object(object_id: int) -> ScoringObject:
    """A scoring object the user covers: the bureau the operator is registered with, a bureau
    that scored it (or its products) or decides one of its cases, or a bureau above those."""
    obj = db.session.get(ScoringObject, object_id)
    if obj is None:
        raise NotFound("no scoring object %(id)s", id=object_id)
    bureaus = {obj.operator.bureau_code}
    bureaus |= set(
        db.session.scalars(
            select(Matter.bureau_code)
            .join(LedgerEntry, LedgerEntry.matter_id == Matter.id)
            .where(LedgerEntry.operator_id == obj.operator_id)
            .distinct()
        )
    )
    bureaus |= set(
        db.session.scalars(
            select(Case.deciding_bureau).where(Case.operator_id == obj.operator_id).distinct()
        )
    )
    if not can_see_operator_records(_user(), obj.operator_id, bureaus):
        raise NotFound("no scoring object %(id)s", id=object_id)
    return obj


@bp.get("/objects/<int:object_id>", endpoint="object")
@roles(*STAFF)
def scoring_object(object_id: int):
    """Why an object scores what it does, entry by entry, each with an error report link."""
    obj = _staff_object(object_id)
    ctx = case_ctx()
    doc = explained_score(obj, ctx.today)
    about = (
        Case.object_id == obj.id if obj.kind == "product" else Case.operator_id == obj.operator_id
    )
    cases = db.session.scalars(select(Case).where(about).order_by(Case.id.desc()).limit(50)).all()
    user = _user()
    return render_template(
        "inbox/object.html",
        obj=obj,
        doc=doc,
        cases=[c for c in cases if can_see_case(user, c)],
        today=ctx.today,
        finding=filing_service.active_finding(obj.operator_id),
        findings=filing_service.findings(obj.operator_id),
        filing_complete=obj.operator.filing_complete,
        can_find=can_record_concealment(user, obj.operator.bureau_code),
        # The class letter goes to the bureau the operator is registered with (and above).
        class_letter=can_see_operator_records(user, obj.operator_id, (obj.operator.bureau_code,)),
    )


@bp.post("/objects/<int:object_id>/concealment", endpoint="concealment")
@roles(*STAFF)
def concealment_post(object_id: int):
    """Record (or, with action=clear, clear) a finding that the enterprise concealed products,
    suppliers or distributors (隐瞒, Art. 14(3)): it bars repairs and rewards while in force."""
    obj = _staff_object(object_id)
    operator_id = obj.operator_id
    reason = request.form.get("reason", "")
    clear = request.form.get("action") == "clear"
    try:
        if clear:
            filing_service.clear_concealment(operator_id, reason, ctx=case_ctx())
        else:
            filing_service.record_concealment(operator_id, reason, ctx=case_ctx())
    except DomainError as err:
        db.session.rollback()
        flash(err.translated(), "error")
        return redirect(url_for("inbox.object", object_id=object_id))
    db.session.commit()
    flash(_("已解除隐瞒认定") if clear else _("已记录隐瞒认定"), "success")
    return redirect(url_for("inbox.object", object_id=object_id))


def _deduction(entry_id: int) -> tuple[LedgerEntry, ScoringObject, Matter]:
    row = db.session.execute(
        select(LedgerEntry, Matter)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind == "DEDUCTION")
    ).first()
    if row is None:
        raise NotFound("no deduction %(id)s", id=entry_id)
    entry, matter = row
    return entry, _staff_object(entry.object_id), matter


def _correction_page(
    entry_id: int, *, values=None, errors=None, refusal=None, status=200, files_error=None
):
    entry, obj, matter = _deduction(entry_id)
    specs = field_specs(
        CorrectionReport, {"entry_id": entry_id, **(values or {})}, errors, hidden=("entry_id",)
    )
    return (
        render_template(
            "inbox/correction.html",
            entry=entry,
            obj=obj,
            matter=matter,
            specs=specs,
            refusal=refusal,
            files_error=files_error,
        ),
        status,
    )


@bp.get("/entries/<int:entry_id>/correction")
@roles(*STAFF)
def correction(entry_id: int):
    return _correction_page(entry_id)


@bp.post("/entries/<int:entry_id>/correction")
@roles(*STAFF)
def correction_post(entry_id: int):
    """Report an error in a deduction: a correction case for the bureau that scored it."""
    _deduction(entry_id)  # 404 outside
    data, raw, errors = load(CorrectionReport, request.form)
    if data is None or data["entry_id"] != entry_id:
        return _correction_page(entry_id, values=raw, errors=errors, status=422)
    ctx = case_ctx()
    try:
        uploads = read_uploads(request.files.getlist("files"))
        case = report_correction(entry_id, data["description"], ctx=ctx)
        attach(case, uploads, ctx=ctx)
    except NotFound:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        if err.field == "files":
            return _correction_page(
                entry_id, values=raw, files_error=err.translated(), status=err.status
            )
        return _correction_page(entry_id, values=raw, refusal=err.translated(), status=err.status)
    case_id, bureau, object_id = case.id, case.deciding_bureau, case.object_id
    visible = can_see_case(_user(), case)
    db.session.commit()
    if visible:
        flash(_("已报告错误，纠错案件已立案"), "success")
        return redirect(url_for("inbox.case", case_id=case_id))
    flash(_("已报告错误，纠错案件 %(id)s 由 %(bureau)s 办理", id=case_id, bureau=bureau), "success")
    return redirect(url_for("inbox.object", object_id=object_id))


# ---- recording a matter (登记事项) -------------------------------------------------------------


class MatterForm(Strict):
    """One matter against one object, as an officer types it; it becomes one interchange
    `matter` record (and an `operator` record for a seller or producer not yet registered)."""

    ref = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={
            "label": N_("文书编号"),
            "help": N_("认定该事项的文书编号，例如行政处罚决定书文号；同一编号只登记一次"),
        },
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["seller", "producer", "product"]),
        metadata={"label": N_("记分对象"), "choice_labels": OBJECT_KINDS},
    )
    uscc = fields.String(
        required=True,
        validate=validate.Length(1, 30),
        metadata={
            "label": N_("统一社会信用代码"),
            "help": N_("经营者的代码；记分对象为产品的，填写生产者的代码"),
        },
    )
    name = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={
            "label": N_("经营者名称"),
            "help": N_("用于核对登记名称；尚未登记的销售者、生产者将以此名称登记到本局"),
        },
    )
    brand = fields.String(
        load_default=None,
        validate=validate.Length(1, 100),
        metadata={"label": N_("品牌"), "help": N_("记分对象为产品时填写")},
    )
    nice_class = fields.Integer(
        load_default=None,
        metadata={"label": N_("商品类别（尼斯分类）"), "help": N_("记分对象为产品时填写")},
    )
    category = fields.String(
        load_default=None,
        validate=validate.Length(1, 50),
        metadata={
            "label": N_("涉及产品类别"),
            "help": N_(
                "事项涉及的产品类别，例如“电子电器”；食品、食品添加剂、化妆品、计量器具、"
                "特种设备不适用本规范（第二条）"
            ),
        },
    )
    item = fields.String(
        required=True,
        validate=validate.Length(1, 20),
        metadata={"label": N_("记分条目"), "help": N_("现行记分标准中的条目")},
    )
    related_item = fields.String(
        load_default=None,
        validate=validate.Length(1, 20),
        metadata={
            "label": N_("同时涉及的产品情形"),
            "help": N_(
                "按第十二条第一项记分的，选择产品所属的第十一条情形：生产者为第二至九项，"
                "销售者为第二、三项或第五至七项"
            ),
        },
    )
    intentional = fields.Boolean(
        load_default=False,
        metadata={"label": N_("该记分对象主观故意（按故意情形记分，第十三条）")},
    )
    major_impact = fields.Boolean(
        load_default=False, metadata={"label": N_("造成重大社会影响（不予修复，第十四条）")}
    )
    effective_on = fields.Date(
        required=True,
        metadata={"label": N_("生效日期"), "help": N_("认定文书生效之日，记分自该日起算")},
    )
    model = fields.String(
        load_default=None, validate=validate.Length(1, 100), metadata={"label": N_("型号规格")}
    )
    standard = fields.String(
        load_default=None, validate=validate.Length(1, 100), metadata={"label": N_("执行标准")}
    )
    summary = fields.String(
        required=True,
        validate=validate.Length(1, 5000),
        metadata={
            "label": N_("违法事实和证据"),
            "help": N_("简述认定的事实，并列明证据材料（检验报告、笔录、文书等）"),
        },
    )


# Where an import refusal points (a path in the interchange record) → the form field.
_REFUSAL_FIELDS = (
    (re.compile(r"objects\.\d+\.(uscc|producer)"), "uscc"),
    (re.compile(r"objects\.\d+\.brand"), "brand"),
    (re.compile(r"objects\.\d+\.nice_class"), "nice_class"),
    (re.compile(r"objects\.\d+\.kind"), "kind"),
    (re.compile(r"objects(\.\d+)?(\._schema)?"), "brand"),
    (re.compile(r"items(\.\d+)?"), "item"),
    (
        re.compile(
            r"(ref|uscc|name|intentional|major_impact|effective_on|model|standard|summary"
            r"|category)"
        ),
        None,
    ),
)
_REASON = re.compile(r"([a-z_][\w.]*): (.+)", re.S)


def _refusal_fields(reason: str) -> tuple[dict[str, list[str]], list[str]]:
    """An import refusal ("path: reason; path: reason") as errors per form field, and the
    reasons that belong to no field (e.g. the bureau may not score this matter)."""
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    for part in re.split(r"; (?=[a-z_][\w.]*: )", reason):
        found = _REASON.fullmatch(part.strip())
        target = None
        if found:
            path, text = found.groups()
            for pattern, name in _REFUSAL_FIELDS:
                if pattern.fullmatch(path):
                    target = name or path
                    break
            if target is not None:
                errors.setdefault(target, []).append(text)
                continue
        general.append(part.strip())
    return errors, general


def _item_choices(on) -> tuple[Any, list[tuple[str, str]]]:
    table = table_for(load_tables(), on)
    choices = []
    for item in table.items.values():
        label = _(
            "%(code)s · %(title)s（扣%(points)s分，故意%(intentional)s分）",
            code=item.code,
            title=_(item.title),
            points=f"{item.points.normalize():f}",
            intentional=f"{item.intentional_points.normalize():f}",
        )
        choices.append((item.code, label))
    return table, choices


def _product_item_choices(table, choices) -> list[tuple[str, str]]:
    """The items a product may be scored under (Art. 11), for `related_item` (Art. 12(1))."""
    return [(code, label) for code, label in choices if "product" in table.items[code].objects]


def _matter_page(*, values=None, errors=None, refusal=None, status=200, whatif=None):
    """The form; the operator named by its USCC (when registered) is shown with its
    "情节严重" flag, so the officer sees a D-class record before scoring it; `whatif`, the
    preview of what recording it would do (app/web/whatif.py)."""
    ctx = case_ctx()
    table, choices = _item_choices(ctx.today)
    values = values or {"kind": "seller"}
    uscc = (values.get("uscc") or "").strip().upper()
    operator = db.session.scalar(select(Operator).where(Operator.uscc == uscc)) if uscc else None
    specs = field_specs(MatterForm, values, errors)
    return (
        render_template(
            "inbox/matter_new.html",
            specs=specs,
            choices=choices,
            product_choices=_product_item_choices(table, choices),
            table=table,
            refusal=refusal,
            bureau=_user().bureau_code,
            uscc=uscc,
            operator=operator,
            flag=serious_flag(operator.id, ctx.today) if operator else None,
            whatif=whatif,
        ),
        status,
    )


matter_page = _matter_page  # the what-if preview shows the same page


@bp.get("/matters/new")
@roles("officer")
def matter_new():
    """The form; `?uscc=` (the look-up step) fills in the registered operator."""
    uscc = (request.args.get("uscc") or "").strip().upper()
    kind = request.args.get("kind")
    values: dict[str, Any] = {"kind": kind if kind in OBJECT_KINDS else "seller"}
    if uscc:
        values["uscc"] = uscc
        name = db.session.scalar(select(Operator.name).where(Operator.uscc == uscc))
        if name:
            values["name"] = name
    return _matter_page(values=values)


def _matter_records(d: dict, bureau: str) -> tuple[list[dict], dict[str, list[str]]]:
    """The interchange records for the form, or errors a person fixes before importing."""
    uscc = d["uscc"].strip().upper()
    errors: dict[str, list[str]] = {}
    records: list[dict] = []
    registered = db.session.scalar(select(Operator).where(Operator.uscc == uscc))
    if registered is None:
        if d["kind"] == "product":
            errors["uscc"] = [_("该生产者尚未登记，其产品也未登记，无法对产品记分")]
        elif not d.get("name"):
            errors["name"] = [_("该经营者尚未登记：请填写其名称，将一并登记到本局")]
        else:
            records.append(
                {
                    "type": "operator",
                    "uscc": uscc,
                    "name": d["name"],
                    "bureau": bureau,
                    "filing_complete": False,
                }
            )
    elif d.get("name") and d["name"] != registered.name:
        errors["name"] = [_("登记的名称为“%(name)s”，与填写的不一致", name=registered.name)]
    obj: dict[str, Any] = {"kind": d["kind"], "intentional": d["intentional"]}
    if d["kind"] == "product":
        obj["producer"] = uscc
        for key in ("brand", "nice_class"):
            if d.get(key) is not None:
                obj[key] = d[key]
    else:
        obj["uscc"] = uscc
    records.append(
        {
            "type": "matter",
            "ref": d["ref"],
            "items": [d["related_item"], d["item"]] if d.get("related_item") else [d["item"]],
            "intentional": False,
            "effective_on": d["effective_on"].isoformat(),
            "bureau": bureau,
            "major_impact": d["major_impact"],
            # R-INTENT (Art. 13): the intent of the object this form scores, its own.
            "objects": [obj],
            "model": d.get("model"),
            "standard": d.get("standard"),
            "summary": d["summary"],
        }
    )
    if d.get("category"):
        records[-1]["category"] = d["category"].strip()
    return records, errors


@bp.post("/matters/new")
@roles("officer")
def matter_create():
    """Record one matter through the import service (same checks as a bulk import); the
    bureau is the officer's own. Refused: nothing is written, the reasons are shown."""
    data, raw, errors = load(MatterForm, request.form)
    if data is None:
        return _matter_page(values=raw, errors=errors, status=422)
    user = _user()
    records, errors = _matter_records(data, user.bureau_code)
    if errors:
        return _matter_page(values=raw, errors=errors, status=422)
    try:
        report = import_records(
            [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records],
            today=case_ctx().today,
            actor=user.username,
            at=now(),
        )
    except IntegrityError:
        db.session.rollback()  # the same ref (or operator) recorded by someone at this moment
        return _matter_page(values=raw, refusal=_concurrent(), status=409)
    if report.refusals:
        db.session.rollback()  # an operator planned with a refused matter is not kept either
        errors, general = {}, []
        for refusal in report.refusals:
            e, g = _refusal_fields(_refusal_text(refusal))
            for k, v in e.items():
                errors.setdefault(k, []).extend(v)
            general += g
        message = _("未能登记，请按提示修改：") + ("\n" + "\n".join(general) if general else "")
        return _matter_page(values=raw, errors=errors, refusal=message, status=422)
    matter = db.session.scalar(select(Matter).where(Matter.ref == data["ref"]))
    matter_id = matter.id
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _matter_page(values=raw, refusal=_concurrent(), status=409)
    if report.created:
        flash(_("事项已登记，记分已记入信用档案"), "success")
    else:
        flash(_("该事项此前已按相同内容登记，未重复记分"), "success")
    return redirect(url_for("inbox.matter", matter_id=matter_id))


def _refusal_text(refusal: Refusal) -> str:
    """An import refusal in the page's language where it was raised from a template (e.g.
    R-SCOPE, Art. 2); the others as the import wrote them."""
    if refusal.template is None:
        return refusal.reason
    text = _(refusal.template, **refusal.params)
    return f"{refusal.fieldname}: {text}" if refusal.fieldname else text


def _concurrent() -> str:
    return _("同一事项或经营者刚由他人登记，未作任何更改；请刷新后核对再提交。")


@bp.get("/matters/<int:matter_id>")
@roles(*STAFF)
def matter(matter_id: int):
    """A recorded matter and the ledger entries it wrote, each linked to its object."""
    row = db.session.get(Matter, matter_id)
    if row is None or not can_see_matter(_user(), row.bureau_code):
        raise NotFound("no matter %(id)s", id=matter_id)
    entries = db.session.execute(
        select(LedgerEntry, ScoringObject)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .where(LedgerEntry.matter_id == matter_id)
        .order_by(LedgerEntry.id)
    ).all()
    today = case_ctx().today
    flags = []
    for operator in {obj.operator_id: obj.operator for _e, obj in entries}.values():
        flag = serious_flag(operator.id, today)
        if flag:
            flags.append((operator.name, flag))
    return render_template("inbox/matter.html", m=row, entries=entries, flags=flags)
