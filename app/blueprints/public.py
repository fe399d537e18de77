"""Public pages. For now the landing page: what the service is and where its API lives."""

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
        "index.html",
        bureaus=db.session.scalar(select(func.count()).select_from(Bureau)),
        objects=db.session.scalar(select(func.count()).select_from(ScoringObject)),
        entries=db.session.scalar(select(func.count()).select_from(LedgerEntry)),
        run=runs[0] if runs else None,
    )
