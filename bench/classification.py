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


def measure() -> None:
    from app.extensions import db
    from app.services.classification import run_classification

    app = migrated_app()
    with app.app_context():
        objects = db.session.execute(text("SELECT count(*) FROM scoring_object")).scalar()
        entries = db.session.execute(text("SELECT count(*) FROM ledger_entry")).scalar()
        print(f"objects {objects:,}, ledger entries {entries:,}", flush=True)
        # The floor: one plain aggregate over the same in-window entries.
        start = time.perf_counter()
        db.session.execute(
            text(
                "SELECT object_id, sum(points) FROM ledger_entry "
                "WHERE effective_on <= :d AND effective_on > :d - interval '36 months' "
                "GROUP BY object_id"
            ),
            {"d": RUN_ON},
        ).all()
        floor = time.perf_counter() - start
        db.session.rollback()
        rss_before = peak_rss_mib()
        start = time.perf_counter()
        report = run_classification(RUN_ON, actor="bench", at=datetime.now(UTC), measures=False)
        db.session.commit()
        elapsed = time.perf_counter() - start
        for line in report.lines():
            print("  " + line)
        print(
            f"classification run: {elapsed:.1f} s for {report.objects:,} objects (target <= 60 s)"
        )
        print(
            f"peak memory (RSS): {peak_rss_mib():.0f} MiB (before the run {rss_before:.0f} MiB;"
            " target <= 1536 MiB)"
        )
        print(f"plain SQL aggregate (floor): {floor:.1f} s; run / floor = {elapsed / floor:.1f}x")
        start = time.perf_counter()
        again = run_classification(RUN_ON, actor="bench", at=datetime.now(UTC), measures=False)
        db.session.commit()
        print(
            f"repeated run (idempotent, {again.rewritten} rewritten): "
            f"{time.perf_counter() - start:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", nargs="?", choices=["all", "generate", "measure"], default="all")
    parser.add_argument("--operators", type=int, default=300_000)
    parser.add_argument("--products", type=int, default=700_000)
    parser.add_argument("--entries", type=int, default=2_000_000)
    args = parser.parse_args()
    if args.step == "generate":
        generate(args)
    elif args.step == "measure":
        measure()
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
        measure()


if __name__ == "__main__":
    main()
