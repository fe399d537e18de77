"""In chromium: the charts (ECharts, drawn from server-built options) with their figures beside
them, a classification run's progress bar advancing while the worker runs, and the enterprise
and public pages on a 390 px phone (no sideways scroll, the actions in reach, the menu folded)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.functional.web import PASSWORD, make_user

from .conftest import sign_in
from .test_journeys import run_scheduler, world  # noqa: F401  (fixture)

PHONE = {"width": 390, "height": 844}


def chart_option(page, selector: str) -> dict:
    """The options the chart was drawn with, as ECharts holds them."""
    return page.evaluate(
        "s => echarts.getInstanceByDom(document.querySelector(s)).getOption()", selector
    )


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def classified(world, clock):  # noqa: F811
    """The world after the classification run of 2026-07-01."""
    from app.extensions import db
    from app.services.classification import run_classification

    with world.app_context():
        run_classification(date(2026, 7, 1), actor="t", at=clock.now())
        db.session.commit()
    return world


def test_statistics_draw_each_chart_beside_its_figures_with_every_class_in_the_legend(
    classified, new_page
):
    page = new_page()
    sign_in(page, "gz_supervisor", PASSWORD)
    page.goto("/statistics/")
    page.wait_for_selector("#classes .echart.drawn canvas")
    assert page.locator("#classes .echart canvas").first.is_visible()
    # The figures stay on the page: the chart's own table and the section's table.
    assert page.locator("#classes details.chart-data table").count() == 2
    assert page.locator("#classes > .table-wrap table tbody tr").count() >= 1
    option = chart_option(page, "#classes .echart")
    assert option["legend"][0]["data"] == ["A类", "B类", "C类", "D类", "O类"]
    assert option["yAxis"][0]["minInterval"] == 1  # counts: whole numbers on the axis
    figures = page.locator("#classes details.chart-data").first
    assert figures.get_attribute("open") is None  # folded once the chart is drawn
    figures.locator("summary").click()
    assert "O类" in figures.inner_text()

    page.click("text=English")
    page.wait_for_selector("#classes .echart.drawn canvas")
    option = chart_option(page, "#classes .echart")
    assert option["legend"][0]["data"] == ["Class A", "Class B", "Class C", "Class D", "Class O"]


def test_a_month_with_nothing_done_shows_no_data_not_zero(world, new_page):  # noqa: F811
    page = new_page()
    sign_in(page, "gz_supervisor", PASSWORD)
    page.goto("/supervision/")
    selector = "[data-testid=on-time] .echart"
    page.wait_for_selector(f"{selector}.drawn canvas")
    option = chart_option(page, selector)
    bars = option["series"][0]["data"]
    assert bars and all(v == "-" for v in bars)  # no task completed: no bar, not a 0 % bar
    assert "无数据" in [s["name"] for s in option["series"]]  # the mark on the axis
    assert "无数据" in option["legend"][0]["data"]
    # The tooltip says so too.
    page.evaluate(
        """s => {
            const chart = echarts.getInstanceByDom(document.querySelector(s));
            const [x, y] = chart.convertToPixel({xAxisIndex: 0, yAxisIndex: 0}, [0, 50]);
            chart.dispatchAction({type: 'showTip', x: x, y: y});
        }""",
        selector,
    )
    tip = page.locator(selector).first.locator("xpath=./div").last  # the month chart's tooltip
    tip.wait_for(state="visible")
    assert "无数据" in tip.inner_text() and "0%" not in tip.inner_text()
    figures = page.locator("[data-testid=on-time] details.chart-data").first
    assert "无数据" in figures.inner_text(timeout=1000) or figures.get_attribute("open") is None
    assert "0%" not in page.evaluate(
        "s => document.querySelector(s).parentNode.querySelector('table').textContent",
        selector,
    )


def test_a_run_started_on_the_admin_page_shows_its_progress_bar_advance(
    world,  # noqa: F811
    clock,
    new_page,
    monkeypatch,
    tmp_path,
):
    from app.extensions import db
    from app.services import classification, progress

    with world.app_context():
        make_user("admin_b", "admin")
        db.session.commit()
    world.config["PROGRESS_DIR"] = str(tmp_path / "progress")
    page = new_page()
    sign_in(page, "admin_b", PASSWORD)
    page.goto("/admin/runs")
    page.click("main #start button[type=submit]")  # the run's effects first
    page.click("[data-testid=run-preview] button[type=submit]")  # then queue it
    bar = page.locator("[data-testid=run-progress] progress")
    assert bar.get_attribute("value") is None  # waiting for the worker
    assert "排队中" in page.locator("[data-testid=run-progress]").inner_text()

    # One operator per batch; after each batch the page's bar must show it (it asks every
    # second) before the worker goes on.
    monkeypatch.setattr(classification, "OPERATORS_PER_BATCH", 1)
    shown: list[tuple[str, str]] = []
    write = progress.write

    def observed(kind, key, done, total):
        write(kind, key, done, total)
        page.wait_for_function(
            "n => document.querySelector('[data-testid=run-progress] progress')"
            "?.getAttribute('value') === String(n)",
            arg=done,
        )
        shown.append((bar.get_attribute("value"), page.locator(".progress-text").inner_text()))

    monkeypatch.setattr(progress, "write", observed)
    run_scheduler(world, clock)
    total = shown[-1][0]
    assert [v for v, _t in shown] == sorted({v for v, _t in shown}, key=int)  # it advances
    assert len(shown) >= 2 and int(shown[0][0]) == 0
    assert shown[-1][1] == f"已处理 {total} / {total} 个记分对象"
    assert bar.get_attribute("max") == total
    # Done: the page comes back by itself with the run listed.
    page.wait_for_selector("[data-testid=requests] tr[data-state=done]")
    assert page.locator("[data-testid=run-progress]").count() == 0


def test_the_score_page_on_a_phone_shows_cards_with_their_actions(world, new_page):  # noqa: F811
    page = new_page(**PHONE)
    sign_in(page, "ent_s1", PASSWORD)
    page.goto("/portal/")
    page.click("main table a[href*='/portal/objects/'] >> nth=0")
    page.wait_for_selector("[data-testid=chart] .echart.drawn canvas")
    assert no_sideways_scroll(page)
    for action in ("repair", "objection"):
        button = page.locator(f"[data-testid={action}]").first
        assert button.is_visible()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], action
    # Each entry is a card: its header row is hidden and each value says what it is.
    assert not page.locator("[data-testid=explanation] thead").is_visible()
    labels = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=explanation] tbody tr:first-child td')]
            .map(td => getComputedStyle(td, '::before').content)"""
    )
    assert '"生效日期"' in labels and '"分值"' in labels
    # The chart's text is drawn at a readable size and the chart fits the screen.
    option = chart_option(page, "[data-testid=chart] .echart")
    assert option["textStyle"]["fontSize"] >= 11
    assert option["xAxis"][0]["axisLabel"]["fontSize"] >= 11
    width = page.evaluate("document.querySelector('[data-testid=chart] canvas').clientWidth")
    assert 0 < width <= PHONE["width"]
    page.click("[data-testid=repair] >> nth=0")
    page.wait_for_url("**/portal/apply/repair*")
    assert no_sideways_scroll(page)


def test_on_a_phone_the_menu_folds_and_opens(world, new_page):  # noqa: F811
    page = new_page(**PHONE)
    sign_in(page, "ent_s1", PASSWORD)
    link = page.locator("nav.menu >> text=我的通知")
    assert not link.is_visible()
    page.click("[data-testid=menu-button]")
    assert link.is_visible()
    link.click()
    page.wait_for_url("**/portal/notices")
    assert not page.locator("nav.menu >> text=我的案件").is_visible()  # folded again
    # On a wide screen there is no menu button: the menu is always open.
    wide = new_page()
    sign_in(wide, "ent_s1", PASSWORD)
    assert not wide.locator("[data-testid=menu-button]").is_visible()
    assert wide.locator("nav.menu >> text=我的通知").is_visible()


def test_no_enterprise_or_public_page_scrolls_sideways_on_a_phone(world, new_page):  # noqa: F811
    from app.extensions import db
    from models import LedgerEntry, ScoringObject

    with world.app_context():
        obj = db.session.query(ScoringObject).order_by(ScoringObject.id).first()
        entry = db.session.query(LedgerEntry).order_by(LedgerEntry.id).first()
        object_id, entry_id = obj.id, entry.id
    anonymous = new_page(**PHONE)
    public = ["/", "/public/a-class", "/public/dishonesty", "/public/search", "/login"]
    for path in public:
        anonymous.goto(path)
        assert no_sideways_scroll(anonymous), path
    # Signed out, the public menu is shown once.
    anonymous.goto("/")
    anonymous.click("[data-testid=menu-button]")
    menu = anonymous.locator("nav.menu").inner_text()
    for label in ("首页", "A级名单", "失信事项", "信用查询"):
        assert menu.count(label) == 1, label

    page = new_page(**PHONE)
    sign_in(page, "ent_s1", PASSWORD)
    for path in [
        "/portal/",
        f"/portal/objects/{object_id}",
        "/portal/notices",
        "/portal/cases",
        "/portal/filing",
        "/measures/mine",
        f"/portal/apply/repair?entry={entry_id}",
        f"/portal/apply/objection?entry={entry_id}",
        f"/portal/apply/reward?object={object_id}",
        *public,
    ]:
        page.goto(path)
        assert no_sideways_scroll(page), path
