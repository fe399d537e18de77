"""Disclosure and sharing exports over real HTTP (rules §10: Art. 29, 31, 32): each format parses
back to the right rows, the caller's bureau tree bounds them, refusals say why, and every export
is written to the audit log."""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.functional.http import call
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

P1, S1, S2, S4 = uscc(1), uscc(2, "440100"), uscc(5, "440100"), uscc(4)
P2 = uscc(6, "440104")  # a producer registered with a county bureau of Guangzhou
IMPORT = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/x-ndjson"}
M1, M4 = "粤穗市监罚〔2026〕7号", "粤深市监罚〔2026〕3号"


@pytest.fixture
def world(live_server, seeded, clock):
    """Guangzhou: seller S1 deducted 4 (class B), seller S2 never scored (O), producer P2 in a
    county whose product passed a spot check (A). Shenzhen: producer P1 whose product failed a
    provincial spot check (B), seller S4 deducted 9 for intentional conduct (C). Runs on
    2026-07-01 and 2026-11-26; S1's deduction later revoked on objection."""
    from app.auth import create_user, issue_token
    from app.extensions import db
    from app.services import applications, cases
    from app.services.cases import Ctx
    from app.services.classification import run_classification
    from app.services.scheduler import tick
    from models import CaseTask, LedgerEntry, Operator

    status, report = call(
        "POST",
        f"{live_server}/api/v1/imports",
        jsonl(
            [
                operator(1),
                operator(2, bureau="440100"),
                operator(4),
                operator(5, bureau="440100"),
                operator(6, bureau="440104"),
                product(P1),
                product(P2, brand="乙牌"),
                spot_check("GD-CC-1", P1, effective_on="2026-10-10", sampled_on="2026-09-01"),
                spot_check("GD-CC-2", P2, result="pass", sampled_on="2026-05-01", brand="乙牌"),
                matter(
                    M1,
                    [{"kind": "seller", "uscc": S1}],
                    items=["A12.3"],
                    bureau="440100",
                    effective_on="2026-11-02",
                ),
                matter(
                    M4,
                    [{"kind": "seller", "uscc": S4}],
                    items=["A12.4"],
                    bureau="440000",  # refusing a spot check: the province (Art. 19)
                    effective_on="2026-09-01",
                    intentional=True,
                ),
            ]
        ),
        IMPORT,
    )
    assert status == 200 and report["refused"] == 0, report
    tokens = {}
    with seeded.app_context():
        at = clock.now()
        ids = {o.uscc: o.id for o in db.session.scalars(select(Operator))}
        users = {}
        for username, role, bureau, operator_id in [
            ("ent_s1", "enterprise", None, ids[S1]),
            ("gz_officer", "officer", "440100", None),
            ("gz_supervisor", "supervisor", "440100", None),
            ("prov_supervisor", "supervisor", "440000", None),
            ("admin1", "admin", None, None),
        ]:
            users[username] = create_user(
                username,
                role,
                display_name=username,
                at=at,
                bureau_code=bureau,
                operator_id=operator_id,
            )
            tokens[username] = issue_token(users[username])
        tokens["gz_supervisor_read"] = issue_token(users["gz_supervisor"], ("read",), name="ro")
        tokens["ent_export"] = issue_token(users["ent_s1"], ("export",), name="x")
        db.session.commit()
        run_classification(date(2026, 7, 1), actor="test", at=at)
        run_classification(date(2026, 11, 26), actor="test", at=at, off_cycle=True, reason="test")
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)

        def ctx(name):
            return Ctx(actor=name, today=clock.today(), now=clock.now(), user=users[name])

        entry = db.session.scalar(
            select(LedgerEntry.id).where(
                LedgerEntry.operator_id == ids[S1], LedgerEntry.kind == "DEDUCTION"
            )
        )
        case = applications.file_objection([entry], "淘汰目录核对有误", ctx=ctx("ent_s1"))
        for data in ({"decision": "accept"}, {"outcome": "revoked", "reasons": "未列入"}):
            task = db.session.scalar(
                select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "open")
            )
            cases.complete_task(task.id, data, ctx=ctx("gz_officer"))
        db.session.commit()
    return SimpleNamespace(base=f"{live_server}/api/v1", tokens=tokens)


# Art. 31, 32: every export names its recipient and legal basis.
SHARING = urllib.parse.urlencode(
    {
        "recipient_kind": "department",
        "recipient": "广州市商务局",
        "legal_basis": "第三十一条；穗商函〔2026〕12号",
    }
)


def fetch(world, path: str, who: str | None = "gz_supervisor", sharing: str | None = SHARING):
    headers = {"Authorization": f"Bearer {world.tokens[who]}"} if who else {}
    if sharing:
        path = f"{path}{'&' if '?' in path else '?'}{sharing}"
    req = urllib.request.Request(world.base + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def rows(world, path: str, fmt: str, who: str = "gz_supervisor") -> list[dict]:
    sep = "&" if "?" in path else "?"
    status, headers, body = fetch(world, f"{path}{sep}format={fmt}", who)
    assert status == 200, body[:300]
    if fmt == "jsonl":
        assert headers.get_content_type() == "application/x-ndjson"
        return [json.loads(line) for line in body.decode("utf-8").splitlines()]
    if fmt == "csv":
        assert headers.get_content_type() == "text/csv"
        assert body.startswith("\ufeff".encode())
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    header, *data = [list(r) for r in sheet.iter_rows(values_only=True)]
    # Empty cells at the end of a row are not stored: pad to the header's width.
    return [dict(zip(header, r + [None] * (len(header) - len(r)), strict=True)) for r in data]


def keyed(found: list[dict]) -> set[tuple]:
    return {(r["uscc"], r["brand"] or None, r["class"]) for r in found}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_class_export_parses_back_with_the_rows_of_the_callers_tree(world, fmt):
    """R-CLASS, R-HALFYEAR: the latest run's classes, Guangzhou and its counties only."""
    from app.services.exports import columns
    from forms.exports import ClassRow

    found = rows(world, "/exports/classes", fmt)
    assert list(found[0]) == columns(ClassRow())
    assert keyed(found) == {
        (S1, None, "B"),
        (S2, None, "O"),
        (P2, None, "A"),
        (P2, "乙牌", "A"),
    }
    s1 = next(r for r in found if r["uscc"] == S1)
    assert str(s1["score"]) == "8.00" and str(s1["run_on"])[:10] == "2026-11-26"
    assert s1["object_kind"] == "seller" and s1["bureau"] == "440100"


def test_class_export_filters_by_run_class_and_bureau(world):
    province = rows(world, "/exports/classes?class=B", "jsonl", "prov_supervisor")
    assert keyed(province) == {(S1, None, "B"), (P1, None, "B"), (P1, "某牌", "B")}
    product = next(r for r in province if r["brand"] == "某牌")
    assert (product["object_kind"], product["nice_class"], product["score"]) == (
        "product",
        9,
        "9.00",
    )
    shenzhen = rows(world, "/exports/classes?bureau=440300", "jsonl", "admin1")
    assert keyed(shenzhen) == {(P1, None, "B"), (P1, "某牌", "B"), (S4, None, "C")}
    first = rows(world, "/exports/classes?run_on=2026-07-01&class=A", "jsonl", "prov_supervisor")
    assert keyed(first) == {(P2, None, "A"), (P2, "乙牌", "A")}  # a clean spot check (R-START)


def test_a_class_list_for_publication(world):
    """Art. 29: A-class objects of the latest run, with their bureau's name."""
    found = rows(world, "/exports/a-class", "csv", "prov_supervisor")
    assert {(r["uscc"], r["brand"]) for r in found} == {(P2, ""), (P2, "乙牌")}
    assert {r["bureau_name"] for r in found} == {"广州市越秀区市场监督管理局"}
    assert rows(world, "/exports/a-class?bureau=440300", "jsonl", "prov_supervisor") == []


def test_matter_export_follows_each_deduction_to_what_became_of_it(world):
    """Rules §2, §8: a revoked deduction stays in the record, marked voided, 0 points now."""
    found = rows(world, "/exports/matters", "jsonl", "prov_supervisor")
    by_ref = {(r["matter_ref"], r["uscc"]): r for r in found}
    assert set(by_ref) == {(M1, S1), (M4, S4), ("GD-CC-1", P1)}
    m1 = by_ref[(M1, S1)]
    assert (m1["points"], m1["current_points"], m1["status"]) == ("-4.00", "0.00", "voided")
    assert (m1["item"], m1["item_title"]) == ("A12.3", "生产或销售国家明令淘汰的产品")
    assert m1["expires_on"] == "2029-11-02"  # R-WINDOW
    m4 = by_ref[(M4, S4)]
    assert (m4["points"], m4["status"], m4["intentional"]) == ("-9.00", "in_force", True)
    spot = by_ref[("GD-CC-1", P1)]
    assert (spot["object_kind"], spot["brand"], spot["source"]) == ("product", "某牌", "spot_check")
    # Guangzhou sees the matters its bureaus decided or that concern its operators.
    assert {r["matter_ref"] for r in rows(world, "/exports/matters", "csv")} == {M1}
    period = rows(world, "/exports/matters?since=2026-10-01&until=2026-10-31", "xlsx", "admin1")
    assert [r["matter_ref"] for r in period] == ["GD-CC-1"]


def test_dishonesty_export_lists_only_matters_in_force(world):
    """Art. 29: voided deductions are not published; the others until their window ends."""
    found = rows(world, "/exports/dishonesty", "jsonl", "prov_supervisor")
    assert {(r["matter_ref"], r["uscc"]) for r in found} == {(M4, S4), ("GD-CC-1", P1)}
    m4 = next(r for r in found if r["matter_ref"] == M4)
    # The last day it is published, as the public page shows it: the day before 2029-09-01.
    assert (m4["points"], m4["published_until"], m4["deciding_bureau_name"]) == (
        "-9.00",
        "2029-08-31",
        "广东省市场监督管理局",  # refusing a spot check is scored by the province (Art. 19)
    )
    assert (m4["repaired"], m4["repaired_on"]) == (False, None)
    assert rows(world, "/exports/dishonesty", "csv") == []  # Guangzhou's only one was revoked


def error(world, path: str, who: str | None = "gz_supervisor") -> tuple[int, dict]:
    status, _headers, body = fetch(world, path, who)
    return status, json.loads(body)


def test_refusals_say_what_is_wrong(world):
    status, body = error(world, "/exports/classes?class=E")
    assert status == 422 and "A, B, C, D, O" in body["message"]
    status, body = error(world, "/exports/classes?format=pdf")
    assert status == 400 and "csv, jsonl, xlsx" in body["message"]
    status, body = error(world, "/exports/matters?bureau=440300")
    assert status == 403 and "outside your area" in body["message"]
    status, body = error(world, "/exports/matters?bureau=999999")
    assert status == 404 and "999999" in body["message"]
    status, body = error(world, "/exports/classes?run_on=2026-01-01")
    assert status == 404 and "2026-01-01" in body["message"]
    status, body = error(world, "/exports/matters?since=2026-12-01&until=2026-01-01")
    assert status == 422 and "since" in body["message"]
    status, body = error(world, "/exports/classes", "gz_officer")
    assert status == 403 and "'export' scope" in body["message"]
    status, body = error(world, "/exports/classes", "gz_supervisor_read")
    assert status == 403 and "'export' scope" in body["message"]
    status, body = error(world, "/exports/dishonesty", "ent_export")
    assert status == 403 and "staff" in body["message"]
    status, body = error(world, "/exports/classes", None)
    assert status == 401
    status, body = error(world, "/exports/classes?colour=red")
    assert status == 422 and "colour" in json.dumps(body)


def test_every_export_is_audited_with_who_what_filters_and_rows(world, seeded):
    from app.extensions import db
    from models import AuditEvent

    rows(world, "/exports/classes?class=B", "csv")
    rows(world, "/exports/matters?since=2026-01-01", "xlsx", "prov_supervisor")
    error(world, "/exports/classes?class=E")  # refused: nothing exported, nothing recorded
    with seeded.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "export").order_by(AuditEvent.id)
        ).all()
        got = [(e.actor, e.action, e.detail["format"], e.detail["rows"]) for e in events]
        assert got == [
            ("gz_supervisor", "export.classes", "csv", 1),
            ("prov_supervisor", "export.matters", "xlsx", 3),
        ]
        assert events[0].detail["filters"] == {
            "run_on": "2026-11-26",
            "class": "B",
            "bureau": None,
        }
        assert events[1].detail["filters"]["since"] == "2026-01-01"
        assert (
            events[0].detail["recipient_kind"],
            events[0].detail["recipient"],
            events[0].detail["legal_basis"],
        ) == ("department", "广州市商务局", "第三十一条；穗商函〔2026〕12号")


def test_art_31_an_export_without_recipient_or_legal_basis_is_refused_naming_it(world, seeded):
    from app.extensions import db
    from models import AuditEvent

    for sharing, missing in [
        (None, "recipient_kind"),
        ("recipient_kind=platform&legal_basis=x", "recipient"),
        ("recipient_kind=association&recipient=%E5%8D%8F%E4%BC%9A", "legal_basis"),
        ("recipient_kind=association&recipient=x&legal_basis=%20", "legal_basis"),
    ]:
        status, _h, body = fetch(world, "/exports/classes", sharing=sharing)
        answer = json.loads(body)
        assert status == 422 and missing in answer["message"], answer
        assert "Art. 31, 32" in answer["message"]
    status, _h, body = fetch(
        world, "/exports/classes", sharing="recipient_kind=media&recipient=x&legal_basis=y"
    )
    assert status == 422 and "department, association, platform" in json.loads(body)["message"]
    with seeded.app_context():  # refused: nothing exported, nothing recorded
        assert (
            db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "export")).all()
            == []
        )
    assert rows(world, "/exports/a-class", "jsonl", "prov_supervisor") is not None


def test_art_31_the_audit_view_shows_each_exports_recipient_and_legal_basis(world, seeded):
    from app.extensions import db
    from tests.functional.web import Browser, make_user

    rows(world, "/exports/dishonesty", "csv")
    with seeded.app_context():
        make_user("audit_admin", "admin")
        db.session.commit()
    browser = Browser(world.base.removesuffix("/api/v1"))
    browser.login("audit_admin")
    page = browser.get("/admin/exports").text
    assert "export.dishonesty" in page
    assert "政府部门" in page and "广州市商务局" in page and "穗商函〔2026〕12号" in page


def test_the_exports_are_in_the_openapi_document(world, live_server):
    status, doc = call("GET", f"{live_server}/api/openapi.json")
    assert status == 200
    for path in ("classes", "matters", "a-class", "dishonesty"):
        assert f"/api/v1/exports/{path}" in doc["paths"], path
    params = {p["name"] for p in doc["paths"]["/api/v1/exports/classes"]["get"]["parameters"]}
    assert {"run_on", "class", "bureau", "format"} <= params


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_exports_stream_in_batches_without_losing_or_repeating_rows(world, monkeypatch, fmt):
    """Keyset paging: with one row per batch, every row still comes exactly once."""
    from app.services.exports import base

    whole = rows(world, "/exports/classes", fmt, "prov_supervisor")
    matters = rows(world, "/exports/matters", fmt, "prov_supervisor")
    monkeypatch.setattr(base, "BATCH", 1)
    assert rows(world, "/exports/classes", fmt, "prov_supervisor") == whole
    assert len(whole) == 7
    assert rows(world, "/exports/matters", fmt, "prov_supervisor") == matters
    assert len(matters) == 3
