"""Pooled connections are pinged before use only after sitting idle (app/db_ping.py)."""

import sqlite3

from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from app.db_ping import ping_idle_connections


def _engine(idle_seconds, monkeypatch, pings, dead=False):
    engine = create_engine("sqlite://", poolclass=QueuePool, pool_size=1)
    ping_idle_connections(engine, idle_seconds)

    def do_ping(dbapi_connection):
        pings.append(dbapi_connection)
        if dead and len(pings) == 1:
            raise sqlite3.OperationalError("server closed the connection unexpectedly")
        return True

    monkeypatch.setattr(engine.dialect, "do_ping", do_ping)
    monkeypatch.setattr(engine.dialect, "is_disconnect", lambda *a: dead)
    return engine


def _use(engine):
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        return conn.connection.dbapi_connection


def test_a_connection_in_use_a_moment_ago_is_not_pinged(monkeypatch):
    pings = []
    engine = _engine(3600, monkeypatch, pings)
    first, second = _use(engine), _use(engine)
    assert second is first  # the pooled connection was reused...
    assert pings == []  # ...without a ping


def test_an_idle_connection_is_pinged_before_use(monkeypatch):
    pings = []
    engine = _engine(0, monkeypatch, pings)
    first = _use(engine)  # a new connection: not pinged
    assert pings == []
    assert _use(engine) is first
    assert pings == [first]


def test_a_dead_idle_connection_is_replaced_before_use(monkeypatch):
    pings = []
    engine = _engine(0, monkeypatch, pings, dead=True)
    first = _use(engine)
    second = _use(engine)
    assert pings[0] is first
    assert second is not first  # the pool connected again instead of handing out the dead one
