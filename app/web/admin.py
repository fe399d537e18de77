"""Administration: holiday schedules, scoring-table versions, users and bureaus,
classification runs.

Every POST is one transaction: the services flush and audit, the view commits once when all
went well; a refusal rolls back and shows the same page again with the reason (HTTP 4xx)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.calendar.workdays import MISSING_YEAR_WARNING
from app.clock import CST
from app.context import now, today
from app.errors import DomainError
from app.extensions import db
from app.queries.catalogue import bureau_tree
from app.queries.classification import get_run, list_runs, run_results
from app.scoring import CLASSES, ScoringTable, ending_soon, table_in_force
from app.services import accounts, bureaus
from app.services.calendar import load_schedule, work_calendar
from app.services.classification import latest_scheduled_date
from app.services.classification_requests import (
    pending_and_recent,
    preview_run,
    refusal_text,
    request_run,
)
from app.services.heartbeat import scheduler_status
from app.services.measures import KIND_LABELS as MEASURE_LABELS
from app.services.scoring_tables import load_tables, publish_table
from forms.base import N_
from models import (
    Bureau,
    ClassificationRun,
    Deadline,
    HolidaySchedule,
    Operator,
    ScoringTableVersion,
)

from .guards import roles

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
TABLE_WARNING_DAYS = 90  # R-VALIDITY: warn this long before the version in force ends
MAX_UPLOAD = 1_000_000  # bytes: a year's schedule or a scoring table is a few kilobytes
LEVELS = {"province": N_("省级"), "city": N_("地市级"), "county": N_("县区级")}
SOURCES = {
    "schedule": N_("已载入的节假日安排"),
    "package": N_("chinesecalendar 软件包"),
    "provisional": N_("无数据：暂按周一至周五计算，期限为临时期限"),
}


def local_time(value: datetime | None) -> str:
    """Instants are stored in UTC; administrators read China time."""
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M") if value else ""


def page_url(number: int) -> str:
    """This page with the same filters, at another page of results."""
    args = {**request.args.to_dict(), "page": number}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.context_processor
def _helpers() -> dict:
    return {"local_time": local_time, "levels": LEVELS, "classes": CLASSES, "page_url": page_url}


def _actor() -> str:
    return current_user.username


def _posted_text(field: str = "text", upload: str = "file") -> str:
    """A YAML document pasted into the form or uploaded as a file (the upload wins)."""
    uploaded = request.files.get(upload)
    if uploaded is not None and uploaded.filename:
        raw = uploaded.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise DomainError(N_("the file is larger than 1 MB"), status=413)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError(N_("the file is not UTF-8 text"), status=400) from None
    text = request.form.get(field, "")
    if not text.strip():
        raise DomainError(N_("paste the YAML document or choose a file"), status=400)
    return text


def _page_arg() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _date_arg(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(
            N_("%(what)s: %(value)s is not a date (YYYY-MM-DD)"), status=400, what=what, value=value
        ) from None


# -- overview ---------------------------------------------------------------------------------


@bp.get("/")
@roles("admin")
def home():
    cal = work_calendar()
    year = today().year
    latest_run = db.session.scalar(
        select(ClassificationRun).order_by(ClassificationRun.run_on.desc()).limit(1)
    )
    tables = load_tables()
    return render_template(
        "admin/home.html",
        scheduler=scheduler_status(now()),
        users=accounts.counts_by_role(),
        bureau_count=db.session.scalar(select(func.count()).select_from(Bureau)),
        table_count=db.session.scalar(select(func.count()).select_from(ScoringTableVersion)),
        in_force=table_in_force(tables, today()),
        table_expiry=table_warning(tables),
        years=list(db.session.scalars(select(HolidaySchedule.year).order_by(HolidaySchedule.year))),
        sources=[(y, cal.source_of(y)) for y in (year, year + 1)],
        source_names=SOURCES,
        warning=_calendar_warning(cal),
        latest_run=latest_run,
        provisional=_open_provisional(),
    )


def _calendar_warning(cal) -> str | None:
    """The missing-schedule warning (R-CAL) in the page's language."""
    year = cal.missing_year(today())
    return _(MISSING_YEAR_WARNING, year=year) if year is not None else None


def table_warning(tables: list[ScoringTable]) -> dict | None:
    """R-VALIDITY: from 90 days before the version in force ends (or once it has ended) while
    no successor is published, what the administrators are told (Art. 36)."""
    on = today()
    ending = ending_soon(tables, on, TABLE_WARNING_DAYS)
    if ending is None:
        return None
    return {
        "version": ending.version,
        "until": ending.applies_until,
        "days": (ending.applies_until - on).days,
        "regulation": ending.regulation,
    }


# -- holiday schedules ------------------------------------------------------------------------


def _open_provisional() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Deadline)
            .where(Deadline.provisional.is_(True), Deadline.state.in_(("running", "paused")))
        )
        or 0
    )


def _holiday_ranges(row: HolidaySchedule) -> list[tuple[str | None, date, date]]:
    """Days off as the notice writes them: consecutive days of one holiday as one range."""
    days = sorted(date.fromisoformat(d) for d in row.holidays)
    out: list[tuple[str | None, date, date]] = []
    for d in days:
        name = row.names.get(d.isoformat())
        if out and out[-1][0] == name and out[-1][2] + timedelta(days=1) == d:
            out[-1] = (name, out[-1][1], d)
        else:
            out.append((name, d, d))
    return out


def _schedule_example(year: int) -> str:
    return (
        f"year: {year}\n"
        f'source: "国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔{year - 1}〕X号）"\n'
        "holidays:\n"
        f"  - {{name: 元旦, from: {year}-01-01, to: {year}-01-01}}\n"
        f"workdays: []\n"
    )


def _calendar_page(text: str = "", refusal: str | None = None, status: int = 200):
    cal = work_calendar()
    year = today().year
    rows = db.session.scalars(select(HolidaySchedule).order_by(HolidaySchedule.year.desc())).all()
    trial = None
    start = request.args.get("start")
    days_arg = request.args.get("days")
    if start:
        start_on = _date_arg(start, _("起算日"))
        try:
            n = int(days_arg or "")
        except ValueError:
            n = 0
        if not 1 <= n <= 366:
            raise DomainError(N_("the number of working days is 1 to 366"), status=400)
        deadline = cal.add_working_days(start_on, n)
        trial = {"start": start_on, "days": n, "due": deadline}
    return render_template(
        "admin/calendar.html",
        schedules=[(r, _holiday_ranges(r)) for r in rows],
        sources=[(y, cal.source_of(y)) for y in (year - 1, year, year + 1)],
        source_names=SOURCES,
        warning=_calendar_warning(cal),
        provisional=_open_provisional(),
        trial=trial,
        text=text,
        example=_schedule_example(year + 1),
        refusal=refusal,
    ), status


@bp.get("/calendar")
@roles("admin")
def calendar():
    return _calendar_page()


@bp.post("/calendar")
@roles("admin")
def calendar_load():
    text = request.form.get("text", "")
    try:
        text = _posted_text()
        schedule, changed = load_schedule(text, actor=_actor(), at=now())
    except DomainError as err:
        db.session.rollback()
        return _calendar_page(text, err.translated(), err.status)
    db.session.commit()
    if changed:
        flash(
            _(
                "已载入%(year)s年节假日安排：放假%(off)s天，调休上班%(work)s天；"
                "临时期限已按新安排重新计算。",
                year=schedule.year,
                off=len(schedule.holidays),
                work=len(schedule.workdays),
            ),
            "success",
        )
    else:
        flash(_("%(year)s年节假日安排与已载入的相同，未作更改。", year=schedule.year), "info")
    return redirect(url_for("admin.calendar"))


# -- scoring tables ---------------------------------------------------------------------------


def _tables_page(text: str = "", refusal: str | None = None, status: int = 200):
    versions = db.session.scalars(
        select(ScoringTableVersion).order_by(ScoringTableVersion.applies_from.desc())
    ).all()
    tables = load_tables()
    current = table_in_force(tables, today())
    in_force = current.version if current else None
    return render_template(
        "admin/tables.html",
        table_expiry=table_warning(tables),
        versions=versions,
        in_force=in_force,
        today=today(),
        text=text,
        refusal=refusal,
    ), status


@bp.get("/tables")
@roles("admin")
def tables():
    return _tables_page()


@bp.post("/tables")
@roles("admin")
def table_publish():
    text = request.form.get("text", "")
    try:
        text = _posted_text()
        row, created = publish_table(text, actor=_actor(), at=now())
    except DomainError as err:
        db.session.rollback()
        return _tables_page(text, err.translated(), err.status)
    db.session.commit()
    if created:
        flash(
            _(
                "记分标准 %(version)s 已发布，自 %(day)s 起适用。",
                version=row.version,
                day=row.applies_from.isoformat(),
            ),
            "success",
        )
    else:
        flash(_("记分标准 %(version)s 已以相同内容发布，未作更改。", version=row.version), "info")
    return redirect(url_for("admin.table", version=row.version))


@bp.get("/tables/<path:version>")
@roles("admin")
def table(version: str):
    row = db.session.get(ScoringTableVersion, version)
    if row is None:
        raise DomainError(N_("no scoring table version %(version)s"), status=404, version=version)
    return render_template("admin/table.html", row=row, content=row.content)


# -- exports (Art. 31, 32) ------------------------------------------------------------------


@bp.get("/exports")
@roles("admin")
def exports():
    """The audit log of exports: who took which data, to which recipient, on what legal basis."""
    from app.queries.audit import RECIPIENT_KIND_LABELS, export_events

    return render_template(
        "admin/exports.html", events=export_events(), kind_labels=RECIPIENT_KIND_LABELS
    )


# -- users ------------------------------------------------------------------------------------


@bp.get("/users")
@roles("admin")
def users():
    role = request.args.get("role") or None
    bureau = request.args.get("bureau") or None
    text = request.args.get("q", "").strip() or None
    if role is not None and role not in accounts.ROLES:
        raise DomainError(N_("unknown role %(role)s"), status=400, role=role)
    if bureau is not None:
        bureaus.get_bureau(bureau)
    page = accounts.list_users(role=role, bureau=bureau, text=text, page=_page_arg())
    return render_template(
        "admin/users.html",
        page=page,
        role=role,
        bureau=bureau,
        q=text or "",
        roles=accounts.ROLES,
        bureau_options=bureau_tree(),
    )


def _new_user_page(values: dict, errors: dict | None = None, refusal=None, status: int = 200):
    return render_template(
        "admin/user_new.html",
        values=values,
        errors=errors or {},
        roles=accounts.ROLES,
        bureau_options=bureau_tree(),
        refusal=refusal,
    ), status


@bp.get("/users/new")
@roles("admin")
def user_new():
    return _new_user_page({"role": request.args.get("role", "officer")})


@bp.post("/users/new")
@roles("admin")
def user_create():
    form = request.form
    values = {k: form.get(k, "") for k in ("username", "display_name", "role", "bureau_code")}
    values["uscc"] = form.get("uscc", "")
    try:
        user = accounts.create_account(
            username=values["username"],
            display_name=values["display_name"],
            role=values["role"],
            bureau_code=values["bureau_code"],
            uscc=values["uscc"],
            password=form.get("password", ""),
            actor=_actor(),
            at=now(),
        )
    except accounts.InvalidAccount as err:
        db.session.rollback()
        errors = {f: _(t, **p) if p else _(t) for f, (t, p) in err.errors.items()}
        return _new_user_page(values, errors, _("请更正标出的各项。"), err.status)
    except DomainError as err:
        db.session.rollback()
        return _new_user_page(values, {}, err.translated(), err.status)
    db.session.commit()
    flash(_("用户 %(name)s 已创建，可以用初始密码登录。", name=user.username), "success")
    return redirect(url_for("admin.user", user_id=user.id))


def _user_page(user_id: int, refusal: str | None = None, status: int = 200):
    user = accounts.get_user(user_id)
    operator = db.session.get(Operator, user.operator_id) if user.operator_id else None
    bureau = db.session.get(Bureau, user.bureau_code) if user.bureau_code else None
    return render_template(
        "admin/user.html",
        user=user,
        operator=operator,
        bureau=bureau,
        is_self=user.id == current_user.id,
        refusal=refusal,
    ), status


@bp.get("/users/<int:user_id>")
@roles("admin")
def user(user_id: int):
    return _user_page(user_id)


@bp.post("/users/<int:user_id>/active")
@roles("admin")
def user_active(user_id: int):
    target = accounts.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        changed = accounts.set_active(target, active, acting=current_user, at=now())
    except DomainError as err:
        db.session.rollback()
        return _user_page(user_id, err.translated(), err.status)
    db.session.commit()
    if changed:
        flash(
            _("账号已启用。") if active else _("账号已停用，不能再登录或使用接口令牌。"), "success"
        )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@roles("admin")
def user_password(user_id: int):
    target = accounts.get_user(user_id)
    try:
        accounts.reset_password(
            target, request.form.get("password", ""), acting=current_user, at=now()
        )
    except DomainError as err:
        db.session.rollback()
        return _user_page(user_id, err.translated(), err.status)
    db.session.commit()
    flash(_("密码已重置，请将新密码告知用户本人。"), "success")
    return redirect(url_for("admin.user", user_id=user_id))


# -- bureaus ----------------------------------------------------------------------------------


def _bureaus_page(values: dict | None = None, refusal: str | None = None, status: int = 200):
    rows = bureaus.tree()
    return render_template(
        "admin/bureaus.html",
        rows=rows,
        parents=[r for r in rows if r["level"] != "county"],
        values=values or {"parent": request.args.get("parent", "")},
        refusal=refusal,
    ), status


@bp.get("/bureaus", endpoint="bureaus")
@roles("admin")
def bureau_tree_page():
    return _bureaus_page()


@bp.post("/bureaus")
@roles("admin")
def bureau_add():
    values = {k: request.form.get(k, "") for k in ("parent", "code", "name")}
    try:
        added = bureaus.add_bureau(
            code=values["code"],
            name=values["name"],
            parent_code=values["parent"],
            actor=_actor(),
            at=now(),
        )
    except DomainError as err:
        db.session.rollback()
        return _bureaus_page(values, err.translated(), err.status)
    db.session.commit()
    flash(_("已添加 %(code)s %(name)s。", code=added.code, name=added.name), "success")
    return redirect(url_for("admin.bureau", code=added.code))


def _bureau_page(code: str, name: str | None = None, refusal=None, status: int = 200):
    bureau = bureaus.get_bureau(code)
    rows = bureaus.tree()
    row = next(r for r in rows if r["code"] == code)
    parent = db.session.get(Bureau, bureau.parent_code) if bureau.parent_code else None
    return render_template(
        "admin/bureau.html",
        bureau=bureau,
        row=row,
        parent=parent,
        children=[r for r in rows if r["parent"] == code],
        name=bureau.name if name is None else name,
        refusal=refusal,
    ), status


@bp.get("/bureaus/<code>")
@roles("admin")
def bureau(code: str):
    return _bureau_page(code)


@bp.post("/bureaus/<code>")
@roles("admin")
def bureau_rename(code: str):
    target = bureaus.get_bureau(code)
    name = request.form.get("name", "")
    try:
        changed = bureaus.rename_bureau(target, name, actor=_actor(), at=now())
    except DomainError as err:
        db.session.rollback()
        return _bureau_page(code, name, err.translated(), err.status)
    db.session.commit()
    if changed:
        flash(_("名称已改为 %(name)s。", name=target.name), "success")
    return redirect(url_for("admin.bureau", code=code))


# -- classification runs ----------------------------------------------------------------------


def _scheduled_default() -> date | None:
    try:
        return latest_scheduled_date(today(), current_app.config["CLASSIFICATION_DAYS"])
    except ValueError:
        return None


def _runs_page(
    run_on: str | None = None,
    refusal: str | None = None,
    status: int = 200,
    *,
    off_cycle: bool = False,
    reason: str = "",
    preview=None,
):
    default = _scheduled_default()
    requests = pending_and_recent()
    return render_template(
        "admin/runs.html",
        runs=list_runs(),
        requests=requests,
        refusal_text=refusal_text,
        scheduler=scheduler_status(now()),
        waiting=any(r.state == "queued" for r in requests),
        run_on=run_on if run_on is not None else (default.isoformat() if default else ""),
        default=default,
        refusal=refusal,
        off_cycle=off_cycle,
        reason=reason,
        preview=preview,
        schedule=current_app.config["CLASSIFICATION_DAYS"],
        measure_labels=MEASURE_LABELS,
    ), status


@bp.get("/runs")
@roles("admin")
def runs():
    return _runs_page()


@bp.post("/runs")
@roles("admin")
def run_start():
    """Two steps (R-HALFYEAR): the form shows what the run would publish, notify and start;
    only the confirmation (`confirm`) queues it. An unscheduled date needs the off-cycle
    choice and a reason."""
    raw = request.form.get("run_on", "").strip()
    off_cycle = request.form.get("off_cycle") == "1"
    reason = request.form.get("reason", "").strip()
    confirmed = request.form.get("confirm") == "1"
    try:
        run_on = _date_arg(raw, _("评定日期"))
        if run_on is None:
            raise DomainError(N_("give the date of the run"), status=400)
        if not confirmed:
            preview = preview_run(
                run_on,
                actor=_actor(),
                at=now(),
                today=today(),
                off_cycle=off_cycle,
                reason=reason,
            )
            db.session.rollback()  # the preview writes nothing
            return _runs_page(raw, off_cycle=off_cycle, reason=reason, preview=preview)
        _request, created = request_run(
            run_on, actor=_actor(), at=now(), today=today(), off_cycle=off_cycle, reason=reason
        )
    except DomainError as err:
        db.session.rollback()
        return _runs_page(raw, err.translated(), err.status, off_cycle=off_cycle, reason=reason)
    db.session.commit()
    flash(
        _(
            "已提交 %(day)s 的分类评定，由后台任务在下一轮执行；完成后列在“历次评定”中。",
            day=run_on.isoformat(),
        )
        if created
        else _("%(day)s 的分类评定已在排队，无需重复提交。", day=run_on.isoformat()),
        "success",
    )
    return redirect(url_for("admin.runs"))


@bp.get("/runs/<run_on>")
@roles("admin")
def run(run_on: str):
    day = _date_arg(run_on, _("评定日期"))
    current = get_run(day)
    klass = request.args.get("class") or None
    if klass is not None and klass not in CLASSES:
        raise DomainError(N_("unknown class %(klass)s"), status=400, klass=klass)
    bureau = request.args.get("bureau") or None
    if bureau is not None:
        bureaus.get_bureau(bureau)
    page = _page_arg()
    results = run_results(day, klass=klass, bureau=bureau, page=page, per_page=PER_PAGE)
    previous = db.session.scalar(
        select(ClassificationRun.run_on)
        .where(ClassificationRun.run_on < day)
        .order_by(ClassificationRun.run_on.desc())
        .limit(1)
    )
    return render_template(
        "admin/run.html",
        run=current,
        previous=previous,
        total=sum(current.counts.values()),
        changes=sorted(current.changes.items(), key=lambda kv: (-kv[1], kv[0])),
        results=results,
        pages=max(1, -(-results["total"] // PER_PAGE)),
        klass=klass,
        bureau=bureau,
        bureau_options=bureau_tree(),
    )
