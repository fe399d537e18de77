"""R-CHANNEL over real HTTP: an operator files the e-mail, mobile and postal address notices
reach it at (the information filing page); the deciding bureau prints the batch of letters to
post, each with its address block; nobody else can."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import jsonl, matter, operator, uscc

from .test_letters import pdf_text
from .web import Browser, make_user

S1, L1, L2 = uscc(21, "440100"), uscc(22, "440100"), uscc(23, "440100")
ADDRESS = "广州市越秀区东风中路2号 510030"


def _world(seeded, clock):
    from app.extensions import db
    from app.services.imports import import_records
    from models import Operator

    records = [operator(n, bureau="440100", name=f"广州{n}号商行") for n in (21, 22, 23)]
    records += [
        matter(
            f"M{code[-3:]}",
            [{"kind": "seller", "uscc": code}],
            items=["A12.3"],
            bureau="440100",
            effective_on="2026-11-02",
        )
        for code in (L1, L2)
    ]
    with seeded.app_context():
        report = import_records(
            jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refusals == []
        ops = {o.uscc: o for o in db.session.scalars(select(Operator))}
        ops[L1].postal_address = ADDRESS
        ops[L2].postal_address = "广州市天河区体育西路1号 510620"
        make_user("ent_s1", "enterprise", operator_id=ops[S1].id)
        for name, role, bureau in [
            ("gz_officer", "officer", "440100"),
            ("prov_supervisor", "supervisor", "440000"),
            ("sz_officer", "officer", "440300"),
        ]:
            make_user(name, role, bureau=bureau)
        db.session.commit()
        return {k: o.id for k, o in ops.items()}


def _browser(base: str, who: str) -> Browser:
    b = Browser(base)
    assert b.login(who).status == 200
    return b


def test_r_channel_operators_file_where_notices_reach_them(live_server, seeded, clock):
    from app.extensions import db
    from models import AuditEvent, Operator

    ids = _world(seeded, clock)
    b = _browser(live_server, "ent_s1")
    page = b.get("/portal/filing")
    assert 'data-testid="contact-form"' in page
    bad = b.post(
        "/portal/filing/contacts",
        {"email": "not-an-address", "mobile": "1380013800", "postal_address": ""},
    )
    assert bad.status == 422 and "有效的电子邮箱" in bad and "11位手机号码" in bad
    good = b.post(
        "/portal/filing/contacts",
        {"email": "qa@gz21.example", "mobile": "13800138000", "postal_address": ADDRESS},
    )
    assert good.status == 200 and "联系方式已保存" in good
    with seeded.app_context():
        op = db.session.get(Operator, ids[S1])
        assert (op.email, op.mobile, op.postal_address) == (
            "qa@gz21.example",
            "13800138000",
            ADDRESS,
        )
        assert (
            db.session.scalar(
                select(AuditEvent.actor).where(AuditEvent.action == "filing.contacts")
            )
            == "ent_s1"
        )
    # An empty field clears it.
    b.post("/portal/filing/contacts", {"email": "", "mobile": "", "postal_address": ADDRESS})
    with seeded.app_context():
        op = db.session.get(Operator, ids[S1])
        assert (op.email, op.mobile) == (None, None)


def test_r_channel_the_deciding_bureau_prints_its_letters_to_post(live_server, seeded, clock):
    from app.extensions import db
    from app.services.applications import issue_notices
    from app.services.cases import Ctx

    _world(seeded, clock)
    with seeded.app_context():
        issue_notices(ctx=Ctx("scheduler", clock.today(), clock.now()))
        db.session.commit()
    officer = _browser(live_server, "gz_officer")
    queue = officer.get("/inbox/")
    assert 'data-testid="letters-to-post"' in queue and "待邮寄的告知书：2 份" in queue
    status, pdf, headers = officer.download("/letters/post/440100.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    text = pdf_text(pdf)
    assert ADDRESS in text and "广州22号商行" in text and "广州23号商行" in text
    assert text.count("质量信用记分告知书") == 2
    assert text.index(ADDRESS) < text.index("广州22号商行（统一社会信用代码")  # address first
    status, _pdf, _h = _browser(live_server, "prov_supervisor").download("/letters/post/440100.pdf")
    assert status == 200
    for who in ("sz_officer", "ent_s1"):
        status, body, _h = _browser(live_server, who).download("/letters/post/440100.pdf")
        assert status in (403, 404) and not body.startswith(b"%PDF"), who
    status, _b, headers = Browser(live_server).download("/letters/post/440100.pdf")
    assert status == 302 and "/login" in headers["Location"]
