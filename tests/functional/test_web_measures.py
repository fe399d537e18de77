"""The measures pages over real HTTP (rules §10): staff lists by bureau and tree, recording an
interview, the enterprise's class notices and rectification report, the officer's
verification to completion, inspection plans and their download, and who may see what."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

from .web import Browser, make_user

S2, S3, S4 = uscc(2, "440100"), uscc(3, "440100"), uscc(4)


@pytest.fixture
def world(seeded, clock):
    """On 2026-07-01: S2 (Guangzhou seller) B, S3 (Guangzhou) C, S4 (Shenzhen) D, and 20 clean
    Shenzhen producers (A); the rectification cases started by the scheduler."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.classification import run_classification
    from app.services.imports import import_records
    from app.services.scheduler import tick
    from models import Measure, Operator

    records = [
        operator(2, bureau="440100", name="广州乙商行"),
        matter("M-B", [{"kind": "seller", "uscc": S2}], items=["A12.3"], bureau="440100"),
        operator(3, bureau="440100", name="广州丙商行"),
        matter(
            "M-C",
            [{"kind": "seller", "uscc": S3}],
            items=["A12.5"],
            intentional=True,
            bureau="440100",
        ),
        operator(4, name="深圳丁商行"),
        matter("M-D1", [{"kind": "seller", "uscc": S4}], items=["A12.5"], intentional=True),
        matter("M-D2", [{"kind": "seller", "uscc": S4}], items=["A12.3"], intentional=True),
    ]
    for n in range(100, 120):
        records += [
            operator(n),
            product(uscc(n), brand=f"牌{n}"),
            spot_check(f"GD-CC-{n}", uscc(n), result="pass", brand=f"牌{n}"),
        ]
    with seeded.app_context():
        report = import_records(
            jsonl(records).splitlines(True), today=date(2026, 6, 30), actor="t", at=clock.now()
        )
        assert report.refusals == []
        run_classification(date(2026, 7, 1), actor="t", at=clock.now())
        db.session.commit()
        ops = {o.uscc: o.id for o in db.session.query(Operator)}
        make_user("ent_s2", "enterprise", operator_id=ops[S2])
        make_user("ent_s3", "enterprise", operator_id=ops[S3])
        make_user("gz_officer", "officer", bureau="440100")
        make_user("sz_officer", "officer", bureau="440300")
        make_user("gz_supervisor", "supervisor", bureau="440100")
        make_user("prov_supervisor", "supervisor", bureau="440000")
        db.session.commit()
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
        ids = {
            (uscc_, kind): mid
            for uscc_, kind, mid in db.session.query(Operator.uscc, Measure.kind, Measure.id).join(
                Operator, Operator.id == Measure.operator_id
            )
        }
    return ids


def browser(live_server, username: str) -> Browser:
    b = Browser(live_server)
    assert b.login(username).status == 200
    return b


def test_officer_sees_own_bureau_and_records_an_interview(live_server, world):
    b = browser(live_server, "gz_officer")
    home = b.get("/inbox/")
    assert "监管措施" in home and "检查计划" in home  # in the officer's menu
    page = b.get("/measures/")
    assert page.status == 200
    assert "广州丙商行" in page and "约谈和培训质量负责人" in page
    assert "深圳丁商行" not in page  # another bureau's
    interview = world[(S3, "interview_training")]
    detail = b.get(f"/measures/{interview}")
    assert "广州市市场监督管理局" in detail  # the bureau in charge, by name
    refused = b.post(f"/measures/{interview}/done", {"note": ""})
    assert refused.status == 422 and "办理情况" in refused
    page = b.post(f"/measures/{interview}/done", {"note": "7月3日约谈质量负责人并培训"})
    assert page.status == 200 and "已完成" in page and "7月3日约谈质量负责人并培训" in page
    again = b.post(f"/measures/{interview}/done", {"note": "again"})
    assert again.status == 409


def test_other_bureaus_and_enterprises_get_404(live_server, world):
    interview = world[(S3, "interview_training")]
    sz = browser(live_server, "sz_officer")
    assert sz.get(f"/measures/{interview}").status == 404
    assert sz.post(f"/measures/{interview}/done", {"note": "x"}).status == 404
    ent = browser(live_server, "ent_s2")
    assert ent.get(f"/measures/{world[(S3, 'rectification')]}").status == 404
    assert ent.post(f"/measures/{world[(S3, 'rectification')]}/task", {"report": "x"}).status == 404
    assert ent.get("/measures/").status == 403  # the staff list is not for enterprises
    assert ent.get("/measures/plans").status == 403
    anonymous = Browser(live_server)
    assert anonymous.get("/measures/mine", follow=False).status == 302  # to sign in


def test_supervisor_sees_exactly_the_tree(live_server, world):
    gz = browser(live_server, "gz_supervisor").get("/measures/?state=all")
    assert "广州乙商行" in gz and "广州丙商行" in gz and "深圳丁商行" not in gz
    prov = browser(live_server, "prov_supervisor").get("/measures/?klass=D")
    assert "深圳丁商行" in prov and "红色监管警示" in prov and "广州乙商行" not in prov


def _task_id(page) -> str:
    return re.search(r'name="task_id" value="(\d+)"', page.text).group(1)


def test_enterprise_acknowledges_and_rectification_runs_to_completion(live_server, world):
    ent = browser(live_server, "ent_s2")
    assert "监管措施" in ent.get("/portal/")
    mine = ent.get("/measures/mine")
    assert mine.status == 200 and "黄色监管提示" in mine and "B类" in mine
    assert 'action="/measures/mine/acknowledge"' in mine
    run_id = re.search(r'name="run_id" value="(\d+)"', mine.text).group(1)
    acked = ent.post("/measures/mine/acknowledge", {"run_id": run_id})
    assert acked.status == 200 and "已签收" in acked
    assert 'action="/measures/mine/acknowledge"' not in acked  # nothing left to acknowledge
    assert ent.post("/measures/mine/acknowledge", {"run_id": run_id}).status == 409

    rect = world[(S2, "rectification")]
    page = ent.get(f"/measures/{rect}")
    assert page.status == 200 and "报告整改情况" in page
    page = ent.post(
        f"/measures/{rect}/task", {"task_id": _task_id(page), "report": "已停止销售淘汰产品"}
    )
    assert page.status == 200 and "核查整改情况" in page

    officer = browser(live_server, "gz_officer")
    page = officer.get(f"/measures/{rect}")
    assert "核查结论" in page
    task_id = _task_id(page)
    refused = officer.post(f"/measures/{rect}/task", {"task_id": task_id, "decision": "reject"})
    assert refused.status == 422
    officer.post(
        f"/measures/{rect}/task",
        {"task_id": task_id, "decision": "reject", "reasons": "仓库仍有库存"},
    )
    page = ent.get(f"/measures/{rect}")
    assert "仓库仍有库存" in page
    ent.post(f"/measures/{rect}/task", {"task_id": _task_id(page), "report": "库存已退回供应商"})
    page = officer.get(f"/measures/{rect}")
    page = officer.post(
        f"/measures/{rect}/task",
        {"task_id": _task_id(page), "decision": "accept", "reasons": "现场核查到位"},
    )
    assert page.status == 200
    assert re.search(r'data-testid="state">已完成<', page.text)
    assert "现场核查到位" in page
    mine = ent.get("/measures/mine")
    assert re.search(rf'data-measure="{rect}">.*?已完成', mine.text, re.S)


def test_officer_cannot_verify_another_bureaus_rectification(live_server, world):
    rect = world[(S2, "rectification")]
    ent = browser(live_server, "ent_s2")
    page = ent.get(f"/measures/{rect}")
    ent.post(f"/measures/{rect}/task", {"task_id": _task_id(page), "report": "已整改"})
    sz = browser(live_server, "sz_officer")
    assert sz.post(f"/measures/{rect}/task", {"task_id": "1", "decision": "accept"}).status == 404


def test_d_class_measure_shows_the_serious_flag_to_staff(live_server, world):
    page = browser(live_server, "prov_supervisor").get(f"/measures/{world[(S4, 'interview')]}")
    assert page.status == 200 and 'data-testid="serious-flag"' in page and "情节严重" in page
    page = browser(live_server, "gz_supervisor").get(
        f"/measures/{world[(S3, 'interview_training')]}"
    )
    assert 'data-testid="serious-flag"' not in page


def test_inspection_plan_generated_recorded_and_downloaded(live_server, world):
    b = browser(live_server, "prov_supervisor")
    form = b.get("/measures/plans")
    assert form.status == 200 and "440300" in form
    page = b.post("/measures/plans", {"year": "2026", "bureau": "440000", "seed": "99"})
    assert page.status == 200 and 'data-testid="seed">99<' in page
    plan_id = re.search(r"/measures/plans/(\d+)\.xlsx", page.text).group(1)
    assert "深圳丁商行" in page  # D: four inspections a year
    with b.opener.open(f"{live_server}/measures/plans/{plan_id}.xlsx") as resp:
        assert resp.headers["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
        book = load_workbook(io.BytesIO(resp.read()), read_only=True)
    rows = list(book["重点检查对象"].iter_rows(values_only=True))
    assert rows[0][1] == "类别" and {r[1] for r in rows[1:]} == {"B", "C", "D"}
    needed = {r[3]: r[6] for r in rows[1:]}
    assert needed == {"广州乙商行": 1, "广州丙商行": 2, "深圳丁商行": 4}
    chosen = list(book["A类随机抽取"].iter_rows(values_only=True))
    assert len(chosen) == 1 + 2  # ceil(40 A objects × 5 %)
    verified = b.get(f"/measures/plans/{plan_id}/verify")
    assert verified.status == 200 and "核验一致" in verified
    again = b.post("/measures/plans", {"year": "2026", "bureau": "440000", "seed": "99"})
    digest = re.search(r'data-testid="selection-digest">(\w+)<', page.text).group(1)
    assert f'data-testid="selection-digest">{digest}<' in again


def test_inspection_plan_refusals(live_server, world):
    b = browser(live_server, "gz_supervisor")
    assert b.post("/measures/plans", {"year": "2026", "bureau": "440300"}).status == 404
    page = b.post("/measures/plans", {"year": "2025", "bureau": "440100"})
    assert page.status == 422 and "2025" in page
    page = b.post("/measures/plans", {"year": "abc", "bureau": "440100"})
    assert page.status == 400
    plan = browser(live_server, "prov_supervisor").post(
        "/measures/plans", {"year": "2026", "bureau": "440300", "seed": "1"}
    )
    plan_id = re.search(r"/measures/plans/(\d+)\.xlsx", plan.text).group(1)
    assert b.get(f"/measures/plans/{plan_id}").status == 404  # Shenzhen's plan
    assert b.get(f"/measures/plans/{plan_id}.xlsx").status == 404


def test_pages_render_in_english_too(live_server, world):
    ent = browser(live_server, "ent_s2")
    ent.get("/lang/en?next=/measures/mine")
    page = ent.get("/measures/mine")
    assert page.status == 200 and 'lang="en"' in page
    assert ent.get(f"/measures/{world[(S2, 'rectification')]}").status == 200
    staff = browser(live_server, "prov_supervisor")
    staff.get("/lang/en?next=/measures/")
    assert staff.get("/measures/").status == 200
    assert staff.get("/measures/plans").status == 200
