"""The matter's ref kept on each ledger entry (migration 0014): what a classification run and
the score API read instead of joining the matter table, so it must always be the matter's."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from tests.functional.pages import build_demo

AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def test_every_entry_of_a_matter_carries_its_ref_whoever_wrote_it(
    database_template, tmp_path_factory
):
    """The demo writes entries by import and by objection outcomes (VOIDs): each carries its
    matter's ref. (Repairs, amended deductions and kept repairs show theirs in the explained
    score, which reads the kept ref: tests/integration/test_rule_fidelity.py, R-REPAIR-KEEP.)"""
    from app.extensions import db
    from models import LedgerEntry, Matter

    app, _city = build_demo(database_template, tmp_path_factory)
    with app.app_context():
        rows = db.session.execute(
            select(LedgerEntry.kind, LedgerEntry.matter_ref, Matter.ref).outerjoin(
                Matter, Matter.id == LedgerEntry.matter_id
            )
        ).all()
        db.engine.dispose()
    kinds_with_matter = {kind for kind, _kept, ref in rows if ref is not None}
    assert {"DEDUCTION", "VOID"} <= kinds_with_matter
    wrong = [(kind, kept, ref) for kind, kept, ref in rows if kept != ref]
    assert wrong == []


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of the suite's kind: a SQLite file, or a PostgreSQL database created
    beside TEST_DATABASE_URL's (and dropped afterwards)."""
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        yield f"sqlite:///{tmp_path / 'm.sqlite3'}"
        return
    from app.config import normalise_database_url

    pg = normalise_database_url(pg)
    name = f"{make_url(pg).database}_mref_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migration_0014_fills_the_ref_of_entries_written_before_it(scratch_url):
    """Entries appended before the column existed get their matter's ref; the ledger stays
    append-only afterwards (rules §2)."""
    from flask_migrate import upgrade

    from app.extensions import db
    from app.factory import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "TESTING": True})
    with app.app_context():
        upgrade(revision="0013")
        conn = db.session.connection()
        conn.execute(
            text("INSERT INTO bureau (code, name, level) VALUES ('440100', '广州市', 'city')")
        )
        conn.execute(
            text(
                "INSERT INTO operator (id, uscc, name, bureau_code, filing_complete, created_at)"
                " VALUES (1, '91440101MA59XXXX0X', '甲公司', '440100', true, :at)"
            ),
            {"at": AT},
        )
        conn.execute(
            text("INSERT INTO scoring_object (id, kind, operator_id) VALUES (1, 'operator', 1)")
        )
        conn.execute(
            text(
                "INSERT INTO matter (id, ref, source, items, intentional, major_impact,"
                " effective_on, bureau_code, table_version, content_hash, recorded_by,"
                " recorded_at) VALUES (7, '粤市监罚〔2026〕7号', 'matter', '[\"A12.3\"]', false,"
                " false, :on, '440100', 'GD-2021-default', :hash, 'test', :at)"
            ),
            {"on": date(2026, 3, 2), "hash": "0" * 64, "at": AT},
        )
        for eid, matter, kind, points in ((1, None, "START", 12), (2, 7, "DEDUCTION", -4)):
            conn.execute(
                text(
                    "INSERT INTO ledger_entry (id, object_id, operator_id, matter_id, kind,"
                    " points, effective_on, recorded_by, recorded_at)"
                    " VALUES (:id, 1, 1, :matter, :kind, :points, :on, 'test', :at)"
                ),
                {"id": eid, "matter": matter, "kind": kind, "points": points,
                 "on": date(2026, 3, 2), "at": AT},
            )  # fmt: skip
        db.session.commit()
        upgrade()
        refs = db.session.execute(text("SELECT id, matter_ref FROM ledger_entry ORDER BY id")).all()
        assert [tuple(r) for r in refs] == [(1, None), (2, "粤市监罚〔2026〕7号")]
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("UPDATE ledger_entry SET matter_ref = 'x' WHERE id = 2"))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
