"""The supervisor dashboard: overdue and due-soon tasks by bureau, on-time rates, reassignment."""

from __future__ import annotations

from flask import Blueprint, render_template

from .guards import roles

bp = Blueprint("dashboard", __name__, url_prefix="/supervision")


@bp.get("/")
@roles("supervisor")
def overview():
    return render_template("web/todo.html", title="监督看板")


@bp.get("/notifications")
@roles("supervisor")
def notifications():
    return render_template("web/todo.html", title="超期提醒")
