"""The administration's blueprint and what its pages share: the posted YAML documents,
page and date arguments, and the warnings the overview repeats (R-CAL, R-VALIDITY)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.calendar.workdays import MISSING_YEAR_WARNING
from app.context import today
from app.errors import DomainError
from app.scoring import CLASSES, ScoringTable, ending_soon
from forms.base import N_

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
TABLE_WARNING_DAYS = 90  # R-VALIDITY: warn this long before the version in force ends
MAX_UPLOAD = 1_000_000  # bytes: a year's schedule or a scoring table is a few kilobytes
LEVELS = {"province": N_("省级"), "city": N_("地市级"), "county": N_("县区级")}
SOURCES = {
    "schedule": N_("已载入的节假日安排"),
    "package": N_("chinesecalendar 软件包"),
    "provisional": N_("无数据：暂按周一至周五计算，期限为临时期限"),
}


def page_url(number: int) -> str:
    """This page with the same filters, at another page of results."""
    args = {**request.args.to_dict(), "page": number}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.context_processor
def _helpers() -> dict:
    return {"levels": LEVELS, "classes": CLASSES, "page_url": page_url}


def actor() -> str:
    return current_user.username


def posted_text(field: str = "text", upload: str = "file") -> str:
    """A YAML document pasted into the form or uploaded as a file (the upload wins)."""
    uploaded = request.files.get(upload)
    if uploaded is not None and uploaded.filename:
        raw = uploaded.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise DomainError(N_("the file is larger than 1 MB"), status=413)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DomainError(N_("the file is not UTF-8 text"), status=400) from None
    text = request.form.get(field, "")
    if not text.strip():
        raise DomainError(N_("paste the YAML document or choose a file"), status=400)
    return text


def page_arg() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def date_arg(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(
            N_("%(what)s: %(value)s is not a date (YYYY-MM-DD)"), status=400, what=what, value=value
        ) from None


def calendar_warning(cal) -> str | None:
    """The missing-schedule warning (R-CAL) in the page's language."""
    year = cal.missing_year(today())
    return _(MISSING_YEAR_WARNING, year=year) if year is not None else None


def table_warning(tables: list[ScoringTable]) -> dict | None:
    """R-VALIDITY: from 90 days before the version in force ends (or once it has ended) while
    no successor is published, what the administrators are told (Art. 36)."""
    on = today()
    ending = ending_soon(tables, on, TABLE_WARNING_DAYS)
    if ending is None:
        return None
    return {
        "version": ending.version,
        "until": ending.applies_until,
        "days": (ending.applies_until - on).days,
        "regulation": ending.regulation,
    }
