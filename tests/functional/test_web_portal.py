"""The enterprise portal (粤品通) over real HTTP: my objects and why they score what they do, the
repair, objection and reward forms, my notices and cases, the supplement and withdrawal of a
case, the information filing, and that another enterprise's ids answer 404 and change nothing."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

from .web import Browser, make_user

S1, P2 = uscc(1, "440100"), uscc(2)
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


@pytest.fixture
def world(seeded, clock):
    """On 2026-11-26: S1, a Guangzhou seller with a repairable deduction M1 (-4, 2026-11-02)
    and a not repairable one M2 (major impact, intentional, -4, 2026-11-03); P2, a Shenzhen
    producer whose product failed a spot check in 2025 and was classified on 2026-07-01.
    Notices are delivered to both portals today."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.classification import run_classification
    from app.services.imports import import_records
    from app.services.scheduler import tick
    from models import LedgerEntry, Matter, Operator, ScoringObject

    m2 = matter(
        "M2",
        [{"kind": "seller", "uscc": S1}],
        items=["A12.7"],
        bureau="440100",
        effective_on="2026-11-03",
        intentional=True,
    )
    m2["major_impact"] = True
    records = [
        operator(1, bureau="440100", name="广州甲商行"),
        operator(2, name="深圳乙电器厂"),
        product(P2),
        spot_check("GD-CC-2", P2, effective_on="2025-04-10", sampled_on="2025-03-02"),
        matter(
            "M1",
            [{"kind": "seller", "uscc": S1}],
            items=["A12.3"],
            bureau="440100",
            effective_on="2026-11-02",
        ),
        m2,
    ]
    with seeded.app_context():
        report = import_records(
            jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refusals == []
        run_classification(date(2026, 7, 1), actor="t", at=clock.now())
        db.session.commit()
        ops = {o.uscc: o.id for o in db.session.query(Operator)}
        make_user("ent_s1", "enterprise", operator_id=ops[S1])
        make_user("ent_p2", "enterprise", operator_id=ops[P2])
        make_user("gz_officer", "officer", bureau="440100")
        db.session.commit()
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
        objects = {(o.operator.uscc, o.kind): o.id for o in db.session.query(ScoringObject).all()}
        entries = dict(
            db.session.query(Matter.ref, LedgerEntry.id)
            .join(LedgerEntry, LedgerEntry.matter_id == Matter.id)
            .filter(LedgerEntry.kind == "DEDUCTION")
            .all()
        )
    return {"ops": ops, "objects": objects, "entries": entries}


def browser(live_server, username: str) -> Browser:
    b = Browser(live_server)
    assert b.login(username).status == 200
    return b


def counts(app) -> dict:
    """What a refused or forbidden request must leave unchanged."""
    from app.extensions import db
    from models import AuditEvent, Case, CaseTask, FilingItem, LedgerEntry

    with app.app_context():
        return {
            m.__name__: db.session.query(m).count()
            for m in (Case, CaseTask, LedgerEntry, FilingItem, AuditEvent)
        }


def set_filing(app, uscc_: str, complete: bool) -> None:
    from app.extensions import db
    from models import Operator

    with app.app_context():
        db.session.query(Operator).filter_by(uscc=uscc_).update({"filing_complete": complete})
        db.session.commit()


def filing_complete(app, uscc_: str) -> bool:
    from app.extensions import db
    from models import Operator

    with app.app_context():
        return db.session.query(Operator).filter_by(uscc=uscc_).one().filing_complete


def apply_repair(b: Browser, entry_id: int, **extra):
    form = b.get(f"/portal/apply/repair?entry={entry_id}")
    assert form.status == 200, form.text
    data = {
        "entry_id": entry_id,
        "not_intentional_statement": "供应商提供的目录版本错误",
        "rectification": "已下架并更新进货查验制度",
        "undertaking": "on",
        "idempotency_key": KEY.search(form.text).group(1),
        **extra,
    }
    return b.post("/portal/apply/repair", data)


def case_id_of(page) -> int:
    found = re.search(r'href="/letters/cases/(\d+)|/portal/cases/(\d+)/withdraw', page.text)
    assert found, page.text
    return int(found.group(1) or found.group(2))


def open_cases(app, process: str) -> list:
    from app.extensions import db
    from models import Case

    with app.app_context():
        return [
            (c.id, c.status)
            for c in db.session.query(Case).filter_by(process_id=process).order_by(Case.id)
        ]


# ---- pages -----------------------------------------------------------------------------------


def test_every_portal_page_loads_for_its_owner(live_server, world):
    b = browser(live_server, "ent_s1")
    own = world["objects"][(S1, "operator")]
    home = b.get("/portal/")
    assert home.status == 200
    assert f'href="/portal/objects/{own}"' in home
    assert "4" in re.search(r'data-testid="score">([^<]+)<', home.text).group(1)
    assert 'data-testid="open-cases">0<' in home
    for path in (
        f"/portal/objects/{own}",
        "/portal/notices",
        "/portal/cases",
        "/portal/filing",
        f"/portal/apply/repair?entry={world['entries']['M1']}",
        f"/portal/apply/objection?entry={world['entries']['M1']}",
        f"/portal/apply/reward?object={own}",
    ):
        page = b.get(path)
        assert page.status == 200, (path, page.text[:500])
    notices = b.get("/portal/notices")
    assert "M1" in notices and "M2" in notices
    assert "2026-11-26" in notices  # received on delivery
    assert "2026-12-11" in notices  # 15 days on (Art. 24)
    assert "/letters/notices/" in notices and ".pdf" in notices
    assert "新的质量信用记分告知" in notices  # the notification of the delivery
    # Notifications are marked read; the class notice waits to be signed for on its page.
    assert 'data-testid="unread">3<' in home
    read = b.post("/portal/notices/read")
    assert read.status == 200 and "未读" in read  # the class notice
    assert 'data-testid="unread">1<' in b.get("/portal/")
    # Rewards offered are the scoring table's for a seller only.
    reward = b.get(f"/portal/apply/reward?object={own}")
    assert 'value="R17.3"' in reward and 'value="R16"' not in reward


def test_producer_object_explains_every_point_and_charts_its_window(live_server, world):
    b = browser(live_server, "ent_p2")
    home = b.get("/portal/")
    assert home.text.count('class="class-badge class-B"') == 2  # the run of 2026-07-01
    for kind in ("operator", "product"):
        page = b.get(f"/portal/objects/{world['objects'][(P2, kind)]}")
        assert page.status == 200
        shown = Decimal(re.search(r'data-testid="score">([^<]+)<', page.text).group(1))
        lines = re.findall(r'data-points="([-\d.]+)"', page.text)
        assert len(lines) >= 2
        assert sum(Decimal(p) for p in lines) == shown == Decimal(9)
        assert 'class="echart"' in page and "data-options" in page
        assert "2023-11-26" in page  # the chart's 36-month window starts here
        assert "申请信用修复" in page and "提出异议" in page and "申请奖励" in page
        assert f"/letters/classes/{world['objects'][(P2, kind)]}.html" in page
    b.get("/lang/en?next=/portal/")
    page = b.get(f"/portal/objects/{world['objects'][(P2, 'operator')]}")
    assert page.status == 200 and '<html lang="en">' in page


def test_pages_fit_a_phone(live_server, world, seeded):
    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack: list[str] = []
            self.bare = 0
            self.tables = 0

        def handle_starttag(self, tag, attrs):
            if tag in ("input", "br", "meta", "link", "img", "hr", "circle", "rect", "path"):
                return
            cls = dict(attrs).get("class") or ""
            if tag == "table":
                self.tables += 1
                if "table-wrap" not in self.stack:
                    self.bare += 1
            self.stack.append("table-wrap" if "table-wrap" in cls.split() else tag)

        def handle_endtag(self, tag):
            if self.stack:
                self.stack.pop()

    b = browser(live_server, "ent_s1")
    own = world["objects"][(S1, "operator")]
    apply_repair(b, world["entries"]["M1"])
    (case_id, _status), *_ = open_cases(seeded, "repair")
    for path in (
        "/portal/",
        f"/portal/objects/{own}",
        "/portal/notices",
        "/portal/cases",
        f"/portal/cases/{case_id}",
        "/portal/filing",
    ):
        page = b.get(path)
        assert 'name="viewport" content="width=device-width' in page
        parser = Tables()
        parser.feed(page.text)
        assert parser.tables and parser.bare == 0, path


# ---- applications ----------------------------------------------------------------------------


def test_objection_filed_through_the_page_starts_one_case_shown_on_the_cases_page(
    live_server, world, seeded
):
    b = browser(live_server, "ent_s1")
    entry = world["entries"]["M1"]
    form = b.get(f"/portal/apply/objection?entry={entry}")
    assert "2026-12-11" in form  # the window closes 15 days after receipt
    data = [
        ("entry_ids", entry),
        ("evidence", "该产品未列入淘汰目录，见附件目录页"),
        ("idempotency_key", KEY.search(form.text).group(1)),
    ]
    page = b.post("/portal/apply/objection", data)
    assert page.status == 200 and "异议已提交" in page
    assert "审查是否受理" in page  # the step it is at: the bureau's acceptance
    again = b.post("/portal/apply/objection", data)  # a double click
    assert again.status == 200
    cases = open_cases(seeded, "objection")
    assert len(cases) == 1
    listing = b.get("/portal/cases")
    assert f'href="/portal/cases/{cases[0][0]}"' in listing and "异议" in listing
    assert "2026-12-03" in listing  # accept within 5 working days
    # Once decided, the case page links its decision letter.
    from app.extensions import db
    from app.services.cases import Ctx, complete_task
    from models import CaseTask, User

    with seeded.app_context():
        officer = db.session.query(User).filter_by(username="gz_officer").one()
        task = db.session.query(CaseTask).filter_by(case_id=cases[0][0], state="open").one()
        ctx = Ctx("gz_officer", date(2026, 11, 27), seeded.extensions["clock"].now(), user=officer)
        complete_task(task.id, {"decision": "reject", "reasons": "无新证据"}, ctx=ctx)
        db.session.commit()
    page = b.get(f"/portal/cases/{cases[0][0]}")
    assert "不予受理" in page and 'data-testid="decision-letter"' in page
    assert 'data-testid="withdraw"' not in page
    assert b.get(f"/letters/cases/{cases[0][0]}.html").status == 200


def test_objection_is_offered_only_within_its_window(live_server, world, seeded, clock):
    """Art. 24: 15 days from receipt of the notice; after that the button is gone and a filing
    is refused with the date the window closed, writing nothing."""
    b = browser(live_server, "ent_s1")
    path = f"/portal/objects/{world['objects'][(S1, 'operator')]}"
    page = b.get(path)
    assert page.text.count('data-testid="objection"') == 2 and "异议期至 2026-12-11" in page
    form = b.get(f"/portal/apply/objection?entry={world['entries']['M1']}")
    clock.set_today(date(2026, 12, 14))
    page = b.get(path)
    assert 'data-testid="objection"' not in page and "2026-12-11" in page
    assert page.text.count('data-testid="repair"') == 2
    before = counts(seeded)
    late = b.post(
        "/portal/apply/objection",
        {
            "entry_ids": world["entries"]["M1"],
            "evidence": "见附件",
            "idempotency_key": KEY.search(form.text).group(1),
        },
    )
    assert late.status == 422 and 'data-testid="refusal"' in late and "2026-12-11" in late
    assert counts(seeded) == before


def test_refused_repair_shows_every_failed_condition_and_writes_nothing(live_server, world, seeded):
    """R-REPAIR-ELIGIBLE: each failed condition is listed; nothing is written."""
    set_filing(seeded, S1, False)
    b = browser(live_server, "ent_s1")
    before = counts(seeded)
    page = apply_repair(b, world["entries"]["M2"])
    assert page.status == 422
    assert 'data-testid="refusal"' in page
    reasons = re.search(r'data-testid="reasons">(.*?)</ul>', page.text, re.S).group(1)
    assert reasons.count("<li>") == 3
    assert "不予修复（第十四条）" in page  # major social impact (Art. 14)
    assert "第十四条第一项" in page  # intentional conduct (Art. 14(1))
    assert "第十四条第三项" in page  # the information filing is incomplete (Art. 14(3))
    assert "供应商提供的目录版本错误" in page  # what was typed is kept
    assert counts(seeded) == before


def test_a_repair_refused_for_an_incomplete_filing_is_possible_once_filed(
    live_server, world, seeded
):
    """R-REPAIR-ELIGIBLE: the filing (Art. 14(3)) is read from Operator.filing_complete."""
    set_filing(seeded, S1, False)
    b = browser(live_server, "ent_s1")
    refused = apply_repair(b, world["entries"]["M1"])
    assert refused.status == 422 and "第十四条第三项" in refused
    assert "Art. 14: not repairable" not in refused
    b.post("/portal/filing/items", {"kind": "product", "name": "节能台灯", "detail": "某牌 X-1"})
    b.post("/portal/filing/items", {"kind": "supplier", "name": "佛山灯具厂", "detail": ""})
    page = b.post("/portal/filing/declare", {"declaration": "on"})
    assert page.status == 200 and filing_complete(seeded, S1)
    done = apply_repair(b, world["entries"]["M1"])
    assert done.status == 200 and "修复申请已提交" in done
    assert [s for _i, s in open_cases(seeded, "repair")] == ["open"]


def test_supplement_form_completes_the_enterprise_task(live_server, world, seeded, clock):
    from app.extensions import db
    from app.services.cases import Ctx, complete_task
    from models import CaseTask, User

    b = browser(live_server, "ent_s1")
    apply_repair(b, world["entries"]["M1"])
    (case_id, _s), *_ = open_cases(seeded, "repair")
    with seeded.app_context():
        officer = db.session.query(User).filter_by(username="gz_officer").one()
        task = db.session.query(CaseTask).filter_by(case_id=case_id, state="open").one()
        ctx = Ctx("gz_officer", clock.today(), clock.now(), user=officer)
        complete_task(task.id, {"decision": "need_more", "reasons": "请补充下架记录"}, ctx=ctx)
        db.session.commit()
    page = b.get(f"/portal/cases/{case_id}")
    assert 'data-testid="task-form"' in page and "补充材料" in page
    assert "请补充下架记录" in page  # the officer's request, in the history
    with seeded.app_context():
        supplement = db.session.query(CaseTask).filter_by(case_id=case_id, state="open").one()
    empty = b.post(f"/portal/cases/{case_id}/tasks/{supplement.id}", {"material": ""})
    assert empty.status == 422
    done = b.post(f"/portal/cases/{case_id}/tasks/{supplement.id}", {"material": "下架记录见附件"})
    assert done.status == 200 and "已提交" in done
    assert 'data-testid="task-form"' not in done
    with seeded.app_context():
        rows = db.session.query(CaseTask).filter_by(case_id=case_id).order_by(CaseTask.id).all()
        assert [(t.name, t.state) for t in rows] == [
            ("verify_repair", "done"),
            ("supplement_material", "done"),
            ("verify_repair", "open"),
        ]
        assert rows[1].completed_by == "ent_s1"


def test_withdraw_ends_an_open_case_once(live_server, world, seeded):
    b = browser(live_server, "ent_s1")
    apply_repair(b, world["entries"]["M1"])
    (case_id, _s), *_ = open_cases(seeded, "repair")
    # Withdrawing cannot be undone: without the confirmation box nothing changes.
    unconfirmed = b.post(f"/portal/cases/{case_id}/withdraw")
    assert unconfirmed.status == 422 and "不能恢复" in unconfirmed
    assert open_cases(seeded, "repair") == [(case_id, "open")]
    page = b.post(f"/portal/cases/{case_id}/withdraw", {"confirm": "1"})
    assert page.status == 200 and "案件已撤回" in page
    assert open_cases(seeded, "repair") == [(case_id, "withdrawn")]
    assert 'data-testid="withdraw"' not in page
    again = b.post(f"/portal/cases/{case_id}/withdraw", {"confirm": "1"})
    assert again.status == 409 and 'data-testid="refusal"' in again


def test_reward_application_starts_a_reward_case(live_server, world, seeded):
    b = browser(live_server, "ent_s1")
    own = world["objects"][(S1, "operator")]
    form = b.get(f"/portal/apply/reward?object={own}")
    data = {
        "object_id": own,
        "code": "R17.3",
        "statement": "接到通知后3日内停售同型号产品",
        "idempotency_key": KEY.search(form.text).group(1),
    }
    wrong = b.post("/portal/apply/reward", {**data, "code": "R16"})
    assert wrong.status == 422 and 'data-testid="refusal"' in wrong
    page = b.post("/portal/apply/reward", data)
    assert page.status == 200 and "奖励申请已提交" in page
    assert len(open_cases(seeded, "reward")) == 1


# ---- information filing ----------------------------------------------------------------------


def test_filing_sets_and_clears_filing_complete_with_an_audit_trail(live_server, world, seeded):
    from app.extensions import db
    from models import AuditEvent, FilingItem

    set_filing(seeded, S1, False)
    b = browser(live_server, "ent_s1")
    b.post("/portal/filing/items", {"kind": "product", "name": "节能台灯", "detail": "某牌 X-1"})
    early = b.post("/portal/filing/declare", {"declaration": "on"})
    assert early.status == 422 and not filing_complete(seeded, S1)
    unticked = b.post("/portal/filing/declare", {})
    assert unticked.status == 422
    b.post("/portal/filing/items", {"kind": "distributor", "name": "广州某经销部"})
    page = b.post("/portal/filing/declare", {"declaration": "on"})
    assert 'data-testid="filing-status">已完成' in page.text.replace("\n", "")
    assert filing_complete(seeded, S1)
    duplicate = b.post("/portal/filing/items", {"kind": "distributor", "name": "广州某经销部"})
    assert duplicate.status == 409
    with seeded.app_context():
        distributor = db.session.query(FilingItem).filter_by(kind="distributor").one()
    page = b.post(f"/portal/filing/items/{distributor.id}/delete")
    assert page.status == 200 and not filing_complete(seeded, S1)
    with seeded.app_context():
        actions = [
            a
            for (a,) in db.session.query(AuditEvent.action)
            .filter(AuditEvent.action.like("filing.%"))
            .order_by(AuditEvent.id)
        ]
    assert actions == [
        "filing.add",
        "filing.add",
        "filing.complete",
        "filing.remove",
        "filing.incomplete",
    ]


# ---- another enterprise's ids ----------------------------------------------------------------


def test_another_enterprise_changing_ids_gets_404_and_changes_nothing(live_server, world, seeded):
    from app.extensions import db
    from app.services.cases import Ctx, complete_task
    from models import Case, CaseTask, FilingItem, User

    s1 = browser(live_server, "ent_s1")
    apply_repair(s1, world["entries"]["M1"])
    (case_id, _s), *_ = open_cases(seeded, "repair")
    s1.post("/portal/filing/items", {"kind": "product", "name": "节能台灯"})
    with seeded.app_context():
        officer = db.session.query(User).filter_by(username="gz_officer").one()
        task = db.session.query(CaseTask).filter_by(case_id=case_id, state="open").one()
        ctx = Ctx("gz_officer", date(2026, 11, 26), seeded.extensions["clock"].now(), user=officer)
        complete_task(task.id, {"decision": "need_more", "reasons": "请补充"}, ctx=ctx)
        db.session.commit()
        supplement = db.session.query(CaseTask).filter_by(case_id=case_id, state="open").one().id
        item = db.session.query(FilingItem).one().id
        p2_case = db.session.query(Case).filter_by(operator_id=world["ops"][P2]).first().id

    p2 = browser(live_server, "ent_p2")
    before = counts(seeded)
    s1_object = world["objects"][(S1, "operator")]
    entry = world["entries"]["M1"]
    for path in (
        f"/portal/objects/{s1_object}",
        f"/portal/cases/{case_id}",
        f"/portal/apply/repair?entry={entry}",
        f"/portal/apply/objection?entry={entry}",
        f"/portal/apply/reward?object={s1_object}",
    ):
        assert p2.get(path).status == 404, path
    key = "0f8e4c3a-1d2b-4c5d-8e9f-0a1b2c3d4e5f"
    for path, data in (
        (
            "/portal/apply/repair",
            {
                "entry_id": entry,
                "not_intentional_statement": "x",
                "rectification": "y",
                "undertaking": "on",
                "idempotency_key": key,
            },
        ),
        ("/portal/apply/objection", {"entry_ids": entry, "evidence": "x", "idempotency_key": key}),
        (
            "/portal/apply/reward",
            {"object_id": s1_object, "code": "R17.3", "statement": "x", "idempotency_key": key},
        ),
        (f"/portal/cases/{case_id}/tasks/{supplement}", {"material": "x"}),
        (f"/portal/cases/{p2_case}/tasks/{supplement}", {"material": "x"}),
        (f"/portal/cases/{case_id}/withdraw", {"confirm": "1"}),
        (f"/portal/filing/items/{item}/delete", {}),
    ):
        page = p2.post(path, data)
        assert page.status == 404, (path, page.status)
    assert counts(seeded) == before
    assert open_cases(seeded, "repair") == [(case_id, "open")]
    # The owner still sees and works all of it.
    assert s1.get(f"/portal/cases/{case_id}").status == 200
    assert s1.post(f"/portal/cases/{case_id}/tasks/{supplement}", {"material": "x"}).status == 200


def test_r_scope_the_filing_refuses_a_product_outside_the_spec_in_chinese(
    live_server, world, seeded
):
    from app.extensions import db
    from models import FilingItem

    b = browser(live_server, "ent_s1")
    refused = b.post("/portal/filing/items", {"kind": "product", "name": "乘客电梯", "detail": ""})
    assert refused.status == 422
    assert "产品“乘客电梯”属于特种设备" in refused and "不适用本规范（第二条）" in refused
    # a supplier's name is not a product category; an in-scope exception is a product
    assert b.post("/portal/filing/items", {"kind": "supplier", "name": "某电梯公司"}).status == 200
    assert b.post("/portal/filing/items", {"kind": "product", "name": "电梯导轨"}).status == 200
    with seeded.app_context():
        names = sorted(n for (n,) in db.session.query(FilingItem.name))
    assert names == ["某电梯公司", "电梯导轨"]


def test_r_rights_a_repair_entry_offers_an_objection_within_15_days_of_the_decision(
    live_server, world, seeded, clock
):
    """R-RIGHTS: the repair's row offers 提出异议 until 15 days after the decision (approved
    on 2026-11-27: to 2026-12-14, a Monday); the objection page names the repair."""
    from app.extensions import db
    from app.services.cases import Ctx, complete_task
    from models import CaseTask, LedgerEntry, User

    b = browser(live_server, "ent_s1")
    apply_repair(b, world["entries"]["M1"])
    (case_id, _s), *_ = open_cases(seeded, "repair")
    clock.set_today(date(2026, 11, 27))
    with seeded.app_context():
        officer = db.session.query(User).filter_by(username="gz_officer").one()
        task = db.session.query(CaseTask).filter_by(case_id=case_id, state="open").one()
        ctx = Ctx("gz_officer", clock.today(), clock.now(), user=officer)
        complete_task(task.id, {"decision": "approve", "rectified_confirmed": True}, ctx=ctx)
        db.session.commit()
        repair_id = db.session.query(LedgerEntry.id).filter_by(kind="REPAIR").scalar()
    path = f"/portal/objects/{world['objects'][(S1, 'operator')]}"
    page = b.get(path)
    row = page.text.split(f'data-entry="{repair_id}"')[1].split("</tr>")[0]
    assert 'data-testid="objection"' in row and "异议期至 2026-12-14" in row
    form = b.get(f"/portal/apply/objection?entry={repair_id}")
    assert form.status == 200 and "自收到决定之日起15日内，至 2026-12-14" in form
    filed = b.post(
        "/portal/apply/objection",
        {
            "entry_ids": repair_id,
            "evidence": "本次扣分为36个月内首次扣分，应恢复全部扣分",
            "idempotency_key": KEY.search(form.text).group(1),
        },
    )
    assert filed.status == 200 and "异议已提交" in filed
    clock.set_today(date(2026, 12, 15))
    row = b.get(path).text.split(f'data-entry="{repair_id}"')[1].split("</tr>")[0]
    assert 'data-testid="objection"' not in row and "异议期已于 2026-12-14 届满" in row


def test_r_rights_a_refused_repair_can_be_objected_to_from_its_case_page(
    live_server, world, seeded, clock
):
    """R-RIGHTS: a refusal is a decision too: its case page offers an objection for 15 days
    after it (refused on 2026-11-27: to 2026-12-14); the objection goes to the bureau that
    refused, and the offer is gone once the window closes."""
    from app.extensions import db
    from app.services.cases import Ctx, complete_task
    from models import Case, CaseTask, User

    b = browser(live_server, "ent_s1")
    apply_repair(b, world["entries"]["M1"])
    (case_id, _s), *_ = open_cases(seeded, "repair")
    clock.set_today(date(2026, 11, 27))
    with seeded.app_context():
        officer = db.session.query(User).filter_by(username="gz_officer").one()
        task = db.session.query(CaseTask).filter_by(case_id=case_id, state="open").one()
        ctx = Ctx("gz_officer", clock.today(), clock.now(), user=officer)
        complete_task(task.id, {"decision": "reject", "reasons": "整改材料不全"}, ctx=ctx)
        db.session.commit()
    page = b.get(f"/portal/cases/{case_id}")
    assert 'data-testid="refusal-objection"' in page and "2026-12-14" in page
    empty = b.post(
        f"/portal/cases/{case_id}/objection",
        {"evidence": " ", "idempotency_key": KEY.search(page.text).group(1)},
    )
    assert empty.status == 422 and "提出异议须附理由和证据" in empty  # nothing filed
    filed = b.post(
        f"/portal/cases/{case_id}/objection",
        {"evidence": "整改照片已于申请时提交", "idempotency_key": KEY.search(page.text).group(1)},
    )
    assert filed.status == 200 and "异议已提交" in filed
    with seeded.app_context():
        objection = db.session.query(Case).filter_by(process_id="objection").one()
        assert objection.subject["refused_case"] == case_id
        assert objection.deciding_bureau == "440100"
    clock.set_today(date(2026, 12, 15))
    assert 'data-testid="refusal-objection"' not in b.get(f"/portal/cases/{case_id}")
