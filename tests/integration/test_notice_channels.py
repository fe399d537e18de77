"""R-CHANNEL (Art. 23): a notice reaches its recipient by 数据电文 — the portal, the e-mail it
filed (sent through a real SMTP server started here) or, where the e-mail is refused, its
mobile (through a local HTTP server standing in for the SMS gateway) — else by a letter the
deciding bureau prints, posts and records as delivered or returned; a returned letter, or no
address at all, leads to the public announcement (通告). The 15-day objection window (Art. 24)
runs from the day the notice counts as received."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.helpers import jsonl, matter, operator, uscc

OK_MAIL, BOUNCE_MAIL = "credit@ok.example", "nobody@bounce.example"
OK_MOBILE, FAILING_MOBILE = "13800138000", "13900139000"
E1, E2, E3, L1, N1 = (uscc(n, "440100") for n in (11, 12, 13, 14, 15))


class _Mailbox:
    """An SMTP server's handler: accepts mail except to bounce.example (550 at RCPT)."""

    def __init__(self):
        self.messages: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@bounce.example"):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    box = _Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, box
    controller.stop()


@pytest.fixture
def sms_gateway():
    """A local HTTP server standing in for the SMS gateway: records each request; answers
    "delivered", or "failed" for FAILING_MOBILE."""
    received: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.headers.get("Authorization"), body))
            ok = body["to"] != FAILING_MOBILE
            answer = (
                {"status": "delivered", "id": f"m{len(received)}"}
                if ok
                else {
                    "status": "failed",
                    "message": "unknown subscriber",
                }
            )
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send", received
    server.shutdown()
    thread.join(5)


@pytest.fixture
def world(seeded, clock, smtp_server, sms_gateway):
    """Five Guangzhou operators without portal accounts, each deducted by the Guangzhou bureau
    (one matter each), who filed: E1 a working e-mail; E2 an e-mail that bounces and a
    mobile; E3 an e-mail that bounces, a mobile the gateway cannot reach and an address;
    L1 only a postal address; N1 nothing."""
    from app.extensions import db
    from app.services.imports import import_records
    from models import Operator
    from tests.functional.web import make_user

    controller, _box = smtp_server
    url, _received = sms_gateway
    seeded.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=controller.port,
        SMTP_SENDER="notices@amr.gd.example",
        SMS_GATEWAY_URL=url,
        SMS_GATEWAY_TOKEN="gw-token",
        SMS_TEMPLATES="deduction_notice:TPL_NOTICE",
    )
    records = [operator(n, bureau="440100", name=f"广州{n}号商行") for n in (11, 12, 13, 14, 15)]
    for code in (E1, E2, E3, L1, N1):
        records.append(
            matter(
                f"穗市监罚〔2026〕{code[-4:]}号",
                [{"kind": "seller", "uscc": code}],
                items=["A12.3"],
                bureau="440100",
                effective_on="2026-11-02",
            )
        )
    contacts = {
        E1: (OK_MAIL, None, None),
        E2: (BOUNCE_MAIL, OK_MOBILE, None),
        E3: (BOUNCE_MAIL, FAILING_MOBILE, "广州市天河区体育西路1号 510620"),
        L1: (None, None, "广州市越秀区东风中路2号 510030"),
        N1: (None, None, None),
    }
    with seeded.app_context():
        report = import_records(
            jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refusals == []
        for op in db.session.scalars(select(Operator)):
            op.email, op.mobile, op.postal_address = contacts[op.uscc]
        make_user("gz_officer", "officer", bureau="440100")
        db.session.commit()
        ids = {o.uscc: o.id for o in db.session.scalars(select(Operator))}
    return ids


def _issue(seeded, clock) -> None:
    from app.extensions import db
    from app.services.applications import issue_notices
    from app.services.cases import Ctx

    with seeded.app_context():
        assert issue_notices(ctx=Ctx("scheduler", clock.today(), clock.now())) == 5
        db.session.commit()


def _notice(op_id: int):
    from app.extensions import db
    from models import Notice, NoticeDelivery

    notice = db.session.scalar(select(Notice).where(Notice.operator_id == op_id))
    tries = db.session.scalars(
        select(NoticeDelivery)
        .where(NoticeDelivery.notice_id == notice.id)
        .order_by(NoticeDelivery.id)
    ).all()
    return notice, [(t.channel, t.address, t.state) for t in tries], tries


def test_r_channel_e_mail_delivers_the_notice_and_counts_as_received_that_day(
    seeded, world, clock, smtp_server
):
    _issue(seeded, clock)
    _c, box = smtp_server
    mails = [(to, msg) for to, msg in box.messages if to == [OK_MAIL]]
    assert len(mails) == 1
    msg = mails[0][1]
    assert msg["From"] == "notices@amr.gd.example"
    assert "质量信用记分告知书" in msg["Subject"] and f"{E1[-4:]}号" in msg["Subject"]
    body = msg.get_content()
    # R-NOTICE's figures of the object, as the printed notice states them.
    assert f"广州11号商行（统一社会信用代码：{E1}）" in body
    assert "所记分值：扣4分" in body and "累计分数：8分" in body and "B类" in body
    assert "15日内" in body  # the right to object, with its days
    with seeded.app_context():
        notice, tries, _t = _notice(world[E1])
        assert tries == [("email", OK_MAIL, "delivered")]
        assert (notice.channel, notice.received_on) == ("email", date(2026, 11, 26))


def test_r_channel_a_refused_e_mail_is_recorded_and_falls_back_to_sms(
    seeded, world, clock, smtp_server, sms_gateway
):
    from app.extensions import db
    from models import CaseEvent

    _issue(seeded, clock)
    _c, box = smtp_server
    assert all(BOUNCE_MAIL not in to for to, _m in box.messages)
    _url, received = sms_gateway
    sms = [body for _auth, body in received if body["to"] == OK_MOBILE]
    assert sms == [
        {
            "to": OK_MOBILE,
            "template": "TPL_NOTICE",
            "params": {
                "company": "广州12号商行",
                "matter": f"穗市监罚〔2026〕{E2[-4:]}号",
                "bureau": "广州市市场监督管理局",
                "days": "15",
            },
        }
    ]
    assert {auth for auth, _b in received} == {"Bearer gw-token"}
    with seeded.app_context():
        notice, tries, rows = _notice(world[E2])
        assert tries == [("email", BOUNCE_MAIL, "refused"), ("sms", OK_MOBILE, "delivered")]
        assert rows[0].detail.startswith("550")
        assert (notice.channel, notice.received_on) == ("sms", date(2026, 11, 26))
        history = db.session.scalars(
            select(CaseEvent.action)
            .where(CaseEvent.case_id == notice.case_id)
            .order_by(CaseEvent.id)
        ).all()
        assert "notice_refused" in history and "notice_delivered" in history


def test_r_channel_no_address_at_all_goes_to_the_announcement(seeded, world, clock):
    from app.extensions import db
    from models import CaseTask

    _issue(seeded, clock)
    with seeded.app_context():
        notice, tries, _r = _notice(world[N1])
        assert tries == [] and notice.received_on is None
        task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == notice.case_id))
        assert (task.name, task.state) == ("publish_announcement", "open")


def _officer_completes(seeded, clock, case_id: int, name: str, form: dict) -> None:
    from app.extensions import db
    from app.services.cases import Ctx, complete_task
    from models import CaseTask, User

    with seeded.app_context():
        officer = db.session.scalar(select(User).where(User.username == "gz_officer"))
        task = db.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
        )
        assert task.name == name
        complete_task(
            task.id, form, ctx=Ctx("gz_officer", clock.today(), clock.now(), user=officer)
        )
        db.session.commit()


def test_r_channel_a_posted_letter_counts_from_its_delivery_and_so_does_the_objection_window(
    seeded, world, clock
):
    from app.errors import DomainError
    from app.extensions import db
    from app.services.applications import objection_window_closes
    from app.services.cases import Ctx

    _issue(seeded, clock)
    with seeded.app_context():
        notice, tries, _r = _notice(world[L1])
        assert tries == [("letter", "广州市越秀区东风中路2号 510030", "queued")]
        case_id = notice.case_id
        assert notice.received_on is None
    # E3: a refused e-mail, a refused SMS, then the letter.
    with seeded.app_context():
        _n, tries, _r = _notice(world[E3])
        assert [t[2] for t in tries] == ["refused", "refused", "queued"]
    _officer_completes(seeded, clock, case_id, "post_letter", {"posted_on": "2026-11-26"})
    clock.set_today(date(2026, 12, 1))
    # Not delivered before it was posted, nor after today.
    for bad in ("2026-11-25", "2026-12-02"):
        with pytest.raises(DomainError):
            _officer_completes(
                seeded, clock, case_id, "letter_result", {"outcome": "delivered", "on": bad}
            )
        with seeded.app_context():
            db.session.rollback()
    _officer_completes(
        seeded, clock, case_id, "letter_result", {"outcome": "delivered", "on": "2026-11-30"}
    )
    with seeded.app_context():
        notice, tries, rows = _notice(world[L1])
        assert (notice.channel, notice.received_on) == ("letter", date(2026, 11, 30))
        assert (rows[0].state, rows[0].posted_on, rows[0].delivered_on) == (
            "delivered",
            date(2026, 11, 26),
            date(2026, 11, 30),
        )
        ctx = Ctx("t", clock.today(), clock.now())
        # 15 days from receipt (2026-11-30), not from the notice (2026-11-26).
        assert objection_window_closes(notice.matter_id, world[L1], ctx) == date(2026, 12, 15)


def test_r_channel_a_returned_letter_leads_to_the_announcement(seeded, world, clock):
    from app.extensions import db
    from models import CaseTask

    _issue(seeded, clock)
    with seeded.app_context():
        case_id = _notice(world[L1])[0].case_id
    _officer_completes(seeded, clock, case_id, "post_letter", {"posted_on": "2026-11-26"})
    _officer_completes(
        seeded,
        clock,
        case_id,
        "letter_result",
        {"outcome": "returned", "on": "2026-11-26", "reasons": "查无此单位"},
    )
    with seeded.app_context():
        notice, _t, _r = _notice(world[L1])
        assert notice.received_on is None  # a returned letter is no receipt
        task = db.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
        )
        assert task.name == "publish_announcement"
    _officer_completes(
        seeded, clock, case_id, "publish_announcement", {"published_in": "广州市市场监管局网站"}
    )
    with seeded.app_context():
        notice, tries, rows = _notice(world[L1])
        assert (notice.channel, notice.received_on) == ("announcement", date(2026, 11, 26))
        assert tries[0][2] == "returned" and "查无此单位" in rows[0].detail
