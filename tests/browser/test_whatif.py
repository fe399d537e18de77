"""The what-if preview in a real browser: an officer fills in the matter form, clicks 预览影响
and sees the seller's score and class before and after (R-NOTICE, R-CLASS), then ticks intent
and sees the preview follow (R-INTENT, R-DLOCK) — on the same page, and with no matter, ledger
entry or audit event written."""

from __future__ import annotations

from tests.functional.web import PASSWORD

from . import test_journeys as journeys
from .conftest import sign_in

world = journeys.world  # a Guangzhou seller at 8 points (class B) and a Guangzhou officer


def counts(app) -> dict[str, int]:
    from sqlalchemy import func, select

    from app.extensions import db

    with app.app_context():
        return {
            t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables
        }


def test_an_officer_sees_the_what_if_of_a_matter_and_nothing_is_written(world, new_page):
    officer = new_page()
    sign_in(officer, "gz_officer", PASSWORD)
    officer.goto(f"/inbox/matters/new?uscc={journeys.SELLER}&kind=seller")
    officer.fill("#f-ref", "穗市监罚〔2026〕120号")
    officer.select_option("#f-item", "A12.3")
    officer.fill("#f-effective_on", "2026-11-20")
    officer.fill("#f-summary", "现场检查发现销售国家明令淘汰的白炽灯，有现场笔录为证")
    before = counts(world)

    officer.click("[data-testid=whatif-button]")
    row = officer.locator("[data-testid=whatif-row]")
    row.wait_for()
    assert officer.url.endswith(
        f"/inbox/matters/new?uscc={journeys.SELLER}&kind=seller"
    )  # same page
    assert " ".join(row.locator("[data-testid=whatif-before]").inner_text().split()) == "8分 · B"
    assert " ".join(row.locator("[data-testid=whatif-after]").inner_text().split()) == "4分 · C"
    assert "向经营者发出记分告知" in row.inner_text()

    officer.check("#f-intentional")  # the preview follows the form
    after = officer.locator("[data-testid=whatif-after]")
    after.filter(has_text="0分").wait_for()
    assert "D" in after.inner_text()
    assert "锁定三年" in officer.locator("[data-testid=whatif-row]").inner_text()

    assert counts(world) == before  # no matter, no entry, no audit event
    assert officer.locator("[data-testid=matter-form] #f-ref").input_value() == (
        "穗市监罚〔2026〕120号"
    )
