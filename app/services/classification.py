"""Classification runs (R-HALFYEAR, R-DLOCK): every object's official class as of a date.

The province has about a million scoring objects, so a run walks operators in id ranges:
per range, one query for the objects (with their class from the previous run and from an
earlier run of the same date), one for the ledger entries, the pure engine in between, and
bulk writes. Memory stays flat whatever the size of the province.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.orm import aliased

from app.errors import Conflict, DomainError
from app.extensions import db
from app.scoring import CLASSES, Entry, OfficialClass, official_class, score_family
from app.scoring.classes import is_run_date, run_days
from app.scoring.ledger import KINDS
from models import (
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Matter,
    Operator,
    ScoringObject,
)

from .audit import record_event
from .bulk import copy_rows
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
    objects: list[tuple[int, str]], entries: dict[int, list[Entry]], run_on: date
) -> dict[int, Decimal | None]:
    """Scores of one operator's family, from the rule core's `score_family` (the same
    function the score API explains), so a run and the API cannot disagree."""
    operator_id = None
    products: dict[int, list[Entry]] = {}
    for oid, kind in objects:
        if kind == "operator":
            operator_id = oid
        else:
            products[oid] = entries.get(oid, [])
    family = score_family(entries.get(operator_id, []), products, run_on, explain=False)
    out: dict[int, Decimal | None] = {pid: s.points for pid, s in family.products.items()}
    if operator_id is not None:
        out[operator_id] = family.operator.points
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

    prev_r = aliased(ClassificationResult)
    same_r = aliased(ClassificationResult)
    bounds = db.session.execute(select(func.min(Operator.id), func.max(Operator.id))).one()
    lo, hi = bounds if bounds[0] is not None else (1, 0)
    start = lo
    while start <= hi:
        stop = start + OPERATORS_PER_BATCH
        conn = db.session.connection()
        objects = conn.execute(
            select(
                ScoringObject.id,
                ScoringObject.operator_id,
                ScoringObject.kind,
                prev_r.klass,
                prev_r.locked_until,
                same_r.klass,
                same_r.score,
                same_r.locked_until,
            )
            .outerjoin(
                prev_r,
                and_(
                    prev_r.object_id == ScoringObject.id,
                    prev_r.run_id == (previous.id if previous else -1),
                ),
            )
            .outerjoin(same_r, and_(same_r.object_id == ScoringObject.id, same_r.run_id == run.id))
            .where(ScoringObject.operator_id >= start, ScoringObject.operator_id < stop)
            .order_by(ScoringObject.operator_id, ScoringObject.id)
        ).all()
        entries: dict[int, list[Entry]] = {}
        # Matter refs, not ids: R-ORDER orders same-day entries by ref, in every output.
        for eid, oid, kind, points, eff, ref, item, target, pkey in conn.execute(
            select(
                LedgerEntry.id,
                LedgerEntry.object_id,
                LedgerEntry.kind,
                LedgerEntry.points,
                LedgerEntry.effective_on,
                Matter.ref,
                LedgerEntry.item,
                LedgerEntry.target_id,
                LedgerEntry.product_key,
            )
            .outerjoin(Matter, Matter.id == LedgerEntry.matter_id)
            .where(
                LedgerEntry.operator_id >= start,
                LedgerEntry.operator_id < stop,
                LedgerEntry.effective_on <= run_on,
            )
        ).all():
            entries.setdefault(oid, []).append(
                Entry(
                    eid,
                    oid,
                    KINDS[kind],
                    points,
                    eff,
                    ref,
                    item,
                    target,
                    pkey,
                )
            )
        _classify_batch(objects, entries, run, run_on, report)
        if progress:
            progress(len(objects))
        start = stop

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


def _classify_batch(objects, entries, run, run_on, report: RunReport) -> None:
    new_rows: list[tuple] = []
    counts: dict[str, int] = dict.fromkeys(CLASSES, 0)
    changes: dict[str, int] = {}
    rewritten = 0
    i = 0
    while i < len(objects):
        j = i
        operator_id = objects[i][1]
        while j < len(objects) and objects[j][1] == operator_id:
            j += 1
        family = objects[i:j]
        scores = _family_scores([(o[0], o[2]) for o in family], entries, run_on)
        for oid, _op, _kind, prior_klass, prior_lock, same_klass, same_score, same_lock in family:
            prior = OfficialClass(prior_klass, run_on, prior_lock) if prior_klass else None
            result = official_class(scores[oid], run_on, prior)
            klass = result.klass
            counts[klass] += 1
            if prior_klass != klass and (prior_klass is not None or klass != "O"):
                move = f"{prior_klass or 'new'}→{klass}"
                changes[move] = changes.get(move, 0) + 1
            score = scores[oid]
            if same_klass is None:
                new_rows.append((run.id, oid, score, klass, result.locked_until, prior_klass))
            elif (same_klass, same_score, same_lock) != (klass, score, result.locked_until):
                rewritten += 1
                db.session.execute(
                    update(ClassificationResult)
                    .where(
                        ClassificationResult.run_id == run.id, ClassificationResult.object_id == oid
                    )
                    .values(
                        klass=klass,
                        score=score,
                        locked_until=result.locked_until,
                        previous_klass=prior_klass,
                    )
                )
        i = j
    report.objects += len(objects)
    report.counts.update(counts)
    report.changes.update(changes)
    report.rewritten += rewritten
    if new_rows:
        copy_rows(
            ClassificationResult.__table__,
            ("run_id", "object_id", "score", "klass", "locked_until", "previous_klass"),
            new_rows,
            fallback=insert(ClassificationResult),
        )
