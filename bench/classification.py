"""Province-scale classification run on PostgreSQL.

    .venv/bin/python -m bench.classification [--operators N --products N --entries N]

Builds a fresh benchmark database (BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/credit_bench) in a child process, then, in this process,
times full classification runs (the classes alone: the measures by class that the same
transaction writes in production are timed by bench.measures) next to a plain SQL aggregate
over the same entries (the floor: what the database alone needs to sum them), in rounds:
first the province's first run (no earlier run), then the run as it happens every half year
(the run of the half year before exists, and each class is decided from it). Reports peak
memory, checks a sample of objects against the rule core, and times a repeated run.
Targets (issue 16): run <= 3x the floor, peak memory <= 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime

from sqlalchemy import text

from bench.common import BENCH_DB, migrated_app, peak_rss_mib, reference_database

RUN_ON = date(2026, 7, 1)
PREVIOUS_ON = date(2026, 1, 1)  # the half-yearly run before RUN_ON (R-HALFYEAR)


def generate(args) -> None:
    from app.extensions import db
    from bench.province import generate as generate_province

    app = reference_database()
    with app.app_context():
        db.engine.dispose()
    start = time.perf_counter()
    counts = generate_province(
        BENCH_DB, operators=args.operators, products=args.products, entries_target=args.entries
    )
    print(f"generated {counts} in {time.perf_counter() - start:.1f} s", flush=True)


FLOOR_SQL = (
    "SELECT object_id, sum(points) FROM ledger_entry "
    "WHERE effective_on <= :d AND effective_on > :d - interval '36 months' "
    "GROUP BY object_id"
)


def _floor() -> float:
    """The floor: one plain aggregate over the same in-window entries."""
    from app.extensions import db

    start = time.perf_counter()
    db.session.execute(text(FLOOR_SQL), {"d": RUN_ON}).all()
    elapsed = time.perf_counter() - start
    db.session.rollback()
    return elapsed


def _forget_runs(since: date | None = None) -> None:
    """Untimed: drop earlier benchmark runs (those on or after `since`), so that each timed run
    is a first run (or the first run after the one kept)."""
    from app.extensions import db

    cond = "" if since is None else " WHERE run_on >= :since"
    ids = f"SELECT id FROM classification_run{cond}"
    db.session.execute(
        text(f"DELETE FROM classification_result WHERE run_id IN ({ids})"), {"since": since}
    )
    db.session.execute(text(f"DELETE FROM classification_run{cond}"), {"since": since})
    db.session.commit()
    # A province never deletes its results: vacuum them away, or every later round would read
    # the dead rows of the earlier ones.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE classification_result"))


def check_sample(n: int) -> int:
    """Identical results: for a sample of objects, the stored score and class against the
    score API's path (`score_of`: `score_object` for a product, the explained `score_family`
    for an operator) and `official_class` from the class of the earlier run, if any. Returns
    how many were checked; raises on a difference."""
    import random

    from sqlalchemy import select

    from app.extensions import db
    from app.queries.scores import score_of
    from app.scoring import OfficialClass, official_class
    from models import ClassificationResult, ClassificationRun, ScoringObject

    run_id = db.session.scalar(
        text("SELECT id FROM classification_run WHERE run_on = :d"), {"d": RUN_ON}
    )
    hi = db.session.scalar(text("SELECT max(id) FROM scoring_object"))
    rng = random.Random(16)
    ids = sorted(rng.sample(range(1, hi + 1), min(n, hi)))
    stored = {
        r.object_id: r
        for r in db.session.query(ClassificationResult).filter(
            ClassificationResult.run_id == run_id, ClassificationResult.object_id.in_(ids)
        )
    }
    prior = {
        r.object_id: OfficialClass(r.klass, RUN_ON, r.locked_until)
        for r in db.session.query(ClassificationResult).filter(
            ClassificationResult.run_id.in_(
                select(ClassificationRun.id).where(ClassificationRun.run_on < RUN_ON)
            ),
            ClassificationResult.object_id.in_(ids),
        )
    }
    checked = 0
    for obj in db.session.query(ScoringObject).filter(ScoringObject.id.in_(ids)):
        score = score_of(obj, RUN_ON)
        expected = official_class(score.points, RUN_ON, prior.get(obj.id))
        got = stored[obj.id]
        if (got.score, got.klass, got.locked_until) != (
            score.points,
            expected.klass,
            expected.locked_until,
        ):
            raise SystemExit(
                f"object {obj.id}: run stored {got.score} {got.klass} {got.locked_until}, "
                f"the rule core gives {score.points} {expected.klass} {expected.locked_until}"
            )
        checked += 1
    db.session.rollback()
    return checked


def _rounds(rounds: int, label: str, before=None) -> tuple[list, list, object]:
    """Floor and run side by side, `rounds` times, so that both see the same load."""
    from app.extensions import db
    from app.services.classification import run_classification

    floors, runs = [], []
    report = None
    for i in range(rounds):
        _forget_runs(RUN_ON)
        if before:
            before()
        floors.append(_floor())
        start = time.perf_counter()
        report = run_classification(RUN_ON, actor="bench", at=datetime.now(UTC), measures=False)
        db.session.commit()
        runs.append(time.perf_counter() - start)
        print(
            f"  {label} round {i + 1}: floor {floors[-1]:.2f} s, run {runs[-1]:.2f} s, "
            f"ratio {runs[-1] / floors[-1]:.1f}x (load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    return floors, runs, report


def _summary(label: str, floors: list, runs: list, report) -> None:
    import statistics

    ratios = [r / f for r, f in zip(runs, floors, strict=True)]
    print(
        f"{label}: median {statistics.median(runs):.2f} s for {report.objects:,} objects; "
        f"plain SQL aggregate (floor) median "
        f"{statistics.median(floors):.2f} s; run / floor median "
        f"{statistics.median(ratios):.1f}x (target <= 3x)",
        flush=True,
    )


def measure(rounds: int = 3, sample: int = 2000) -> None:
    import resource

    from app.extensions import db
    from app.services.classification import run_classification

    app = migrated_app()
    with app.app_context():
        objects = db.session.execute(text("SELECT count(*) FROM scoring_object")).scalar()
        entries = db.session.execute(text("SELECT count(*) FROM ledger_entry")).scalar()
        workers = app.config.get("CLASSIFICATION_WORKERS") or os.cpu_count()
        print(
            f"objects {objects:,}, ledger entries {entries:,}; nproc {os.cpu_count()}, "
            f"load {os.getloadavg()[0]:.1f}; workers {workers}",
            flush=True,
        )
        rss_before = peak_rss_mib()
        # 1. The province's first run: no earlier run.
        _forget_runs()
        floors, runs, report = _rounds(rounds, "first run")
        for line in report.lines():
            print("  " + line)
        _summary("first run (no earlier run)", floors, runs, report)
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"peak memory (RSS): this process {peak_rss_mib():.0f} MiB (before the runs "
            f"{rss_before:.0f} MiB), largest worker {children:.0f} MiB (target <= 1024 MiB)"
        )
        print(f"identical to the rule core on a sample: {check_sample(sample)} objects checked")
        # 2. The run as it happens every half year: the run of PREVIOUS_ON exists (untimed), and
        # every object's class is decided from its class there (R-DLOCK).
        _forget_runs()
        run_classification(PREVIOUS_ON, actor="bench", at=datetime.now(UTC), measures=False)
        db.session.commit()
        floors, runs, report = _rounds(rounds, "half-yearly run")
        for line in report.lines():
            print("  " + line)
        _summary(
            f"half-yearly run (after the run of {PREVIOUS_ON.isoformat()})", floors, runs, report
        )
        print(f"identical to the rule core on a sample: {check_sample(sample)} objects checked")
        floor = _floor()
        start = time.perf_counter()
        again = run_classification(RUN_ON, actor="bench", at=datetime.now(UTC), measures=False)
        db.session.commit()
        elapsed = time.perf_counter() - start
        print(
            f"repeated run (idempotent, {again.rewritten} rewritten): {elapsed:.2f} s; "
            f"floor {floor:.2f} s, ratio {elapsed / floor:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", nargs="?", choices=["all", "generate", "measure"], default="all")
    parser.add_argument("--operators", type=int, default=300_000)
    parser.add_argument("--products", type=int, default=700_000)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=2000, help="objects checked")
    args = parser.parse_args()
    if args.step == "generate":
        generate(args)
    elif args.step == "measure":
        measure(args.rounds, args.sample)
    else:
        # Generation and measurement each run in a process of their own: the peak memory of
        # the run's workers is read from the measuring process's children, which must not
        # include the generator.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.classification",
                "generate",
                "--operators",
                str(args.operators),
                "--products",
                str(args.products),
                "--entries",
                str(args.entries),
            ],
            check=True,
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.classification",
                "measure",
                "--rounds",
                str(args.rounds),
                "--sample",
                str(args.sample),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
