"""Issue 15, parts 1 and 2, clicked through in chromium: a form sent empty answers with every
error at once, beside its field, in the page's language; each role's pages read in one language
with no raw code; withdrawing asks first and says it cannot be undone; Back after applying
shows the form again, not a browser error (post/redirect/get)."""

from __future__ import annotations

import re

import pytest

from tests.functional.pages import database_texts, known_codes, leaks
from tests.functional.web import PASSWORD

from .conftest import sign_in
from .test_journeys import file_objection, world  # noqa: F401  (the fixture)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_matter_form_sent_empty_shows_every_error_beside_its_field_in_one_language(
    world,  # noqa: F811
    new_page,
    lang,
):
    page = new_page()
    sign_in(page, "gz_officer", PASSWORD)
    page.goto(f"/lang/{lang}")
    page.goto("/inbox/matters/new")
    page.click("main form button[type=submit]:not([formaction]) >> nth=-1")
    page.wait_for_load_state()
    fields = page.locator(".field.invalid")
    assert fields.count() >= 3  # every missing field at once
    for i in range(fields.count()):
        field = fields.nth(i)
        label = field.locator("label, legend").first.inner_text()
        error = field.locator(".error").inner_text()
        assert label and error  # the error sits in the field it is about
        if lang == "zh":
            assert CJK.search(error) and not re.search(r"[A-Za-z]{3,}", error), error
        else:
            assert not CJK.search(error), error


def test_the_pages_of_each_role_read_in_one_language_without_codes(world, new_page):  # noqa: F811
    from app.extensions import db

    with world.app_context():
        data = database_texts(db.engine)
    known = known_codes()
    visits = {
        None: ["/", "/public/a-class", "/public/dishonesty"],
        "ent_s1": ["/portal/", "/portal/objects", "/portal/notices", "/portal/cases"],
        "gz_officer": ["/inbox/", "/inbox/matters/new"],
        "gz_supervisor": ["/supervision/", "/inbox/cases"],
    }
    read = 0
    for username, paths in visits.items():
        for lang in ("zh", "en"):
            page = new_page()
            if username:
                sign_in(page, username, PASSWORD)
            page.goto(f"/lang/{lang}")
            for path in paths:
                answer = page.goto(path)
                if answer.status == 404:
                    continue  # a page this role's menu does not have
                assert answer.ok, (username, lang, path, answer.status)
                assert leaks(page.content(), lang, data, known) == [], (username, lang, path)
                read += 1
    assert read >= 16


def _withdraw_form(page):
    return page.locator("[data-testid=withdraw]")


def test_withdrawing_asks_first_and_says_it_cannot_be_undone(world, new_page):  # noqa: F811
    from app.extensions import db
    from models import Case

    page = new_page()
    file_objection(page)
    case_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    form = _withdraw_form(page)
    assert "不能恢复" in form.inner_text()
    # Sent without the confirmation ticked: the browser asks for it and nothing is withdrawn.
    form.locator("button[type=submit]").click()
    assert page.url.endswith(f"/portal/cases/{case_id}")
    with world.app_context():
        assert db.session.get(Case, case_id).status == "open"
    form.locator("input[name=confirm]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    with world.app_context():
        assert db.session.get(Case, case_id).status == "withdrawn"


def test_back_after_applying_shows_the_page_again_not_a_browser_error(world, new_page):  # noqa: F811
    from app.extensions import db
    from models import Case

    page = new_page()
    file_objection(page)
    case_url = page.url
    assert "/portal/cases/" in case_url
    answer = page.go_back()
    page.wait_for_load_state()
    assert not page.url.startswith("chrome-error://"), page.url
    assert "/apply/objection" in page.url
    # The browser may show the form from its cache or fetch it again. Fetched again, it says in
    # words that the matter is under objection; sent again from the cache, the form's own
    # idempotency key leads to the case already filed (or the same words), never a second case.
    if page.locator("main textarea[name=evidence]").count():
        page.fill("main textarea[name=evidence]", "再次提交")
        page.click("main form button[type=submit]:not([formaction]) >> nth=-1")
        page.wait_for_load_state()
        assert not page.url.startswith("chrome-error://"), page.url
        assert page.url == case_url or "正在办理的修复或异议申请" in page.inner_text("main")
    else:
        assert answer is not None and answer.status == 409
        assert "正在办理的修复或异议申请" in page.inner_text("main")
    with world.app_context():
        assert db.session.query(Case).filter_by(process_id="objection").count() == 1  # filed once
