"""Classification runs (R-HALFYEAR, R-DLOCK): every object's official class as of a date.

The province has about a million scoring objects, so a run walks operators in id ranges:
per range, one query for the objects (with their class from the previous run and from an
earlier run of the same date), one for the ledger entries, the pure engine in between, and
bulk writes. Memory stays flat whatever the size of the province. On PostgreSQL the ranges
are computed by one worker process per core (CLASSIFICATION_WORKERS), each reading the run's
exported snapshot, and the parent writes their rows with COPY inside the run's transaction.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import Integer, String, column, func, insert, select, text, update

from app.errors import Conflict, DomainError
from app.extensions import db
from app.scoring import CLASSES, Entry, OfficialClass, official_class, score_family
from app.scoring.classes import is_run_date, run_days
from app.scoring.ledger import KINDS
from models import (
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Operator,
)

from .audit import record_event
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


def _family_scores(
    family: list[tuple], entries: dict[int, list[Entry]], run_on: date
) -> dict[int, Decimal | None]:
    """Scores of one operator's family (rows of id, operator id, kind, …), from the rule
    core's `score_family` (the same function the score API explains), so a run and the API
    cannot disagree."""
    operator_id = None
    products: dict[int, list[Entry]] = {}
    get = entries.get
    for row in family:
        if row[2] == "operator":
            operator_id = row[0]
        else:
            products[row[0]] = get(row[0], _NONE)
    scores = score_family(get(operator_id, _NONE), products, run_on, explain=False)
    out: dict[int, Decimal | None] = {pid: s.points for pid, s in scores.products.items()}
    if operator_id is not None:
        out[operator_id] = scores.operator.points
    return out


_NONE: list[Entry] = []  # the entries of an object that has none (never appended to)


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
    snapshot = _parallel_snapshot()  # before this transaction writes the run
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


# Rows as the run reads them. Entries come in the field order of `Entry`; matter refs, not
# ids: R-ORDER orders same-day entries by ref, in every output. The ref is the copy kept on
# the entry: joining the matter table cost a scan of every matter per range.
_OBJECTS_SQL = (
    "SELECT o.id, o.operator_id, o.kind, p.klass AS prior_klass, p.locked_until AS prior_lock,"
    " s.klass AS same_klass, s.score AS same_score, s.locked_until AS same_lock"
    " FROM scoring_object o"
    " LEFT JOIN classification_result p ON p.object_id = o.id AND p.run_id = %(previous)s"
    " LEFT JOIN classification_result s ON s.object_id = o.id AND s.run_id = %(run)s"
    " WHERE o.operator_id >= %(lo)s AND o.operator_id < %(hi)s ORDER BY o.operator_id, o.id"
)
_ENTRIES_SQL = (
    "SELECT e.id, e.object_id, e.kind, e.points, e.effective_on, e.matter_ref, e.item,"
    " e.target_id, e.product_key FROM ledger_entry e"
    " WHERE e.operator_id >= %(lo)s AND e.operator_id < %(hi)s AND e.effective_on <= %(on)s"
)
_COPY_SQL = (
    "COPY classification_result (run_id, object_id, score, klass, locked_until, previous_klass)"
    " FROM STDIN"
)
# A run forks worker processes only when the province is large enough to repay their start.
PARALLEL_MIN_OPERATORS = 20_000


@dataclass
class _Chunk:
    """What one range of operators gives: new result rows, rewrites, and its tallies."""

    objects: int = 0
    new_rows: list[tuple] = field(default_factory=list)
    rewrites: list[tuple] = field(default_factory=list)  # (oid, klass, score, lock, previous)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    changes: dict[str, int] = field(default_factory=dict)


def _entries_by_object(rows) -> dict[int, list[Entry]]:
    entries: dict[int, list[Entry]] = {}
    new, kinds, get = tuple.__new__, KINDS, entries.get
    for eid, oid, kind, points, eff, ref, item, target, pkey in rows:
        e = new(Entry, (eid, oid, kinds[kind], points, eff, ref, item, target, pkey, None))
        bucket = get(oid)
        if bucket is None:
            entries[oid] = [e]
        else:
            bucket.append(e)
    return entries


def _classify_rows(objects, entries: dict[int, list[Entry]], run_on: date) -> _Chunk:
    """The pure part of a run over one range: objects ordered by operator, their entries."""
    out = _Chunk(objects=len(objects))
    counts, changes = out.counts, out.changes
    new_rows, rewrites = out.new_rows, out.rewrites
    decided: dict[tuple, OfficialClass] = {}
    i = 0
    n = len(objects)
    while i < n:
        j = i
        operator_id = objects[i][1]
        while j < n and objects[j][1] == operator_id:
            j += 1
        family = objects[i:j]
        scores = _family_scores(family, entries, run_on)
        for oid, _op, _kind, prior_klass, prior_lock, same_klass, same_score, same_lock in family:
            score = scores[oid]
            key = (score, prior_klass, prior_lock)
            result = decided.get(key)
            if result is None:  # a pure function of few distinct arguments
                prior = OfficialClass(prior_klass, run_on, prior_lock) if prior_klass else None
                result = decided[key] = official_class(score, run_on, prior)
            klass = result.klass
            counts[klass] += 1
            if prior_klass != klass and (prior_klass is not None or klass != "O"):
                move = f"{prior_klass or 'new'}→{klass}"
                changes[move] = changes.get(move, 0) + 1
            if same_klass is None:
                new_rows.append((oid, score, klass, result.locked_until, prior_klass))
            elif (same_klass, same_score, same_lock) != (klass, score, result.locked_until):
                rewrites.append((oid, klass, score, result.locked_until, prior_klass))
        i = j
    return out


def _tally(report: RunReport, chunk: _Chunk) -> None:
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
    objects_sql = text(_OBJECTS_SQL.replace("%(", ":").replace(")s", "")).columns(
        column("id", Integer),
        column("operator_id", Integer),
        column("kind", String),
        column("prior_klass", String),
        column("prior_lock", r.locked_until.type),
        column("same_klass", String),
        column("same_score", r.score.type),
        column("same_lock", r.locked_until.type),
    )
    entries_sql = text(_ENTRIES_SQL.replace("%(", ":").replace(")s", "")).columns(
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
        with _no_cycle_collector():
            objects = conn.execute(objects_sql, bind).all()
            chunk = _classify_rows(
                objects, _entries_by_object(conn.execute(entries_sql, bind)), run_on
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


def _copy_text(run_id: int, rows: list[tuple]) -> bytes:
    """Result rows in COPY's text format (no value here needs escaping; \\N is NULL)."""
    null = "\\N"
    head = f"{run_id}\t"
    return "".join(
        f"{head}{oid}\t{null if score is None else score}\t{klass}\t"
        f"{null if lock is None else lock.isoformat()}\t{prior or null}\n"
        for oid, score, klass, lock, prior in rows
    ).encode()


@contextmanager
def _no_cycle_collector():
    """A range reads and builds hundreds of thousands of small acyclic objects (result rows,
    entries), freed by reference counting; the cyclic collector's passes over them, fetching
    included, cost about a quarter of the run's CPU."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _classify_range(conn, bounds, run_id, previous_id, run_on) -> tuple[_Chunk, bytes]:
    lo, hi = bounds
    params = {"previous": previous_id, "run": run_id, "lo": lo, "hi": hi, "on": run_on}
    with _no_cycle_collector(), conn.cursor() as cur:
        objects = cur.execute(_OBJECTS_SQL, params).fetchall()
        rows = cur.execute(_ENTRIES_SQL, params).fetchall()
        chunk = _classify_rows(objects, _entries_by_object(rows), run_on)
        payload = _copy_text(run_id, chunk.new_rows)
    chunk.new_rows = []
    return chunk, payload


_worker_conn = None


def _worker_start(url: str, snapshot: str) -> None:
    """A worker reads in the run's own snapshot, so every range sees the same ledger."""
    import psycopg

    global _worker_conn
    _worker_conn = psycopg.connect(url)
    _worker_conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    _worker_conn.read_only = True
    _worker_conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")


def _worker_range(task):
    return _classify_range(_worker_conn, *task)


def _parallel_snapshot() -> str | None:
    """On PostgreSQL, export the transaction's snapshot for worker processes when they pay
    and can see everything the run must: not when this transaction has written anything yet
    (a worker cannot see uncommitted rows), not for a small province, not with one core."""
    workers = current_app.config.get("CLASSIFICATION_WORKERS") or os.cpu_count() or 1
    if workers < 2 or db.session.get_bind().dialect.name != "postgresql":
        return None
    if db.session.new or db.session.dirty or db.session.deleted:
        return None
    row = db.session.execute(
        text("SELECT pg_current_xact_id_if_assigned() IS NULL, count(*) FROM operator")
    ).one()
    if not row[0] or row[1] < PARALLEL_MIN_OPERATORS:
        return None
    return db.session.execute(text("SELECT pg_export_snapshot()")).scalar()


def _run_postgresql(ranges, run_id, previous_id, run_on, report, progress, snapshot) -> None:
    """PostgreSQL: ranges computed in worker processes (one per core) reading the run's
    snapshot, or in this process on its own connection; results written with COPY as they come."""
    raw = db.session.connection().connection.driver_connection
    tasks = [(bounds, run_id, previous_id, run_on) for bounds in ranges]
    rewrites: list[tuple] = []
    if snapshot is None:
        results = (_classify_range(raw, *t) for t in tasks)
        pool = None
    else:
        workers = current_app.config.get("CLASSIFICATION_WORKERS") or os.cpu_count()
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool = multiprocessing.get_context("fork").Pool(
            workers, initializer=_worker_start, initargs=(url, snapshot)
        )
        results = pool.imap(_worker_range, tasks)
    try:
        for chunk, payload in results:
            if payload:
                with raw.cursor() as cur, cur.copy(_COPY_SQL) as copy:
                    copy.write(payload)
            rewrites.extend(chunk.rewrites)
            _tally(report, chunk)
            if progress:
                progress(chunk.objects)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    _rewrite(run_id, rewrites)
