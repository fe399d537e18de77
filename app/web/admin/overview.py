"""The administration's overview and the audit log of exports."""

from __future__ import annotations

from flask import render_template

from app.codes import Role
from app.context import now, today
from app.queries import administration as admin_q
from app.scoring import table_in_force
from app.services import accounts
from app.services.calendar import work_calendar
from app.services.heartbeat import scheduler_status
from app.services.scoring_tables import load_tables
from models import (
    Bureau,
    ScoringTableVersion,
)

from ..guards import roles
from .base import (
    SOURCES,
    bp,
    calendar_warning,
    table_warning,
)

# -- overview ---------------------------------------------------------------------------------


@bp.get("/")
@roles(Role.ADMIN)
def home():
    cal = work_calendar()
    year = today().year
    tables = load_tables()
    return render_template(
        "admin/home.html",
        scheduler=scheduler_status(now()),
        users=accounts.counts_by_role(),
        bureau_count=admin_q.count(Bureau),
        table_count=admin_q.count(ScoringTableVersion),
        in_force=table_in_force(tables, today()),
        table_expiry=table_warning(tables),
        years=admin_q.schedule_years(),
        sources=[(y, cal.source_of(y)) for y in (year, year + 1)],
        source_names=SOURCES,
        warning=calendar_warning(cal),
        latest_run=admin_q.latest_run(),
        provisional=admin_q.open_provisional(),
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
