"""Test fixtures: a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set),
built by the project's migrations, emptied between tests; a frozen clock; a live HTTP server."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from app.clock import Clock
from app.config import normalise_database_url
from app.factory import create_app

TODAY = date(2026, 11, 26)
# Apps made by the tests (and the commands they run) may use the development SECRET_KEY.
os.environ.setdefault("CREDIT_ENV", "testing")
PG_URL = os.environ.get("TEST_DATABASE_URL")


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """Build the schema once with `flask db upgrade`'s own code path."""
    if PG_URL:
        url = normalise_database_url(PG_URL)
        try:
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        except Exception as exc:
            pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL cannot be used: {exc}")
        _migrate(url)
        return url
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    url = f"sqlite:///{path}"
    _migrate(url)
    return url


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if PG_URL:
        engine = create_engine(database_template)
        with engine.begin() as conn:
            tables = (
                conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return database_template
    template = Path(database_template.removeprefix("sqlite:///"))
    copy = tmp_path / "test.sqlite3"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def clock() -> Clock:
    return Clock(today=TODAY)


@pytest.fixture
def app(database_url, clock):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "CLOCK": clock,
            "IMPORT_TOKENS": "sampling:s3cret-token",
            # The live test server speaks plain HTTP on loopback.
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
        }
    )
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture
def db_session(app):
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def expired(app):
    """Bureau tree and the default scoring table only, as `flask credit init` leaves them: the
    default ends with the Spec on 2026-06-04 (Art. 36), so today (2026-11-26) no version
    covers; for the tests of R-VALIDITY itself."""
    from app.extensions import db
    from app.services.reference import init_reference_data

    with app.app_context():
        init_reference_data(actor="test", at=datetime(2026, 1, 1, tzinfo=UTC))
        db.session.commit()
    return app


@pytest.fixture
def seeded(expired):
    """Bureau tree, the default scoring table and its demonstration successor (from
    2026-06-05), so today's matters, runs and rewards have a version in force."""
    from app.extensions import db
    from app.services.reference import publish_demo_successor

    with expired.app_context():
        publish_demo_successor(actor="test", at=datetime(2026, 1, 1, tzinfo=UTC))
        db.session.commit()
    return expired


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def live_server(seeded):
    """The app served over real HTTP on a loopback port, in a thread."""
    yield from _serve(seeded)


@pytest.fixture
def expired_server(expired):
    """The same, with no scoring-table version after 2026-06-04 (R-VALIDITY)."""
    yield from _serve(expired)
