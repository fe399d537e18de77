"""Test fixtures: a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set),
built by the project's migrations, emptied between tests; a frozen clock; the app answering
HTTP at a base URL (in process, see tests/inprocess.py; over a real socket for the browser
tests and `real_server`)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from app.clock import Clock
from app.config import normalise_database_url
from app.factory import create_app
from tests import inprocess

TODAY = date(2026, 11, 26)
# Apps made by the tests (and the commands they run) may use the development SECRET_KEY.
os.environ.setdefault("CREDIT_ENV", "testing")
PG_URL = os.environ.get("TEST_DATABASE_URL")


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()


def _worker_database(url: str) -> str:
    """The PostgreSQL database of this process: the one TEST_DATABASE_URL names, or, under
    pytest-xdist, `<that name>_gw0`, `_gw1`, … created beside it (reached through it, so the
    named database must answer in either case)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parsed = make_url(url)
    mine = parsed.set(database=f"{parsed.database}_{worker}")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(10):
            with engine.connect() as conn:
                exists = conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"),
                    {"name": mine.database},
                )
                if exists:
                    break
                try:
                    conn.execute(text(f'CREATE DATABASE "{mine.database}"'))
                    break
                except OperationalError:  # another worker is copying template1 right now
                    if attempt == 9:
                        raise
            time.sleep(0.2 * (attempt + 1))
    finally:
        engine.dispose()
    return mine.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """Build the schema once with `flask db upgrade`'s own code path."""
    if PG_URL:
        try:
            url = _worker_database(normalise_database_url(PG_URL))
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


def _seed(app, *, successor: bool) -> None:
    """What `expired` (and, with the successor, `seeded`) write in a new database."""
    from app.extensions import db
    from app.services.reference import init_reference_data, publish_demo_successor

    at = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        init_reference_data(actor="test", at=at)
        db.session.commit()
        if successor:
            publish_demo_successor(actor="test", at=at)
            db.session.commit()


@pytest.fixture(scope="session")
def seeded_templates(database_template, tmp_path_factory) -> dict[str, Path]:
    """On SQLite, copies of the schema already holding what `expired` and `seeded` write
    (the same rows, written by the same services once), so a test copies one file instead of
    seeding its database again. Not on PostgreSQL, where each test seeds its emptied database."""
    if PG_URL:
        return {}
    folder = tmp_path_factory.mktemp("seeded")
    out = {}
    source = Path(database_template.removeprefix("sqlite:///"))
    for name, successor in (("expired", False), ("seeded", True)):
        path = folder / f"{name}.sqlite3"
        shutil.copyfile(source, path)
        url = f"sqlite:///{path}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "CLOCK": Clock(TODAY)})
        _seed(app, successor=successor)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        out[name] = path
    return out


@pytest.fixture
def database_url(database_template, seeded_templates, tmp_path, request) -> str:
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
    # A test that asks for `seeded` (or `expired`) starts from the file already holding them.
    for name in ("seeded", "expired"):
        if name in request.fixturenames and name in seeded_templates:
            template = seeded_templates[name]
            break
    copy = tmp_path / "test.sqlite3"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def clock() -> Clock:
    return Clock(today=TODAY)


@pytest.fixture
def app(database_url, clock, tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ATTACHMENTS_DIR": str(tmp_path / "attachments"),
            "PROGRESS_DIR": str(tmp_path / "progress"),
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
    covers; for the tests of R-VALIDITY itself. (On SQLite the database file starts with them:
    see `seeded_templates`.)"""
    if PG_URL:
        _seed(app, successor=False)
    return app


@pytest.fixture
def seeded(expired):
    """Bureau tree, the default scoring table and its demonstration successor (from
    2026-06-05), so today's matters, runs and rewards have a version in force."""
    if PG_URL:
        with expired.app_context():
            from app.extensions import db
            from app.services.reference import publish_demo_successor

            publish_demo_successor(actor="test", at=datetime(2026, 1, 1, tzinfo=UTC))
            db.session.commit()
    return expired


def _serve(app):
    """The app over real HTTP on a loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll: shutdown() waits for the loop to look (0.5 s by default, at every test).
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def live_server(seeded):
    """The app's base URL: requests to it (urllib, tests/functional/web.py and http.py) are
    answered by the app in the test process, through its WSGI callable as a server would
    (tests/inprocess.py). tests/browser overrides it with a real server for chromium."""
    yield from inprocess.serve(seeded)


@pytest.fixture
def expired_server(expired):
    """The same, with no scoring-table version after 2026-06-04 (R-VALIDITY)."""
    yield from inprocess.serve(expired)


@pytest.fixture
def real_server(seeded):
    """The app served over real HTTP on a loopback port, for what needs a socket (a raw
    http.client connection, chunked bodies, another process)."""
    yield from _serve(seeded)


# -- what is expensive and the same in every test -------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """Passwords set by the tests are hashed with one round of PBKDF2 instead of scrypt:
    checking reads the method from the hash, so signing in works the same, and each of the
    thousands of users the tests create no longer costs a tenth of a second of hashing."""
    from werkzeug.security import generate_password_hash

    import app.auth

    original = app.auth.generate_password_hash

    def cheap(password: str, method: str = "pbkdf2:sha256:1", salt_length: int = 16) -> str:
        return generate_password_hash(password, method=method, salt_length=salt_length)

    app.auth.generate_password_hash = cheap
    yield
    app.auth.generate_password_hash = original


@pytest.fixture(scope="session", autouse=True)
def _parsed_definitions_once():
    """The BPMN definitions are parsed once per file content for the whole run (each app
    parsed them twice, ~0.2 s a test): a parsed definition is read-only after parsing, as in a
    server whose every workflow shares it. A file changed or copied elsewhere is parsed anew,
    so tests of broken definitions still see their errors."""
    from app.workflow import specs

    original = specs.parse_definition
    parsed: dict = {}

    def once(process_id, xml, path=None):
        key = (process_id, xml, str(path))
        if key not in parsed:
            parsed[key] = original(process_id, xml, path)
        return parsed[key]

    specs.parse_definition = once
    yield
    specs.parse_definition = original


@pytest.fixture(scope="session", autouse=True)
def _url_builders_once():
    """Werkzeug compiles two URL-building functions (Python source built and compiled) for each
    of the app's ~360 routes whenever an app is made: half of `create_app`'s time. A builder
    is a pure function of its rule's text, parts and defaults (the rule comes in as its first
    argument), so one compiled for a rule serves the same rule of every later app."""
    from werkzeug.routing import rules

    original = rules.Rule._compile_builder
    built: dict = {}

    def once(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (
            self.rule,
            self.host,
            self.subdomain,
            tuple(self._trace),
            tuple((k, repr(v), type(self._converters.get(k))) for k, v in defaults.items()),
            append_unknown,
        )
        if key not in built:
            built[key] = original(self, append_unknown)
        return built[key]

    rules.Rule._compile_builder = once
    yield
    rules.Rule._compile_builder = original
