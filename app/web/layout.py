"""What every page shares: the navigation for the signed-in role, the language switch, the
error pages, and small template filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask, g, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.clock import CST
from app.codes import ROLE_TITLES, TASK_TITLES, YES_NO, Role, render_message, title
from forms.base import N_

# (endpoint, label) per role; every page of the application is reachable from these menus.
NAV = {
    None: [
        ("public.index", N_("首页")),
        ("public.a_list", N_("A级名单")),
        ("public.dishonesty", N_("失信事项")),
        ("public.search", N_("信用查询")),
    ],
    Role.ENTERPRISE: [
        ("portal.home", N_("我的记分对象")),
        ("portal.notices", N_("我的通知")),
        ("portal.cases", N_("我的案件")),
        ("portal.filing", N_("信息填报")),
        ("measures.mine", N_("监管措施")),
    ],
    Role.OFFICER: [
        ("inbox.queue", N_("待办任务")),
        ("inbox.cases", N_("本局案件")),
        ("inbox.matter_new", N_("登记事项")),
        ("measures.index", N_("监管措施")),
        ("measures.plan_list", N_("检查计划")),
    ],
    Role.SUPERVISOR: [
        ("dashboard.overview", N_("监督看板")),
        ("inbox.queue", N_("待办任务")),
        ("inbox.cases", N_("辖区案件")),
        ("dashboard.notifications", N_("超期提醒")),
        ("statistics.index", N_("统计分析")),
        ("measures.index", N_("监管措施")),
        ("measures.plan_list", N_("检查计划")),
    ],
    Role.ADMIN: [
        ("admin.home", N_("系统管理")),
        ("admin.calendar", N_("节假日安排")),
        ("admin.tables", N_("记分标准")),
        ("admin.users", N_("用户")),
        ("admin.bureaus", N_("市场监管部门")),
        ("admin.runs", N_("分类评定")),
        ("admin.exports", N_("数据共享记录")),
        ("statistics.index", N_("统计分析")),
    ],
}

ROLE_NAMES = ROLE_TITLES


def points(value) -> str:
    """Scores and points as people write them: 12, 10.5, -3."""
    if value is None:
        return ""
    d = Decimal(str(value)).normalize()
    text = format(d, "f")
    return text


def form_lines(form_key, form):
    from .forms import form_lines as lines

    return lines(form_key, form)


def task_title(task: str, stored: str | None = None) -> str:
    """A user task's title in the page's language (the BPMN names it in both languages)."""
    found = TASK_TITLES.get(task)
    if found is not None:
        return _(found)
    return _(stored) if stored else task


def bureau_name(code: str | None) -> str:
    """A bureau's name for a page; the names are read once per request (144 rows)."""
    if not code:
        return ""
    names = g.get("bureau_names")
    if names is None:
        from sqlalchemy import select

        from app.extensions import db
        from models import Bureau

        names = g.bureau_names = dict(db.session.execute(select(Bureau.code, Bureau.name)).all())
    return names.get(code, code)


def local_time(value: datetime | None) -> str:
    """Instants are stored in UTC; every reader of the pages reads China time."""
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M") if value else ""


def register_layout(app: Flask) -> None:
    @app.context_processor
    def _shared():
        role = current_user.role if current_user.is_authenticated else None
        return {
            "nav_public": NAV[None],
            # Signed out, the public menu is the only menu (shown once).
            "nav_role": NAV[role] if role else [],
            "title": lambda kind, code, default=None: _(title(kind, code, default)),
            "task_title": task_title,
            "form_lines": form_lines,
            "yes_no": lambda value: _(YES_NO[bool(value)]),
            "role_names": ROLE_NAMES,
            "lang": str(get_locale() or "zh"),
            "local_time": local_time,
        }

    app.jinja_env.filters["points"] = points
    app.jinja_env.filters["message"] = lambda stored: render_message(stored, _) if stored else ""
    app.jinja_env.filters["bureau_name"] = bureau_name
    app.jinja_env.filters["isodate"] = lambda d: d.isoformat() if isinstance(d, date) else ""


def render_error(status: int, message: str, *, translate: bool = True):
    titles = {
        400: N_("请求有误"),
        401: N_("请先登录"),
        403: N_("无权访问"),
        404: N_("未找到"),
        405: N_("不支持的操作"),
        409: N_("状态已变化"),
        422: N_("无法办理"),
        429: N_("请稍后再试"),
    }
    return (
        render_template(
            "web/error.html",
            status=status,
            title=_(titles.get(status, N_("出错了"))),
            message=(_(message) if translate else message) if message else "",
        ),
        status,
    )
