"""One transaction per request, committed at its boundary.

A request's writes (every service it calls, the audit log included) are one unit: they are
committed once, after the view has answered, and only if the answer is a success or a redirect
(status < 400). A refusal (4xx), an error (5xx) or an exception rolls the whole unit back, so a
refused form never leaves anything half-written. Views therefore never commit or roll back:

- services `flush()` when they need database ids or want a unique key checked now;
- a view that reports a refusal answers with its 4xx status, and the boundary discards the writes;
- `attempt()` undoes a refused service call at once (a savepoint), so the page that reports the
  refusal is rendered from the data as it was, not from the refused call's half-done writes;
- `keep_writes()` marks the rare refusal that is itself a fact to keep (a failed sign-in counts
  towards the throttle): the boundary commits it although the answer is 4xx.

The command line, the scheduler and the benchmarks own their transactions and commit themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, g

from .extensions import db


def keep_writes() -> None:
    """Commit this request's writes even though its answer is a refusal."""
    g.keep_writes = True


@contextmanager
def attempt() -> Iterator[None]:
    """Run a service call that the rules may refuse after it has written: on any exception its
    writes are undone (the rest of the request's unit stays), then the exception goes on."""
    if _nothing_written_yet():
        # Undoing the call is undoing the whole unit, which holds nothing else yet.
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
        return
    # The savepoint's own context rolls it back on an exception, also after a failed flush
    # (which leaves it inactive but still to be rolled back).
    with db.session.begin_nested():
        yield


def _nothing_written_yet() -> bool:
    """On SQLite, whether the request has written nothing so far. There the driver begins the
    database transaction at the first write; a SAVEPOINT before it would begin one at once, and
    the reads that follow would hold their locks to the end of the request, so that two
    requests filing at once (a double click) deadlock instead of the second one waiting for the
    first. PostgreSQL has no such locks: there the savepoint is always used."""
    if db.session.get_bind().dialect.name != "sqlite":
        return False
    db.session.flush()  # writes still pending belong to the unit: they begin it now
    return not db.session.connection().connection.dbapi_connection.in_transaction


def _finish(response: Response) -> Response:
    if response.status_code < 400 or g.get("keep_writes"):
        try:
            db.session.commit()
        except Exception:
            # Nothing of the unit is kept, and the 500 page that follows is drawn from a
            # clean session rather than one that refuses every query until rolled back.
            db.session.rollback()
            raise
    else:
        db.session.rollback()
    return response


def init_unit_of_work(app: Flask) -> None:
    # Flask runs after_request hooks in reverse order of registration: registered last, this
    # one runs first, so a failed commit becomes a 500 that the request log and the security
    # headers then see like any other answer.
    app.after_request(_finish)
