"""One range of operators in a classification run (R-HALFYEAR, R-DLOCK): the rows it reads,
the rule core over them, the rows it writes. Shared by the run in this process and by its
worker processes (`classification_parallel`)."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.scoring import CLASSES, Entry, OfficialClass, official_class, score_family
from app.scoring.ledger import KINDS


def family_scores(
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


# Rows as the run reads them. Entries come in the field order of `Entry`; matter refs, not
# ids: R-ORDER orders same-day entries by ref, in every output. The ref is the copy kept on
# the entry: joining the matter table cost a scan of every matter per range.
OBJECTS_SQL = (
    "SELECT o.id, o.operator_id, o.kind, p.klass AS prior_klass, p.locked_until AS prior_lock,"
    " s.klass AS same_klass, s.score AS same_score, s.locked_until AS same_lock"
    " FROM scoring_object o"
    " LEFT JOIN classification_result p ON p.object_id = o.id AND p.run_id = %(previous)s"
    " LEFT JOIN classification_result s ON s.object_id = o.id AND s.run_id = %(run)s"
    " WHERE o.operator_id >= %(lo)s AND o.operator_id < %(hi)s ORDER BY o.operator_id, o.id"
)
ENTRIES_SQL = (
    "SELECT e.id, e.object_id, e.kind, e.points, e.effective_on, e.matter_ref, e.item,"
    " e.target_id, e.product_key FROM ledger_entry e"
    " WHERE e.operator_id >= %(lo)s AND e.operator_id < %(hi)s AND e.effective_on <= %(on)s"
)
COPY_SQL = (
    "COPY classification_result (run_id, object_id, score, klass, locked_until, previous_klass)"
    " FROM STDIN"
)


@dataclass
class Chunk:
    """What one range of operators gives: new result rows, rewrites, and its tallies."""

    objects: int = 0
    new_rows: list[tuple] = field(default_factory=list)
    rewrites: list[tuple] = field(default_factory=list)  # (oid, klass, score, lock, previous)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    changes: dict[str, int] = field(default_factory=dict)


def entries_by_object(rows) -> dict[int, list[Entry]]:
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


def classify_rows(objects, entries: dict[int, list[Entry]], run_on: date) -> Chunk:
    """The pure part of a run over one range: objects ordered by operator, their entries."""
    out = Chunk(objects=len(objects))
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
        scores = family_scores(family, entries, run_on)
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


def copy_text(run_id: int, rows: list[tuple]) -> bytes:
    """Result rows in COPY's text format (no value here needs escaping; \\N is NULL)."""
    null = "\\N"
    head = f"{run_id}\t"
    return "".join(
        f"{head}{oid}\t{null if score is None else score}\t{klass}\t"
        f"{null if lock is None else lock.isoformat()}\t{prior or null}\n"
        for oid, score, klass, lock, prior in rows
    ).encode()


@contextmanager
def no_cycle_collector():
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


def score_range(cur, objects, bounds, run_id: int, run_on: date) -> tuple[Chunk, bytes]:
    """A range's objects (as the caller read them) scored from the range's entries: its
    chunk, and its new result rows in COPY's format."""
    lo, hi = bounds
    with no_cycle_collector():
        rows = cur.execute(ENTRIES_SQL, {"lo": lo, "hi": hi, "on": run_on}).fetchall()
        chunk = classify_rows(objects, entries_by_object(rows), run_on)
        payload = copy_text(run_id, chunk.new_rows)
    chunk.new_rows = []
    return chunk, payload


def classify_range(conn, bounds, run_id, previous_id, run_on) -> tuple[Chunk, bytes]:
    """One range read and scored in this process (psycopg, no workers)."""
    lo, hi = bounds
    params = {"previous": previous_id, "run": run_id, "lo": lo, "hi": hi}
    with no_cycle_collector(), conn.cursor() as cur:
        objects = cur.execute(OBJECTS_SQL, params).fetchall()
        return score_range(cur, objects, bounds, run_id, run_on)
