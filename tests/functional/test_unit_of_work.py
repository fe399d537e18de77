"""One transaction per request (app/unit_of_work.py), through Flask's test client on a real
database: a success is committed, a refusal leaves nothing written (rows counted), a commit that
fails at the boundary is a 500 with nothing written, `attempt()` undoes only the refused call,
and a failed sign-in is kept for the throttle although the answer is 401."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from .web import PASSWORD, make_user

AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def _counts(app) -> dict[str, int]:
    """Rows per table, read in a session of their own (what another request would see)."""
    from app.extensions import db

    with app.app_context():
        counts = {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


def _changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in before if after[t] != before[t]}


@pytest.fixture
def site(seeded):
    """The seeded app with an administrator, forms without CSRF tokens (the test client posts
    them directly), errors answered as a browser sees them (not raised into the test), and
    three probe routes that write through a service and then answer in different ways."""
    from app.errors import Conflict
    from app.extensions import db
    from app.services.audit import record_event
    from app.unit_of_work import attempt
    from models import Bureau

    seeded.config.update(WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False)

    def write(note: str) -> None:
        record_event(AT, "probe", "probe.write", "probe", note)
        db.session.flush()

    def refused():
        write("refused")
        raise Conflict("this idempotency key was used for another case")

    def refused_page():
        write("refused page")
        return "refused", 422

    def commit_fails():
        write("before the failing commit")
        # A second province bureau with the code of the first: the unique key fails only
        # when the boundary's commit flushes it.
        db.session.add(Bureau(code="440000", name="重复", level="province"))
        return "answered", 200

    def attempted():
        write("kept")
        try:
            with attempt():
                write("undone")
                raise Conflict("this idempotency key was used for another case")
        except Conflict:
            pass
        return "ok", 200

    for name, view in {
        "refused": refused,
        "refused_page": refused_page,
        "commit_fails": commit_fails,
        "attempted": attempted,
    }.items():
        seeded.add_url_rule(f"/probe/{name}", name, view, methods=["POST"])
    with seeded.app_context():
        make_user("admin1", "admin")
        db.session.commit()
    return seeded


def _probes(app) -> list[str]:
    from app.extensions import db
    from models import AuditEvent

    with app.app_context():
        refs = list(
            db.session.scalars(
                select(AuditEvent.object_ref)
                .where(AuditEvent.action == "probe.write")
                .order_by(AuditEvent.id)
            )
        )
        db.session.remove()
    return refs


def test_a_refusal_raised_after_writes_leaves_nothing_written(site):
    client = site.test_client()
    before = _counts(site)
    answer = client.post("/probe/refused")
    assert answer.status_code == 409
    assert _changed(before, _counts(site)) == {}


def test_a_refusal_answered_with_a_page_leaves_nothing_written(site):
    client = site.test_client()
    before = _counts(site)
    assert client.post("/probe/refused_page").status_code == 422
    assert _changed(before, _counts(site)) == {}


def test_a_commit_that_fails_at_the_boundary_is_a_500_with_nothing_written(site):
    client = site.test_client()
    before = _counts(site)
    answer = client.post("/probe/commit_fails")
    assert answer.status_code == 500
    assert _changed(before, _counts(site)) == {}
    # The next request starts clean: the failed unit did not leak into it.
    assert client.post("/probe/refused_page").status_code == 422
    assert client.get("/").status_code == 200


def test_attempt_undoes_only_the_refused_call(site):
    client = site.test_client()
    assert client.post("/probe/attempted").status_code == 200
    assert _probes(site) == ["kept"]


def test_an_admin_form_commits_on_success_and_writes_nothing_when_refused(site):
    """The bureau form: a new bureau and its audit event are committed together; a refused one
    (a code that exists) writes neither."""
    from app.extensions import db
    from models import AuditEvent, Bureau

    client = site.test_client()
    assert (
        client.post("/login", data={"username": "admin1", "password": PASSWORD}).status_code == 302
    )
    before = _counts(site)
    answer = client.post(
        "/admin/bureaus", data={"parent": "440100", "code": "440199", "name": "测试区"}
    )
    assert answer.status_code == 302
    assert _changed(before, _counts(site)) == {"bureau": 1, "audit_event": 1}
    with site.app_context():
        assert db.session.get(Bureau, "440199").name == "测试区"
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))
        db.session.remove()

    before = _counts(site)
    again = client.post(
        "/admin/bureaus", data={"parent": "440100", "code": "440199", "name": "又一个"}
    )
    assert again.status_code >= 400
    assert "440199" in again.get_data(as_text=True)
    assert _changed(before, _counts(site)) == {}


def test_a_failed_sign_in_is_kept_for_the_throttle_though_the_answer_is_401(site):
    from app.extensions import db
    from models import LoginAttempt

    client = site.test_client()
    before = _counts(site)
    answer = client.post("/login", data={"username": "admin1", "password": "wrong-password"})
    assert answer.status_code == 401
    assert _changed(before, _counts(site)) == {"login_attempt": 1}
    with site.app_context():
        attempt = db.session.scalars(select(LoginAttempt)).one()
        assert (attempt.username, attempt.succeeded) == ("admin1", False)
        db.session.remove()
    for _ in range(4):
        assert (
            client.post("/login", data={"username": "admin1", "password": "nope"}).status_code
            == 401
        )
    # Five kept failures: now even the right password waits.
    throttled = client.post("/login", data={"username": "admin1", "password": PASSWORD})
    assert throttled.status_code == 429


def test_a_successful_sign_in_is_committed_with_its_audit_event(site):
    client = site.test_client()
    before = _counts(site)
    answer = client.post("/login", data={"username": "admin1", "password": PASSWORD})
    assert answer.status_code == 302
    assert _changed(before, _counts(site)) == {"login_attempt": 1, "audit_event": 1}
