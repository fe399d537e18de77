"""Scoring-table versions (R-VALIDITY): the versions, publishing one, reading one."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.codes import Role
from app.context import now, today
from app.errors import DomainError
from app.extensions import db
from app.queries.administration import table_versions
from app.scoring import table_in_force
from app.services.scoring_tables import load_tables, publish_table
from app.unit_of_work import attempt
from forms.base import N_
from models import (
    ScoringTableVersion,
)

from ..guards import roles
from .base import (
    actor,
    bp,
    posted_text,
    table_warning,
)

# -- scoring tables ---------------------------------------------------------------------------


def _tables_page(text: str = "", refusal: str | None = None, status: int = 200):
    versions = table_versions()
    tables = load_tables()
    current = table_in_force(tables, today())
    in_force = current.version if current else None
    return render_template(
        "admin/tables.html",
        table_expiry=table_warning(tables),
        versions=versions,
        in_force=in_force,
        today=today(),
        text=text,
        refusal=refusal,
    ), status


@bp.get("/tables")
@roles(Role.ADMIN)
def tables():
    return _tables_page()


@bp.post("/tables")
@roles(Role.ADMIN)
def table_publish():
    text = request.form.get("text", "")
    try:
        text = posted_text()
        with attempt():
            row, created = publish_table(text, actor=actor(), at=now())
    except DomainError as err:
        return _tables_page(text, err.translated(), err.status)
    if created:
        flash(
            _(
                "记分标准 %(version)s 已发布，自 %(day)s 起适用。",
                version=row.version,
                day=row.applies_from.isoformat(),
            ),
            "success",
        )
    else:
        flash(_("记分标准 %(version)s 已以相同内容发布，未作更改。", version=row.version), "info")
    return redirect(url_for("admin.table", version=row.version))


@bp.get("/tables/<path:version>")
@roles(Role.ADMIN)
def table(version: str):
    row = db.session.get(ScoringTableVersion, version)
    if row is None:
        raise DomainError(N_("no scoring table version %(version)s"), status=404, version=version)
    return render_template("admin/table.html", row=row, content=row.content)
