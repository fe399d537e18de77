"""The list of cases a bureau decides (a supervisor's: the tree)."""

from __future__ import annotations

from flask import render_template

from app.queries.cases import my_cases

from ..guards import roles
from .common import STAFF, bp, user


@bp.get("/cases")
@roles(*STAFF)
def cases():
    """Cases decided by my bureau (a supervisor's: the tree), newest first."""
    return render_template("inbox/cases.html", cases=my_cases(user()))
