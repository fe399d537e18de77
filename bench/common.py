"""Shared set-up for benchmarks: a dedicated PostgreSQL database built by the migrations."""

from __future__ import annotations

import os
import resource

import psycopg

BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/credit_bench")


def admin_url(url: str) -> tuple[str, str]:
    base, _, name = url.rpartition("/")
    return f"{base}/postgres", name


def fresh_database(url: str = BENCH_DB):
    """Drop and recreate the benchmark database, then build the schema with the migrations.
    Returns an app bound to it."""
    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return migrated_app(url)


def reference_database(url: str = BENCH_DB):
    """`fresh_database` with what every benchmark starts from, committed: the bureau tree and
    the scoring tables, the demo's successor table included (for dates after 2026-06-04)."""
    from datetime import UTC, datetime

    from app.extensions import db
    from app.services.reference import init_reference_data, publish_demo_successor

    app = fresh_database(url)
    with app.app_context():
        at = datetime.now(UTC)
        init_reference_data(actor="bench", at=at)
        publish_demo_successor(actor="bench", at=at)
        db.session.commit()
    return app


def migrated_app(url: str = BENCH_DB, **config):
    from flask_migrate import upgrade

    from app.factory import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ENVIRONMENT": "testing", **config})
    with app.app_context():
        upgrade()
    return app


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]
