"""The officer's queue and the supervisor's lists in a real browser (Debian's chromium via
Playwright): an officer searches the queue, reads the working days left (R-CAL) and pages it;
a supervisor pages the overdue list and downloads it as XLSX."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.functional.test_queue_lists import NAMES, START, _import, seller_matter
from tests.functional.web import PASSWORD, make_user
from tests.helpers import operator

from .conftest import sign_in


@pytest.fixture
def world(seeded, clock):
    """On 2026-09-29: five Guangzhou sellers with a deduction each, whose notices are
    announcement tasks due 2026-10-09; a Guangzhou officer and supervisor."""
    from app.extensions import db

    clock.set_today(START)
    with seeded.app_context():
        make_user("gz_a", "officer", bureau="440100")
        make_user("gz_sup", "supervisor", bureau="440100")
        db.session.commit()
    records = [operator(n, bureau="440100", name=name) for n, name in NAMES.items()]
    records += [seller_matter(f"GZ-{n}", n, "440100", "2026-09-28") for n in NAMES]
    _import(seeded, clock, records)
    return seeded


def test_an_officer_searches_and_pages_the_queue_with_working_days_left(
    world, new_page, monkeypatch
):
    import app.web.inbox.tasks as tasks

    monkeypatch.setattr(tasks, "PER_PAGE", 2)
    page = new_page()
    sign_in(page, "gz_a", PASSWORD)
    page.goto("/inbox/")
    assert page.locator("[data-testid=total]").inner_text() == "第 1 页，共 3 页 · 5 项"
    lefts = page.locator("[data-testid=queue] [data-testid=left]").all_inner_texts()
    assert lefts == ["剩余3个工作日", "剩余3个工作日"]  # 09-30, 10-08, 10-09 (R-CAL)

    page.fill("[data-testid=search]", "丙电器")
    page.click("[data-testid=filters] button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("[data-testid=queue] tbody tr")
    assert rows.count() == 1 and "广州丙电器有限公司" in rows.inner_text()
    assert page.locator("[data-testid=total]").inner_text() == "第 1 页，共 1 页 · 1 项"

    page.fill("[data-testid=search]", "")
    page.click("[data-testid=filters] button[type=submit]")
    page.click("[data-testid=next-page]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=total]").inner_text() == "第 2 页，共 3 页 · 5 项"
    assert page.locator("[data-testid=queue] tbody tr").count() == 2


def test_a_supervisor_pages_the_overdue_list_and_downloads_it(world, new_page, clock, monkeypatch):
    import app.web.dashboard as dashboard

    monkeypatch.setattr(dashboard, "PER_PAGE", 2)
    clock.set_today(date(2026, 10, 12))
    page = new_page()
    sign_in(page, "gz_sup", PASSWORD)
    page.goto("/supervision/")
    total = page.locator("[data-testid=tasks-total]")
    assert total.inner_text() == "共 5 项 · 第 1 页，共 3 页"
    page.click("[data-testid=overdue-tasks] [data-testid=pager] >> text=下一页")
    page.wait_for_load_state()
    assert page.locator("[data-testid=tasks-total]").inner_text() == "共 5 项 · 第 2 页，共 3 页"
    assert page.locator("[data-testid=overdue-tasks] tbody tr").count() == 2

    with page.expect_download() as info:
        page.click("[data-testid=overdue-tasks] [data-testid=download-xlsx]")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    body = io.BytesIO(download.path().read_bytes())
    cells = list(load_workbook(body).worksheets[0].iter_rows(values_only=True))
    assert cells[0][:4] == ("案件号", "类型", "任务", "经营者")
    assert len(cells) == 1 + 5  # every overdue task, not only the page shown
    assert {c[3] for c in cells[1:]} == set(NAMES.values())
