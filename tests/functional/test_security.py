"""Security and reliability (issue 12) over real HTTP: the live server, the real database."""

from __future__ import annotations

import pytest

from tests.functional.http import call
from tests.helpers import jsonl, matter, operator, uscc

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


# -- point 2: the read API needs a token with `read` ------------------------------------------

READ_PATHS = [
    "/operators/{P1}/score",
    "/operators/{P1}/products/%E6%9F%90%E7%89%8C/9/score",
    "/objects?q=x",
    "/bureaus",
    "/classification-runs",
    "/classification-runs/2026-07-01",
    "/classification-runs/2026-07-01/results",
    "/calendar/deadline?from=2026-01-05&days=3",
    "/calendar/status",
]


def test_read_api_answers_only_tokens_with_the_read_scope(live_server, people):
    from app.auth import issue_token
    from app.extensions import db
    from models import User

    with people.app_context():
        officer = db.session.query(User).filter_by(username="officer1").one()
        reader = issue_token(officer, ("read",))
        cases_only = issue_token(officer, ("cases",))
        db.session.commit()
    p1 = uscc(1)
    status, report = call("POST", f"{live_server}/api/v1/imports", jsonl([operator(1)]), IMPORT)
    assert status == 200 and report["created"] == 1
    for path in READ_PATHS:
        url = f"{live_server}/api/v1" + path.format(P1=p1)
        status, body = call("GET", url)
        assert status == 401 and "API token" in body["message"], path
        # a missing token is said before the query is judged
        status, _ = call("GET", url + ("&" if "?" in url else "?") + "colour=red")
        assert status == 401, path
        status, body = call("GET", url, None, {"Authorization": f"Bearer {cases_only}"})
        assert status == 403 and "'read' scope" in body["message"], path
        status, _ = call("GET", url, None, {"Authorization": f"Bearer {reader}"})
        assert status in (200, 404), path  # 404: no run of that date yet
    status, _ = call(
        "GET",
        f"{live_server}/api/v1/operators/{p1}/score",
        None,
        {"Authorization": f"Bearer {reader}"},
    )
    assert status == 200
    # What Art. 29 lets the public see stays on the public pages, without signing in.
    assert Browser(live_server).get("/public/a-class").status == 200
    assert Browser(live_server).get("/public/dishonesty").status == 200


# -- point 3: sessions end with sign-out, password resets and deactivation ---------------------


def copy_of(browser: Browser, live_server) -> Browser:
    """Another browser holding the same cookies (a second tab, a copied cookie)."""
    other = Browser(live_server)
    for cookie in browser.jar:
        other.jar.set_cookie(cookie)
    return other


def test_sign_out_ends_every_earlier_session_of_the_user(live_server, people):
    officer = signed_in(live_server, "officer1")
    elsewhere = signed_in(live_server, "officer1")  # the same user in another browser
    old_cookie = copy_of(officer, live_server)
    assert old_cookie.get("/inbox/", follow=False).status == 200
    officer.post("/logout")
    assert old_cookie.get("/inbox/", follow=False).status == 302
    assert elsewhere.get("/inbox/", follow=False).status == 302
    assert signed_in(live_server, "officer1").get("/inbox/", follow=False).status == 200


def test_password_reset_and_deactivation_end_the_users_sessions(live_server, people):
    from app.extensions import db
    from models import User

    with people.app_context():
        officer_id = db.session.query(User).filter_by(username="officer1").one().id
    admin = signed_in(live_server, "admin1")
    before_reset = signed_in(live_server, "officer1")
    admin.post(f"/admin/users/{officer_id}/password", {"password": "new-password-9"})
    assert before_reset.get("/inbox/", follow=False).status == 302
    after_reset = Browser(live_server)
    assert after_reset.login("officer1", "new-password-9").status == 200
    assert after_reset.get("/inbox/", follow=False).status == 200

    admin.post(f"/admin/users/{officer_id}/active", {"active": "0"})
    admin.post(f"/admin/users/{officer_id}/active", {"active": "1"})
    # reactivation does not bring the session of before the deactivation back
    assert after_reset.get("/inbox/", follow=False).status == 302
    # the administrator's own session is untouched by what they did to another user
    assert admin.get("/admin/users", follow=False).status == 200


# -- point 4: formulas in exports are written as text ---------------------------------------

EVIL_NAME = "=cmd|' /C calc'!A0"
EVIL_SUMMARY = "@SUM(1+1)*cmd|' /C calc'!A0"


def test_formula_like_text_in_exports_is_written_as_text(live_server, people):
    import csv
    import io
    import urllib.request

    from openpyxl import load_workbook

    from app.auth import issue_token
    from app.extensions import db
    from models import User

    seller = uscc(2, "440100")
    records = [
        {**operator(2, bureau="440100"), "name": EVIL_NAME},
        {
            **matter("M-EVIL", [{"kind": "seller", "uscc": seller}], items=["A12.3"]),
            "bureau": "440100",
            "summary": EVIL_SUMMARY,
        },
    ]
    status, report = call("POST", f"{live_server}/api/v1/imports", jsonl(records), IMPORT)
    assert status == 200 and report["refused"] == 0, report
    with people.app_context():
        supervisor = db.session.query(User).filter_by(username="super1").one()
        token = issue_token(supervisor, ("export",))
        db.session.commit()

    def export(fmt: str) -> bytes:
        req = urllib.request.Request(
            f"{live_server}/api/v1/exports/matters?format={fmt}"
            "&recipient_kind=department&recipient=x&legal_basis=Art.%2031",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.read()

    (row,) = csv.DictReader(io.StringIO(export("csv").decode("utf-8-sig")))
    assert row["name"] == "'" + EVIL_NAME
    assert row["summary"] == "'" + EVIL_SUMMARY
    assert row["points"] == "-4.00"  # a number stays a number

    sheet = load_workbook(io.BytesIO(export("xlsx"))).worksheets[0]
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    for column, text in (("name", EVIL_NAME), ("summary", EVIL_SUMMARY)):
        assert (cells[column].value, cells[column].data_type) == (text, "s"), column
    assert cells["points"].value == "-4.00"


# -- point 8: security headers; no start on a known SECRET_KEY ----------------------------------


def test_every_page_and_answer_carries_the_security_headers(live_server, people):
    import urllib.error
    import urllib.request

    pages = ["/", "/login", "/public/a-class", "/api/openapi.json", "/api/v1/bureaus", "/nowhere"]
    for path in pages:
        try:
            with urllib.request.urlopen(live_server + path, timeout=10) as resp:
                headers = resp.headers
        except urllib.error.HTTPError as err:  # 401, 404: refusals carry them too
            headers = err.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "script-src 'self'" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
    admin = signed_in(live_server, "admin1")
    for path in ("/admin/users", "/admin/bureaus"):
        page = admin.opener.open(admin.base + path, timeout=10)
        assert page.headers["X-Frame-Options"] == "DENY", path


@pytest.mark.parametrize("key", [None, "", "dev-only-not-secret", "short-secret"])
def test_the_app_refuses_to_start_in_production_without_a_real_secret_key(key):
    from app.factory import create_app
    from app.security import InsecureConfiguration

    with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
        create_app(
            {"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENVIRONMENT": "production", "SECRET_KEY": key}
        )


def test_a_real_secret_key_starts_in_production_and_demo_gets_by_without_one():
    from app.factory import create_app

    real = "k" * 32
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENVIRONMENT": "production", "SECRET_KEY": real}
    )
    assert app.secret_key == real
    for env in ("development", "demo"):
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENVIRONMENT": env})
        assert app.secret_key


# -- point 11: sign-in throttling behind a reverse proxy --------------------------------------


def _failures(client, n: int, address: str) -> list[int]:
    """`n` failed sign-ins from `address` (as the proxy reports it), each with another name so
    that only the address's count can lock."""
    return [
        client.post(
            "/login",
            data={"username": f"nobody-{address}-{i}", "password": "wrong-password"},
            headers={"X-Forwarded-For": address},
        ).status_code
        for i in range(n)
    ]


def _app(database_url, clock, proxies: int):
    from app.factory import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "CLOCK": clock,
            "WTF_CSRF_ENABLED": False,
            "TRUSTED_PROXIES": proxies,
        }
    )


def test_behind_a_trusted_proxy_sign_in_throttling_counts_each_client_address(database_url, clock):
    client = _app(database_url, clock, proxies=1).test_client()
    assert set(_failures(client, 20, "203.0.113.7")) == {401}
    assert _failures(client, 1, "203.0.113.7") == [429]  # that address is locked...
    assert _failures(client, 1, "198.51.100.9") == [401]  # ...the proxy's other users are not


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(database_url, clock):
    client = _app(database_url, clock, proxies=0).test_client()
    statuses = [_failures(client, 1, f"203.0.113.{i}")[0] for i in range(20)]
    assert set(statuses) == {401}
    assert _failures(client, 1, "198.51.100.9") == [429]  # all came from one socket address


# -- point 9: oversized ids ---------------------------------------------------------------------


def test_oversized_ids_are_refused_as_bad_values_not_server_errors(live_server, people):
    import json

    from app.auth import issue_token
    from app.extensions import db
    from models import User

    with people.app_context():
        officer = db.session.query(User).filter_by(username="officer1").one()
        token = issue_token(officer)
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    api = f"{live_server}/api/v1"
    huge, twenty_digits = -18053557007762781889909227520, 12345678901234567890
    for path, body, field in [
        ("/cases/reward", {"object_id": huge, "code": "R16", "statement": "x"}, "object_id"),
        ("/cases/objection", {"entry_ids": [twenty_digits], "evidence": "x"}, "entry_ids"),
        ("/cases/repair", {"entry_id": 2**31, "not_intentional_statement": "x"}, "entry_id"),
        ("/cases/correction", {"entry_id": 0, "description": "x"}, "entry_id"),
    ]:
        status, answer = call("POST", api + path, json.dumps(body).encode(), headers)
        assert status == 422, (path, answer)
        assert field in json.dumps(answer), (path, answer)
    # the largest id a row can have (INTEGER: 32 bits on PostgreSQL) is still an id: looked
    # up, not found; one more is a bad value, in a body (422) and in a URL (404)
    for entry_id, expected in ((2**31 - 1, 404), (2**31, 422)):
        status, _ = call(
            "POST",
            api + "/cases/correction",
            json.dumps({"entry_id": entry_id, "description": "x"}).encode(),
            headers,
        )
        assert status == expected, entry_id
    for path in (f"/cases/{twenty_digits}", f"/tasks/{twenty_digits}/claim", f"/cases/{2**31}"):
        method = "POST" if path.endswith("claim") else "GET"
        status, _ = call(method, api + path, b"{}" if method == "POST" else None, headers)
        assert status == 404, path


# -- point 10: the import size limit holds for a chunked body ---------------------------------


def _chunked_import(live_server, body: bytes) -> tuple[int, dict]:
    import http.client
    import json
    from urllib.parse import urlsplit

    url = urlsplit(live_server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    pieces = (body[i : i + 700] for i in range(0, len(body), 700))
    conn.request(
        "POST",
        "/api/v1/imports",
        body=pieces,
        headers={**IMPORT, "Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read())


def test_import_size_limit_holds_while_a_chunked_body_is_read(real_server, people, monkeypatch):
    from app.blueprints import api
    from app.extensions import db
    from models import Operator

    monkeypatch.setattr(api, "MAX_IMPORT_BYTES", 2000)
    small = jsonl([operator(1)])
    large = jsonl([operator(n) for n in range(2, 30)])
    assert len(small) < 2000 < len(large)
    status, body = _chunked_import(real_server, large)
    assert status == 413 and "larger than" in body["message"]
    status, report = _chunked_import(real_server, small)
    assert status == 200 and report["created"] == 1
    with people.app_context():
        assert db.session.query(Operator).count() == 1  # nothing of the large body was kept
