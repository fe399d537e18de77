"""What is published and until when (Art. 7, 15, 29; rules §10): one "published until" for the
public pages and the exports, a repaired matter withdrawn from the public pages but kept in
the authorised exports marked repaired, and a revoked deduction's repair going with it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from tests.functional.web import Browser, make_user
from tests.helpers import jsonl, matter, operator, product, uscc

GZ = "440100"
P, S = uscc(11, GZ), uscc(12, GZ)  # a producer and a seller scored by one matter
LAST, GONE = uscc(13, GZ), uscc(14, GZ)  # sellers deducted 2023-11-27 and 2023-11-26
M = "穗市监罚〔2026〕21号"
M_LAST, M_GONE = "穗市监罚〔2023〕31号", "穗市监罚〔2023〕32号"
TODAY = date(2026, 11, 26)
FORMATS = ("csv", "jsonl", "xlsx")


def _ctx(username: str, clock):
    from app.extensions import db
    from app.services.cases import Ctx
    from models import User

    user = db.session.scalar(db.select(User).where(User.username == username))
    return Ctx(username, clock.today(), clock.now(), user=user)


def _entry(ref: str, holder: str, kind: str) -> int:
    """The original deduction of `ref` on the holder's object of this kind."""
    from app.extensions import db
    from models import LedgerEntry, Matter, Operator, ScoringObject

    return db.session.scalar(
        db.select(LedgerEntry.id)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .join(Operator, Operator.id == LedgerEntry.operator_id)
        .where(
            Matter.ref == ref,
            Operator.uscc == holder,
            ScoringObject.kind == kind,
            LedgerEntry.kind == "DEDUCTION",
            LedgerEntry.target_id.is_(None),
        )
    )


def _open_task(case_id: int) -> int:
    from app.extensions import db
    from models import CaseTask

    return db.session.scalar(
        db.select(CaseTask.id).where(CaseTask.case_id == case_id, CaseTask.state == "open")
    )


@pytest.fixture
def world(live_server, seeded, clock):
    """On 2026-11-26: matter M (2026-10-01) scored P's product 修复牌 (A11.4), P itself (A12.3)
    and the seller S (A12.3); P's repair of the product's deduction was approved today. Two
    sellers were deducted 2023-11-27 (last day published: today) and 2023-11-26 (gone today)."""
    with seeded.app_context():
        from app.extensions import db
        from app.services.applications import file_repair
        from app.services.cases import complete_task
        from app.services.imports import import_records
        from models import Operator

        records = [
            operator(11, bureau=GZ, name="广州修复电器有限公司"),
            product(P, "修复牌", 9),
            operator(12, bureau=GZ, name="广州同案商行"),
            matter(
                M,
                [
                    {"kind": "product", "producer": P, "brand": "修复牌", "nice_class": 9},
                    {"kind": "producer", "uscc": P},
                    {"kind": "seller", "uscc": S},
                ],
                items=["A11.4", "A12.3"],
                bureau=GZ,
                effective_on="2026-10-01",
            ),
            operator(13, bureau=GZ, name="广州末日商行"),
            matter(
                M_LAST,
                [{"kind": "seller", "uscc": LAST}],
                items=["A12.3"],
                bureau=GZ,
                effective_on="2023-11-27",
            ),
            operator(14, bureau=GZ, name="广州期满商行"),
            matter(
                M_GONE,
                [{"kind": "seller", "uscc": GONE}],
                items=["A12.3"],
                bureau=GZ,
                effective_on="2023-11-26",
            ),
        ]
        report = import_records(
            jsonl(records).splitlines(keepends=True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refused == 0, report.as_dict()
        producer = db.session.scalar(db.select(Operator).where(Operator.uscc == P))
        make_user("ent_p", "enterprise", operator_id=producer.id)
        make_user("gz_off", "officer", bureau=GZ)
        make_user("gz_off2", "officer", bureau=GZ)
        make_user("adm", "admin")
        db.session.commit()
        case = file_repair(
            _entry(M, P, "product"),
            {"not_intentional_statement": "供应商证书过期未察觉", "rectification": "已换证"},
            ctx=_ctx("ent_p", clock),
        )
        complete_task(
            _open_task(case.id),
            {"decision": "approve", "rectified_confirmed": True},
            ctx=_ctx("gz_off", clock),
        )
        db.session.commit()
    return live_server


def _page(base: str, path: str):
    page = Browser(base).get(quote(path, safe="/?=&"))
    assert page.status == 200
    return page.text


def _rows(text: str) -> dict[tuple[str, str], str]:
    """(matter ref, USCC) → the published-until cell of each row of the dishonesty page."""
    out = {}
    for ref, body in re.findall(
        r'<tr data-entry="\d+" data-matter="([^"]+)">(.*?)</tr>', text, re.S
    ):
        holder = re.search(r"(91\d{7}[0-9A-Z]{9})", body).group(1)
        until = re.findall(r"<td>(\d{4}-\d{2}-\d{2})</td>", body)[-1]
        out[(ref, holder)] = until
    return out


def _export(app, name: str, fmt: str, today: date = TODAY) -> list[dict]:
    """An authorised export as the bytes it sends, parsed back (dates as YYYY-MM-DD)."""
    from app.extensions import db
    from app.services import exports
    from models import User

    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == "adm"))
        if name == "dishonesty":
            export = exports.dishonesty_export(
                admin, since=None, until=None, bureau=None, today=today
            )
        else:
            export = exports.matter_export(admin, since=None, until=None, bureau=None, today=today)
        body = b"".join(exports.stream(export, fmt))
    if fmt == "jsonl":
        return [json.loads(line) for line in body.decode("utf-8").splitlines()]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    header, *data = (list(r) for r in load_workbook(io.BytesIO(body)).worksheets[0].values)
    return [
        {
            k: (v.date().isoformat() if hasattr(v, "date") else v)
            for k, v in zip(header, r, strict=True)
        }
        for r in data
    ]


def _flag(value) -> bool:
    return value in (True, "true")


def test_r_window_published_until_is_the_same_on_the_page_and_in_the_exports_on_the_last_day(
    world, seeded
):
    """A matter effective 2023-11-27 is published up to and including 2026-11-26 (today), the
    day before it leaves the 36-month window; one effective 2023-11-26 is gone today. The page
    and every export format give the same last day."""
    from app.scoring.disclosure import published_until

    assert published_until(date(2023, 11, 27)) == TODAY
    shown = _rows(_page(world, "/public/dishonesty"))
    assert shown[(M_LAST, LAST)] == "2026-11-26"
    assert (M_GONE, GONE) not in shown
    assert shown[(M, S)] == "2029-09-30"  # effective 2026-10-01
    for fmt in FORMATS:
        exported = {
            (r["matter_ref"], r["uscc"]): str(r["published_until"])
            for r in _export(seeded, "dishonesty", fmt)
        }
        assert exported[(M_LAST, LAST)] == shown[(M_LAST, LAST)], fmt
        assert exported[(M, S)] == shown[(M, S)], fmt
        assert (M_GONE, GONE) not in exported, fmt
    # The day after its last day, it is on neither.
    from app.extensions import db
    from app.queries import disclosure

    tomorrow = date(2026, 11, 27)
    with seeded.app_context():
        later = {(r["matter_ref"], r["uscc"]) for r in disclosure.dishonesty(today=tomorrow).rows}
        db.session.rollback()
    assert (M_LAST, LAST) not in later and (M, S) in later
    assert (M_LAST, LAST) not in {
        (r["matter_ref"], r["uscc"]) for r in _export(seeded, "dishonesty", "jsonl", tomorrow)
    }


def test_r_repair_one_matter_repaired_matter_leaves_the_public_list_and_search(world):
    """信用修复后停止公示: P repaired M (through its product's deduction), so M is withdrawn for
    the product and for P itself; the seller S, another operator, did not: its row stays."""
    shown = _rows(_page(world, "/public/dishonesty"))
    assert (M, S) in shown
    assert (M, P) not in shown
    assert _rows(_page(world, f"/public/dishonesty?q={P}")) == {}
    found = _page(world, "/public/search?q=广州修复电器")
    assert M not in found and 'data-testid="none"' in found
    seller = _page(world, "/public/search?q=广州同案商行")
    assert f'data-matter="{M}"' in seller


@pytest.mark.parametrize("fmt", FORMATS)
def test_r_repair_one_matter_repaired_matter_stays_in_the_exports_marked_repaired(
    world, seeded, fmt
):
    """rules §10: the authorised exports keep the repaired matter, marked repaired with the
    repair's effective date (the day it was verified), for every object of the operator."""
    for name in ("dishonesty", "matters"):
        rows = {
            (r["matter_ref"], r["uscc"], r["brand"] or None): r for r in _export(seeded, name, fmt)
        }
        for key in ((M, P, "修复牌"), (M, P, None)):
            assert _flag(rows[key]["repaired"]), (name, key)
            assert str(rows[key]["repaired_on"]) == "2026-11-26", (name, key)
        assert not _flag(rows[(M, S, None)]["repaired"]), name
        assert rows[(M, S, None)]["repaired_on"] in (None, ""), name


def test_r_repair_keep_a_revoked_deduction_takes_its_repair_with_it(world, seeded, clock):
    """The product's repaired deduction is revoked by a correction: its repair goes with it
    and the product's row is published nowhere. P's own deduction of M keeps its own repair
    (R-REPAIR-ONE-MATTER wrote one on each object of the matter), so it stays off the public
    list and in the exports marked repaired."""
    from app.extensions import db
    from app.services.applications import report_correction
    from app.services.cases import complete_task

    with seeded.app_context():
        case = report_correction(
            _entry(M, P, "product"), "产品认定有误", ctx=_ctx("gz_off2", clock)
        )
        complete_task(
            _open_task(case.id),
            {"decision": "correct", "void": True, "reasons": "产品认定有误"},
            ctx=_ctx("gz_off", clock),
        )
        db.session.commit()
    shown = _page(world, f"/public/dishonesty?q={P}")
    assert re.findall(r'data-matter="([^"]+)"', shown) == []
    assert "修复牌" not in shown  # the product's row is voided
    rows = {
        (r["matter_ref"], r["brand"] or None): r
        for r in _export(seeded, "dishonesty", "jsonl")
        if r["uscc"] == P
    }
    assert set(rows) == {(M, None)}
    assert rows[(M, None)]["repaired"] is True
    assert rows[(M, None)]["repaired_on"] == clock.today().isoformat()
