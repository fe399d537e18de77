"""Public pages, no sign-in: the landing page, the A-class list and the dishonesty matters
(Art. 29), search by name, USCC or brand; each carries the Art. 28 notice."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from app.extensions import db
from app.queries.classification import list_runs
from models import Bureau, LedgerEntry, ScoringObject

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    runs = list_runs()
    return render_template(
        "web/index.html",
        bureaus=db.session.scalar(select(func.count()).select_from(Bureau)),
        objects=db.session.scalar(select(func.count()).select_from(ScoringObject)),
        entries=db.session.scalar(select(func.count()).select_from(LedgerEntry)),
        run=runs[0] if runs else None,
    )


@bp.get("/public/a-class")
def a_list():
    return render_template("web/todo.html", title="A级名单")


@bp.get("/public/dishonesty")
def dishonesty():
    return render_template("web/todo.html", title="失信事项")


@bp.get("/public/search")
def search():
    return render_template("web/todo.html", title="信用查询")
