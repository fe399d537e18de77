"""Classification runs (R-HALFYEAR): the runs and requests, starting one, a run's results."""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.codes import Role
from app.context import now, today
from app.errors import DomainError
from app.queries.administration import previous_run_day
from app.queries.catalogue import bureau_tree
from app.queries.classification import get_run, list_runs, run_results
from app.scoring import CLASSES
from app.services import bureaus
from app.services.classification import latest_scheduled_date
from app.services.classification_requests import (
    pending_and_recent,
    preview_run,
    refusal_text,
    request_run,
)
from app.services.heartbeat import scheduler_status
from app.services.measures import KIND_LABELS as MEASURE_LABELS
from app.unit_of_work import attempt
from forms.base import N_

from ..guards import roles
from .base import (
    PER_PAGE,
    actor,
    bp,
    date_arg,
    page_arg,
)

# -- classification runs ----------------------------------------------------------------------


def _scheduled_default() -> date | None:
    try:
        return latest_scheduled_date(today(), current_app.config["CLASSIFICATION_DAYS"])
    except ValueError:
        return None


def _runs_page(
    run_on: str | None = None,
    refusal: str | None = None,
    status: int = 200,
    *,
    off_cycle: bool = False,
    reason: str = "",
    preview=None,
):
    default = _scheduled_default()
    requests = pending_and_recent()
    return render_template(
        "admin/runs.html",
        runs=list_runs(),
        requests=requests,
        refusal_text=refusal_text,
        scheduler=scheduler_status(now()),
        waiting=any(r.state == "queued" for r in requests),
        run_on=run_on if run_on is not None else (default.isoformat() if default else ""),
        default=default,
        refusal=refusal,
        off_cycle=off_cycle,
        reason=reason,
        preview=preview,
        schedule=current_app.config["CLASSIFICATION_DAYS"],
        measure_labels=MEASURE_LABELS,
    ), status


@bp.get("/runs")
@roles(Role.ADMIN)
def runs():
    return _runs_page()


@bp.post("/runs")
@roles(Role.ADMIN)
def run_start():
    """Two steps (R-HALFYEAR): the form shows what the run would publish, notify and start;
    only the confirmation (`confirm`) queues it. An unscheduled date needs the off-cycle
    choice and a reason."""
    raw = request.form.get("run_on", "").strip()
    off_cycle = request.form.get("off_cycle") == "1"
    reason = request.form.get("reason", "").strip()
    confirmed = request.form.get("confirm") == "1"
    try:
        run_on = date_arg(raw, _("评定日期"))
        if run_on is None:
            raise DomainError(N_("give the date of the run"), status=400)
        if not confirmed:
            preview = preview_run(
                run_on,
                actor=actor(),
                at=now(),
                today=today(),
                off_cycle=off_cycle,
                reason=reason,
            )  # writes nothing
            return _runs_page(raw, off_cycle=off_cycle, reason=reason, preview=preview)
        with attempt():
            _request, created = request_run(
                run_on, actor=actor(), at=now(), today=today(), off_cycle=off_cycle, reason=reason
            )
    except DomainError as err:
        return _runs_page(raw, err.translated(), err.status, off_cycle=off_cycle, reason=reason)
    flash(
        _(
            "已提交 %(day)s 的分类评定，由后台任务在下一轮执行；完成后列在“历次评定”中。",
            day=run_on.isoformat(),
        )
        if created
        else _("%(day)s 的分类评定已在排队，无需重复提交。", day=run_on.isoformat()),
        "success",
    )
    return redirect(url_for("admin.runs"))


@bp.get("/runs/<run_on>")
@roles(Role.ADMIN)
def run(run_on: str):
    day = date_arg(run_on, _("评定日期"))
    current = get_run(day)
    klass = request.args.get("class") or None
    if klass is not None and klass not in CLASSES:
        raise DomainError(N_("unknown class %(klass)s"), status=400, klass=klass)
    bureau = request.args.get("bureau") or None
    if bureau is not None:
        bureaus.get_bureau(bureau)
    page = page_arg()
    results = run_results(day, klass=klass, bureau=bureau, page=page, per_page=PER_PAGE)
    previous = previous_run_day(day)
    return render_template(
        "admin/run.html",
        run=current,
        previous=previous,
        total=sum(current.counts.values()),
        changes=sorted(current.changes.items(), key=lambda kv: (-kv[1], kv[0])),
        results=results,
        pages=max(1, -(-results["total"] // PER_PAGE)),
        klass=klass,
        bureau=bureau,
        bureau_options=bureau_tree(),
    )
