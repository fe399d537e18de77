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


def _one_matter_to_notify(clock):
    """An operator and one matter imported and committed: one notice for a pass to issue."""
    from app.extensions import db
    from app.services.imports import import_records
    from tests.helpers import jsonl, matter, operator, uscc

    records = [
        operator(1),
        matter(
            "M1",
            [{"kind": "producer", "uscc": uscc(1)}],
            items=["A12.3"],
            effective_on="2026-11-20",
        ),
    ]
    report = import_records(
        jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
    )
    assert report.refused == 0
    db.session.commit()


def test_one_scheduler_at_a_time_issues_notices_and_proposes_rewards(seeded, clock):
    """Two passes reading the same pending work at once did it twice (526 duplicate notices;
    a failed pass on the rewards' idempotency key). While another transaction holds the lock,
    a pass issues no notice and proposes no reward, and the next pass does. (SQLite serialises
    writers itself, so there every pass takes the work.)"""
    from sqlalchemy import create_engine, text

    from app.extensions import db
    from app.services import pass_locks
    from app.services.cases import Ctx
    from app.services.notices import issue_notices

    with seeded.app_context():
        _one_matter_to_notify(clock)
        postgres = db.session.get_bind().dialect.name == "postgresql"
        ctx = Ctx("scheduler", clock.today(), clock.now())
        if postgres:  # another scheduler, in the middle of its batch
            other = create_engine(db.engine.url)
            conn = other.connect()
            taken = conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:n) AND pg_try_advisory_xact_lock(:r)"),
                {"n": pass_locks.NOTICES, "r": pass_locks.REWARDS},
            ).scalar()
            assert taken
        assert pass_locks.exclusive(pass_locks.REWARDS) is not postgres
        assert issue_notices(ctx=ctx) == (0 if postgres else 1)
        db.session.rollback()
        if postgres:
            conn.rollback()  # its transaction ends, and with it the locks
            conn.close()
            other.dispose()
        assert pass_locks.exclusive(pass_locks.REWARDS)
        assert issue_notices(ctx=ctx) == 1
        db.session.rollback()


def test_a_definition_stored_by_another_process_meanwhile_does_not_fail_the_pass(seeded, clock):
    """Two schedulers starting their first notice case at once both found no stored
    definition and both inserted it: one pass failed on the primary key of workflow_spec.
    Here the other process's row appears right after this one looked it up."""
    from sqlalchemy import event, func, insert, select

    from app.extensions import db
    from app.services.cases import Ctx, engine
    from app.services.notices import issue_notices
    from models import WorkflowSpec

    with seeded.app_context():
        _one_matter_to_notify(clock)
        spec = engine().definitions["deduction_notice"]
        assert db.session.get(WorkflowSpec, spec.hash) is None
        seeded.extensions["deployed_specs"] = set()
        stored = []

        def other_process(conn, _cursor, statement, *_args):
            if not stored and "FROM workflow_spec" in statement:
                stored.append(True)
                conn.execute(
                    insert(WorkflowSpec).values(
                        hash=spec.hash,
                        process_id="deduction_notice",
                        bpmn=spec.xml,
                        deployed_at=clock.now(),
                    )
                )

        event.listen(db.engine, "after_cursor_execute", other_process)
        try:
            assert issue_notices(ctx=Ctx("scheduler", clock.today(), clock.now())) == 1
            db.session.commit()
        finally:
            event.remove(db.engine, "after_cursor_execute", other_process)
        assert stored
        assert (
            db.session.scalar(
                select(func.count()).select_from(WorkflowSpec).where(WorkflowSpec.hash == spec.hash)
            )
            == 1
        )
