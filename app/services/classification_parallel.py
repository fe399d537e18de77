"""A classification run's worker processes on PostgreSQL: one per core, each over its own
block of operators, all reading the run's exported snapshot.

Each worker reads its whole block's objects, with their class in the previous run, in one
query streamed in operator order from a server-side cursor: the previous run's results are
then read once per worker, where a query per range of 5,000 operators read all of them again
for every range (the join found no narrower way in), so a province's run grew with its size
times its ranges. The ledger entries are still read per range, and each range's rows go to
the parent, which writes them with COPY inside the run's own transaction.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterator
from itertools import pairwise

from flask import current_app
from sqlalchemy import text

from app.extensions import db

from .classification_rows import OBJECTS_SQL, Chunk, score_range

# A run forks worker processes only when the province is large enough to repay their start.
PARALLEL_MIN_OPERATORS = 20_000
FETCH_ROWS = 20_000  # objects fetched from the block's cursor at a time
WAIT_SECONDS = 5  # how often the parent looks whether a silent worker is still alive


def parallel_snapshot() -> str | None:
    """On PostgreSQL, export the transaction's snapshot for worker processes when they pay
    and can see everything the run must: not when this transaction has written anything yet
    (a worker cannot see uncommitted rows), not for a small province, not with one core."""
    if workers() < 2 or db.session.get_bind().dialect.name != "postgresql":
        return None
    if db.session.new or db.session.dirty or db.session.deleted:
        return None
    row = db.session.execute(
        text("SELECT pg_current_xact_id_if_assigned() IS NULL, count(*) FROM operator")
    ).one()
    if not row[0] or row[1] < PARALLEL_MIN_OPERATORS:
        return None
    return db.session.execute(text("SELECT pg_export_snapshot()")).scalar()


def workers() -> int:
    return current_app.config.get("CLASSIFICATION_WORKERS") or os.cpu_count() or 1


def blocks(lo: int, hi: int, cuts: list[int]) -> list[tuple[int, int]]:
    """Operators lo..hi as [start, end) blocks split at `cuts` (operator ids, ascending; those
    outside the range or repeated are ignored)."""
    edges = [lo, *sorted({c for c in cuts if lo < c <= hi}), hi + 1]
    return list(pairwise(edges))


def balanced_cuts(count: int) -> list[int]:
    """Operator ids that cut the province's objects into `count` parts of about as many objects
    each (a producer has its products, a seller none), read from the objects' operator index."""
    total = db.session.execute(text("SELECT count(*) FROM scoring_object")).scalar() or 0
    cuts = []
    for i in range(1, count):
        cut = db.session.execute(
            text("SELECT operator_id FROM scoring_object ORDER BY operator_id OFFSET :k LIMIT 1"),
            {"k": total * i // count},
        ).scalar()
        if cut is not None:
            cuts.append(cut)
    return cuts


def families_by_range(rows: Iterator[tuple], start: int, end: int, step: int):
    """The block's objects (ordered by operator) cut into ranges of `step` operator ids."""
    pending = next(rows, None)
    for lo in range(start, end, step):
        hi = min(lo + step, end)
        batch = []
        while pending is not None and pending[1] < hi:
            batch.append(pending)
            pending = next(rows, None)
        yield lo, hi, batch


def _block(url: str, snapshot: str, bounds, step: int, run_id, previous_id, run_on, out) -> None:
    """A worker process: every range of its block, each put on `out`; then None."""
    import psycopg

    try:
        # The block's objects are sorted by the server, in memory; and its cursor is read to
        # the end, so the planner must not pick a plan that is only quick to start (nested
        # loops over the previous run's results).
        options = "-c work_mem=64MB -c cursor_tuple_fraction=1"
        with psycopg.connect(url, options=options) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            start, end = bounds
            params = {"previous": previous_id, "run": run_id, "lo": start, "hi": end}
            with conn.cursor(name="block_objects") as objects, conn.cursor() as cur:
                objects.itersize = FETCH_ROWS
                objects.execute(OBJECTS_SQL, params)
                for lo, hi, batch in families_by_range(iter(objects), start, end, step):
                    out.put(score_range(cur, batch, (lo, hi), run_id, run_on))
        out.put(None)
    except BaseException as exc:  # the parent raises it; a worker must never hang the run
        out.put(RuntimeError(f"classification worker for operators {bounds}: {exc!r}"))


def run_blocks(
    lo: int,
    hi: int,
    step: int,
    run_id: int,
    previous_id: int,
    run_on,
    snapshot: str,
    take: Callable[[Chunk, bytes], None],
) -> None:
    """Operators lo..hi over one worker process per core; each range's chunk and COPY rows
    handed to `take` (in this process, inside the run's transaction) as they arrive."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue(maxsize=4 * workers())  # bounded: memory stays flat whatever the province
    procs = [
        ctx.Process(
            target=_block,
            args=(url, snapshot, bounds, step, run_id, previous_id, run_on, out),
            daemon=True,
        )
        for bounds in blocks(lo, hi, balanced_cuts(workers()))
    ]
    for p in procs:
        p.start()
    try:
        running = len(procs)
        while running:
            try:
                item = out.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise RuntimeError("a classification worker stopped without a word") from None
                continue
            if item is None:
                running -= 1
                continue
            if isinstance(item, BaseException):
                raise item
            take(*item)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
            p.join()
