"""Public pages, no sign-in: the landing page, the A-class list and the dishonesty matters
(Art. 29), search by name, USCC or brand; each carries the Art. 28 notice."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from app.context import now, today
from app.errors import DomainError
from app.queries import disclosure as q
from app.queries.classification import list_runs
from app.queries.public_totals import public_totals

bp = Blueprint("public", __name__)

PER_PAGE = 50
SEARCH_PER_PAGE = 20
SEARCH_CAP = 1000  # objects counted at most; more: the page asks for a narrower search
LIST_CAP = 1000  # rows of the A-class list and the dishonesty matters counted at most
MAX_QUERY = 100


@bp.get("/")
def index():
    runs = list_runs()
    return render_template(
        "web/index.html",
        totals=public_totals(now(), current_app.config["PUBLIC_TOTALS_SECONDS"]),
        run=runs[0] if runs else None,
    )


def _filters() -> tuple[str | None, str | None, int]:
    """City, text and page from the query string; a bad value is a 400 with a reason."""
    city = request.args.get("city") or None
    text = (request.args.get("q") or "").strip() or None
    if city is not None and city not in {c["code"] for c in q.cities()}:
        raise DomainError("unknown city %(city)s: choose one from the list", city=city, status=400)
    if text is not None and len(text) > MAX_QUERY:
        raise DomainError(
            "the search text is too long (at most %(n)s characters)", n=MAX_QUERY, status=400
        )
    return city, text, _page()


def _page() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise DomainError("page must be a whole number from 1", status=400)
    return int(raw)


@bp.get("/public/a-class")
def a_list():
    """The A-class list of the latest classification run (Art. 29)."""
    city, text, page = _filters()
    run, result = q.a_list(city=city, q=text, page=page, per_page=PER_PAGE, cap=LIST_CAP)
    return render_template(
        "public/a_list.html",
        run=run,
        result=result,
        cities=q.cities(),
        city=city,
        text=text,
        page_url=lambda n: url_for("public.a_list", city=city, q=text, page=n),
    )


@bp.get("/public/dishonesty")
def dishonesty():
    """Dishonesty matters (失信事项) published under Art. 29: each deduction of a matter that
    still counts today — not voided by an objection or a correction, not repaired, inside its
    36-month window (R-WINDOW) — with operator, item, points, effective date and deciding
    bureau. A matter stops being published the day it drops out of the score; the class itself
    may not be used commercially (Art. 28). Details in `app.queries.disclosure`."""
    city, text, page = _filters()
    day = today()
    result = q.dishonesty(today=day, city=city, q=text, page=page, per_page=PER_PAGE, cap=LIST_CAP)
    return render_template(
        "public/dishonesty.html",
        result=result,
        cities=q.cities(),
        city=city,
        text=text,
        today=day,
        page_url=lambda n: url_for("public.dishonesty", city=city, q=text, page=n),
    )


@bp.get("/public/search")
def search():
    """By enterprise name, credit code or brand: the published information only."""
    text = (request.args.get("q") or "").strip()
    if len(text) > MAX_QUERY:
        raise DomainError(
            "the search text is too long (at most %(n)s characters)", n=MAX_QUERY, status=400
        )
    page = _page()
    result, searched = q.search(
        text, today=today(), page=page, per_page=SEARCH_PER_PAGE, cap=SEARCH_CAP
    )
    return render_template(
        "public/search.html",
        result=result,
        searched=searched,
        text=text,
        run=q.latest_run(),
        page_url=lambda n: url_for("public.search", q=text, page=n),
    )
