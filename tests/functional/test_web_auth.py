"""Sign-in, sessions, CSRF, throttling, language, scoped API tokens, and what anonymous users
may open."""

from __future__ import annotations

import json
import urllib.request

import pytest

from .web import PASSWORD, Browser, make_user


@pytest.fixture
def accounts(seeded):
    from app.extensions import db

    with seeded.app_context():
        make_user("officer1", "officer", bureau="440300")
        make_user("admin1", "admin")
        db.session.commit()
    return seeded


def test_sign_in_lands_on_the_role_home_and_sign_out_ends_the_session(live_server, accounts):
    b = Browser(live_server)
    page = b.login("officer1")
    assert page.status == 200 and "officer1" in page and "待办任务" in page
    assert b.get("/inbox/").status == 200
    b.post("/logout")
    assert b.get("/inbox/", follow=False).status == 302  # back to the sign-in page


def test_a_wrong_password_is_refused_and_says_so(live_server, accounts):
    page = Browser(live_server).login("officer1", "wrong-password")
    assert page.status == 401 and "用户名或密码不正确" in page


def test_repeated_failures_are_throttled_even_with_the_right_password(live_server, accounts):
    b = Browser(live_server)
    for _ in range(5):
        assert b.login("officer1", "nope-nope").status == 401
    page = b.login("officer1", PASSWORD)
    assert page.status == 429 and "15" in page


def test_a_form_without_its_csrf_token_is_refused(live_server, accounts):
    b = Browser(live_server)
    page = b.post("/login", {"username": "officer1", "password": PASSWORD}, csrf=False)
    assert page.status == 400 and "CSRF" in page
    assert b.get("/inbox/", follow=False).status == 302  # not signed in


def test_session_cookie_is_http_only_and_same_site(live_server, accounts):
    b = Browser(live_server)
    b.login("officer1")
    cookie = next(c for c in b.jar if c.name == "session")
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_next_only_goes_to_paths_of_this_site(live_server, accounts):
    b = Browser(live_server)
    b.get("/login")
    page = b.post(
        "/login?next=https://evil.example/x",
        {"username": "officer1", "password": PASSWORD},
        follow=False,
    )
    assert page.status == 302 and "evil" not in page.location


def test_anonymous_users_see_public_pages_only(live_server, accounts):
    b = Browser(live_server)
    for path in ("/", "/public/a-class", "/public/dishonesty", "/public/search", "/login"):
        assert b.get(path).status == 200, path
    for path in ("/portal/", "/inbox/", "/supervision/", "/admin/", "/account/tokens"):
        page = b.get(path, follow=False)
        assert page.status == 302 and "/login" in page.location, path


def test_a_role_cannot_open_another_roles_pages(live_server, accounts):
    b = Browser(live_server)
    b.login("officer1")
    for path in ("/portal/", "/supervision/", "/admin/"):
        assert b.get(path).status == 403, path


def test_english_is_one_click_away(live_server, accounts):
    b = Browser(live_server)
    assert "登录" in b.get("/")
    page = b.get("/lang/en?next=/")
    assert page.status == 200 and 'lang="en"' in page and "Sign in" in page


def test_a_scoped_token_opens_only_its_scope(live_server, accounts):
    b = Browser(live_server)
    b.login("admin1")
    page = b.post("/account/tokens", [("name", "exports only"), ("scopes", "export")])
    token = page.text.split('data-testid="new-token">')[1].split("<")[0]

    def call(path):
        req = urllib.request.Request(
            live_server + path, headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    status, body = call("/api/v1/cases")
    assert status == 403 and "'cases' scope" in body["message"]
    token_id = page.text.split("/account/tokens/")[1].split("/revoke")[0]
    b.post(f"/account/tokens/{token_id}/revoke")
    assert call("/api/v1/cases")[0] == 401
