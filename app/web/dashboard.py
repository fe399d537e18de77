"""The supervisor dashboard (监督看板): open, due-soon and overdue tasks per bureau, drilling
down province → city → county inside the supervisor's own tree; the overdue or due-soon tasks of
the selected subtree, filtered by process, searchable, paged and downloadable (reassigned from
the case page or the queue); on-time rates per month, process and bureau; and the supervisor's
notifications of overdue cases, marked read through `app.services.notifications`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.codes import PROCESS_TITLES, Role
from app.context import now, today
from app.errors import DomainError
from app.permissions import bureau_tree_codes
from app.queries import supervision as q
from app.services import notifications as notification_service
from app.services.calendar import work_calendar
from app.services.downloads import MIMETYPES, record_download, table_file
from forms.base import N_

from .charts import bar_chart
from .guards import roles
from .layout import task_title

bp = Blueprint("dashboard", __name__, url_prefix="/supervision")

PER_PAGE = 50
PROCESS_LABELS = PROCESS_TITLES  # one title per process (app/codes.py)
LEVEL_LABELS = {"province": N_("省局"), "city": N_("市局"), "county": N_("县（区）局")}
DUE = {"overdue": N_("已超期"), "soon": N_("即将到期")}
TASK_COLUMNS = (
    N_("案件号"),
    N_("类型"),
    N_("任务"),
    N_("经营者"),
    N_("统一社会信用代码"),
    N_("承办部门"),
    N_("认领人"),
    N_("期限"),
    N_("超期天数"),
)


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _task_filters() -> dict[str, Any]:
    """Which list (overdue or due soon), process, search and page of the task list; a bad
    value is a 400."""
    args = request.args
    due = args.get("due") or "overdue"
    if due not in DUE:
        raise DomainError("due must be overdue or soon", status=400)
    process = args.get("process") or ""
    if process and process not in PROCESS_LABELS:
        raise DomainError("unknown process %(p)s: choose one from the list", status=400, p=process)
    return {"due": due, "process": process, "q": (args.get("q") or "").strip()[:100]}


def _tasks(code: str, f: dict[str, Any], *, day, soon, page: int, per_page: int | None) -> dict:
    return q.deadline_tasks(
        bureau_tree_codes(code),
        today=day,
        soon=soon,
        which=f["due"],
        process=f["process"] or None,
        search=f["q"],
        page=page,
        per_page=per_page,
    )


def _task_query(code: str, f: dict[str, Any], **change) -> dict[str, Any]:
    out = {"bureau": code, **f, **change}
    return {k: v for k, v in out.items() if v and not (k == "due" and v == "overdue")}


def _process(p: str) -> str:
    return _(PROCESS_LABELS[p]) if p in PROCESS_LABELS else p


def _short(name: str, parent: str) -> str:
    """广州市天河区市场监督管理局 under 广州市市场监督管理局 → 天河区 (chart labels are narrow)."""
    suffix = "市场监督管理局"
    short, above = name.removesuffix(suffix), parent.removesuffix(suffix)
    return short.removeprefix(above) or short


def _cell(counts: dict | None) -> dict:
    done = counts["completed"] if counts else 0
    good = counts["on_time"] if counts else 0
    return {"done": done, "on_time": good, "late": done - good, "rate": q.rate(counts)}


def _rates(code: str, children: list[dict], day) -> dict:
    """On-time figures of the subtree: per process and month, per month, per child bureau
    subtree and the bureau's own."""
    raw = q.on_time(bureau_tree_codes(code), today=day)
    months = raw["months"]
    return {
        "months": months,
        "overall": _cell(q.subtree_cells(raw["by_bureau"], raw["by_bureau"].keys())),
        "by_month": [_cell(raw["by_month"].get(m)) for m in months],
        "by_process": [
            {
                "process": p,
                "months": [_cell(raw["by_month_process"].get((m, p))) for m in months],
                **_cell(raw["by_process"].get(p)),
            }
            for p in raw["processes"]
        ],
        "by_bureau": [
            {
                "code": c["code"],
                "name": c["name"],
                **_cell(q.subtree_cells(raw["by_bureau"], bureau_tree_codes(c["code"]))),
            }
            for c in children
        ],
        "own": _cell(raw["by_bureau"].get(code)),
    }


@bp.get("/")
@roles(Role.SUPERVISOR)
def overview():
    # A bureau outside the supervisor's tree is answered as if it did not exist (404).
    selected = q.bureau_in_scope(current_user, request.args.get("bureau") or None)
    code = selected.code
    day = today()
    cal = work_calendar()
    soon = cal.add_working_days(day, 1).due_on
    drill = q.drilldown(current_user, code, today=day, cal=cal)
    counts = {
        "children": [{**r, "code": r["bureau"]} for r in drill["children"]],
        "own": drill["own"],
        "total": drill["total"],
    }
    page = _page()
    f = _task_filters()
    overdue = _tasks(code, f, day=day, soon=soon, page=page, per_page=PER_PAGE)
    rates = _rates(code, counts["children"], day)
    # Each category says how many tasks were completed, so 0 % and "nothing done" differ.
    month_chart = bar_chart(
        _("各月按期办结率"),
        [f"{m} ({c['done']})" for m, c in zip(rates["months"], rates["by_month"], strict=True)],
        [(_("全部"), [c["rate"] for c in rates["by_month"]])]
        + [(_process(p["process"]), [c["rate"] for c in p["months"]]) for p in rates["by_process"]],
        hi=100.0,
        suffix="%",
    )
    bureau_chart = None
    if rates["by_bureau"]:
        bureau_chart = bar_chart(
            _("下级部门按期办结率（近6个月）"),
            [f"{_short(b['name'], selected.name)} ({b['done']})" for b in rates["by_bureau"]]
            + [f"{_('本级')} ({rates['own']['done']})"],
            [
                (
                    _("按期办结率"),
                    [b["rate"] for b in rates["by_bureau"]] + [rates["own"]["rate"]],
                )
            ],
            hi=100.0,
            suffix="%",
        )
    return render_template(
        "dashboard/overview.html",
        selected=selected,
        trail=[{"code": c, "name": n} for c, n in q.breadcrumb(current_user, code)],
        counts=counts,
        soon=soon,
        overdue=overdue["tasks"],
        overdue_total=overdue["total"],
        page=page,
        pages=overdue["pages"],
        page_url=lambda n: url_for("dashboard.overview", **_task_query(code, f, page=n)),
        due_url=lambda d: url_for("dashboard.overview", **_task_query(code, f, due=d)),
        download_url=lambda fmt: url_for(
            "dashboard.tasks_download", fmt=fmt, **_task_query(code, f)
        ),
        f=f,
        due_labels=DUE,
        bureaus=q.tree_bureaus(current_user.bureau_code),
        process_labels=PROCESS_LABELS,
        rates=rates,
        months=rates["months"],
        month_chart=month_chart,
        bureau_chart=bureau_chart,
        process_label=_process,
        level_labels=LEVEL_LABELS,
        today=day,
    )


@bp.get("/notifications")
@roles(Role.SUPERVISOR)
def notifications():
    page = _page()
    found = q.bureau_notifications(current_user, page=page, per_page=PER_PAGE)
    return render_template(
        "dashboard/notifications.html",
        rows=found["items"],
        total=found["total"],
        unread=found["unread"],
        page=page,
        pages=found["pages"],
        page_url=lambda n: url_for("dashboard.notifications", page=n),
        process_label=_process,
    )


@bp.post("/notifications/<int:notification_id>/read")
@roles(Role.SUPERVISOR)
def mark_read(notification_id: int):
    notification_service.mark_read(current_user._get_current_object(), notification_id, at=now())
    return redirect(url_for("dashboard.notifications", page=request.form.get("page", type=int)))


@bp.post("/notifications/read-all")
@roles(Role.SUPERVISOR)
def mark_all_read():
    notification_service.mark_all_read(current_user._get_current_object(), at=now())
    return redirect(url_for("dashboard.notifications"))


@bp.get("/tasks.<any(csv, xlsx):fmt>")
@roles(Role.SUPERVISOR)
def tasks_download(fmt: str):
    """Every overdue (or due-soon) task of the subtree as filtered, as CSV or XLSX."""
    selected = q.bureau_in_scope(current_user, request.args.get("bureau") or None)
    f = _task_filters()
    day = today()
    soon = work_calendar().add_working_days(day, 1).due_on
    found = _tasks(selected.code, f, day=day, soon=soon, page=1, per_page=None)
    rows = [
        [
            t["case_id"],
            _process(t["process"]),
            task_title(t["task"], t["title"]),
            t["operator"],
            t["uscc"],
            t["bureau_name"],
            t["claimed_by"] or "",
            t["due_on"],
            max(t["days_overdue"], 0),
        ]
        for t in found["tasks"]
    ]
    body = table_file(fmt, _(DUE[f["due"]]), [_(h) for h in TASK_COLUMNS], rows)
    filters = _task_query(selected.code, f)
    record_download(now(), current_user.username, "tasks", fmt, len(rows), filters)
    filename = f"tasks-{f['due']}-{selected.code}-{day.isoformat()}.{fmt}"
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
