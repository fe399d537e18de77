"""The browser sees the pages people use: sign-in by clicking, the menus, the language switch."""

from __future__ import annotations

from tests.functional.web import PASSWORD, make_user

from .conftest import sign_in


def test_an_officer_signs_in_and_reaches_the_inbox_by_clicking(seeded, new_page):
    from app.extensions import db

    with seeded.app_context():
        make_user("officer_sz", "officer", bureau="440300")
        db.session.commit()
    page = new_page()
    page.goto("/")
    page.click("text=登录")
    sign_in(page, "officer_sz", PASSWORD)
    assert page.locator("[data-testid=who]").inner_text().startswith("officer_sz")
    page.click("nav.menu >> text=待办任务")
    assert page.url.endswith("/inbox/")
    page.click("text=English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav.menu").inner_text().count("Task inbox") == 1


def test_a_phone_sized_screen_shows_the_public_pages_without_overflow(seeded, new_page):
    page = new_page(width=375, height=740)
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.click("[data-testid=menu-button]")  # the menu is folded on a phone
    page.click("nav.menu >> text=A级名单")
    assert "/public/a-class" in page.url
