"""The administration's overview and the audit log of exports."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from app.codes import Role
from app.context import now, today
from app.extensions import db
from app.scoring import table_in_force
from app.services import accounts
from app.services.calendar import work_calendar
from app.services.heartbeat import scheduler_status
from app.services.scoring_tables import load_tables
from models import (
    Bureau,
    ClassificationRun,
    HolidaySchedule,
    ScoringTableVersion,
)

from ..guards import roles
from .base import (
    SOURCES,
    bp,
    calendar_warning,
    open_provisional,
    table_warning,
)

# -- overview ---------------------------------------------------------------------------------


@bp.get("/")
@roles(Role.ADMIN)
def home():
    cal = work_calendar()
    year = today().year
    latest_run = db.session.scalar(
        select(ClassificationRun).order_by(ClassificationRun.run_on.desc()).limit(1)
    )
    tables = load_tables()
    return render_template(
        "admin/home.html",
        scheduler=scheduler_status(now()),
        users=accounts.counts_by_role(),
        bureau_count=db.session.scalar(select(func.count()).select_from(Bureau)),
        table_count=db.session.scalar(select(func.count()).select_from(ScoringTableVersion)),
        in_force=table_in_force(tables, today()),
        table_expiry=table_warning(tables),
        years=list(db.session.scalars(select(HolidaySchedule.year).order_by(HolidaySchedule.year))),
        sources=[(y, cal.source_of(y)) for y in (year, year + 1)],
        source_names=SOURCES,
        warning=calendar_warning(cal),
        latest_run=latest_run,
        provisional=open_provisional(),
    )


# -- exports (Art. 31, 32) ------------------------------------------------------------------


@bp.get("/exports")
@roles(Role.ADMIN)
def exports():
    """The audit log of exports: who took which data, to which recipient, on what legal basis."""
    from app.queries.audit import RECIPIENT_KIND_LABELS, export_events

    return render_template(
        "admin/exports.html", events=export_events(), kind_labels=RECIPIENT_KIND_LABELS
    )
