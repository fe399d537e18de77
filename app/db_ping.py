"""Database connections are checked before use only when they have sat idle.

SQLAlchemy's `pool_pre_ping` sends a `SELECT 1` on every checkout, and a request checks a
connection out once: a round trip (and a statement on the server) more on every request. A
connection given back to the pool a moment ago by a request that used it is as good as one just
pinged; one that sat idle longer than `DB_PING_IDLE_SECONDS` (the database restarted, a firewall
dropped an idle connection) is pinged and, if dead, replaced before the request sees it. A
connection that dies in between fails only the request using it: SQLAlchemy then recognises the
disconnect and discards the pool's other connections of that moment.
"""

from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # just connected, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool connects again and retries the checkout.
                raise exc.DisconnectionError() from error
            raise
