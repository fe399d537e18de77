"""Security and reliability (issue 12) over real HTTP: the live server, the real database."""

from __future__ import annotations

import pytest

from tests.functional.http import call
from tests.helpers import jsonl

from .web import Browser, make_user

IMPORT = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/x-ndjson"}


@pytest.fixture
def people(seeded):
    """An administrator, a Guangzhou officer and a supervisor, with web passwords."""
    from app.extensions import db

    with seeded.app_context():
        make_user("admin1", "admin")
        make_user("officer1", "officer", bureau="440100")
        make_user("super1", "supervisor", bureau="440000")
        db.session.commit()
    return seeded


def signed_in(live_server, username: str) -> Browser:
    b = Browser(live_server)
    assert b.login(username).status == 200
    return b


# -- point 1: the bureau tree cannot loop ---------------------------------------------------


def test_bureau_that_is_its_own_parent_is_refused_and_the_public_pages_still_answer(
    live_server, people
):
    line = {"type": "bureau", "code": "440100", "name": "x", "parent": "440100"}
    status, report = call("POST", f"{live_server}/api/v1/imports", jsonl([line]), IMPORT)
    assert status == 200 and report["refused"] == 1 and report["updated"] == 0
    assert "cannot be placed below itself" in report["refusals"][0]["reason"]

    page = signed_in(live_server, "admin1").post(
        "/admin/bureaus", {"parent": "440100", "code": "440100", "name": "某局"}
    )
    assert page.status == 400
    assert "440100" in page.text
    assert Browser(live_server).get("/public/a-class").status == 200
