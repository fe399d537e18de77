"""Province-scale classification run on PostgreSQL.

    .venv/bin/python -m bench.classification [--operators N --products N --entries N]

Builds a fresh benchmark database (BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/credit_bench) in a child process, then, in this process,
times a full classification run (the classes alone: the measures by class that the same
transaction writes in production are timed by bench.measures) and reports its peak memory,
next to a plain SQL aggregate over the same entries (the floor: what the database alone needs
to sum them).
Targets (issue): run <= 60 s on 2 cores, peak memory <= 1.5 GiB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime

from sqlalchemy import text

from bench.common import BENCH_DB, fresh_database, migrated_app, peak_rss_mib

RUN_ON = date(2026, 7, 1)


def generate(args) -> None:
    from app.extensions import db
    from app.services.reference import init_reference_data, publish_demo_successor
    from bench.province import generate as generate_province

    app = fresh_database()
    with app.app_context():
        at = datetime.now(UTC)
        init_reference_data(actor="bench", at=at)
        publish_demo_successor(actor="bench", at=at)  # dates after 2026-06-04
        db.session.commit()
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


def _forget_runs() -> None:
    """Untimed: drop earlier benchmark runs so that each timed run is a first run."""
    from app.extensions import db

    db.session.execute(text("DELETE FROM classification_result"))
    db.session.execute(text("DELETE FROM classification_run"))
    db.session.commit()


def check_sample(n: int) -> int:
    """Identical results: for a sample of objects, the stored score and class against the
    score API's path (`score_of`: `score_object` for a product, the explained `score_family`
    for an operator) and `official_class`. Returns how many were checked; raises on a
    difference."""
    import random

    from app.extensions import db
    from app.queries.scores import score_of
    from app.scoring import official_class
    from models import ClassificationResult, ScoringObject

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
    checked = 0
    for obj in db.session.query(ScoringObject).filter(ScoringObject.id.in_(ids)):
        score = score_of(obj, RUN_ON)
        expected = official_class(score.points, RUN_ON, None)
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


def measure(rounds: int = 3, sample: int = 2000) -> None:
    import resource
    import statistics

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
        floors, runs = [], []
        report = None
        rss_before = peak_rss_mib()
        for i in range(rounds):  # floor and run side by side, so both see the same load
            _forget_runs()
            floors.append(_floor())
            start = time.perf_counter()
            report = run_classification(RUN_ON, actor="bench", at=datetime.now(UTC), measures=False)
            db.session.commit()
            runs.append(time.perf_counter() - start)
            print(
                f"  round {i + 1}: floor {floors[-1]:.2f} s, run {runs[-1]:.2f} s, "
                f"ratio {runs[-1] / floors[-1]:.1f}x (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        for line in report.lines():
            print("  " + line)
        ratios = [r / f for r, f in zip(runs, floors, strict=True)]
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"classification run: median {statistics.median(runs):.2f} s for "
            f"{report.objects:,} objects; plain SQL aggregate (floor) median "
            f"{statistics.median(floors):.2f} s; run / floor median "
            f"{statistics.median(ratios):.1f}x (target <= 3x)"
        )
        print(
            f"peak memory (RSS): this process {peak_rss_mib():.0f} MiB (before the runs "
            f"{rss_before:.0f} MiB), largest worker {children:.0f} MiB (target <= 1024 MiB)"
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
        # Generation runs in its own process so that its memory is not counted as the run's.
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
        measure(args.rounds, args.sample)


if __name__ == "__main__":
    main()
