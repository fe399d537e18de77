"""The officer inbox: the bureau's queue, the case file beside the task form, the BPMN
diagram, recording a matter."""

from __future__ import annotations

from flask import Blueprint, render_template

from .guards import roles

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@roles("officer", "supervisor")
def queue():
    return render_template("web/todo.html", title="待办任务")


@bp.get("/cases")
@roles("officer", "supervisor")
def cases():
    return render_template("web/todo.html", title="本局案件")


@bp.get("/matters/new")
@roles("officer")
def matter_new():
    return render_template("web/todo.html", title="登记事项")
