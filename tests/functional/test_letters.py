"""Printable letters over real HTTP: the notice of a scoring (rules §7, Art. 23), the decision of
each case (rules §4, §8), the notice of a class and its measures (rules §9-10, Art. 26-27), as a
web page and a PDF with the same facts, shown only to the enterprise concerned and to staff
whose bureau covers it."""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
import zlib
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.functional.http import call
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

from .web import Browser, make_user

P1, S1, S3 = uscc(1), uscc(2, "440100"), uscc(3, "440100")
P7 = uscc(7, "440100")  # its product passed a spot check: class A
IMPORT = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/x-ndjson"}
MATTER = "粤穗市监罚〔2026〕7号"
GZ = "广州市市场监督管理局"


@pytest.fixture
def world(live_server, seeded, clock):
    """Seller S1 (Guangzhou) deducted 4 points (A12.3) by the city bureau; producer P1
    (Shenzhen) whose product failed a provincial spot check; another enterprise S3; users for
    each role; notices issued by the scheduler (S1's delivered to its portal today)."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.scheduler import tick
    from models import Operator

    status, report = call(
        "POST",
        f"{live_server}/api/v1/imports",
        jsonl(
            [
                operator(1),
                operator(2, bureau="440100"),
                operator(3, bureau="440100"),
                operator(7, bureau="440100"),
                product(P1),
                product(P7, brand="丙牌"),
                spot_check("GD-CC-7", P7, result="pass", sampled_on="2026-05-01", brand="丙牌"),
                spot_check("GD-CC-1", P1, effective_on="2026-10-10", sampled_on="2026-09-01"),
                matter(
                    MATTER,
                    [{"kind": "seller", "uscc": S1}],
                    items=["A12.3"],
                    bureau="440100",
                    effective_on="2026-11-02",
                ),
            ]
        ),
        IMPORT,
    )
    assert status == 200 and report["refused"] == 0, report
    with seeded.app_context():
        ids = {o.uscc: o.id for o in db.session.scalars(select(Operator))}
        make_user("ent_s1", "enterprise", operator_id=ids[S1])
        make_user("ent_s3", "enterprise", operator_id=ids[S3])
        for name, role, bureau in [
            ("gz_officer", "officer", "440100"),
            ("sz_officer", "officer", "440300"),
            ("gz_supervisor", "supervisor", "440100"),
            ("sz_supervisor", "supervisor", "440300"),
            ("prov_supervisor", "supervisor", "440000"),
            ("admin1", "admin", None),
        ]:
            make_user(name, role, bureau=bureau)
        db.session.commit()
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
    return SimpleNamespace(ids=ids, base=live_server)


def ctx(username: str, clock):
    from app.extensions import db
    from app.services.cases import Ctx
    from models import User

    user = db.session.scalar(select(User).where(User.username == username))
    return Ctx(actor=username, today=clock.today(), now=clock.now(), user=user)


def notice_id(seeded, operator_id: int) -> int:
    from app.extensions import db
    from models import Notice

    with seeded.app_context():
        return db.session.scalar(select(Notice.id).where(Notice.operator_id == operator_id))


def s1_deduction(seeded, ids) -> int:
    from app.extensions import db
    from models import LedgerEntry

    with seeded.app_context():
        return db.session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.operator_id == ids[S1], LedgerEntry.kind == "DEDUCTION"
            )
        )


def pdf_text(data: bytes) -> str:
    """The text of a reportlab PDF: its page streams (ASCII85 + Flate when compressed), and
    in them the (UTF-16BE) string operands of the text operators, joined."""
    streams = []
    for m in re.finditer(rb"<<([^<>]*)>>\s*stream\r?\n(.*?)endstream", data, flags=re.S):
        head, body = m.groups()
        if b"/ASCII85Decode" in head:
            body = base64.a85decode(body.strip().removesuffix(b"~>"))
        if b"/FlateDecode" in head:
            body = zlib.decompress(body)
        streams.append(body)
    out = []
    for raw in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", b"\n".join(streams), flags=re.S):
        unescaped = re.sub(
            rb"\\([0-7]{1,3}|.)",
            lambda m: (
                bytes([int(m.group(1), 8)])
                if m.group(1)[:1].isdigit()
                else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m.group(1), m.group(1))
            ),
            raw,
            flags=re.S,
        )
        out.append(unescaped.decode("utf-16-be", "replace"))
    return "".join(out)


def letter_pdf(world, username: str, path: str) -> str:
    """The PDF as served: checked to be a PDF, returned as its text."""
    pdf = _browser(world, username).get_bytes(path)
    assert pdf.status == 200 and pdf.content_type == "application/pdf"
    assert pdf.body.startswith(b"%PDF")
    return pdf_text(pdf.body)


def built(seeded, build):
    """The letter as the views build it (in a request context, for its words)."""
    with seeded.test_request_context("/"):
        return build()


def test_notice_letter_states_matter_points_score_class_and_rights(world, seeded, clock):
    """Rules §7 (Art. 23, 24): the HTML page and the PDF carry the same facts and deadlines."""
    from app.extensions import db
    from app.letters import content
    from models import Notice

    nid = notice_id(seeded, world.ids[S1])
    page = _browser(world, "ent_s1").get(f"/letters/notices/{nid}.html")
    assert page.status == 200, page.text[:500]
    facts = [
        "质量信用记分告知书",
        MATTER,
        S1,
        "测试企业2有限公司",
        "A12.3 生产或销售国家明令淘汰的产品",
        "扣4分",
        "8分",
        "B类（跟踪监管）",
        "2026年12月11日",  # 15 days from receipt on 2026-11-26 (Art. 24)
        "非主观故意",
        GZ,
        f"信告〔2026〕440100-{nid}号",
    ]
    for fact in facts:
        assert fact in page, fact

    def build():
        return content.notice_letter(db.session.get(Notice, nid), ctx=ctx("ent_s1", clock))

    letter = built(seeded, build)
    assert letter.fact("异议期限") == "2026年12月11日"
    assert letter.fact("累计分数") == "8分"
    text = letter_pdf(world, "ent_s1", f"/letters/notices/{nid}.pdf")
    for fact in facts:
        assert fact in text, fact
    for label, value in letter.facts:  # page and PDF both show every fact of the content
        assert label in page and value in page, label
        assert label in text and value in text, label


def test_a_notice_of_a_non_repairable_matter_says_so(world, seeded, clock):
    """R-REPAIR-ELIGIBLE: an Art. 11(9) matter (A11.9) is never repairable; the notice says so."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.scheduler import tick

    status, report = call(
        "POST",
        f"{world.base}/api/v1/imports",
        jsonl(
            [
                product(S3, brand="乙牌"),
                matter(
                    "粤穗市监罚〔2026〕9号",
                    [{"kind": "product", "producer": S3, "brand": "乙牌", "nice_class": 9}],
                    items=["A11.9"],
                    bureau="440100",
                    effective_on="2026-11-20",
                ),
            ]
        ),
        IMPORT,
    )
    assert status == 200 and report["refused"] == 0, report
    with seeded.app_context():
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
    page = _browser(world, "ent_s3").get(
        f"/letters/notices/{notice_id(seeded, world.ids[S3])}.html"
    )
    assert page.status == 200
    assert "不适用信用修复" in page and "扣12分" in page and "D类" in page


def test_decision_letter_of_a_revoked_objection(world, seeded, clock):
    """Rules §8 (Art. 24): the outcome, the reasons, the entries it wrote, the new score."""
    from app.extensions import db
    from app.letters import content
    from app.services import applications, cases
    from models import Case, CaseTask

    entry = s1_deduction(seeded, world.ids)
    with seeded.app_context():
        case = applications.file_objection([entry], "淘汰目录核对有误", ctx=ctx("ent_s1", clock))
        db.session.commit()
        case_id = case.id
    assert _browser(world, "ent_s1").get(f"/letters/cases/{case_id}.html").status == 409
    with seeded.app_context():
        for data in ({"decision": "accept"}, {"outcome": "revoked", "reasons": "未列入淘汰目录"}):
            task = db.session.scalar(
                select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
            )
            cases.complete_task(task.id, data, ctx=ctx("gz_officer", clock))
            db.session.commit()
        assert db.session.get(Case, case_id).outcome == "revoked"

    page = _browser(world, "ent_s1").get(f"/letters/cases/{case_id}.html")
    assert page.status == 200
    facts = [
        "异议处理结果告知书",
        "异议成立，撤销记分",
        "未列入淘汰目录",
        f"撤销第{entry}号记分记录",
        "12分",
        "A类（一般监管）",
        MATTER,
        S1,
        GZ,
        f"信决〔2026〕440100-{case_id}号",
    ]
    for fact in facts:
        assert fact in page, fact

    def build():
        return content.case_letter(db.session.get(Case, case_id), ctx=ctx("ent_s1", clock))

    letter = built(seeded, build)
    text = letter_pdf(world, "ent_s1", f"/letters/cases/{case_id}.pdf")
    for fact in facts:
        assert fact in text, fact
    for label, value in letter.facts:
        assert label in page and value in page, label
        assert label in text and value in text, label
    for who, status in [
        ("gz_supervisor", 200),
        ("prov_supervisor", 200),
        ("ent_s3", 404),
        ("sz_officer", 404),
        ("sz_supervisor", 404),
    ]:
        got = _browser(world, who).get_bytes(f"/letters/cases/{case_id}.pdf").status
        assert got == status, who


def test_decision_letters_of_a_repair_and_of_an_objection_not_accepted(world, seeded, clock):
    """R-REPAIR-SHARE: a first deduction is restored in full; the letter says by how much."""
    from app.extensions import db
    from app.services import applications, cases
    from models import CaseTask

    entry = s1_deduction(seeded, world.ids)
    with seeded.app_context():
        objection = applications.file_objection([entry], "x", ctx=ctx("ent_s1", clock))
        task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == objection.id))
        cases.complete_task(
            task.id,
            {"decision": "reject", "reasons": "逾期且无新证据"},
            ctx=ctx("gz_officer", clock),
        )
        repair = applications.file_repair(
            entry,
            {
                "not_intentional_statement": "供应商提供的目录版本错误",
                "rectification": "已下架",
                "undertaking": True,
            },
            ctx=ctx("ent_s1", clock),
        )
        task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == repair.id))
        cases.complete_task(
            task.id,
            {"decision": "approve", "rectified_confirmed": True},
            ctx=ctx("gz_officer", clock),
        )
        db.session.commit()
        ids = objection.id, repair.id
    b = _browser(world, "ent_s1")
    page = b.get(f"/letters/cases/{ids[0]}.html")
    assert page.status == 200
    assert "异议不予受理告知书" in page and "逾期且无新证据" in page and "记分调整" in page
    page = b.get(f"/letters/cases/{ids[1]}.html")
    assert page.status == 200
    assert "准予信用修复" in page and "恢复4分" in page and "12分" in page


def test_class_letter_states_the_class_and_its_measures(world, seeded, clock):
    """Rules §9-10 (Art. 26-28): class B → tracking supervision: the yellow notice and the
    rectification order the run set, with its report date, and yearly inspection."""
    from app.extensions import db
    from app.services.classification import run_classification
    from models import Measure, ScoringObject

    with seeded.app_context():
        run_classification(
            date(2026, 11, 26), actor="test", at=clock.now(), off_cycle=True, reason="test"
        )
        db.session.commit()
        objects = dict(
            db.session.execute(
                select(ScoringObject.operator_id, ScoringObject.id).where(
                    ScoringObject.kind == "operator"
                )
            ).all()
        )
        s1 = objects[world.ids[S1]]
        due = db.session.scalar(
            select(Measure.due_on).where(Measure.object_id == s1, Measure.kind == "rectification")
        )
    b = _browser(world, "ent_s1")
    page = b.get(f"/letters/classes/{s1}.html")
    assert page.status == 200
    facts = [
        "质量信用分类及监管措施告知书",
        "B类（跟踪监管）",
        "8分",
        "2026年11月26日",
        "1. 黄色监管提示",
        f"2. 责令整改，请于{due.year}年{due.month}月{due.day}日前报告整改情况",
        "原则上每年实施1次以上监督抽查或检查",
        "不得用于商业用途",  # Art. 28
    ]
    for fact in facts:
        assert fact in page, fact
    text = letter_pdf(world, "ent_s1", f"/letters/classes/{s1}.pdf")
    for fact in facts:
        assert fact in text, fact
    # S3 has no credit record: class O, reactive supervision.
    page = _browser(world, "ent_s3").get(f"/letters/classes/{objects[world.ids[S3]]}.html")
    assert page.status == 200
    assert "O类（反应式监管）" in page and "指导建立产品质量管理档案" in page
    # P7's product passed a spot check (R-START): class A, general supervision, no orders.
    page = _browser(world, "gz_officer").get(f"/letters/classes/{objects[world.ids[P7]]}.html")
    assert page.status == 200
    assert "A类（一般监管）" in page and "双随机、一公开" in page and "公示" in page


def test_letters_are_shown_only_to_the_enterprise_concerned_and_staff_covering_it(
    world, seeded, clock
):
    from app.extensions import db
    from app.services.classification import run_classification
    from models import ScoringObject

    with seeded.app_context():
        run_classification(
            date(2026, 11, 26), actor="test", at=clock.now(), off_cycle=True, reason="test"
        )
        db.session.commit()
        obj = db.session.scalar(
            select(ScoringObject.id).where(
                ScoringObject.operator_id == world.ids[S1], ScoringObject.kind == "operator"
            )
        )
    nid = notice_id(seeded, world.ids[S1])
    paths = [f"/letters/notices/{nid}.html", f"/letters/classes/{obj}.pdf"]
    for who in ("ent_s1", "gz_officer", "gz_supervisor", "prov_supervisor", "admin1"):
        b = _browser(world, who)
        for path in paths:
            assert b.get_bytes(path).status == 200, (who, path)
    for who in ("ent_s3", "sz_officer", "sz_supervisor"):
        b = _browser(world, who)
        for path in [*paths, f"/letters/notices/{nid}.pdf", f"/letters/classes/{obj}.html"]:
            assert b.get_bytes(path).status == 404, (who, path)
    b = _browser(world, "ent_s1")
    assert b.get("/letters/notices/999999.html").status == 404
    assert b.get(f"/letters/notices/{nid}.doc").status == 404
    # P1's notice awaits publication as an announcement: staff of the province see it.
    p1_notice = notice_id(seeded, world.ids[P1])
    page = _browser(world, "prov_supervisor").get(f"/letters/notices/{p1_notice}.html")
    assert page.status == 200 and "GD-CC-1" in page
    anonymous = Browser(world.base).get(f"/letters/notices/{nid}.html", follow=False)
    assert anonymous.status == 302 and "/login" in anonymous.location


# ---- helpers -------------------------------------------------------------------------------


class _Bytes:
    def __init__(self, status, body, content_type):
        self.status, self.body, self.content_type = status, body, content_type


class _LetterBrowser(Browser):
    def get_bytes(self, path: str) -> _Bytes:
        try:
            with self.opener.open(urllib.request.Request(self.base + path), timeout=15) as resp:
                return _Bytes(resp.status, resp.read(), resp.headers.get_content_type())
        except urllib.error.HTTPError as err:
            return _Bytes(err.code, err.read(), err.headers.get_content_type())


def _browser(world, username: str) -> _LetterBrowser:
    b = _LetterBrowser(world.base)
    page = b.login(username)
    assert page.status == 200, (username, page.status)
    return b


def test_r_pause_case_pages_and_the_decision_letter_state_the_pause_and_why(world, seeded, clock):
    """R-PAUSE: a repair verification waits for material (补正) from Thursday 2026-11-26 to
    Tuesday 2026-12-01; the officer's and the enterprise's case pages say that the clock
    stopped, from when (and, once the material arrived, until when) and why, and so does the
    decision letter. The deadline resumes with the 5 working days that were left."""
    from app.extensions import db
    from app.services import applications, cases
    from models import CaseTask, Deadline

    reason = "补正期间不计入办理时限 (R-PAUSE)"
    entry = s1_deduction(seeded, world.ids)
    with seeded.app_context():
        repair = applications.file_repair(
            entry,
            {"not_intentional_statement": "目录版本错误", "rectification": "已下架"},
            ctx=ctx("ent_s1", clock),
        )
        task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == repair.id))
        cases.complete_task(
            task.id,
            {"decision": "need_more", "reasons": "请补充下架记录"},
            ctx=ctx("gz_officer", clock),
        )
        db.session.commit()
        case_id = repair.id
    officer, enterprise = _browser(world, "gz_officer"), _browser(world, "ent_s1")
    for b, path in ((officer, "/inbox/cases"), (enterprise, "/portal/cases")):
        page = b.get(f"{path}/{case_id}")
        assert page.status == 200
        pause = re.search(r'<li data-pause="verify_repair">(.*?)</li>', page.text, re.S)
        assert pause is not None, path
        said = " ".join(pause.group(1).split())
        assert "修复核查期限自2026-11-26起暂停" in said and "等待补正材料" in said, said
        assert "剩余5个工作日" in said and reason in said, said

    clock.set_today(date(2026, 12, 1))
    with seeded.app_context():
        supplement = db.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
        )
        cases.complete_task(supplement.id, {"material": "下架记录见附件"}, ctx=ctx("ent_s1", clock))
        db.session.commit()
        deadline = db.session.scalar(select(Deadline).where(Deadline.case_id == case_id))
        # The 5 working days left, counted after the day the material arrived.
        assert (deadline.state, deadline.due_on) == ("running", date(2026, 12, 8))
    for b, path in ((officer, "/inbox/cases"), (enterprise, "/portal/cases")):
        page = b.get(f"{path}/{case_id}")
        said = " ".join(
            re.search(r'<li data-pause="verify_repair">(.*?)</li>', page.text, re.S)
            .group(1)
            .split()
        )
        assert "修复核查期限自2026-11-26起暂停，至2026-12-01恢复计算" in said, said
        assert reason in said, said

    with seeded.app_context():
        verify = db.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
        )
        cases.complete_task(
            verify.id,
            {"decision": "approve", "rectified_confirmed": True},
            ctx=ctx("gz_officer", clock),
        )
        db.session.commit()
    letter = enterprise.get(f"/letters/cases/{case_id}.html")
    assert letter.status == 200 and "准予信用修复" in letter
    assert "办理期限" in letter
    assert (
        "因等待补正材料，修复核查期限自2026年11月26日起暂停计算，至2026年12月1日收到材料后恢复计算"
        in letter
    )
    assert reason in letter
    assert reason in letter_pdf(world, "ent_s1", f"/letters/cases/{case_id}.pdf")


def test_r_pause_a_decision_without_a_pause_says_nothing_of_one(world, seeded, clock):
    from app.extensions import db
    from app.services import applications, cases
    from models import CaseTask

    with seeded.app_context():
        repair = applications.file_repair(
            s1_deduction(seeded, world.ids),
            {"not_intentional_statement": "目录版本错误", "rectification": "已下架"},
            ctx=ctx("ent_s1", clock),
        )
        task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == repair.id))
        cases.complete_task(
            task.id,
            {"decision": "approve", "rectified_confirmed": True},
            ctx=ctx("gz_officer", clock),
        )
        db.session.commit()
    b = _browser(world, "ent_s1")
    letter = b.get(f"/letters/cases/{repair.id}.html")
    assert letter.status == 200 and "准予信用修复" in letter
    assert "R-PAUSE" not in letter and "办理期限" not in letter
    assert 'data-testid="pauses"' not in b.get(f"/portal/cases/{repair.id}")
