"""The main journeys, clicked through in a real browser (Debian's chromium via Playwright):
an enterprise files an objection from its score page; an officer of the deciding bureau
claims, accepts and resolves it from the inbox; the enterprise's score page changes; and a
supervisor sees a case go overdue when the clock moves past its deadline (R-DL-*, rules §6)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.functional.web import PASSWORD, make_user
from tests.helpers import jsonl, matter, operator, uscc

from .conftest import sign_in

SELLER = uscc(1, "440100")


@pytest.fixture
def world(seeded, clock):
    """A Guangzhou seller with one deduction (A12.3, effective 2026-11-02), its notice delivered
    to the portal today (2026-11-26); a Guangzhou officer and supervisor."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.imports import import_records
    from app.services.scheduler import tick
    from models import Operator

    records = [
        operator(1, bureau="440100", name="广州甲商行"),
        matter(
            "M1",
            [{"kind": "seller", "uscc": SELLER}],
            items=["A12.3"],
            bureau="440100",
            effective_on="2026-11-02",
        ),
    ]
    with seeded.app_context():
        report = import_records(
            jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refusals == []
        op = db.session.query(Operator).filter_by(uscc=SELLER).one()
        make_user("ent_s1", "enterprise", operator_id=op.id)
        make_user("gz_officer", "officer", bureau="440100")
        make_user("gz_supervisor", "supervisor", bureau="440100")
        db.session.commit()
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
    return seeded


def nav(page, label: str) -> None:
    """Follow a menu link; on a phone the menu is folded behind its button first. Whether it
    is folded is asked once the page has loaded: before its stylesheet applies, the button of
    a wide screen's page still shows, and then hides while it is being clicked."""
    page.wait_for_load_state("load")
    if page.locator("[data-testid=menu-button]").is_visible():
        page.click("[data-testid=menu-button]")
    page.click(f"nav.menu >> text={label}")


def run_scheduler(app, clock) -> None:
    """What `flask cases worker` does on each pass."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.scheduler import tick

    with app.app_context():
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)


def file_objection(page) -> str:
    """From the portal's home, through the object's score page, to a filed objection.
    Returns the score shown before filing."""
    sign_in(page, "ent_s1", PASSWORD)
    nav(page, "我的记分对象")
    page.click("main table a[href*='/portal/objects/'] >> nth=0")
    before = page.locator("[data-testid=score]").inner_text()
    page.click("[data-testid=objection]")
    page.fill("textarea[name=evidence]", "该产品不在淘汰目录内，附目录核对记录。")
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/cases/*")
    return before


def test_objection_filed_accepted_and_resolved_changes_the_enterprise_score(world, new_page):
    enterprise = new_page(width=390, height=844)  # a phone
    before = file_objection(enterprise)
    assert float(before) < 12
    assert "异议" in enterprise.locator("main").inner_text()

    officer = new_page()
    sign_in(officer, "gz_officer", PASSWORD)
    nav(officer, "待办任务")
    officer.click("[data-testid=queue] a[href*='/inbox/cases/'] >> nth=0")
    officer.click("[data-testid=claim] button")
    officer.check("input[name=decision][value=accept]")
    officer.click("[data-testid=task-form] button[type=submit]")
    officer.wait_for_load_state()
    # The next task (verification and decision) is open in the same bureau's queue.
    if officer.locator("[data-testid=claim] button").count():
        officer.click("[data-testid=claim] button")
    officer.check("input[name=outcome][value=revoked]")
    officer.fill("textarea[name=reasons]", "经核实，该产品未列入淘汰目录，撤销该记分。")
    officer.click("[data-testid=task-form] button[type=submit]")
    officer.wait_for_load_state()
    assert officer.locator("[data-testid=outcome]").inner_text().strip() != ""
    # bpmn-js drew the process with the steps taken marked as completed.
    officer.wait_for_selector("[data-testid=diagram] .djs-element.completed")
    assert officer.locator("[data-testid=diagram] .djs-element.completed").count() >= 3

    nav(enterprise, "我的记分对象")
    enterprise.click("main table a[href*='/portal/objects/'] >> nth=0")
    assert enterprise.locator("[data-testid=score]").inner_text() == "12"
    nav(enterprise, "我的案件")
    assert "撤销" in enterprise.locator("main").inner_text()


def test_a_supervisor_sees_the_case_go_overdue_when_the_clock_passes_its_deadline(
    world, new_page, clock
):
    enterprise = new_page()
    file_objection(enterprise)

    supervisor = new_page()
    sign_in(supervisor, "gz_supervisor", PASSWORD)
    nav(supervisor, "监督看板")
    total = supervisor.locator("[data-testid=tasks-by-bureau] tr[data-total] [data-col=overdue]")
    assert total.inner_text() == "0"

    # Acceptance is due within 5 working days of filing (2026-11-26 → 2026-12-03).
    clock.set_today(date(2026, 12, 4))
    run_scheduler(world, clock)
    supervisor.reload()
    assert total.inner_text() == "1"
    overdue = supervisor.locator("[data-testid=overdue-tasks] tr[data-task]")
    assert overdue.count() == 1
    assert "2026-12-03" in overdue.inner_text()
    overdue.locator("a").click()
    assert "超期" in supervisor.locator("[data-testid=case-file]").inner_text()
    nav(supervisor, "超期提醒")
    assert "广州甲商行" in supervisor.locator("main").inner_text() or (
        supervisor.locator("main table tr").count() > 1
    )


def test_an_enterprise_uploads_evidence_with_its_objection_and_the_officer_downloads_it(
    world, new_page, tmp_path
):
    """Evidence files (Art. 24): chosen in the portal's form on a phone, listed on the case
    file with their SHA-256, downloaded by the deciding bureau's officer with the same bytes."""
    import hashlib

    photo = tmp_path / "整改照片.png"
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    photo.write_bytes(content)
    enterprise = new_page(width=390, height=844)
    sign_in(enterprise, "ent_s1", PASSWORD)
    nav(enterprise, "我的记分对象")
    enterprise.click("main table a[href*='/portal/objects/'] >> nth=0")
    enterprise.click("[data-testid=objection]")
    enterprise.fill("textarea[name=evidence]", "整改照片见附件。")
    enterprise.set_input_files("[data-testid=files]", str(photo))
    enterprise.click("main button[type=submit]")
    enterprise.wait_for_url("**/portal/cases/*")
    files = enterprise.locator("[data-testid=attachments]")
    assert "整改照片.png" in files.inner_text()
    assert hashlib.sha256(content).hexdigest() in files.inner_text()

    officer = new_page()
    sign_in(officer, "gz_officer", PASSWORD)
    nav(officer, "待办任务")
    officer.click("[data-testid=queue] a[href*='/inbox/cases/'] >> nth=0")
    with officer.expect_download() as got:
        officer.click("[data-testid=attachments] a >> text=整改照片.png")
    download = got.value
    assert download.suggested_filename == "整改照片.png"
    from pathlib import Path

    assert Path(download.path()).read_bytes() == content
