"""Statistics pages for supervisors and administrators over real HTTP: classes per city over
successive runs (rules §9), matters per item of the scoring table (rules §12), outcomes of
repairs, objections, corrections and rewards (rules §4, §8) — the same numbers in the page's
tables, its CSV and its XLSX, and a supervisor sees their tree only."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.functional.http import call
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

from .web import Browser, make_user

P1, S1, S2, S4 = uscc(1), uscc(2, "440100"), uscc(5, "440100"), uscc(4)
P2 = uscc(6, "440104")  # registered with a county bureau of Guangzhou: counted in Guangzhou
IMPORT = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/x-ndjson"}


@pytest.fixture
def world(live_server, seeded, clock):
    """Guangzhou: S1 deducted 4 (A12.3, later revoked on objection), S2 unscored, P2's product
    clean (A). Shenzhen: P1's product failed a spot check (A11.1, 3), S4 deducted 9 for
    intentional conduct (A12.4), a correction of it found no error. Runs on 2026-07-01 and
    2026-11-26."""
    from app.extensions import db
    from app.services import applications, cases
    from app.services.cases import Ctx
    from app.services.classification import run_classification
    from app.services.scheduler import tick
    from models import CaseTask, LedgerEntry, Operator, User

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
                    "M1",
                    [{"kind": "seller", "uscc": S1}],
                    items=["A12.3"],
                    bureau="440100",
                    effective_on="2026-11-02",
                ),
                matter(
                    "M4",
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
    with seeded.app_context():
        ids = {o.uscc: o.id for o in db.session.scalars(select(Operator))}
        make_user("ent_s1", "enterprise", operator_id=ids[S1])
        for name, role, bureau in [
            ("gz_officer", "officer", "440100"),
            ("sz_officer", "officer", "440300"),
            ("prov_officer", "officer", "440000"),
            ("gz_supervisor", "supervisor", "440100"),
            ("prov_supervisor", "supervisor", "440000"),
            ("admin1", "admin", None),
        ]:
            make_user(name, role, bureau=bureau)
        db.session.commit()
        run_classification(date(2026, 7, 1), actor="test", at=clock.now())
        run_classification(
            date(2026, 11, 26), actor="test", at=clock.now(), off_cycle=True, reason="test"
        )
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)

        def ctx(name):
            user = db.session.scalar(select(User).where(User.username == name))
            return Ctx(actor=name, today=clock.today(), now=clock.now(), user=user)

        def deduction(uscc_):
            return db.session.scalar(
                select(LedgerEntry.id).where(
                    LedgerEntry.operator_id == ids[uscc_], LedgerEntry.kind == "DEDUCTION"
                )
            )

        def work(case_id, name, *forms):
            for data in forms:
                task = db.session.scalar(
                    select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "open")
                )
                cases.complete_task(task.id, data, ctx=ctx(name))

        objection = applications.file_objection([deduction(S1)], "x", ctx=ctx("ent_s1"))
        work(
            objection.id,
            "gz_officer",
            {"decision": "accept"},
            {"outcome": "revoked", "reasons": "未列入"},
        )
        correction = applications.report_correction(deduction(S4), "核对", ctx=ctx("sz_officer"))
        # The province recorded the refused spot check (Art. 19), so it decides the correction.
        work(correction.id, "prov_officer", {"decision": "no_error", "reasons": "无误"})
        db.session.commit()
    return SimpleNamespace(base=live_server, app=seeded)


class Tables(HTMLParser):
    """The rows of each statistics table, by its section's data-testid (the figures under
    each chart are read by the chart tests)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.section = None
        self.cell: list[str] | None = None
        self.in_chart = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "details" and "chart-data" in (a.get("class") or ""):
            self.in_chart = True
        elif self.in_chart:
            return
        elif tag == "section" and (a.get("data-testid") or "").startswith("stat-"):
            self.section = a["data-testid"].removeprefix("stat-")
            self.tables[self.section] = []
        elif tag == "tr" and self.section:
            self.tables[self.section].append([])
        elif tag in ("td", "th") and self.section:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "details":
            self.in_chart = False
        elif tag in ("td", "th") and self.cell is not None:
            self.tables[self.section][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_tables(b: Browser, query: str = "") -> dict[str, list[dict]]:
    page = b.get(f"/statistics/{query}")
    assert page.status == 200, page.text[:300]
    parser = Tables()
    parser.feed(page.text)
    out = {}
    for name, table in parser.tables.items():
        header, *body = table or [[]]
        out[name] = [dict(zip(header, r, strict=True)) for r in body]
    return out


def download(b: Browser, name: str, fmt: str, query: str = "") -> list[dict]:
    req = urllib.request.Request(f"{b.base}/statistics/{name}.{fmt}{query}")
    with b.opener.open(req, timeout=15) as resp:
        assert resp.status == 200
        body = resp.read()
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    header, *data = [list(r) for r in sheet.iter_rows(values_only=True)]
    return [{h: "" if v is None else str(v) for h, v in zip(header, r, strict=True)} for r in data]


def signed_in(world, username: str) -> Browser:
    b = Browser(world.base)
    assert b.login(username).status == 200
    return b


CLASS_ROWS_PROVINCE = [
    # run, city, A, B, C, D, O, total
    ("2026-07-01", "440100", "2", "0", "0", "0", "2", "4"),
    ("2026-07-01", "440300", "0", "0", "0", "0", "3", "3"),
    ("2026-11-26", "440100", "2", "1", "0", "0", "1", "4"),
    ("2026-11-26", "440300", "0", "2", "1", "0", "0", "3"),
]


def class_rows(found: list[dict]) -> list[tuple]:
    keys = ("分类日期", "地市代码", "A类", "B类", "C类", "D类", "O类", "合计")
    return [tuple(r[k] for k in keys) for r in found]


def test_class_distribution_per_city_over_successive_runs(world):
    """R-CLASS, R-HALFYEAR: counties count in their city; the page, CSV and XLSX agree."""
    b = signed_in(world, "prov_supervisor")
    tables = page_tables(b)
    assert class_rows(tables["classes"]) == CLASS_ROWS_PROVINCE
    assert class_rows(download(b, "classes", "csv")) == CLASS_ROWS_PROVINCE
    assert class_rows(download(b, "classes", "xlsx")) == CLASS_ROWS_PROVINCE
    assert tables["classes"][0]["地市"] == "广州市市场监督管理局"
    page = b.get("/statistics/")
    assert page.text.count('class="echart"') >= 3  # charts of runs, cities, outcomes


def test_a_supervisor_sees_their_tree_only(world):
    b = signed_in(world, "gz_supervisor")
    tables = page_tables(b)
    assert class_rows(tables["classes"]) == [r for r in CLASS_ROWS_PROVINCE if r[1] == "440100"]
    items = {r["记分项目"]: r for r in tables["items"]}
    assert (items["A12.3"]["事项数"], items["A11.1"]["事项数"], items["A12.4"]["事项数"]) == (
        "1",
        "0",
        "0",
    )
    outcomes = {(r["案件类型"], r["结果"]): r["案件数"] for r in tables["outcomes"]}
    assert outcomes[("异议", "撤销")] == "1" and outcomes[("纠错", "无误")] == "0"
    page = b.get("/statistics/?bureau=440300")
    assert page.status == 403
    assert b.get("/statistics/classes.csv?bureau=440300").status == 403
    narrowed = page_tables(b, "?bureau=440104")  # a county of Guangzhou: P2's two objects
    assert class_rows(narrowed["classes"])[-1] == (
        "2026-11-26",
        "440100",
        "2",
        "0",
        "0",
        "0",
        "0",
        "2",
    )


def test_matters_per_item_of_an_area_decided_there_or_against_its_operators(world):
    """A matter counts in a supervisor's area when a bureau of the area decided it or when it
    concerns an operator of the area, whoever decided it; not when it does neither."""
    status, report = call(
        "POST",
        f"{world.base}/api/v1/imports",
        jsonl(
            [
                # the province (a refused spot check) against a Guangzhou seller: Guangzhou's by
                # its operator
                matter("M5", [{"kind": "seller", "uscc": S2}], items=["A12.4"], bureau="440000"),
                # Guangzhou against a Shenzhen seller: Guangzhou's by its deciding bureau
                matter("M7", [{"kind": "seller", "uscc": S4}], items=["A12.7"], bureau="440100"),
                # Shenzhen against a Shenzhen seller: not Guangzhou's
                matter("M8", [{"kind": "seller", "uscc": S4}], items=["A12.8"], bureau="440300"),
            ]
        ),
        IMPORT,
    )
    assert status == 200 and report["refused"] == 0, report
    area = {
        r["记分项目"]: r["事项数"] for r in page_tables(signed_in(world, "gz_supervisor"))["items"]
    }
    assert (area["A12.4"], area["A12.7"], area["A12.8"]) == ("1", "1", "0")
    province = {
        r["记分项目"]: r["事项数"]
        for r in page_tables(signed_in(world, "prov_supervisor"))["items"]
    }
    assert (province["A12.4"], province["A12.7"], province["A12.8"]) == ("2", "1", "1")


def test_matters_per_item_of_the_scoring_table(world):
    """Rules §12: per item of the table in force, matters, objects scored and points."""
    b = signed_in(world, "prov_supervisor")
    items = {r["记分项目"]: r for r in page_tables(b)["items"]}
    assert len(items) == 19  # every item of the default table, used or not
    got = {
        k: (items[k]["事项数"], items[k]["记分对象数"], items[k]["扣分合计"])
        for k in ("A11.1", "A12.3", "A12.4", "A12.5")
    }
    assert got == {
        "A11.1": ("1", "1", "3.00"),
        "A12.3": ("1", "1", "4.00"),  # as first recorded, though later revoked
        "A12.4": ("1", "1", "9.00"),  # R-INTENT: the heavier value
        "A12.5": ("0", "0", "0.00"),
    }
    assert items["A12.3"]["项目名称"] == "生产或销售国家明令淘汰的产品"
    since = {r["记分项目"]: r["事项数"] for r in download(b, "items", "csv", "?since=2026-10-01")}
    assert (since["A11.1"], since["A12.3"], since["A12.4"]) == ("1", "1", "0")


def test_outcomes_of_repairs_objections_corrections_and_rewards(world):
    b = signed_in(world, "admin1")
    found = download(b, "outcomes", "xlsx")
    counts = {(r["案件类型"], r["结果"]): r["案件数"] for r in found}
    assert counts[("异议", "撤销")] == "1"
    assert counts[("纠错", "无误")] == "1"
    assert counts[("信用修复", "准予")] == "0"
    assert sum(int(v) for v in counts.values()) == 2  # notices are not counted here
    assert page_tables(b)["outcomes"] == download(b, "outcomes", "csv")


def test_statistics_are_for_supervisors_and_administrators(world):
    for who in ("gz_officer", "ent_s1"):
        b = signed_in(world, who)
        assert b.get("/statistics/").status == 403, who
        try:
            b.opener.open(f"{world.base}/statistics/items.csv", timeout=15)
            raise AssertionError("an officer downloaded statistics")
        except urllib.error.HTTPError as err:
            assert err.code == 403
    page = Browser(world.base).get("/statistics/", follow=False)
    assert page.status == 302 and "/login" in page.location
    b = signed_in(world, "gz_supervisor")
    home = b.get("/statistics/")
    assert "统计分析" in home and 'href="/statistics/"' in home  # in the menu
    assert b.get("/statistics/?since=not-a-date").status == 400


def test_every_download_is_audited_with_who_what_filters_and_rows(world):
    """Figures leaving the system are recorded like exports (Art. 31, 32); a refused download
    records nothing."""
    from app.extensions import db
    from models import AuditEvent

    gz = signed_in(world, "gz_supervisor")
    rows = download(gz, "classes", "csv")
    prov = signed_in(world, "prov_supervisor")
    items = download(prov, "items", "xlsx", "?bureau=440300")
    assert gz.get("/statistics/classes.csv?bureau=440300").status == 403
    with world.app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "statistics").order_by(AuditEvent.id)
        ).all()
        got = [(e.actor, e.action, e.detail["format"], e.detail["rows"]) for e in events]
        assert got == [
            ("gz_supervisor", "statistics.classes", "csv", len(rows)),
            ("prov_supervisor", "statistics.items", "xlsx", len(items)),
        ]
        assert events[1].detail["filters"] == {"bureau": "440300"}
