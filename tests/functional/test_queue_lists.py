"""The officer's queue and the supervisor's lists that scale (through Flask's test client on a
real database): search by enterprise name, credit code and case number; the views mine,
unclaimed and overdue; the working days left on every task (R-CAL, across the National Day
holiday and its make-up working day); paging with the total; claiming and reassigning several
tasks at once with one refused; a step claimed once staying with its officer; the supervisor's
case list and overdue/due-soon list filtered, searched, paged and downloaded (CSV, XLSX) with
formula-looking text neutralised; notifications marked read with an audit event."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.helpers import jsonl, matter, operator, uscc

from .web import PASSWORD, make_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TASK_ROW = re.compile(r'<tr data-task="(\d+)" data-case="(\d+)">(.*?)</tr>', re.S)
# 2026-09-29 (Tuesday): three working days on are 09-30, then (National Day, 10-01..07 off)
# 10-08 and 10-09; 10-10 (Saturday) is a make-up working day.
START = date(2026, 9, 29)
EVIL = '=HYPERLINK("http://x","点我")'


class Client:
    """A signed-in test client that posts forms with the CSRF token of the last page read."""

    def __init__(self, app, username: str):
        self.c = app.test_client()
        self.token = ""
        self.get("/login")
        answer = self.post("/login", {"username": username, "password": PASSWORD}, follow=False)
        assert answer.status_code == 302, username

    def _read(self, answer):
        found = (
            CSRF.search(answer.get_data(as_text=True)) if answer.mimetype == "text/html" else None
        )
        if found:
            self.token = found.group(1)
        return answer

    def get(self, path: str, **kw):
        return self._read(self.c.get(path, follow_redirects=kw.get("follow", True)))

    def post(self, path: str, data, follow: bool = True):
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        pairs.append(("csrf_token", self.token))
        return self._read(self.c.post(path, data=_multi(pairs), follow_redirects=follow))


def _multi(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def text(answer) -> str:
    return answer.get_data(as_text=True)


def rows(answer) -> dict[int, str]:
    """Task id → its row's HTML, in the order shown."""
    return {int(t): html for t, _c, html in TASK_ROW.findall(text(answer))}


def left(answer, task_id: int) -> str:
    found = re.search(r'data-testid="left">(.*?)</small>', rows(answer)[task_id], re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _import(app, clock, records) -> None:
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.imports import import_records
    from app.services.scheduler import tick

    with app.app_context():
        report = import_records(
            jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refusals == []
        db.session.commit()
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)


def seller_matter(ref: str, n: int, bureau: str, effective_on: str) -> dict:
    return matter(
        ref,
        [{"kind": "seller", "uscc": uscc(n, bureau)}],
        items=["A12.3"],
        bureau=bureau,
        effective_on=effective_on,
    )


NAMES = {
    1: "广州甲商行",
    2: "广州乙商行",
    3: "广州丙电器有限公司",
    4: EVIL,
    5: "广州戊商行",
}


@pytest.fixture
def world(seeded, clock):
    """On 2026-09-29: five Guangzhou sellers (one named like a formula) and one Liwan seller,
    each with a deduction whose notice is an announcement task due 2026-10-09 in the deciding
    bureau's queue; Guangzhou officers and a supervisor."""
    from app.extensions import db

    clock.set_today(START)
    with seeded.app_context():
        for name, role, bureau in [
            ("gz_a", "officer", "440100"),
            ("gz_b", "officer", "440100"),
            ("lw_a", "officer", "440103"),
            ("gz_sup", "supervisor", "440100"),
        ]:
            make_user(name, role, bureau=bureau)
        db.session.commit()
    records = [operator(n, bureau="440100", name=name) for n, name in NAMES.items()]
    records += [operator(6, bureau="440103", name="荔湾己商行")]
    records += [seller_matter(f"GZ-{n}", n, "440100", "2026-09-28") for n in NAMES]
    records += [seller_matter("LW-6", 6, "440103", "2026-09-28")]
    _import(seeded, clock, records)
    return seeded


def tasks_by_operator(app) -> dict[str, tuple[int, int]]:
    """Operator name → (task id, case id) of its open task."""
    from app.extensions import db
    from models import CaseTask, Operator

    with app.app_context():
        found = db.session.execute(
            db.select(Operator.name, CaseTask.id, CaseTask.case_id)
            .join(Operator, Operator.id == CaseTask.operator_id)
            .where(CaseTask.state == "open")
        ).all()
        return {name: (t, c) for name, t, c in found}


# ---- the officer's queue ------------------------------------------------------------------


def test_r_cal_working_days_left_across_the_national_day_holiday_and_its_make_up_day(world, clock):
    """R-CAL: due 2026-10-09; the count skips 10-01..07 and counts Saturday 10-10 (调休上班)."""
    task, _case = tasks_by_operator(world)["广州甲商行"]
    b = Client(world, "gz_a")
    expected = [
        (date(2026, 9, 29), "剩余3个工作日"),
        (date(2026, 9, 30), "剩余2个工作日"),
        (date(2026, 10, 3), "剩余2个工作日"),  # inside the holiday
        (date(2026, 10, 8), "剩余1个工作日"),
        (date(2026, 10, 9), "今日到期"),
        (date(2026, 10, 10), "已超期1个工作日"),  # the make-up Saturday is a working day
        (date(2026, 10, 11), "已超期1个工作日"),  # Sunday counts nothing
        (date(2026, 10, 12), "已超期2个工作日"),
    ]
    for day, shown in expected:
        clock.set_today(day)
        assert left(b.get("/inbox/"), task) == shown, day
    b.get("/lang/en")
    clock.set_today(date(2026, 9, 30))
    assert left(b.get("/inbox/"), task) == "2 working days left"
    clock.set_today(date(2026, 10, 9))
    assert left(b.get("/inbox/"), task) == "due today"
    clock.set_today(date(2026, 10, 12))
    assert left(b.get("/inbox/"), task) == "2 working days overdue"


def test_the_queue_is_searched_by_name_credit_code_and_case_number(world):
    t = tasks_by_operator(world)
    b = Client(world, "gz_a")
    assert set(rows(b.get("/inbox/?q=丙电器"))) == {t["广州丙电器有限公司"][0]}
    code = uscc(2, "440100")
    assert set(rows(b.get(f"/inbox/?q={code.lower()}"))) == {t["广州乙商行"][0]}
    assert set(rows(b.get(f"/inbox/?q={code[:17]}"))) == {t["广州乙商行"][0]}
    case = t["广州戊商行"][1]
    assert set(rows(b.get(f"/inbox/?q={case}"))) == {t["广州戊商行"][0]}
    assert set(rows(b.get("/inbox/?q=%25"))) == set()  # a wildcard is a character
    # Another bureau's enterprise is not found in this queue.
    assert "没有符合条件的待办任务" in text(b.get("/inbox/?q=荔湾己商行"))
    answer = b.get("/inbox/?q=商行")
    assert len(rows(answer)) == 3 and 'value="商行"' in text(answer)


def test_views_mine_unclaimed_and_overdue(world, clock):
    t = tasks_by_operator(world)
    b = Client(world, "gz_a")
    mine = t["广州甲商行"][0]
    b.post(f"/inbox/tasks/{mine}/claim", {})
    Client(world, "gz_b").post(f"/inbox/tasks/{t['广州乙商行'][0]}/claim", {})
    assert set(rows(b.get("/inbox/?view=mine"))) == {mine}
    unclaimed = set(rows(b.get("/inbox/?view=unclaimed")))
    assert unclaimed == {t[n][0] for n in ("广州丙电器有限公司", EVIL, "广州戊商行")}
    assert set(rows(b.get("/inbox/?view=overdue"))) == set()
    clock.set_today(date(2026, 10, 10))
    assert len(rows(b.get("/inbox/?view=overdue"))) == 5
    assert set(rows(b.get("/inbox/?view=overdue&q=甲商行"))) == {mine}
    assert b.get("/inbox/?view=everything").status_code == 400


def test_the_queue_is_paged_with_its_total(world, monkeypatch):
    import app.web.inbox.tasks as tasks

    monkeypatch.setattr(tasks, "PER_PAGE", 2)
    b = Client(world, "gz_a")
    first = b.get("/inbox/")
    assert "第 1 页，共 3 页 · 5 项" in text(first)
    seen = list(rows(first))
    nxt = re.search(r'href="([^"]+)" data-testid="next-page"', text(first)).group(1)
    second = b.get(nxt.replace("&amp;", "&"))
    assert "第 2 页，共 3 页 · 5 项" in text(second)
    seen += list(rows(second))
    third = b.get("/inbox/?page=3")
    assert 'data-testid="next-page"' not in text(third)
    seen += list(rows(third))
    assert len(seen) == len(set(seen)) == 5
    # Searching keeps to its own total and the search in the page links.
    found = b.get("/inbox/?q=商行")
    assert "第 1 页，共 2 页 · 3 项" in text(found) and "q=%E5%95%86%E8%A1%8C" in text(found)


def test_bulk_claim_reports_the_refused_task_by_name_and_claims_the_others(world):
    t = tasks_by_operator(world)
    taken = t["广州乙商行"][0]
    Client(world, "gz_b").post(f"/inbox/tasks/{taken}/claim", {})
    b = Client(world, "gz_a")
    b.get("/inbox/")
    ticked = [t["广州甲商行"][0], taken, t["广州丙电器有限公司"][0]]
    answer = b.post("/inbox/tasks/bulk", [("action", "claim")] + [("task", i) for i in ticked])
    page = text(answer)
    assert answer.status_code == 200
    assert "已认领 2 项任务" in page
    assert (
        f"案件 {t['广州乙商行'][1]}" in page
        and "广州乙商行" in page
        and "该任务已由他人认领" in page
    )
    assert set(rows(b.get("/inbox/?view=mine"))) == {ticked[0], ticked[2]}
    assert set(rows(Client(world, "gz_b").get("/inbox/?view=mine"))) == {taken}


def test_bulk_reassign_by_a_supervisor_with_one_refused(world):
    """One task of Liwan cannot go to a Guangzhou officer; the others are reassigned, with the
    reason in their history."""
    t = tasks_by_operator(world)
    sup = Client(world, "gz_sup")
    page = text(sup.get("/inbox/"))
    assert '<option value="gz_a">' in page
    ticked = [t["广州甲商行"][0], t["荔湾己商行"][0], t["广州戊商行"][0]]
    pairs = [("action", "reassign"), ("username", "gz_b"), ("reason", "甲休假")]
    answer = sup.post("/inbox/tasks/bulk", pairs + [("task", i) for i in ticked])
    page = text(answer)
    assert "已将 2 项任务改派给 gz_b" in page
    assert f"案件 {t['荔湾己商行'][1]}" in page and "荔湾己商行" in page
    assert "gz_b 不是 440103 的承办人员" in page
    assert set(rows(Client(world, "gz_b").get("/inbox/?view=mine"))) == {ticked[0], ticked[2]}
    history = text(sup.get(f"/inbox/cases/{t['广州甲商行'][1]}"))
    assert "甲休假" in history
    # Without a reason nothing is reassigned; officers cannot reassign at all.
    sup.post("/inbox/tasks/bulk", [("action", "reassign"), ("username", "gz_a"), ("reason", "")])
    answer = sup.post(
        "/inbox/tasks/bulk",
        [("action", "reassign"), ("username", "gz_a"), ("reason", " "), ("task", ticked[0])],
    )
    assert "请填写改派理由" in text(answer)
    assert set(rows(Client(world, "gz_b").get("/inbox/?view=mine"))) == {ticked[0], ticked[2]}
    officer = Client(world, "gz_a")
    officer.get("/inbox/")
    refused = officer.post(
        "/inbox/tasks/bulk",
        [("action", "reassign"), ("username", "gz_b"), ("reason", "x"), ("task", ticked[0])],
        follow=False,
    )
    assert refused.status_code == 403


def test_a_step_claimed_once_stays_with_its_officer_for_the_next_step(world, clock):
    """The officer who accepted an objection keeps its decision step; released, it is open."""
    from app.extensions import db
    from app.services.applications import file_objection
    from app.services.cases import Ctx
    from models import CaseTask, LedgerEntry, Operator, User

    _import(world, clock, [operator(7, bureau="440100", name="广州庚商行")])
    with world.app_context():
        op = db.session.query(Operator).filter_by(name="广州庚商行").one()
        make_user("ent_g", "enterprise", operator_id=op.id)
        db.session.commit()
    # Its notice reaches the portal account, so the objection window is open.
    _import(world, clock, [seller_matter("GZ-7", 7, "440100", "2026-09-28")])
    with world.app_context():
        ent = db.session.query(User).filter_by(username="ent_g").one()
        entry = db.session.query(LedgerEntry).filter_by(operator_id=op.id, kind="DEDUCTION").one()
        ctx = Ctx("ent_g", clock.today(), clock.now(), user=ent)
        case_id = file_objection([entry.id], "该产品不在淘汰目录内", ctx=ctx).id
        db.session.commit()

    def open_task() -> tuple[int, str, str | None]:
        with world.app_context():
            task = db.session.query(CaseTask).filter_by(case_id=case_id, state="open").one()
            who = db.session.get(User, task.claimed_by) if task.claimed_by else None
            return task.id, task.name, who.username if who else None

    accept, _name, _who = open_task()
    b = Client(world, "gz_a")
    b.post(f"/inbox/tasks/{accept}/claim", {"back": "case"})
    b.post(f"/inbox/cases/{case_id}/tasks/{accept}", {"decision": "accept"})
    resolve, name, who = open_task()
    assert (name, who) == ("resolve_objection", "gz_a")
    assert set(rows(b.get("/inbox/?view=mine"))) >= {resolve}
    assert resolve not in rows(b.get("/inbox/?view=unclaimed"))
    b.post(f"/inbox/tasks/{resolve}/unclaim", {})
    assert open_task()[2] is None
    assert resolve in rows(Client(world, "gz_b").get("/inbox/?view=unclaimed"))


# ---- the supervisor's lists ---------------------------------------------------------------


def _download(client, path: str) -> tuple[str, bytes]:
    answer = client.get(path, follow=False)
    assert answer.status_code == 200, path
    return answer.headers["Content-Disposition"], answer.get_data()


def test_the_case_list_says_its_total_pages_filters_searches_and_downloads(world, monkeypatch):
    import app.web.inbox.case_list as case_list

    monkeypatch.setattr(case_list, "PER_PAGE", 4)
    sup = Client(world, "gz_sup")
    page = text(sup.get("/inbox/cases"))
    assert "共 6 件" in page and "第 1 页，共 2 页" in page
    assert len(re.findall(r'<tr data-case="', page)) == 4
    assert len(re.findall(r'<tr data-case="', text(sup.get("/inbox/cases?page=2")))) == 2
    page = text(sup.get("/inbox/cases?bureau=440103"))
    assert "共 1 件" in page and "荔湾己商行" in page
    assert "共 0 件" in text(sup.get("/inbox/cases?status=completed"))
    assert "共 6 件" in text(sup.get("/inbox/cases?status=open&process=deduction_notice"))
    assert "共 1 件" in text(sup.get("/inbox/cases?q=丙电器"))
    assert sup.get("/inbox/cases?bureau=440300").status_code == 404  # outside the tree
    assert sup.get("/inbox/cases?status=lost").status_code == 400
    # An officer sees the bureau's own cases only.
    assert "共 5 件" in text(Client(world, "gz_a").get("/inbox/cases"))

    disposition, body = _download(sup, "/inbox/cases.csv?bureau=440100")
    assert disposition.startswith("attachment") and disposition.rstrip('"').endswith(".csv")
    found = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert found[0][:4] == ["案件号", "类型", "经营者", "统一社会信用代码"]
    assert len(found) == 1 + 6  # every case, not only the page
    names = {r[2] for r in found[1:]}
    assert "'" + EVIL in names and EVIL not in names  # a formula stays text
    _disposition, body = _download(sup, "/inbox/cases.xlsx?q=商行")
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][2] == "经营者" and len(cells) == 1 + 4
    evil = [c for c in sheet.iter_rows(min_row=2) if c[2].value == EVIL]
    assert evil == [] or evil[0][2].data_type == "s"


def test_the_overdue_and_due_soon_lists_filter_search_page_and_download(world, clock, monkeypatch):
    import app.web.dashboard as dashboard
    from app.extensions import db
    from models import AuditEvent

    monkeypatch.setattr(dashboard, "PER_PAGE", 2)
    sup = Client(world, "gz_sup")
    clock.set_today(date(2026, 10, 8))
    soon = text(sup.get("/supervision/?due=soon"))
    assert "即将到期任务" in soon and "共 6 项" in soon and "第 1 页，共 3 页" in soon
    assert "共 0 项" in text(sup.get("/supervision/"))
    clock.set_today(date(2026, 10, 12))
    page = text(sup.get("/supervision/"))
    assert "超期任务" in page and "共 6 项" in page and "第 1 页，共 3 页" in page
    assert "共 1 项" in text(sup.get("/supervision/?bureau=440103"))
    assert "共 1 项" in text(sup.get("/supervision/?q=丙电器"))
    assert "共 0 项" in text(sup.get("/supervision/?process=objection"))
    page3 = text(sup.get("/supervision/?page=3"))
    assert "第 3 页，共 3 页" in page3 and len(re.findall(r'<tr data-task="', page3)) == 2
    assert sup.get("/supervision/?due=later").status_code == 400

    _d, body = _download(sup, "/supervision/tasks.csv?bureau=440100")
    found = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert found[0][0] == "案件号" and len(found) == 1 + 6
    assert {r[8] for r in found[1:]} == {"3"}  # calendar days overdue on 10-12
    assert "'" + EVIL in {r[3] for r in found[1:]}
    _d, body = _download(sup, "/supervision/tasks.xlsx?bureau=440100&q=戊")
    cells = list(load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True))
    assert len(cells) == 2 and cells[1][3] == "广州戊商行"
    _d, body = _download(sup, "/supervision/tasks.xlsx")
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    evil = [r[3] for r in sheet.iter_rows(min_row=2) if r[3].value == EVIL]
    assert len(evil) == 1 and evil[0].data_type == "s"  # text, never a formula
    with world.app_context():
        actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions.count("download.tasks") == 3


def test_marking_notifications_read_writes_the_audit_log(world, clock):
    from app.extensions import db
    from models import AuditEvent, Notification

    with world.app_context():
        for n in range(3):
            db.session.add(
                Notification(
                    bureau_code="440100",
                    kind="overdue",
                    message=f"案件 {n} 已超期",
                    created_at=clock.now(),
                )
            )
        db.session.commit()
        first = db.session.query(Notification.id).order_by(Notification.id).first()[0]
    sup = Client(world, "gz_sup")
    sup.get("/supervision/notifications")
    assert sup.post(f"/supervision/notifications/{first}/read", {}).status_code == 200
    assert sup.post("/supervision/notifications/987654/read", {}, follow=False).status_code == 404
    sup.post("/supervision/notifications/read-all", {})
    with world.app_context():
        unread = db.session.query(Notification).filter(Notification.read_at.is_(None)).count()
        events = [
            (e.action, e.actor, e.object_ref, e.detail)
            for e in db.session.query(AuditEvent).filter(AuditEvent.action.like("notification.%"))
        ]
    assert unread == 0
    assert events == [
        ("notification.read", "gz_sup", str(first), {}),
        ("notification.read_all", "gz_sup", "440100", {"notifications": 2}),
    ]
