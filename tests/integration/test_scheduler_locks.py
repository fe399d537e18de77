"""How a scheduler pass locks the deadlines it fires, on PostgreSQL (issue 16, province day).

Under load a pass and an officer completing a task of the same case deadlocked: the request
updates the case row and then the case's deadlines, while the pass locked the deadline first
(FOR UPDATE SKIP LOCKED) and the case only when send_message wrote it. PostgreSQL broke the
cycle after a second by failing the request with a 500. The pass now locks both rows in its
first statement, skipping any a request holds, so it never waits for a case row."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite

from app.services.scheduler import due_deadlines


def _sql(locking: bool, dialect) -> str:
    query = due_deadlines(date(2026, 11, 26), 200, locking=locking)
    return " ".join(str(query.compile(dialect=dialect)).split())


def test_a_pass_locks_the_deadline_and_its_case_in_one_statement_skipping_held_rows():
    sql = _sql(True, postgresql.dialect())
    assert sql.endswith("FOR UPDATE OF deadline, credit_case SKIP LOCKED"), sql
    assert "JOIN credit_case ON credit_case.id = deadline.case_id" in sql


def test_without_row_locks_sqlite_reads_the_same_deadlines():
    sql = _sql(False, sqlite.dialect())
    assert "FOR UPDATE" not in sql
    assert "WHERE deadline.state = ? AND deadline.due_on < ?" in sql
    assert "ORDER BY deadline.due_on, deadline.id LIMIT ?" in sql


def test_one_scheduler_at_a_time_issues_notices_on_postgresql():
    """Two passes reading the same pending (operator, matter) pairs at once notified each
    twice; on PostgreSQL a batch first takes a transaction advisory lock, without waiting."""
    from app.services.notices import NOTICES_LOCK, notices_lock_sql

    assert notices_lock_sql("postgresql") == f"SELECT pg_try_advisory_xact_lock({NOTICES_LOCK})"
    assert notices_lock_sql("sqlite") is None
