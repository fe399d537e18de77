"""The supervisor dashboard (监督看板): open, due-soon and overdue tasks per bureau, drilling
down province → city → county inside the supervisor's own tree; the overdue tasks of the
selected subtree (reassigned from the case page); on-time rates per month, process and bureau;
and the supervisor's notifications of overdue cases."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.clock import CST
from app.codes import PROCESS_TITLES
from app.context import now, today
from app.errors import NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes
from app.queries import supervision as q
from app.services.calendar import work_calendar
from forms.base import N_
from models import Notification

from .charts import bar_chart
from .guards import roles

bp = Blueprint("dashboard", __name__, url_prefix="/supervision")

PER_PAGE = 50
PROCESS_LABELS = PROCESS_TITLES  # one title per process (app/codes.py)
LEVEL_LABELS = {"province": N_("省局"), "city": N_("市局"), "county": N_("县（区）局")}


@bp.context_processor
def _shared() -> dict:
    def local_time(value) -> str:
        return value.astimezone(CST).strftime("%Y-%m-%d %H:%M") if value else ""

    return {"local_time": local_time}


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


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
@roles("supervisor")
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
    overdue = q.overdue_tasks(bureau_tree_codes(code), today=day, page=page, per_page=PER_PAGE)
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
        page_url=lambda n: url_for("dashboard.overview", bureau=code, page=n),
        rates=rates,
        months=rates["months"],
        month_chart=month_chart,
        bureau_chart=bureau_chart,
        process_label=_process,
        level_labels=LEVEL_LABELS,
        today=day,
    )


@bp.get("/notifications")
@roles("supervisor")
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


def _mine(notification_id: int) -> Notification:
    n = db.session.get(Notification, notification_id)
    if n is None or n.bureau_code is None or n.bureau_code != current_user.bureau_code:
        raise NotFound("no notification %(id)s", id=notification_id)
    return n


@bp.post("/notifications/<int:notification_id>/read")
@roles("supervisor")
def mark_read(notification_id: int):
    n = _mine(notification_id)
    if n.read_at is None:
        n.read_at = now()
        db.session.commit()
    return redirect(url_for("dashboard.notifications", page=request.form.get("page", type=int)))


@bp.post("/notifications/read-all")
@roles("supervisor")
def mark_all_read():
    db.session.query(Notification).filter(
        Notification.bureau_code == current_user.bureau_code, Notification.read_at.is_(None)
    ).update({"read_at": now()}, synchronize_session=False)
    db.session.commit()
    return redirect(url_for("dashboard.notifications"))
