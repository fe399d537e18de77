"""What-if previews over real HTTP: before an officer records a matter, decides a repair, an
objection or a correction, and before an enterprise applies for a repair, the page shows each
object's score and class before and after and what the decision triggers (R-NOTICE, R-CLASS,
R-DLOCK, R-REPAIR-ONE-MATTER, R-REPAIR-LIMIT, R-RIGHTS) — and writes nothing: every row of every
table is the same after the preview. The decision then taken gives the previewed score."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest

from . import test_web_inbox as inbox
from .test_web_inbox import S1, S4, browser, file_objection, matter_form, open_task, score
from .web import Browser

world = inbox.world  # the inbox's world: sellers of four bureaus, their matters, officers


def every_row(app) -> dict[str, list]:
    """Every row of every table: a preview must leave all of them as they were."""
    from sqlalchemy import select

    from app.extensions import db

    with app.app_context():
        return {
            t.name: sorted(map(repr, db.session.execute(select(t)).all()))
            for t in db.metadata.sorted_tables
        }


def fetch(b: Browser, path: str, data: dict | None = None, *, accept: str | None = None):
    """What the page's script does: the form posted (or a GET) asking for the fragment."""
    headers = {"X-Requested-With": "fetch"} if accept is None else {"Accept": accept}
    body = None
    if data is not None:
        if b.csrf is None:
            b.get("/login")
        body = urllib.parse.urlencode([*data.items(), ("csrf_token", b.csrf)]).encode()
    req = urllib.request.Request(
        b.base + path, data=body, method="POST" if data is not None else "GET", headers=headers
    )
    return b._open(req)


def rows(page) -> list[str]:
    return re.findall(
        r'<div class="whatif-object" data-testid="whatif-row".*?</dl>', page.text, re.S
    )


def cell(row: str, name: str) -> str:
    found = re.search(rf'data-testid="whatif-{name}">(.*?)</dd>', row, re.S)
    assert found, row
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def new_matter(**extra) -> dict:
    form = matter_form(uscc=S4, ref="穗市监罚〔2026〕99号", **extra)
    del form["name"]  # registered: its name is on record
    return form


# ---- recording a matter ------------------------------------------------------------------------


def test_r_notice_the_matter_form_previews_score_class_and_notice_and_writes_nothing(
    world, live_server, clock
):
    b = browser(live_server, "gz_officer")
    page = b.get("/inbox/matters/new")
    assert 'data-testid="whatif-button"' in page and "预览影响" in page
    assert "/static/js/whatif.js" in page
    before = every_row(world)
    fragment = fetch(b, "/whatif/matter", new_matter())
    assert fragment.status == 200, fragment.text
    assert "<html" not in fragment.text  # the fragment alone
    (row,) = rows(fragment)
    assert cell(row, "before") == "8分 · B" and cell(row, "after") == "4分 · C"
    assert cell(row, "matter") == "0 → -4" and "销售者 · 广州丁商行" in row
    assert "向经营者发出记分告知" in row
    assert "2027-01-01 分类时类别由 B 变为 C" in row
    # Without the script: the page again, the form with what was typed and the preview.
    full = b.post("/whatif/matter", new_matter())
    assert full.status == 200 and 'data-testid="matter-form"' in full
    assert 'value="穗市监罚〔2026〕99号"' in full and len(rows(full)) == 1
    # As JSON for a program.
    data = json.loads(fetch(b, "/whatif/matter", new_matter(), accept="application/json").text)
    (obj,) = data["objects"]
    assert (obj["before"], obj["after"]) == (
        {"score": "8.00", "class": "B"},
        {"score": "4.00", "class": "C"},
    )
    assert obj["triggers"] == ["notice", "class_change"]
    assert every_row(world) == before
    assert score(world, clock, S4) == "8.00"
    # Recorded, the matter gives the score the preview showed.
    assert b.post("/inbox/matters/new", new_matter()).status == 200
    assert score(world, clock, S4) == "4.00"


def test_a_preview_adds_nothing_to_the_session(world, clock):
    """The query part builds its hypothetical entries in memory: the session has no new,
    changed or deleted object after a preview of each kind."""
    from app.extensions import db
    from app.queries.whatif import matter_preview, repair_preview, revocation_preview
    from app.services.scoring_tables import load_tables, table_for
    from forms.matters import MatterForm

    entry = _deduction_id(world, S1)
    with world.app_context():
        today = clock.today()
        data = MatterForm().load(new_matter())
        previews = [
            matter_preview(data, table_for(load_tables(), today), today, "01-01,07-01"),
            repair_preview(entry, today, "01-01,07-01"),
            revocation_preview([entry], today, "01-01,07-01", notice=True),
        ]
        assert [len(p.rows) for p in previews] == [1, 1, 1]
        assert not (db.session.new or db.session.dirty or db.session.deleted)


def test_r_dlock_an_intentional_matter_previews_d_and_its_three_year_lock(world, live_server):
    b = browser(live_server, "gz_officer")
    before = every_row(world)
    (row,) = rows(fetch(b, "/whatif/matter", new_matter(intentional="on")))
    assert cell(row, "after") == "0分 · D" and cell(row, "matter") == "0 → -8"
    assert "2027-01-01 分类时列入D类并锁定三年，至 2030-01-01" in row
    assert every_row(world) == before


def test_an_unregistered_seller_is_previewed_from_unscored_and_a_bad_form_asks_for_more(
    world, live_server
):
    b = browser(live_server, "gz_officer")
    (row,) = rows(fetch(b, "/whatif/matter", matter_form()))
    assert cell(row, "before") == "未记分 · O" and cell(row, "after") == "8分 · B"
    incomplete = fetch(b, "/whatif/matter", {"kind": "seller"})
    assert incomplete.status == 422 and "请先完整填写事项" in incomplete
    # A seller cannot be scored under a product's item: the table's refusal, in Chinese.
    refused = fetch(b, "/whatif/matter", new_matter(item="A11.1"))
    assert 'data-testid="whatif-refusal"' in refused and rows(refused) == []


def claimed(b: Browser, app, case_id: int) -> int:
    """The case's open task, claimed by this officer (a step claimed once stays with its
    officer for the next step of the case); its id."""
    task = open_task(app, case_id)[0]
    if open_task(app, case_id)[2] is None:
        b.post(f"/inbox/tasks/{task}/claim", {"back": "case"})
    return task


# ---- deciding a repair ---------------------------------------------------------------------------


def _deduction_id(app, uscc_: str) -> int:
    from app.extensions import db
    from models import LedgerEntry, Operator

    with app.app_context():
        op = db.session.query(Operator).filter_by(uscc=uscc_).one()
        return (
            db.session.query(LedgerEntry.id).filter_by(operator_id=op.id, kind="DEDUCTION").scalar()
        )


def _file_repair(app, clock, entry_id: int) -> int:
    from app.extensions import db
    from app.services.applications import file_repair
    from app.services.cases import Ctx
    from models import User

    with app.app_context():
        user = db.session.query(User).filter_by(username="ent_s1").one()
        ctx = Ctx("ent_s1", clock.today(), clock.now(), user=user)
        case = file_repair(
            entry_id,
            {"not_intentional_statement": "目录版本错误", "rectification": "已下架"},
            ctx=ctx,
        )
        db.session.commit()
        return case.id


def test_r_repair_the_enterprise_sees_if_this_repair_is_approved(world, live_server):
    entry = _deduction_id(world, S1)
    ent = browser(live_server, "ent_s1")
    before = every_row(world)
    page = ent.get(f"/portal/apply/repair?entry={entry}")
    assert page.status == 200 and "如果修复获批" in page
    (row,) = rows(page)
    assert cell(row, "before") == "8分 · B" and cell(row, "after") == "12分 · A"
    assert cell(row, "matter") == "-4 → 0"
    assert "36个月内已修复的事项：0次；获批后：1次" in page
    assert len(rows(fetch(ent, f"/whatif/portal/repair/{entry}"))) == 1
    assert every_row(world) == before
    # Only its own deductions.
    other = _deduction_id(world, S4)
    assert fetch(ent, f"/whatif/portal/repair/{other}").status == 404


def test_r_repair_one_matter_the_officer_previews_the_approval_and_gets_what_it_said(
    world, live_server, clock
):
    case_id = _file_repair(world, clock, _deduction_id(world, S1))
    b = browser(live_server, "gz_officer")
    task = open_task(world, case_id)[0]
    page = b.post(f"/inbox/tasks/{task}/claim", {"back": "case"})
    assert 'data-testid="whatif"' in page and "决定的影响" in page
    (row,) = rows(page)
    assert cell(row, "before") == "8分 · B" and cell(row, "after") == "12分 · A"
    assert "2027-01-01 分类时类别由 B 变为 A" in row
    before = every_row(world)
    rejected = fetch(b, f"/whatif/cases/{case_id}", {"decision": "reject", "reasons": "x"})
    assert "此决定不改变任何记分" in rejected and rows(rejected) == []
    no_js = b.post(f"/whatif/cases/{case_id}", {"decision": "approve"})
    assert no_js.status == 200 and 'data-testid="task-form"' in no_js and len(rows(no_js)) == 1
    assert every_row(world) == before
    done = b.post(
        f"/inbox/cases/{case_id}/tasks/{task}",
        {"decision": "approve", "rectified_confirmed": "on"},
    )
    assert done.status == 200, done.text
    assert score(world, clock, S1) == "12.00"  # what the preview said


def test_r_rights_an_objection_to_a_refused_repair_previews_the_repair_if_revoked(
    world, live_server, clock
):
    from app.extensions import db
    from app.services.applications import file_objection as object_to
    from app.services.cases import Ctx
    from models import User

    refused = _file_repair(world, clock, _deduction_id(world, S1))
    b = browser(live_server, "gz_officer")
    task = open_task(world, refused)[0]
    b.post(f"/inbox/tasks/{task}/claim", {"back": "case"})
    b.post(f"/inbox/cases/{refused}/tasks/{task}", {"decision": "reject", "reasons": "未整改"})
    with world.app_context():
        user = db.session.query(User).filter_by(username="ent_s1").one()
        ctx = Ctx("ent_s1", clock.today(), clock.now(), user=user)
        case_id = object_to([], "已整改，附照片", ctx=ctx, refused_case=refused).id
        db.session.commit()
    accept = open_task(world, case_id)[0]
    b.post(f"/inbox/tasks/{accept}/claim", {"back": "case"})
    b.post(f"/inbox/cases/{case_id}/tasks/{accept}", {"decision": "accept"})
    claimed(b, world, case_id)
    page = b.get(f"/inbox/cases/{case_id}")
    (row,) = rows(page)  # revoking the refusal grants the repair
    assert cell(row, "after") == "12分 · A"
    assert "36个月内已修复的事项：0次；获批后：1次" in page


# ---- deciding an objection, a correction -----------------------------------------------------


def test_r_rights_an_objection_revoked_gives_the_points_back_amended_takes_the_new_points(
    world, live_server, clock
):
    case_id = file_objection(world, clock)
    b = browser(live_server, "gz_officer")
    accept = open_task(world, case_id)[0]
    b.post(f"/inbox/tasks/{accept}/claim", {"back": "case"})
    page = b.get(f"/inbox/cases/{case_id}")
    assert 'data-testid="whatif"' not in page  # acceptance decides no scoring
    b.post(f"/inbox/cases/{case_id}/tasks/{accept}", {"decision": "accept"})
    resolve = claimed(b, world, case_id)
    (row,) = rows(b.get(f"/inbox/cases/{case_id}"))  # revoked: the decision that changes it
    assert cell(row, "after") == "12分 · A" and cell(row, "matter") == "-4 → 0"
    before = every_row(world)
    (amended,) = rows(fetch(b, f"/whatif/cases/{case_id}", {"outcome": "amended", "points": "2"}))
    assert cell(amended, "after") == "10分 · B" and cell(amended, "matter") == "-4 → -2"
    upheld = fetch(b, f"/whatif/cases/{case_id}", {"outcome": "upheld"})
    assert "此决定不改变任何记分" in upheld
    assert every_row(world) == before
    b.post(
        f"/inbox/cases/{case_id}/tasks/{resolve}",
        {"outcome": "amended", "points": "2", "reasons": "按A12.3非故意情形减半"},
    )
    assert score(world, clock, S1) == "10.00"  # what the preview said


def test_r_rights_the_error_report_previews_the_correction_and_its_new_notice(world, live_server):
    entry = _deduction_id(world, S1)
    b = browser(live_server, "gz_officer")
    before = every_row(world)
    page = b.get(f"/inbox/entries/{entry}/correction")
    assert page.status == 200 and "如果更正时撤销该记分" in page
    (row,) = rows(page)
    assert cell(row, "before") == "8分 · B" and cell(row, "after") == "12分 · A"
    assert "向经营者发出记分告知" in row  # a correction issues a new notice
    assert len(rows(fetch(b, f"/whatif/entries/{entry}/correction"))) == 1
    assert every_row(world) == before


def test_r_rights_the_correction_decision_previews_void_or_new_points_and_gets_them(
    world, live_server, clock
):
    entry = _deduction_id(world, S1)
    reporter = browser(live_server, "gz_officer")
    reporter.post(
        f"/inbox/entries/{entry}/correction",
        {"entry_id": entry, "description": "条目应为A12.1（3分），非A12.3"},
    )
    from app.extensions import db
    from models import Case

    with world.app_context():
        case_id = db.session.query(Case.id).filter_by(process_id="correction").scalar()
    b = browser(live_server, "gz_officer2")  # four eyes: another officer decides
    task = open_task(world, case_id)[0]
    page = b.post(f"/inbox/tasks/{task}/claim", {"back": "case"})
    (row,) = rows(page)  # voided: the decision that changes the scoring
    assert cell(row, "after") == "12分 · A" and "向经营者发出记分告知" in row
    before = every_row(world)
    (amended,) = rows(fetch(b, f"/whatif/cases/{case_id}", {"decision": "correct", "points": "3"}))
    assert cell(amended, "after") == "9分 · B" and cell(amended, "matter") == "-4 → -3"
    assert "填写变更后的分值" in fetch(b, f"/whatif/cases/{case_id}", {"decision": "correct"})
    assert "此决定不改变任何记分" in fetch(b, f"/whatif/cases/{case_id}", {"decision": "no_error"})
    assert every_row(world) == before
    done = b.post(
        f"/inbox/cases/{case_id}/tasks/{task}",
        {"decision": "correct", "points": "3", "reasons": "按A12.1记3分"},
    )
    assert done.status == 200, done.text
    assert score(world, clock, S1) == "9.00"  # what the preview said


def test_an_officer_previews_no_matter_on_an_operator_outside_his_reach(world, live_server):
    sz = browser(live_server, "sz_officer")
    page = fetch(sz, "/whatif/matter", new_matter())
    assert "不在本局查看范围内" in page and rows(page) == [] and "8分" not in page


@pytest.mark.parametrize("path", ["/whatif/cases/{case}", "/whatif/entries/{entry}/correction"])
def test_an_officer_of_another_city_previews_nothing_of_its_records(
    world, live_server, clock, path
):
    case_id = file_objection(world, clock)
    entry = _deduction_id(world, S1)
    sz = browser(live_server, "sz_officer")
    assert fetch(sz, path.format(case=case_id, entry=entry)).status == 404
