"""The scheduler pass (`flask cases tick`): deadlines that passed, notices to issue, rewards to
propose, classification runs asked for on the admin page. Several workers may run at once on
PostgreSQL: each takes due deadlines with FOR UPDATE SKIP LOCKED, so each deadline fires
exactly once."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from app.errors import DomainError
from app.extensions import db
from models import AuditEvent, Case, CaseTask, Deadline

from . import pass_locks
from .audit import record_event
from .cases import Ctx, send_message

# Reward cases a pass proposes at most; a pass that reaches it looks again at the next pass.
REWARD_PROPOSALS_PER_PASS = 500


@dataclass
class TickReport:
    deadlines_passed: int = 0
    notices_started: int = 0
    rewards_proposed: int = 0
    rectifications_started: int = 0
    classification_runs: int = 0
    rewards_refused: str = ""  # why no rewards were proposed today (R-VALIDITY, Art. 36)

    def summary(self) -> str:
        return (
            f"deadlines passed {self.deadlines_passed}, notices started {self.notices_started}, "
            f"rectifications started {self.rectifications_started}, rewards proposed "
            f"{self.rewards_proposed}, classification runs {self.classification_runs}"
            + (f"; rewards not proposed: {self.rewards_refused}" if self.rewards_refused else "")
        )

    def __bool__(self) -> bool:
        return any(vars(self).values())


def due_deadlines(today, batch: int, *, locking: bool):
    """The next `batch` running deadlines whose last day is over. With `locking` (PostgreSQL)
    the deadline rows and their case rows are locked in this one statement, skipping any row
    another transaction holds: a request completing a task updates the case row and then its
    deadlines, so a pass that locked the deadline first and the case later (in send_message)
    could deadlock with it (found by bench/province_day: a 500 after a one-second wait). A
    deadline skipped here is taken by a later batch or pass, unless the request closed it."""
    query = (
        select(Deadline.id, Deadline.case_id)
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.state == "running", Deadline.due_on < today)
        .order_by(Deadline.due_on, Deadline.id)
        .limit(batch)
    )
    if locking:
        query = query.with_for_update(skip_locked=True, of=(Deadline, Case))
    return query


def fire_due_deadlines(*, ctx: Ctx, batch: int = 200) -> int:
    """Deadlines whose last day is over (due_on < today) are marked passed and their case is
    sent the `deadline` message; the case shows overdue and supervisors are told.

    Deadlines are claimed by a conditional UPDATE (state still 'running'), so two workers
    never fire the same one; on PostgreSQL, SKIP LOCKED also keeps them off each other's rows.
    """
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    query = due_deadlines(ctx.today, batch, locking=postgresql)
    candidates = [deadline_id for deadline_id, _ in db.session.execute(query).all()]
    if not candidates:
        return 0
    # One conditional UPDATE claims the batch: a deadline another worker took meanwhile is no
    # longer 'running' and is not returned.
    claimed = (
        db.session.execute(
            update(Deadline)
            .where(Deadline.id.in_(candidates), Deadline.state == "running")
            .values(state="passed", passed_at=ctx.now)
            .returning(Deadline.case_id)
        )
        .scalars()
        .all()
    )
    case_ids = set(claimed)
    cases = db.session.scalars(select(Case).where(Case.id.in_(case_ids))).all()
    # The batch's open tasks and deadlines in two queries, not two per case.
    open_rows: dict[int, dict[str, CaseTask]] = {case_id: {} for case_id in case_ids}
    for row in db.session.scalars(
        select(CaseTask).where(CaseTask.case_id.in_(case_ids), CaseTask.state == "open")
    ):
        open_rows[row.case_id][row.engine_task_id] = row
    deadlines: dict[int, dict[str, Deadline]] = {case_id: {} for case_id in case_ids}
    for row in db.session.scalars(select(Deadline).where(Deadline.case_id.in_(case_ids))):
        deadlines[row.case_id][row.name] = row
    for case in sorted(cases, key=lambda c: c.id):
        if case.status == "open":
            send_message(
                case,
                "deadline",
                ctx=ctx,
                open_rows=open_rows[case.id],
                deadlines=deadlines[case.id],
            )
    fired = len(claimed)
    db.session.flush()
    return fired


def _in_batches(start, budget: int, *, ctx: Ctx, commit, batch: int = 200) -> int:
    """Call `start(ctx=, limit=)` in committed batches until it has nothing left or `budget`
    cases were started."""
    started = 0
    while started < budget:
        n = start(ctx=ctx, limit=min(batch, budget - started))
        commit()
        started += n
        if n == 0:
            break
    return started


def tick(*, ctx: Ctx, commit) -> TickReport:
    """One pass; `commit` is called after each batch so a long pass holds no lock for long."""
    from .applications import issue_notices, propose_rewards

    report = TickReport()
    while True:
        fired = fire_due_deadlines(ctx=ctx)
        commit()
        report.deadlines_passed += fired
        if fired == 0:
            break
    # Notices of new scorings and the rectification orders of classification runs (rules §7,
    # §10) become cases in batches, each at most its *_PER_PASS per pass: after a bulk import or
    # a province run there are hundreds of thousands, and a pass must come back soon to fire
    # the next deadlines. What is left waits for the next passes.
    from .measures import start_rectifications

    config = current_app.config
    report.notices_started = _in_batches(
        issue_notices, int(config.get("NOTICES_PER_PASS", 2000)), ctx=ctx, commit=commit
    )
    report.rectifications_started = _in_batches(
        start_rectifications,
        int(config.get("RECTIFICATIONS_PER_PASS", 1000)),
        ctx=ctx,
        commit=commit,
    )
    # Reward candidates change only with spot-check results: looking once a day is enough.
    done_today = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "scheduler.rewards", AuditEvent.object_ref == ctx.today.isoformat()
        )
    )
    # One scheduler at a time: two passes proposing at once raced for the same cases.
    if done_today is None and pass_locks.exclusive(pass_locks.REWARDS):
        try:
            report.rewards_proposed = propose_rewards(ctx=ctx, limit=REWARD_PROPOSALS_PER_PASS)
        except DomainError as err:
            # No table version covers today (Art. 36): nothing proposed, the pass goes on, and
            # the next passes try again once a successor is published.
            report.rewards_refused = err.message
        else:
            if report.rewards_proposed < REWARD_PROPOSALS_PER_PASS:  # none left for today
                record_event(
                    ctx.now,
                    ctx.actor,
                    "scheduler.rewards",
                    "scheduler",
                    ctx.today.isoformat(),
                    {"proposed": report.rewards_proposed},
                )
        commit()
    # Last: a province run takes a minute or more, and the deadlines above should not wait.
    from .classification_requests import run_requested

    report.classification_runs = run_requested(today=ctx.today, now=ctx.now, commit=commit)
    return report
