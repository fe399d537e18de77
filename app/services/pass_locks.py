"""Work that only one scheduler may do at a time, when several run (README: deployment).

Deadlines are shared out row by row (FOR UPDATE SKIP LOCKED); issuing notices and proposing
the day's rewards read a whole set of pending work first, so two passes at once did it twice
(duplicate notices; a failed pass on the rewards' idempotency key). Each takes a PostgreSQL
advisory lock for its transaction without waiting: the pass that does not get it leaves the
work to the one that did, and the next pass looks again. SQLite serialises writers itself.
"""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db

# Advisory lock keys, one per kind of work (any fixed numbers, unique in this database).
NOTICES = 7_201_100
REWARDS = 7_201_101


def exclusive(key: int) -> bool:
    """Take the lock `key` for this transaction if no other transaction holds it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    taken = db.session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
    return bool(taken.scalar())
