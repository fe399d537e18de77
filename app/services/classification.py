"""Classification runs (R-HALFYEAR, R-DLOCK): every object's official class as of a date.

The province has about a million scoring objects, so a run walks operators in id ranges:
per range, the objects (with their class from the previous run and from an earlier run of the
same date), the ledger entries, the pure engine in between (`classification_rows`), and bulk
writes. Memory stays flat whatever the size of the province. On PostgreSQL one worker process
per core (CLASSIFICATION_WORKERS) takes a block of operators (`classification_parallel`),
reading the run's exported snapshot, and this process writes their rows with COPY inside the
run's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Integer, String, column, func, insert, select, text, update

from app.errors import Conflict, DomainError
from app.extensions import db
from app.scoring import CLASSES
from app.scoring.classes import is_run_date, run_days
from models import (
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Operator,
)

from .audit import record_event
from .classification_parallel import parallel_snapshot, run_blocks
from .classification_rows import (
    COPY_SQL,
    ENTRIES_SQL,
    OBJECTS_SQL,
    Chunk,
    classify_range,
    classify_rows,
    entries_by_object,
    no_cycle_collector,
)
from .scoring_tables import require_table

OPERATORS_PER_BATCH = 5000


@dataclass
class RunReport:
    run_on: date
    repeated: bool
    objects: int = 0
    counts: Counter = field(default_factory=Counter)
    changes: Counter = field(default_factory=Counter)  # "A→B" against the previous run
    rewritten: int = 0  # results that differ from an earlier run of the same date
    previous_run_on: date | None = None
    off_cycle: bool = False  # R-HALFYEAR: asked for explicitly on an unscheduled date
    reason: str | None = None

    def lines(self) -> list[str]:
        out = [
            f"Classification run of {self.run_on.isoformat()}"
            + (" (repeated: results compared with the stored run)" if self.repeated else "")
        ]
        if self.off_cycle:
            out.append(f"off-cycle run (R-HALFYEAR), reason: {self.reason}")
        out.append(f"objects: {self.objects}")
        out.append("per class: " + ", ".join(f"{k} {self.counts.get(k, 0)}" for k in CLASSES))
        since = self.previous_run_on.isoformat() if self.previous_run_on else "no earlier run"
        if self.changes:
            moved = ", ".join(f"{k} {v}" for k, v in sorted(self.changes.items()))
            out.append(f"changed since {since}: {sum(self.changes.values())} ({moved})")
        else:
            out.append(f"changed since {since}: none")
        if self.repeated:
            out.append(f"results that differ from the stored run of this date: {self.rewritten}")
        return out


def latest_scheduled_date(today: date, schedule: str) -> date:
    """The latest half-yearly run date (R-HALFYEAR; "01-01,07-01" by default) on or before
    today."""
    days = run_days(schedule)
    candidates = [date(y, m, d) for y in (today.year - 1, today.year) for m, d in days]
    return max(c for c in candidates if c <= today)


def refuse_earlier_run(run_on: date) -> None:
    """A run before the latest one cannot be added: the later run's D locks came from it."""
    latest = db.session.scalar(select(func.max(ClassificationRun.run_on)))
    if latest is not None and run_on < latest:
        raise Conflict(
            "a classification run of %(date)s exists; runs before it cannot be "
            "added (later runs depend on earlier ones for D locks)",
            date=latest.isoformat(),
        )


def off_cycle_run(
    run_on: date, *, off_cycle: bool, reason: str | None, schedule: str | None = None
) -> bool:
    """R-HALFYEAR (Art. 26, "每半年调整一次"): a run on a date that is not a scheduled run date
    (CLASSIFICATION_DAYS) is refused unless asked for explicitly as an off-cycle run with a
    reason. Returns whether the run is off-cycle; a scheduled date needs no reason."""
    if schedule is None:
        schedule = current_app.config["CLASSIFICATION_DAYS"]
    try:
        scheduled = is_run_date(run_on, schedule)
    except ValueError as exc:
        raise DomainError(
            "the CLASSIFICATION_DAYS setting is wrong: %(problem)s", status=500, problem=str(exc)
        ) from None
    if scheduled:
        return False
    if not off_cycle:
        raise DomainError(
            "%(date)s is not a scheduled classification date (%(days)s); a run on another "
            "date must be asked for as an off-cycle run with its reason (R-HALFYEAR, Art. 26)",
            date=run_on.isoformat(),
            days=schedule,
        )
    if not (reason or "").strip():
        raise DomainError(
            "an off-cycle classification run needs a reason (R-HALFYEAR, Art. 26)",
            field="reason",
        )
    return True


def run_classification(
    run_on: date,
    *,
    actor: str,
    at: datetime,
    progress: Callable[[int], None] | None = None,  # called with the objects of each batch
    measures: bool = True,
    off_cycle: bool = False,
    reason: str | None = None,
) -> RunReport:
    """Classify every scoring object as of `run_on`. A run repeated for its date rewrites only
    results that differ (none, when nothing changed); a run before the latest one is refused,
    since the later run's D locks were decided from it; a run on a date that is not scheduled
    is refused unless `off_cycle` with a `reason` (R-HALFYEAR), and recorded as such. The
    measures by class are written in the same transaction (`measures=False` only to time the
    classification alone)."""
    require_table(run_on, "run_on")  # R-VALIDITY: no run on a day no table version covers
    refuse_earlier_run(run_on)
    off_cycle = off_cycle_run(run_on, off_cycle=off_cycle, reason=reason)
    reason = reason.strip() if off_cycle and reason else None
    snapshot = parallel_snapshot()  # before this transaction writes the run
    run = db.session.scalar(select(ClassificationRun).where(ClassificationRun.run_on == run_on))
    repeated = run is not None
    if run is None:
        run = ClassificationRun(
            run_on=run_on, started_at=at, started_by=actor, counts={}, changes={}
        )
        db.session.add(run)
    run.off_cycle, run.reason = off_cycle, reason  # a repeated run keeps its latest reason
    db.session.flush()
    previous = db.session.execute(
        select(ClassificationRun.id, ClassificationRun.run_on)
        .where(ClassificationRun.run_on < run_on)
        .order_by(ClassificationRun.run_on.desc())
        .limit(1)
    ).first()
    report = RunReport(
        run_on,
        repeated,
        previous_run_on=previous.run_on if previous else None,
        off_cycle=off_cycle,
        reason=reason,
    )

    bounds = db.session.execute(select(func.min(Operator.id), func.max(Operator.id))).one()
    lo, hi = bounds if bounds[0] is not None else (1, 0)
    ranges = [
        (s, min(s + OPERATORS_PER_BATCH, hi + 1)) for s in range(lo, hi + 1, OPERATORS_PER_BATCH)
    ]
    previous_id = previous.id if previous else -1
    if db.session.get_bind().dialect.name == "postgresql":
        _run_postgresql(ranges, run.id, previous_id, run_on, report, progress, snapshot)
    else:
        _run_portable(ranges, run.id, previous_id, run_on, report, progress)

    run.counts = {k: report.counts.get(k, 0) for k in CLASSES}
    run.changes = dict(report.changes)
    run.finished_at = at
    record_event(
        at,
        actor,
        "classification.run",
        "classification_run",
        run_on.isoformat(),
        {
            "counts": run.counts,
            "repeated": repeated,
            "rewritten": report.rewritten,
            "off_cycle": off_cycle,
            "reason": reason,
        },
    )
    if measures:  # rules §10, in bulk and in this transaction
        from .measures import generate_measures

        generate_measures(run, repeated=repeated, rewritten=report.rewritten, at=at, actor=actor)
    db.session.flush()
    return report


def _tally(report: RunReport, chunk: Chunk) -> None:
    report.objects += chunk.objects
    report.counts.update(chunk.counts)
    report.changes.update(chunk.changes)
    report.rewritten += len(chunk.rewrites)


def _rewrite(run_id: int, rewrites: list[tuple]) -> None:
    """Results of a repeated run that differ from the stored ones (none when nothing changed)."""
    for oid, klass, score, locked_until, prior_klass in rewrites:
        db.session.execute(
            update(ClassificationResult)
            .where(ClassificationResult.run_id == run_id, ClassificationResult.object_id == oid)
            .values(klass=klass, score=score, locked_until=locked_until, previous_klass=prior_klass)
        )


def _run_portable(ranges, run_id, previous_id, run_on, report, progress) -> None:
    """SQLite (the demo, the tests): the same queries through SQLAlchemy, batched INSERTs."""
    conn = db.session.connection()
    cols = ("run_id", "object_id", "score", "klass", "locked_until", "previous_klass")
    params = {"previous": previous_id, "run": run_id, "on": run_on}
    r = ClassificationResult.__table__.c
    e = LedgerEntry.__table__.c
    objects_sql = text(OBJECTS_SQL.replace("%(", ":").replace(")s", "")).columns(
        column("id", Integer),
        column("operator_id", Integer),
        column("kind", String),
        column("prior_klass", String),
        column("prior_lock", r.locked_until.type),
        column("same_klass", String),
        column("same_score", r.score.type),
        column("same_lock", r.locked_until.type),
    )
    entries_sql = text(ENTRIES_SQL.replace("%(", ":").replace(")s", "")).columns(
        e.id,
        e.object_id,
        e.kind,
        e.points,
        e.effective_on,
        e.matter_ref,
        e.item,
        e.target_id,
        e.product_key,
    )
    for lo, hi in ranges:
        bind = {**params, "lo": lo, "hi": hi}
        with no_cycle_collector():
            objects = conn.execute(objects_sql, bind).all()
            chunk = classify_rows(
                objects, entries_by_object(conn.execute(entries_sql, bind)), run_on
            )
        if chunk.new_rows:
            conn.execute(
                insert(ClassificationResult),
                [dict(zip(cols, (run_id, *row), strict=True)) for row in chunk.new_rows],
            )
        _rewrite(run_id, chunk.rewrites)
        _tally(report, chunk)
        if progress:
            progress(chunk.objects)


def _run_postgresql(ranges, run_id, previous_id, run_on, report, progress, snapshot) -> None:
    """PostgreSQL: one worker process per core over its block of operators, reading the run's
    snapshot (`classification_parallel`), or every range in this process on its own
    connection; results written with COPY as they come."""
    raw = db.session.connection().connection.driver_connection
    rewrites: list[tuple] = []

    def take(chunk: Chunk, payload: bytes) -> None:
        if payload:
            with raw.cursor() as cur, cur.copy(COPY_SQL) as copy:
                copy.write(payload)
        rewrites.extend(chunk.rewrites)
        _tally(report, chunk)
        if progress:
            progress(chunk.objects)

    if snapshot is not None and ranges:
        lo, hi = ranges[0][0], ranges[-1][1] - 1
        run_blocks(lo, hi, OPERATORS_PER_BATCH, run_id, previous_id, run_on, snapshot, take)
    else:
        for bounds in ranges:
            take(*classify_range(raw, bounds, run_id, previous_id, run_on))
    _rewrite(run_id, rewrites)
