"""Classification runs asked for on the admin page and done by the scheduler worker.

A province run (about a million objects) takes longer than a web worker may hold a request,
so the page only queues the run; `flask cases worker` (or `tick`) does it at its next pass.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import select, update

from app.errors import DomainError
from app.extensions import db
from forms.base import N_
from models import ClassificationRequest

from .audit import record_event
from .classification import refuse_earlier_run, run_classification

log = logging.getLogger(__name__)


def _check_date(run_on: date, today: date) -> None:
    if run_on > today:
        raise DomainError(
            "%(day)s is in the future (today is %(today)s)",
            status=400,
            day=run_on.isoformat(),
            today=today.isoformat(),
        )
    refuse_earlier_run(run_on)


def request_run(
    run_on: date, *, actor: str, at: datetime, today: date
) -> tuple[ClassificationRequest, bool]:
    """Queue a run; a date refused by the rules is refused now, not at the worker. Asking again
    for a date already queued returns that request (created=False)."""
    _check_date(run_on, today)
    queued = db.session.scalar(
        select(ClassificationRequest).where(
            ClassificationRequest.run_on == run_on, ClassificationRequest.state == "queued"
        )
    )
    if queued is not None:
        return queued, False
    row = ClassificationRequest(run_on=run_on, requested_by=actor, requested_at=at, state="queued")
    db.session.add(row)
    db.session.flush()
    record_event(
        at, actor, "classification.requested", "classification_run", run_on.isoformat(), {}
    )
    return row, True


def refusal_text(req: ClassificationRequest) -> str | None:
    """Why a request failed, in the page's language."""
    if req.refusal is None:
        return None
    return DomainError(req.refusal, **(req.refusal_params or {})).translated()


def pending_and_recent(limit: int = 10) -> list[ClassificationRequest]:
    """Queued requests, then the latest finished ones: what the runs page shows."""
    return list(
        db.session.scalars(
            select(ClassificationRequest)
            .order_by(
                (ClassificationRequest.state == "queued").desc(), ClassificationRequest.id.desc()
            )
            .limit(limit)
        )
    )


def run_requested(*, today: date, now: datetime, commit) -> int:
    """Do the queued runs, oldest first, each in its own transaction. The request row stays
    locked while its run goes on (SKIP LOCKED on PostgreSQL, so other workers pass it by)."""
    done = 0
    while True:
        query = (
            select(ClassificationRequest)
            .where(ClassificationRequest.state == "queued")
            .order_by(ClassificationRequest.id)
            .limit(1)
        )
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        req = db.session.scalar(query)
        if req is None:
            return done
        # Claim it: a no-op update that still takes the row lock. A worker that read the same
        # request (SQLite has no SKIP LOCKED) waits here and then finds it no longer queued.
        claimed = db.session.execute(
            update(ClassificationRequest)
            .where(ClassificationRequest.id == req.id, ClassificationRequest.state == "queued")
            .values(state="queued")
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            commit()
            continue
        savepoint = db.session.begin_nested()
        try:
            _check_date(req.run_on, today)
            report = run_classification(req.run_on, actor=req.requested_by, at=now)
        except DomainError as err:
            savepoint.rollback()
            req.state, req.refusal = "failed", err.template
            req.refusal_params = {
                k: v if isinstance(v, int | float | str) else str(v) for k, v in err.params.items()
            }
        except Exception:
            savepoint.rollback()
            log.exception("classification run of %s (request %s) failed", req.run_on, req.id)
            req.state, req.refusal, req.refusal_params = (
                "failed",
                N_("the run stopped on an internal error; the worker's log has the details"),
                {},
            )
        else:
            savepoint.commit()
            req.state, req.objects = "done", report.objects
        req.finished_at = now
        commit()
        done += 1
