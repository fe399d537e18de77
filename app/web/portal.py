"""The enterprise portal (粤品通): my scoring objects, notices, cases and information filing."""

from __future__ import annotations

from flask import Blueprint, render_template

from .guards import roles

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.get("/")
@roles("enterprise")
def home():
    return render_template("web/todo.html", title="我的记分对象")


@bp.get("/notices")
@roles("enterprise")
def notices():
    return render_template("web/todo.html", title="我的通知")


@bp.get("/cases")
@roles("enterprise")
def cases():
    return render_template("web/todo.html", title="我的案件")


@bp.get("/filing")
@roles("enterprise")
def filing():
    return render_template("web/todo.html", title="信息填报")
