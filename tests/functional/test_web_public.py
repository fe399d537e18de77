"""The public pages over real HTTP, signed out (Art. 28, 29; rules §10): the A-class list of
the latest classification run, the dishonesty matters in force, the search, the Art. 28 notice
on each page, paging."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import quote

import pytest

from tests.functional.web import Browser, make_user
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

GZ, SZ, ZH, FS = "440100", "440300", "440400", "440600"
A1, PX, S2, S3, OLD = uscc(1, GZ), uscc(2, FS), uscc(3, SZ), uscc(4, GZ), uscc(5, SZ)
BULK = 52  # Zhuhai producers whose product passed a spot check: A-class, for paging
SELLERS = 51  # Zhuhai sellers of one matter: 51 dishonesty rows, for paging


def _import(records: list[dict], clock) -> None:
    from app.extensions import db
    from app.services.imports import import_records

    report = import_records(
        jsonl(records).splitlines(keepends=True), today=clock.today(), actor="t", at=clock.now()
    )
    assert report.refused == 0, report.as_dict()
    db.session.commit()


def _entry_of(ref: str, holder: str) -> int:
    from app.extensions import db
    from models import LedgerEntry, Matter, Operator

    return db.session.scalar(
        db.select(LedgerEntry.id)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .join(Operator, Operator.id == LedgerEntry.operator_id)
        .where(Matter.ref == ref, Operator.uscc == holder, LedgerEntry.kind == "DEDUCTION")
    )


def _void(entry_id: int, clock) -> None:
    """A correction reported by one Guangzhou officer and decided by another (four eyes): the
    entry is voided (Art. 25)."""
    from app.extensions import db
    from app.services.applications import report_correction
    from app.services.cases import Ctx, complete_task
    from models import CaseTask, User

    reporter = db.session.scalar(db.select(User).where(User.username == "gz_off2"))
    case = report_correction(
        entry_id, "文书号录入错误", ctx=Ctx("gz_off2", clock.today(), clock.now(), user=reporter)
    )
    officer = db.session.scalar(db.select(User).where(User.username == "gz_off"))
    ctx = Ctx("gz_off", clock.today(), clock.now(), user=officer)
    task = db.session.scalar(
        db.select(CaseTask.id).where(CaseTask.case_id == case.id, CaseTask.state == "open")
    )
    complete_task(task, {"decision": "correct", "void": True, "reasons": "录入错误"}, ctx=ctx)
    db.session.commit()


def _ctx(username: str, clock):
    from app.extensions import db
    from app.services.cases import Ctx
    from models import User

    user = db.session.scalar(db.select(User).where(User.username == username))
    return Ctx(username, clock.today(), clock.now(), user=user)


def _open_task(case_id: int) -> int:
    from app.extensions import db
    from models import CaseTask

    return db.session.scalar(
        db.select(CaseTask.id).where(CaseTask.case_id == case_id, CaseTask.state == "open")
    )


def _repair_and_amend(clock) -> None:
    """R7's deduction repaired (Art. 14, 21); AM's objection upheld in part: 2 points instead
    of 4 (Art. 24). The notices are delivered to their portals first (the objection window)."""
    from app.extensions import db
    from app.services.applications import file_objection, file_repair
    from app.services.cases import complete_task
    from app.services.scheduler import tick
    from models import Operator

    for n, who in ((7, "ent_r7"), (8, "ent_am")):
        op = db.session.scalar(db.select(Operator).where(Operator.uscc == uscc(n, GZ)))
        make_user(who, "enterprise", operator_id=op.id)
    db.session.commit()
    tick(ctx=_ctx("scheduler", clock), commit=db.session.commit)
    case = file_repair(
        _entry_of("穗市监罚〔2026〕11号", uscc(7, GZ)),
        {
            "not_intentional_statement": "进货目录版本错误",
            "rectification": "已下架",
            "undertaking": True,
        },
        ctx=_ctx("ent_r7", clock),
    )
    complete_task(
        _open_task(case.id),
        {"decision": "approve", "rectified_confirmed": True},
        ctx=_ctx("gz_off", clock),
    )
    case = file_objection(
        [_entry_of("穗市监罚〔2026〕12号", uscc(8, GZ))],
        "非明令淘汰型号",
        ctx=_ctx("ent_am", clock),
    )
    complete_task(_open_task(case.id), {"decision": "accept"}, ctx=_ctx("gz_off", clock))
    complete_task(
        _open_task(case.id),
        {"outcome": "amended", "points": "2", "reasons": "按一般情形"},
        ctx=_ctx("gz_off", clock),
    )
    db.session.commit()


@pytest.fixture
def world(live_server, seeded, clock):
    """On 2026-11-26, after runs of 2026-07-01 and 2026-11-01:
    - A1 (Guangzhou) makes 晨光 products that passed a spot check: A;
    - PX (Foshan) made 星河 lamps, A on 07-01, then failed a spot check (08-10): not A now;
    - S2 (Shenzhen) was deducted on 2026-05-06: a dishonesty matter in force;
    - S3 (Guangzhou) was deducted on 2026-06-10, then the entry was voided by a correction
      (back to 12: A on 11-01);
    - 广州无记录商行 has no credit record (O): nothing of it is published;
    - 广州修复商行's deduction (2026-10-01) was repaired; 广州变更商行's (2026-11-02) amended
      from 4 to 2 points on objection;
    - OLD (Shenzhen) was deducted on 2023-06-01: out of the window, back to 12, A;
    - 52 Zhuhai products in A and one Zhuhai matter against 51 sellers, for paging."""
    with seeded.app_context():
        from app.extensions import db
        from app.services.classification import run_classification

        make_user("gz_off", "officer", bureau=GZ)
        make_user("gz_off2", "officer", bureau=GZ)
        db.session.commit()
        records = [
            operator(1, bureau=GZ, name="广州晨光电器有限公司"),
            product(A1, "晨光", 9),
            spot_check("GD-CC-A1", A1, result="pass", sampled_on="2026-03-01", brand="晨光"),
            operator(2, bureau=FS, name="佛山星河灯具有限公司"),
            product(PX, "星河", 11, "照明电器"),
            spot_check(
                "GD-CC-PX0", PX, result="pass", sampled_on="2026-02-01", brand="星河", nice_class=11
            ),
            spot_check(
                "GD-CC-PX1",
                PX,
                effective_on="2026-08-10",
                sampled_on="2026-07-20",
                brand="星河",
                nice_class=11,
            ),
            operator(3, bureau=SZ, name="深圳海岸贸易有限公司"),
            matter(
                "深市监罚〔2026〕1号",
                [{"kind": "seller", "uscc": S2}],
                items=["A12.3"],
                bureau=SZ,
                effective_on="2026-05-06",
            ),
            operator(4, bureau=GZ, name="广州错录商行"),
            matter(
                "穗市监罚〔2026〕9号",
                [{"kind": "seller", "uscc": S3}],
                items=["A12.3"],
                bureau=GZ,
                effective_on="2026-06-10",
            ),
            operator(6, bureau=GZ, name="广州无记录商行"),  # no credit record: class O
            operator(7, bureau=GZ, name="广州修复商行"),
            matter(
                "穗市监罚〔2026〕11号",
                [{"kind": "seller", "uscc": uscc(7, GZ)}],
                items=["A12.3"],
                bureau=GZ,
                effective_on="2026-10-01",
            ),
            operator(8, bureau=GZ, name="广州变更商行"),
            matter(
                "穗市监罚〔2026〕12号",
                [{"kind": "seller", "uscc": uscc(8, GZ)}],
                items=["A12.3"],
                bureau=GZ,
                effective_on="2026-11-02",
            ),
            operator(5, bureau=SZ, name="深圳旧案贸易有限公司"),
            matter(
                "深市监罚〔2023〕5号",
                [{"kind": "seller", "uscc": OLD}],
                items=["A12.3"],
                bureau=SZ,
                effective_on="2023-06-01",
            ),
        ]
        for i in range(BULK):
            producer = uscc(100 + i, ZH)
            records += [
                operator(100 + i, bureau=ZH, name=f"珠海批量电子{i:02d}有限公司"),
                product(producer, f"批量{i:02d}", 9),
                spot_check(
                    f"GD-CC-ZH{i}",
                    producer,
                    result="pass",
                    sampled_on="2026-04-01",
                    brand=f"批量{i:02d}",
                ),
            ]
        sellers = [
            operator(300 + i, bureau=ZH, name=f"珠海连锁{i:02d}号店") for i in range(SELLERS)
        ]
        records += sellers
        records.append(
            matter(
                "珠市监罚〔2026〕3号",
                [{"kind": "seller", "uscc": s["uscc"]} for s in sellers],
                items=["A12.3"],
                bureau=ZH,
                effective_on="2026-09-01",
            )
        )
        _import(records, clock)
        _void(_entry_of("穗市监罚〔2026〕9号", S3), clock)
        _repair_and_amend(clock)
        at = datetime(2026, 11, 26, 2, tzinfo=UTC)
        run_classification(date(2026, 7, 1), actor="t", at=at)
        run_classification(date(2026, 11, 1), actor="t", at=at, off_cycle=True, reason="t")
        db.session.commit()
    return live_server


def _latest_a(seeded) -> dict[int, str]:
    """object id → USCC of the objects the 2026-11-01 run put in A."""
    from app.extensions import db
    from models import ClassificationResult, ClassificationRun, Operator, ScoringObject

    with seeded.app_context():
        run = db.session.scalar(
            db.select(ClassificationRun).where(ClassificationRun.run_on == date(2026, 11, 1))
        )
        rows = db.session.execute(
            db.select(ClassificationResult.object_id, Operator.uscc)
            .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
            .join(Operator, Operator.id == ScoringObject.operator_id)
            .where(ClassificationResult.run_id == run.id, ClassificationResult.klass == "A")
        ).all()
    return dict(rows)


def _get(browser: Browser, path: str, **kw):
    """GET a path written with Chinese in its query string, percent-encoded as browsers do."""
    return browser.get(quote(path, safe="/?=&"), **kw)


def _objects(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-object="(\d+)"', text)]


def _matters(text: str) -> list[str]:
    return re.findall(r'data-matter="([^"]+)"', text)


def test_a_list_shows_only_a_class_objects_of_the_latest_run_with_paging(world, seeded):
    a = _latest_a(seeded)
    assert A1 in a.values() and OLD in a.values() and PX not in a.values()
    b = Browser(world)
    first = _get(b, "/public/a-class")
    assert first.status == 200
    pages = [first]
    while 'rel="next"' in pages[-1].text and len(pages) < 10:
        pages.append(_get(b, f"/public/a-class?page={len(pages) + 1}"))
    rows = [i for p in pages for i in _objects(p.text)]
    assert len(pages) == -(-len(a) // 50) and len(_objects(first.text)) == 50
    assert sorted(rows) == sorted(a)  # every A object once, nothing else
    second = pages[1]
    assert f"共 {len(a)} 个记分对象" in first.text
    assert "2026-11-01" in first.text
    assert "佛山星河灯具有限公司" not in first.text + second.text  # A in July only
    assert "深圳海岸贸易有限公司" not in first.text + second.text
    assert 'href="/public/a-class?page=2"' in first.text  # the pager links on


def test_a_list_filters_by_city_and_text(world, seeded):
    b = Browser(world)
    sz = _get(b, f"/public/a-class?city={SZ}")
    assert "深圳旧案贸易有限公司" in sz and "广州晨光电器有限公司" not in sz
    assert "珠海批量电子" not in sz
    found = _get(b, "/public/a-class?q=晨光")
    assert "广州晨光电器有限公司" in found and "珠海批量电子" not in found
    assert "晨光 · 第9类" in found
    assert _get(b, "/public/a-class?city=999999").status == 400
    assert _get(b, "/public/a-class?page=0").status == 400


def test_dishonesty_lists_matters_in_force_without_voided_or_expired_ones(world):
    b = Browser(world)
    page = _get(b, "/public/dishonesty")
    assert page.status == 200
    both = _matters(page.text) + _matters(_get(b, "/public/dishonesty?page=2").text)
    assert "深市监罚〔2026〕1号" in both
    assert "GD-CC-PX1" in both  # the failed spot check of the 星河 lamps
    assert "穗市监罚〔2026〕9号" not in both  # voided by a correction
    assert "深市监罚〔2023〕5号" not in both  # effective 2023-06-01: out of the window
    assert both.count("珠市监罚〔2026〕3号") == SELLERS
    assert len(_matters(page.text)) == 50
    # The row says who, which item, how many points, when and which bureau decided.
    row = re.search(r'<tr[^>]*data-matter="深市监罚〔2026〕1号">(.*?)</tr>', page.text, re.S)
    if row is None:
        row = re.search(
            r'<tr[^>]*data-matter="深市监罚〔2026〕1号">(.*?)</tr>',
            _get(b, "/public/dishonesty?page=2").text,
            re.S,
        )
    text = row.group(1)
    for needle in ("深圳海岸贸易有限公司", S2, "A12.3", "2026-05-06", "深圳市市场监督管理局"):
        assert needle in text, needle
    assert re.search(r'data-col="points">-?\d', text)


def test_repaired_matters_are_withdrawn_and_amended_ones_show_their_new_points(world):
    b = Browser(world)
    assert _matters(_get(b, "/public/dishonesty?q=广州修复商行").text) == []
    page = _get(b, "/public/dishonesty?q=广州变更商行")
    assert _matters(page.text) == ["穗市监罚〔2026〕12号"]
    assert re.search(r'data-col="points">-2(\.00)? ', page.text)


def test_public_lists_publish_the_same_rows_as_the_disclosure_exports(world, seeded):
    """Art. 29: the page and the authorised export (app.services.exports) never disagree; the
    export also keeps the repaired matter, marked repaired (rules §10)."""
    from app.extensions import db
    from app.queries import disclosure
    from app.services.exports import a_class_export, dishonesty_export

    with seeded.app_context():
        admin = make_user("adm", "admin")
        today = date(2026, 11, 26)
        exported = dishonesty_export(admin, since=None, until=None, bureau=None, today=today)
        rows = [r for batch in exported.batches() for r in batch]
        shown = disclosure.dishonesty(today=today, per_page=1000)
        repaired = [r for r in rows if r["repaired"]]
        assert [(r["matter_ref"], r["repaired_on"]) for r in repaired] == [
            ("穗市监罚〔2026〕11号", today)
        ]
        assert shown.total == exported.count - 1 == len(shown.rows)
        key = ("matter_ref", "uscc", "published_until")
        assert sorted(
            (*(r[k] for k in key), r["brand"] or "", r["points"]) for r in rows if not r["repaired"]
        ) == (
            sorted(
                (*(r[k] for k in key), r["brand"] or "", f"{r['points']:.2f}") for r in shown.rows
            )
        )
        a_rows = [
            r for batch in a_class_export(admin, run_on=None, bureau=None).batches() for r in batch
        ]
        _run, a_page = disclosure.a_list(per_page=1000)
        assert sorted((r["uscc"], r["brand"] or "") for r in a_rows) == sorted(
            (r["uscc"], r["brand"] or "") for r in a_page.rows
        )
        db.session.rollback()


def test_dishonesty_filters_by_city_and_text(world):
    b = Browser(world)
    fs = _get(b, f"/public/dishonesty?city={FS}")
    assert set(_matters(fs.text)) == {"GD-CC-PX1"}
    found = _get(b, f"/public/dishonesty?q={S2}")
    assert _matters(found.text) == ["深市监罚〔2026〕1号"]
    assert _matters(_get(b, "/public/dishonesty?q=广州错录").text) == []


def test_search_by_name_uscc_and_brand_shows_published_information_only(world, seeded):
    b = Browser(world)
    by_name = _get(b, "/public/search?q=晨光电器")
    assert by_name.status == 200
    a = _latest_a(seeded)
    ids = _objects(by_name.text)
    assert ids and all(a.get(i) == A1 for i in ids)  # only A1's A-class objects
    assert 'data-testid="a-class"' in by_name.text
    by_uscc = _get(b, f"/public/search?q={S2}")
    assert "深圳海岸贸易有限公司" in by_uscc
    assert _matters(by_uscc.text) == ["深市监罚〔2026〕1号"]
    assert 'data-testid="a-class"' not in by_uscc.text  # class B is not published
    by_brand = _get(b, "/public/search?q=星河")
    assert "佛山星河灯具有限公司" in by_brand
    assert "GD-CC-PX1" in _matters(by_brand.text)
    assert 'data-testid="a-class"' not in by_brand.text  # A only in the earlier run
    old = _get(b, "/public/search?q=深圳旧案")
    assert 'data-testid="a-class"' in old.text and _matters(old.text) == []
    voided = _get(b, "/public/search?q=广州错录商行")  # its only matter was voided
    assert 'data-testid="a-class"' in voided.text and _matters(voided.text) == []
    unknown = _get(b, "/public/search?q=广州无记录商行")
    assert _objects(unknown.text) == [] and 'data-testid="none"' in unknown.text
    assert (
        "<script"
        not in _get(b, "/public/search?q=<script>alert(1)</script>").text.split("<main", 1)[1]
    )


def test_a_search_matching_more_than_are_counted_asks_for_more_words(world, monkeypatch):
    """Every Zhuhai producer, product and seller matches 珠海: counted in full under the cap;
    over it the page says so and asks for more of the name, and still lists the first page."""
    from app.web import public

    b = Browser(world)
    page = _get(b, "/public/search?q=珠海")
    found = int(re.search(r"找到 (\d+) 个有公示信息的记分对象", page.text).group(1))
    assert found > 2 * public.SEARCH_PER_PAGE and 'data-testid="capped"' not in page.text

    monkeypatch.setattr(public, "SEARCH_CAP", found - 1)
    page = _get(b, "/public/search?q=珠海")
    assert f"找到超过 {found - 1} 个有公示信息的记分对象，请输入更完整的" in page.text
    assert len(_objects(page.text)) == public.SEARCH_PER_PAGE
    b.get("/lang/en")
    english = _get(b, "/public/search?q=珠海")
    assert f"More than {found - 1} scoring objects" in english.text


def test_lists_longer_than_are_counted_say_so_and_still_page(world, monkeypatch):
    """Zhuhai's A-class producers (52, with their products) and 51 sellers with a matter in
    force: under the cap both lists give their exact totals; over it they say "more than" and
    still list a page."""
    from app.web import public

    b = Browser(world)
    a = _get(b, f"/public/a-class?city={ZH}")
    matters = _get(b, f"/public/dishonesty?city={ZH}")
    a_total = int(re.search(r"共 (\d+) 个记分对象", a.text).group(1))
    assert a_total >= BULK and 'data-testid="capped"' not in a.text
    assert f"共 {SELLERS} 项" in matters.text and 'data-testid="capped"' not in matters.text

    monkeypatch.setattr(public, "LIST_CAP", 10)
    a = _get(b, f"/public/a-class?city={ZH}")
    matters = _get(b, f"/public/dishonesty?city={ZH}")
    assert "超过 10 个记分对象，可按地市或名称缩小范围" in a.text
    assert len(_objects(a.text)) == public.PER_PAGE
    assert "超过 10 项，可按地市或名称缩小范围" in matters.text
    assert _matters(matters.text).count("珠市监罚〔2026〕3号") == public.PER_PAGE
    b.get("/lang/en")
    assert "More than 10 matters" in _get(b, f"/public/dishonesty?city={ZH}").text


@pytest.mark.parametrize(
    "path", ["/public/a-class", "/public/dishonesty", "/public/search", "/public/search?q=晨光"]
)
def test_every_public_page_carries_the_art_28_notice_for_anonymous_users(world, path):
    page = _get(Browser(world), path, follow=False)
    assert page.status == 200
    notice = re.search(r'<p class="note" data-testid="art28">(.*?)</p>', page.text, re.S)
    assert notice and "第二十八条" in notice.group(1) and "商业用途" in notice.group(1)


def test_public_pages_before_any_classification_run(live_server):
    b = Browser(live_server)
    page = _get(b, "/public/a-class")
    assert page.status == 200 and "尚未进行分类评定" in page
    assert _get(b, "/public/dishonesty").status == 200
