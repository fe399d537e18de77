"""Administration: holiday schedules, scoring-table versions, users and bureaus,
classification runs."""

from __future__ import annotations

from flask import Blueprint, render_template

from .guards import roles

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@roles("admin")
def home():
    return render_template("web/todo.html", title="系统管理")


@bp.get("/calendar")
@roles("admin")
def calendar():
    return render_template("web/todo.html", title="节假日安排")


@bp.get("/tables")
@roles("admin")
def tables():
    return render_template("web/todo.html", title="记分标准")


@bp.get("/users")
@roles("admin")
def users():
    return render_template("web/todo.html", title="用户")


@bp.get("/bureaus")
@roles("admin")
def bureaus():
    return render_template("web/todo.html", title="市场监管部门")


@bp.get("/runs")
@roles("admin")
def runs():
    return render_template("web/todo.html", title="分类评定")
