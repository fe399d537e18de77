"""Classification runs asked for on the admin page and done by the scheduler worker.

A province run (about a million objects) takes longer than a web worker may hold a request,
so the page only queues the run; `flask cases worker` (or `tick`) does it at its next pass.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select, update

from app.errors import DomainError
from app.extensions import db
from forms.base import N_
from models import ClassificationRequest, ClassificationRun, Measure, Notification, ScoringObject

from . import progress
from .audit import record_event
from .classification import off_cycle_run, refuse_earlier_run, run_classification

log = logging.getLogger(__name__)


@dataclass
class RunPreview:
    """What a run would do if it were done now (the confirmation before queuing it): found by
    doing the run, measures included, in a savepoint that is rolled back."""

    run_on: date
    off_cycle: bool
    reason: str | None
    repeated: bool  # a run of this date exists: only changed results are rewritten
    objects: int = 0
    counts: Counter = field(default_factory=Counter)  # the class each object would be set to
    changes: int = 0  # objects whose class would change against the previous run
    published_a: int | None = None  # A-class objects on the public list now (latest run)
    measures: Counter = field(default_factory=Counter)  # new measures by kind
    superseded: int = 0  # open measures of earlier runs the run would cancel
    notices: int = 0  # class notices to operators
    rectifications: int = 0  # rectification cases the scheduler would then start


def _check_request(run_on: date, today: date, off_cycle: bool, reason: str | None) -> bool:
    """The date checks of a request (future, R-HALFYEAR, earlier than the latest run)."""
    if run_on > today:
        raise DomainError(
            "%(day)s is in the future (today is %(today)s)",
            status=400,
            day=run_on.isoformat(),
            today=today.isoformat(),
        )
    refuse_earlier_run(run_on)
    return off_cycle_run(run_on, off_cycle=off_cycle, reason=reason)


def preview_run(
    run_on: date,
    *,
    actor: str,
    at: datetime,
    today: date,
    off_cycle: bool = False,
    reason: str | None = None,
) -> RunPreview:
    """What the run would publish, notify and start: the run itself, with its measures, done
    in a savepoint and rolled back, so the numbers are those of the real run at this moment
    (a run takes as long as the real one: about 80 s for the province). Writes nothing."""
    off = _check_request(run_on, today, off_cycle, reason)
    conn = db.session.connection()
    published = db.session.scalar(
        select(ClassificationRun.counts).order_by(ClassificationRun.run_on.desc()).limit(1)
    )
    measure_before = conn.scalar(select(func.coalesce(func.max(Measure.id), 0)))
    notice_before = conn.scalar(select(func.coalesce(func.max(Notification.id), 0)))
    cancelled_before = conn.scalar(
        select(func.count()).select_from(Measure).where(Measure.state == "cancelled")
    )
    savepoint = db.session.begin_nested()
    try:
        report = run_classification(run_on, actor=actor, at=at, off_cycle=off_cycle, reason=reason)
        conn = db.session.connection()
        preview = RunPreview(
            run_on,
            off,
            report.reason,
            report.repeated,
            objects=report.objects,
            counts=Counter({k: report.counts.get(k, 0) for k in report.counts}),
            changes=sum(report.changes.values()),
            published_a=None if published is None else int(published.get("A", 0)),
        )
        for kind, n in conn.execute(
            select(Measure.kind, func.count())
            .where(Measure.id > measure_before)
            .group_by(Measure.kind)
        ):
            preview.measures[kind] = n
        preview.superseded = (
            conn.scalar(
                select(func.count())
                .select_from(Measure)
                .where(Measure.state == "cancelled", Measure.id <= measure_before)
            )
            - cancelled_before
        )
        preview.notices = conn.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.id > notice_before, Notification.kind == "class_notice")
        )
        preview.rectifications = conn.scalar(
            select(func.count())
            .select_from(Measure)
            .where(
                Measure.kind == "rectification",
                Measure.state == "open",
                Measure.case_id.is_(None),
            )
        )
    finally:
        savepoint.rollback()
    return preview


def request_run(
    run_on: date,
    *,
    actor: str,
    at: datetime,
    today: date,
    off_cycle: bool = False,
    reason: str | None = None,
) -> tuple[ClassificationRequest, bool]:
    """Queue a run; a date refused by the rules is refused now, not at the worker (R-HALFYEAR:
    a date that is not scheduled only as an off-cycle run with a reason). Asking again for a
    date already queued returns that request (created=False)."""
    off = _check_request(run_on, today, off_cycle, reason)
    queued = db.session.scalar(
        select(ClassificationRequest).where(
            ClassificationRequest.run_on == run_on, ClassificationRequest.state == "queued"
        )
    )
    if queued is not None:
        return queued, False
    reason = reason.strip() if off and reason else None
    row = ClassificationRequest(
        run_on=run_on,
        requested_by=actor,
        requested_at=at,
        state="queued",
        off_cycle=off,
        reason=reason,
    )
    db.session.add(row)
    db.session.flush()
    record_event(
        at,
        actor,
        "classification.requested",
        "classification_run",
        run_on.isoformat(),
        {"off_cycle": off, "reason": reason},
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
        # The admin page's progress bar: objects classified so far, of all.
        tracker = progress.Tracker(
            "classification",
            req.id,
            db.session.scalar(select(func.count()).select_from(ScoringObject)) or 0,
        )
        try:
            _check_request(req.run_on, today, req.off_cycle, req.reason)
            tracker.start()
            report = run_classification(
                req.run_on,
                actor=req.requested_by,
                at=now,
                progress=tracker.advance,
                off_cycle=req.off_cycle,
                reason=req.reason,
            )
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
        tracker.clear()
        done += 1
