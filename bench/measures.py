"""Measures by class for a province-scale classification run, on PostgreSQL.

    .venv/bin/python -m bench.measures [--objects 1000000] [--cases 300]

Builds a dedicated database (BENCH_MEASURES_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/bench_measures; never the test database) with the
migrations, the bureau tree, 1,000,000 scoring objects (2.5 per operator, as the demo has) and
a classification run whose classes follow the demo generator's mix, written with COPY. Then it
times `generate_measures` for that run (what `run_classification` adds at its end), the same
call repeated (idempotent: nothing new), and the scheduler starting a batch of rectification
cases (the rate at which the worker turns orders into cases).
Target (issue): measures for the run <= 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, date, datetime

import psycopg

from bench.common import admin_url, migrated_app, reference_database

BENCH_DB = os.environ.get(
    "BENCH_MEASURES_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_measures"
)
RUN_ON = date(2026, 7, 1)
# The class mix of `flask credit demo --operators 3000` (app/demo.py, seed 7), run of
# 2026-07-01: A 3992, B 1649, C 679, D 66, O 1157 of 7543 objects.
DEMO_MIX = {"A": 3992, "B": 1649, "C": 679, "D": 66, "O": 1157}
OBJECTS_PER_OPERATOR = 7543 / 3000


def _guard(url: str) -> None:
    _admin, name = admin_url(url)
    if name in ("test", "postgres", "credit"):
        raise SystemExit(f"refusing to use database {name!r} for a benchmark")


def build_province(url: str, *, objects: int, seed: int = 7) -> dict:
    """Operators, scoring objects and one classification run with the demo's class mix."""
    from app.demo import make_uscc

    _guard(url)
    app = reference_database(url)
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    operators = round(objects / OBJECTS_PER_OPERATOR)
    products = objects - operators
    producers = int(operators * 0.7)
    classes = list(DEMO_MIX)
    weights = list(DEMO_MIX.values())
    counts = dict.fromkeys(classes, 0)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        bureaus = [
            code
            for (code,) in cur.execute(
                "SELECT code FROM bureau WHERE level IN ('city', 'county') ORDER BY code"
            )
        ]
        with cur.copy(
            "COPY operator (id, uscc, name, bureau_code, filing_complete, created_at) FROM STDIN"
        ) as cp:
            for i in range(1, operators + 1):
                b = bureaus[i % len(bureaus)]
                cp.write_row((i, make_uscc(b, i), f"基准企业{i}有限公司", b, i % 5 != 0, now))
        with cur.copy(
            "COPY scoring_object (id, kind, operator_id, brand, nice_class, category) FROM STDIN"
        ) as cp:
            for i in range(1, operators + 1):
                cp.write_row((i, "operator", i, None, None, None))
            for n in range(products):
                owner = 1 + (n * 7919) % producers
                cp.write_row(
                    (operators + 1 + n, "product", owner, f"牌{n}", 1 + n % 34, "电子电器")
                )
        cur.execute(
            "INSERT INTO classification_run (id, run_on, started_at, finished_at, started_by, "
            "counts, changes) VALUES (1, %s, %s, %s, 'bench', '{}', '{}')",
            (RUN_ON, now, now),
        )
        with cur.copy(
            "COPY classification_result (run_id, object_id, score, klass, locked_until, "
            "previous_klass) FROM STDIN"
        ) as cp:
            for oid in range(1, objects + 1):
                klass = rng.choices(classes, weights)[0]
                counts[klass] += 1
                score = {"A": "12.00", "B": "9.00", "C": "4.00", "D": "-2.00", "O": None}[klass]
                locked = date(2029, 7, 1) if klass == "D" else None
                cp.write_row((1, oid, score, klass, locked, None))
        cur.execute("SELECT setval(pg_get_serial_sequence('operator', 'id'), %s)", (operators,))
        cur.execute("SELECT setval(pg_get_serial_sequence('scoring_object', 'id'), %s)", (objects,))
        cur.execute("SELECT setval(pg_get_serial_sequence('classification_run', 'id'), 1)")
        conn.commit()
        cur.execute("ANALYZE")
    return {"operators": operators, "objects": objects, "classes": counts}


def measure(url: str, cases: int) -> None:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.measures import generate_measures, start_rectifications
    from models import ClassificationRun, Measure, Notification

    app = migrated_app(url)
    with app.app_context():
        run = db.session.get(ClassificationRun, 1)
        start = time.perf_counter()
        report = generate_measures(
            run, repeated=False, rewritten=0, at=datetime.now(UTC), actor="b"
        )
        db.session.commit()
        elapsed = time.perf_counter() - start
        total = sum(report.created.values())
        print(
            f"measures: {total:,} rows ({dict(report.created)}), {report.notified:,} class "
            f"notices to operators"
        )
        print(f"generate_measures for the run: {elapsed:.1f} s (target <= 60 s)")
        start = time.perf_counter()
        again = generate_measures(run, repeated=True, rewritten=0, at=datetime.now(UTC), actor="b")
        db.session.commit()
        print(
            f"repeated for the same run (idempotent, {sum(again.created.values())} new): "
            f"{time.perf_counter() - start:.1f} s"
        )
        assert db.session.scalar(select(func.count()).select_from(Measure)) == total
        assert db.session.scalar(select(func.count()).select_from(Notification)) == report.notified
        if cases:
            today = datetime.now(UTC).date()
            ctx = Ctx("bench", today, datetime.now(UTC))
            start_rectifications(ctx=ctx, limit=20)  # warm the engine and the spec row
            db.session.commit()
            start = time.perf_counter()
            started = start_rectifications(ctx=ctx, limit=cases)
            db.session.commit()
            per = (time.perf_counter() - start) / max(started, 1)
            pending = report.created.get("rectification", 0)
            print(
                f"scheduler: {started} rectification cases in {per * started:.1f} s "
                f"({per * 1000:.1f} ms each); the run's {pending:,} orders take one worker "
                f"about {per * pending / 60:.0f} min, in batches"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the database already built")
    args = parser.parse_args()
    _guard(BENCH_DB)
    if not args.reuse:
        start = time.perf_counter()
        built = build_province(BENCH_DB, objects=args.objects)
        print(f"built {built} in {time.perf_counter() - start:.1f} s", flush=True)
    measure(BENCH_DB, args.cases)


if __name__ == "__main__":
    main()
