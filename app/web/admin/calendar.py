"""Holiday schedules (R-CAL): the years loaded, a trial deadline, loading a year."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.codes import Role
from app.context import now, today
from app.errors import DomainError
from app.queries.administration import holiday_schedules, open_provisional
from app.services.calendar import load_schedule, work_calendar
from app.unit_of_work import attempt
from forms.base import N_
from models import (
    HolidaySchedule,
)

from ..guards import roles
from .base import (
    SOURCES,
    actor,
    bp,
    calendar_warning,
    date_arg,
    posted_text,
)

# -- holiday schedules ------------------------------------------------------------------------


def _holiday_ranges(row: HolidaySchedule) -> list[tuple[str | None, date, date]]:
    """Days off as the notice writes them: consecutive days of one holiday as one range."""
    days = sorted(date.fromisoformat(d) for d in row.holidays)
    out: list[tuple[str | None, date, date]] = []
    for d in days:
        name = row.names.get(d.isoformat())
        if out and out[-1][0] == name and out[-1][2] + timedelta(days=1) == d:
            out[-1] = (name, out[-1][1], d)
        else:
            out.append((name, d, d))
    return out


def _schedule_example(year: int) -> str:
    return (
        f"year: {year}\n"
        f'source: "国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔{year - 1}〕X号）"\n'
        "holidays:\n"
        f"  - {{name: 元旦, from: {year}-01-01, to: {year}-01-01}}\n"
        f"workdays: []\n"
    )


def _calendar_page(text: str = "", refusal: str | None = None, status: int = 200):
    cal = work_calendar()
    year = today().year
    rows = holiday_schedules()
    trial = None
    start = request.args.get("start")
    days_arg = request.args.get("days")
    if start:
        start_on = date_arg(start, _("起算日"))
        try:
            n = int(days_arg or "")
        except ValueError:
            n = 0
        if not 1 <= n <= 366:
            raise DomainError(N_("the number of working days is 1 to 366"), status=400)
        deadline = cal.add_working_days(start_on, n)
        trial = {"start": start_on, "days": n, "due": deadline}
    return render_template(
        "admin/calendar.html",
        schedules=[(r, _holiday_ranges(r)) for r in rows],
        sources=[(y, cal.source_of(y)) for y in (year - 1, year, year + 1)],
        source_names=SOURCES,
        warning=calendar_warning(cal),
        provisional=open_provisional(),
        trial=trial,
        text=text,
        example=_schedule_example(year + 1),
        refusal=refusal,
    ), status


@bp.get("/calendar")
@roles(Role.ADMIN)
def calendar():
    return _calendar_page()


@bp.post("/calendar")
@roles(Role.ADMIN)
def calendar_load():
    text = request.form.get("text", "")
    try:
        text = posted_text()
        with attempt():
            schedule, changed = load_schedule(text, actor=actor(), at=now())
    except DomainError as err:
        return _calendar_page(text, err.translated(), err.status)
    if changed:
        flash(
            _(
                "已载入%(year)s年节假日安排：放假%(off)s天，调休上班%(work)s天；"
                "临时期限已按新安排重新计算。",
                year=schedule.year,
                off=len(schedule.holidays),
                work=len(schedule.workdays),
            ),
            "success",
        )
    else:
        flash(_("%(year)s年节假日安排与已载入的相同，未作更改。", year=schedule.year), "info")
    return redirect(url_for("admin.calendar"))
