"""Evidence files (证据材料, Art. 14, 24) over real HTTP: uploaded with a repair application and
with a supplement, stored in the folder store, listed on the case file with their SHA-256 in the
history, downloaded with the same bytes by the deciding bureau's officer, its supervisors and
the applicant; refused to another enterprise, another bureau, an administrator and anonymous
users; refused when too big, too many, or of a type its content does not match."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
from sqlalchemy import select

from tests.helpers import jsonl, matter, operator, uscc

from .web import Browser, make_user

S1, S3 = uscc(1, "440100"), uscc(3, "440100")
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


@pytest.fixture
def world(seeded, clock):
    """S1 (Guangzhou) deducted 4 points by the Guangzhou bureau (M1, A12.3, repairable); S3
    another Guangzhou enterprise; staff of Guangzhou, Shenzhen and the province."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.imports import import_records
    from app.services.scheduler import tick
    from models import LedgerEntry, Operator

    records = [
        operator(1, bureau="440100", name="广州甲商行"),
        operator(3, bureau="440100", name="广州丙商行"),
        matter(
            "M1",
            [{"kind": "seller", "uscc": S1}],
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
        ops = {o.uscc: o.id for o in db.session.scalars(select(Operator))}
        make_user("ent_s1", "enterprise", operator_id=ops[S1])
        make_user("ent_s3", "enterprise", operator_id=ops[S3])
        for name, role, bureau in [
            ("gz_officer", "officer", "440100"),
            ("gz_supervisor", "supervisor", "440100"),
            ("prov_supervisor", "supervisor", "440000"),
            ("sz_officer", "officer", "440300"),
            ("sz_supervisor", "supervisor", "440300"),
            ("admin1", "admin", None),
        ]:
            make_user(name, role, bureau=bureau)
        db.session.commit()
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
        entry = db.session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.operator_id == ops[S1], LedgerEntry.kind == "DEDUCTION"
            )
        )
    return {"ops": ops, "entry": entry}


def browser(base: str, username: str) -> Browser:
    b = Browser(base)
    assert b.login(username).status == 200, username
    return b


def repair_form(b: Browser, entry: int) -> dict:
    form = b.get(f"/portal/apply/repair?entry={entry}")
    assert form.status == 200 and 'enctype="multipart/form-data"' in form
    return {
        "entry_id": entry,
        "not_intentional_statement": "供应商提供的目录版本错误",
        "rectification": "已下架，整改照片和下架记录见附件",
        "undertaking": "on",
        "idempotency_key": KEY.search(form.text).group(1),
    }


def file_repair(b: Browser, entry: int, files) -> int:
    page = b.post_files("/portal/apply/repair", repair_form(b, entry), files, follow=False)
    assert page.status == 302, page.text
    return int(re.search(r"/portal/cases/(\d+)", page.location).group(1))


def stored(app) -> list:
    from app.extensions import db
    from models import Attachment

    with app.app_context():
        return [
            (a.case_id, a.filename, a.kind, a.size, a.sha256, a.task_id)
            for a in db.session.scalars(select(Attachment).order_by(Attachment.id))
        ]


def test_files_of_a_repair_and_its_supplement_reach_the_deciding_bureau_unchanged(
    live_server, world, seeded, clock, tmp_path
):
    from app.extensions import db
    from app.services.cases import Ctx, complete_task
    from models import CaseEvent, CaseTask, User

    ent = browser(live_server, "ent_s1")
    case_id = file_repair(ent, world["entry"], [("整改照片.png", PNG), ("下架记录.pdf", PDF)])
    page = ent.get(f"/portal/cases/{case_id}")
    assert 'data-testid="attachments"' in page and "整改照片.png" in page
    assert hashlib.sha256(PNG).hexdigest() in page  # in the list and in the history

    # The officer asks for material; the enterprise sees the request beside the form.
    with seeded.app_context():
        officer = db.session.scalar(select(User).where(User.username == "gz_officer"))
        task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == case_id))
        ctx = Ctx("gz_officer", clock.today(), clock.now(), user=officer)
        complete_task(task.id, {"decision": "need_more", "reasons": "请补充整改照片"}, ctx=ctx)
        db.session.commit()
        supplement = db.session.scalar(
            select(CaseTask.id).where(CaseTask.case_id == case_id, CaseTask.state == "open")
        )
    page = ent.get(f"/portal/cases/{case_id}")
    asked = re.search(r'data-testid="asked">(.*?)</div>', page.text, re.S)
    assert asked and "请补充整改照片" in asked.group(1)
    form_at = page.text.index('data-testid="task-form"')
    assert page.text.index('data-testid="asked"') < form_at  # right above the form
    assert 'name="files"' in page.text[form_at:]
    done = ent.post_files(
        f"/portal/cases/{case_id}/tasks/{supplement}",
        {"material": "整改后的检查记录见附件"},
        [("检查记录.docx", DOCX)],
    )
    assert done.status == 200 and "已提交" in done

    rows = stored(seeded)
    assert [(r[1], r[2], r[3], r[5]) for r in rows] == [
        ("整改照片.png", "png", len(PNG), None),
        ("下架记录.pdf", "pdf", len(PDF), None),
        ("检查记录.docx", "docx", len(DOCX), supplement),
    ]
    # The bytes live in the folder store, not in the database; the history holds each hash.
    on_disk = sorted(p.read_bytes() for p in (tmp_path / "attachments").rglob("*") if p.is_file())
    assert on_disk == sorted([PNG, PDF, DOCX])
    with seeded.app_context():
        events = db.session.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id == case_id, CaseEvent.action == "attachment_added"
            )
        ).all()
        assert [(e.actor, e.task, e.detail["sha256"]) for e in events] == [
            ("ent_s1", None, hashlib.sha256(PNG).hexdigest()),
            ("ent_s1", None, hashlib.sha256(PDF).hexdigest()),
            ("ent_s1", "supplement_material", hashlib.sha256(DOCX).hexdigest()),
        ]

    from models import Attachment

    with seeded.app_context():
        attachment_ids = db.session.scalars(select(Attachment.id).order_by(Attachment.id)).all()
    officer_page = browser(live_server, "gz_officer").get(f"/inbox/cases/{case_id}")
    assert all(f"/attachments/{i}" in officer_page for i in attachment_ids)
    for who in ("gz_officer", "gz_supervisor", "prov_supervisor", "ent_s1"):
        b = browser(live_server, who)
        for aid, content in zip(attachment_ids, (PNG, PDF, DOCX), strict=True):
            status, body, headers = b.download(f"/attachments/{aid}")
            assert status == 200, (who, aid)
            assert body == content
            assert rows[attachment_ids.index(aid)][4] == hashlib.sha256(body).hexdigest()
            assert "attachment;" in headers["Content-Disposition"]
    status, _b, headers = browser(live_server, "gz_officer").download(
        f"/attachments/{attachment_ids[0]}"
    )
    assert headers["Content-Type"] == "image/png"

    # Nobody else: another enterprise, another bureau, an administrator: 404, no bytes.
    for who in ("ent_s3", "sz_officer", "sz_supervisor", "admin1"):
        b = browser(live_server, who)
        for aid in attachment_ids:
            status, body, _h = b.download(f"/attachments/{aid}")
            assert status == 404 and PNG not in body and PDF not in body, (who, aid)
        assert "/attachments/" not in b.get(f"/inbox/cases/{case_id}").text
    status, body, headers = Browser(live_server).download(f"/attachments/{attachment_ids[0]}")
    assert status == 302 and "/login" in headers["Location"] and body != PNG


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("照片.png", PDF, "不是 PNG 文件"),  # a PDF renamed .png
        ("报告.pdf", b"MZ\x90\x00" + bytes(100), "不是 PDF 文件"),  # a program renamed .pdf
        ("表格.xlsx", DOCX, "不是 XLSX 文件"),  # a Word package renamed .xlsx
        ("程序.exe", b"MZ\x90\x00" + bytes(100), "只接受"),
        ("空.pdf", b"", "是空文件"),
    ],
)
def test_a_file_whose_content_does_not_match_is_refused_and_nothing_is_filed(
    live_server, world, seeded, name, content, says
):
    ent = browser(live_server, "ent_s1")
    page = ent.post_files(
        "/portal/apply/repair", repair_form(ent, world["entry"]), [(name, content)]
    )
    assert page.status == 422 and says in page, page.text[:2000]
    assert stored(seeded) == []
    from app.extensions import db
    from models import Case

    with seeded.app_context():
        assert db.session.scalar(select(Case).where(Case.process_id == "repair")) is None


def test_size_and_count_limits_hold_at_their_boundaries(live_server, world, seeded):
    seeded.config.update(ATTACHMENT_MAX_BYTES=1000, ATTACHMENTS_PER_UPLOAD=2)
    ent = browser(live_server, "ent_s1")
    form = repair_form(ent, world["entry"])
    too_big = PDF + b"x" * (1001 - len(PDF))
    page = ent.post_files("/portal/apply/repair", form, [("大.pdf", too_big)])
    assert page.status == 422 and "超过" in page and stored(seeded) == []
    three = [("a.pdf", PDF), ("b.png", PNG), ("c.docx", DOCX)]
    page = ent.post_files("/portal/apply/repair", repair_form(ent, world["entry"]), three)
    assert page.status == 422 and "最多" in page and stored(seeded) == []
    # A body far past what the form may carry is not even read: 413.
    page = ent.post_files(
        "/portal/apply/repair", repair_form(ent, world["entry"]), [("x.pdf", PDF + bytes(3 << 20))]
    )
    assert page.status == 413 and stored(seeded) == []
    # Exactly at the limit: accepted.
    exact = PDF + b"x" * (1000 - len(PDF))
    case_id = file_repair(ent, world["entry"], [("整.pdf", exact), ("b.png", PNG)])
    assert [(r[0], r[3]) for r in stored(seeded)] == [(case_id, 1000), (case_id, len(PNG))]


def test_a_case_keeps_the_same_file_once_and_stops_at_its_limit(live_server, world, seeded, clock):
    from app.attachments import KINDS
    from app.errors import DomainError
    from app.extensions import db
    from app.services.attachments import Upload, attach
    from app.services.cases import Ctx
    from models import Case, User

    ent = browser(live_server, "ent_s1")
    case_id = file_repair(ent, world["entry"], [("a.pdf", PDF)])
    seeded.config.update(ATTACHMENTS_PER_CASE=2)
    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "ent_s1"))
        ctx = Ctx("ent_s1", clock.today(), clock.now(), user=user)
        case = db.session.get(Case, case_id)
        again = Upload("again.pdf", PDF, KINDS["pdf"], hashlib.sha256(PDF).hexdigest())
        png = Upload("b.png", PNG, KINDS["png"], hashlib.sha256(PNG).hexdigest())
        assert attach(case, [again], ctx=ctx) == []  # the same bytes: kept once
        assert len(attach(case, [png], ctx=ctx)) == 1  # 2 of 2
        docx = Upload("c.docx", DOCX, KINDS["docx"], hashlib.sha256(DOCX).hexdigest())
        with pytest.raises(DomainError, match="at most 2 files"):
            attach(case, [docx], ctx=ctx)
        db.session.rollback()
    assert [r[1] for r in stored(seeded)] == ["a.pdf"]  # the rolled back one left no row


def test_files_written_for_a_rolled_back_transaction_leave_the_store(
    app, seeded, world, clock, tmp_path
):
    from app.attachments import KINDS
    from app.extensions import db
    from app.services.applications import file_repair as service_repair
    from app.services.attachments import Upload, attach
    from app.services.cases import Ctx
    from models import User

    with seeded.app_context():
        user = db.session.scalar(select(User).where(User.username == "ent_s1"))
        ctx = Ctx("ent_s1", clock.today(), clock.now(), user=user)
        case = service_repair(
            world["entry"],
            {"not_intentional_statement": "x", "rectification": "y", "undertaking": True},
            ctx=ctx,
        )
        up = Upload("a.pdf", PDF, KINDS["pdf"], hashlib.sha256(PDF).hexdigest())
        attach(case, [up], ctx=ctx)
        assert [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()] != []
        db.session.rollback()
    assert [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == []
