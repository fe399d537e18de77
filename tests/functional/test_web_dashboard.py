"""The supervisor dashboard over real HTTP: open, due-soon and overdue tasks drilled down
province → city → county inside the supervisor's own tree only; on-time rates; the overdue
notifications and marking them read."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.functional.web import Browser, make_user
from tests.helpers import jsonl, matter, operator, uscc

GZ, TIANHE, SZ = "440100", "440106", "440300"


def _import(records: list[dict], clock) -> None:
    from app.extensions import db
    from app.services.imports import import_records

    report = import_records(
        jsonl(records).splitlines(keepends=True), today=clock.today(), actor="t", at=clock.now()
    )
    assert report.refused == 0, report.as_dict()
    db.session.commit()


def _seller_matter(n: int, bureau: str, ref: str) -> list[dict]:
    return [
        operator(n, bureau=bureau),
        matter(
            ref,
            [{"kind": "seller", "uscc": uscc(n, bureau)}],
            items=["A12.3"],
            bureau=bureau,
            effective_on="2026-11-20",
        ),
    ]


def _tick(clock) -> None:
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.scheduler import tick

    tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)


def _task_of(ref: str) -> int:
    """The open announcement task of the notice of matter `ref`."""
    from app.extensions import db
    from models import Case, CaseTask, Matter

    return db.session.scalar(
        db.select(CaseTask.id)
        .join(Case, Case.id == CaseTask.case_id)
        .join(Matter, Matter.id == Case.matter_id)
        .where(Matter.ref == ref, CaseTask.state == "open")
    )


def _case_of(ref: str) -> int:
    from app.extensions import db
    from models import Case, Matter

    return db.session.scalar(
        db.select(Case.id).join(Matter, Matter.id == Case.matter_id).where(Matter.ref == ref)
    )


def _complete(ref: str, username: str, clock) -> None:
    from app.extensions import db
    from app.services.cases import Ctx, complete_task
    from models import User

    user = db.session.scalar(db.select(User).where(User.username == username))
    ctx = Ctx(username, clock.today(), clock.now(), user=user)
    complete_task(_task_of(ref), {"published_in": "门户网站公告栏"}, ctx=ctx)
    db.session.commit()


@pytest.fixture
def world(live_server, seeded, clock):
    """Announcement tasks (no portal account to deliver to) in Guangzhou, its Tianhe district
    and Shenzhen: on 2026-12-02 Guangzhou has one overdue task of its own, Tianhe one overdue
    and one due today, Shenzhen one overdue; one Guangzhou task was done on time (11-27) and
    one Tianhe task late (12-02, due 12-01)."""
    with seeded.app_context():
        from app.extensions import db

        for name, role, bureau in [
            ("gz_sup", "supervisor", GZ),
            ("prov_sup", "supervisor", "440000"),
            ("sz_sup", "supervisor", SZ),
            ("th_sup", "supervisor", TIANHE),
            ("gz_off", "officer", GZ),
            ("th_off", "officer", TIANHE),
            ("admin1", "admin", None),
        ]:
            make_user(name, role, bureau=bureau)
        db.session.commit()
        # 2026-11-26 (Thu): five notices, announcements due 2026-12-01 (3 working days).
        _import(
            _seller_matter(10, GZ, "GZ-1")
            + _seller_matter(11, TIANHE, "TH-1")
            + _seller_matter(12, SZ, "SZ-1")
            + _seller_matter(13, GZ, "GZ-ONTIME")
            + _seller_matter(14, TIANHE, "TH-LATE"),
            clock,
        )
        _tick(clock)
        clock.set_today(date(2026, 11, 27))
        _import(_seller_matter(15, TIANHE, "TH-SOON"), clock)
        _tick(clock)  # its announcement is due 2026-12-02
        _complete("GZ-ONTIME", "gz_off", clock)
        clock.set_today(date(2026, 12, 2))
        _tick(clock)  # four deadlines pass
        _complete("TH-LATE", "th_off", clock)
        cases = {ref: _case_of(ref) for ref in ("GZ-1", "TH-1", "SZ-1", "TH-SOON", "TH-LATE")}
    return {"base": live_server, "cases": cases}


def _row(page_text: str, bureau: str) -> dict[str, int]:
    """The open / due soon / overdue counts of one row of the tasks-by-bureau table."""
    section = page_text.split('data-testid="tasks-by-bureau"')[1].split("</section>")[0]
    row = re.search(rf'<tr data-bureau="{bureau}"[^>]*>(.*?)</tr>', section, re.S)
    assert row, f"no row for {bureau}"
    cells = dict(re.findall(r'data-col="(\w+)">(.*?)</td>', row.group(1), re.S))
    return {k: int(re.sub(r"<[^>]+>", "", v).strip()) for k, v in cells.items()}


def _overdue_cases(page_text: str) -> set[int]:
    section = page_text.split('data-testid="overdue-tasks"')[1].split("</section>")[0]
    return {int(c) for c in re.findall(r"/cases/(\d+)", section)}


def test_city_supervisor_sees_city_and_counties_with_subtree_totals(world):
    b = Browser(world["base"])
    b.login("gz_sup")
    page = b.get("/supervision/")
    assert page.status == 200, page.text[:500]
    # Tianhe's row adds up its subtree: one overdue, one due today.
    assert _row(page.text, TIANHE) == {"open": 2, "due_soon": 1, "overdue": 1}
    assert _row(page.text, GZ) == {"open": 1, "due_soon": 0, "overdue": 1}  # the city's own
    assert _row(page.text, "440103") == {"open": 0, "due_soon": 0, "overdue": 0}
    assert 'data-bureau="440300"' not in page.text  # no sibling city
    # The city's own row first, then the counties with late work before the quiet ones.
    section = page.text.split('data-testid="tasks-by-bureau"')[1].split("</section>")[0]
    order = re.findall(r'<tr data-bureau="(\d+)"', section)
    assert order[:3] == [GZ, TIANHE, "440103"] and len(order) == 12
    cases = world["cases"]
    assert _overdue_cases(page.text) == {cases["GZ-1"], cases["TH-1"]}
    assert cases["SZ-1"] not in _overdue_cases(page.text)
    assert "/statistics/" in page.text
    # The link opens the case, where the task is reassigned.
    link = re.search(rf'href="([^"]*/cases/{cases["TH-1"]})"', page.text).group(1)
    assert b.get(link).status == 200


def test_drilling_down_from_the_province_to_a_county_and_back(world):
    b = Browser(world["base"])
    b.login("prov_sup")
    page = b.get("/supervision/")
    assert _row(page.text, GZ) == {"open": 3, "due_soon": 1, "overdue": 2}
    assert _row(page.text, SZ) == {"open": 1, "due_soon": 0, "overdue": 1}
    assert _overdue_cases(page.text) == {world["cases"][r] for r in ("GZ-1", "TH-1", "SZ-1")}
    assert f'href="/supervision/?bureau={GZ}"' in page.text  # the row links to the drill-down
    city = b.get(f"/supervision/?bureau={GZ}")
    assert _row(city.text, TIANHE) == {"open": 2, "due_soon": 1, "overdue": 1}
    county = b.get(f"/supervision/?bureau={TIANHE}")
    assert county.status == 200
    assert _row(county.text, TIANHE) == {"open": 2, "due_soon": 1, "overdue": 1}
    assert _overdue_cases(county.text) == {world["cases"]["TH-1"]}
    crumbs = county.text.split('data-testid="breadcrumb"')[1].split("</nav>")[0]
    assert 'href="/supervision/?bureau=440000"' in crumbs
    assert f'href="/supervision/?bureau={GZ}"' in crumbs


def test_a_bureau_outside_the_tree_is_not_found(world):
    b = Browser(world["base"])
    b.login("gz_sup")
    assert b.get(f"/supervision/?bureau={SZ}").status == 404
    assert b.get("/supervision/?bureau=440000").status == 404  # above them
    assert b.get("/supervision/?bureau=999999").status == 404
    b2 = Browser(world["base"])
    b2.login("sz_sup")
    page = b2.get("/supervision/")
    assert _overdue_cases(page.text) == {world["cases"]["SZ-1"]}
    assert b2.get(f"/supervision/?bureau={TIANHE}").status == 404


def _rate_row(page_text: str, table: str, attr: str) -> dict[str, str]:
    section = page_text.split(f'data-testid="{table}"')[1].split("</table>")[0]
    row = re.search(rf"<tr {attr}[^>]*>(.*?)</tr>", section, re.S)
    assert row, attr
    cells = dict(re.findall(r'data-col="(\w+)">(.*?)</t[dh]>', row.group(1), re.S))
    return {k: re.sub(r"<[^>]+>", "", v).strip() for k, v in cells.items()}


def test_on_time_rate_counts_one_on_time_and_one_late(world):
    b = Browser(world["base"])
    b.login("gz_sup")
    page = b.get("/supervision/")
    total = _rate_row(page.text, "on-time-months", 'data-process="deduction_notice"')
    assert total == {"done": "2", "on_time": "1", "rate": "50.0%"}
    assert _rate_row(page.text, "on-time-months", 'data-process="all"')["rate"] == "50.0%"
    months = page.text.split('data-testid="on-time-months"')[1].split("</thead>")[0]
    assert ">2026-07<" in months and ">2026-12<" in months and ">2026-06<" not in months
    tianhe = _rate_row(page.text, "on-time-bureaus", f'data-bureau="{TIANHE}"')
    assert tianhe == {"done": "1", "on_time": "0", "late": "1", "rate": "0.0%"}
    own = _rate_row(page.text, "on-time-bureaus", f'data-bureau="{GZ}"')
    assert own == {"done": "1", "on_time": "1", "late": "0", "rate": "100.0%"}
    assert page.text.count('class="echart"') == 2  # the charts
    # Shenzhen completed nothing: its supervisor sees no rate at all.
    b2 = Browser(world["base"])
    b2.login("sz_sup")
    sz = b2.get("/supervision/")
    assert _rate_row(sz.text, "on-time-months", 'data-process="all"')["done"] == "0"


def test_notifications_unread_first_and_mark_read(world):
    b = Browser(world["base"])
    b.login("gz_sup")
    page = b.get("/supervision/notifications")
    assert page.status == 200
    ids = re.findall(r'data-notification="(\d+)" data-read="(\w+)"', page.text)
    cases = world["cases"]
    # Overdue Guangzhou and Tianhe cases notify Guangzhou; Shenzhen's does not.
    for ref in ("GZ-1", "TH-1", "TH-LATE"):
        assert f"/cases/{cases[ref]}" in page.text
    assert f'/cases/{cases["SZ-1"]}"' not in page.text
    assert len(ids) == 3 and all(r == "no" for _, r in ids)
    last = ids[-1][0]
    after = b.post(f"/supervision/notifications/{last}/read", {})
    assert after.status == 200
    states = re.findall(r'data-notification="(\d+)" data-read="(\w+)"', after.text)
    assert states[-1] == (last, "yes")  # read ones go after unread ones
    assert [r for _, r in states[:-1]] == ["no", "no"]
    first = states[0][0]
    after = b.post(f"/supervision/notifications/{first}/read", {})
    states = re.findall(r'data-notification="(\d+)" data-read="(\w+)"', after.text)
    assert [r for _, r in states] == ["no", "yes", "yes"]
    done = b.post("/supervision/notifications/read-all", {})
    states = re.findall(r'data-notification="(\d+)" data-read="(\w+)"', done.text)
    assert [r for _, r in states] == ["yes", "yes", "yes"]


def test_someone_elses_notification_cannot_be_marked(world, seeded):
    from app.extensions import db
    from models import Notification

    with seeded.app_context():
        sz_note = db.session.scalar(
            db.select(Notification.id).where(Notification.bureau_code == SZ)
        )
    assert sz_note is not None
    b = Browser(world["base"])
    b.login("gz_sup")
    assert b.post(f"/supervision/notifications/{sz_note}/read", {}).status == 404
    with seeded.app_context():
        assert db.session.get(Notification, sz_note).read_at is None


@pytest.mark.parametrize("username", ["gz_off", "admin1"])
def test_officers_and_others_may_not_open_the_dashboard(world, username):
    b = Browser(world["base"])
    b.login(username)
    assert b.get("/supervision/").status == 403
    assert b.get("/supervision/notifications").status == 403


def test_enterprise_and_anonymous_users_are_kept_out(world, seeded):
    from app.extensions import db
    from models import Operator

    with seeded.app_context():
        op = db.session.scalar(db.select(Operator).where(Operator.uscc == uscc(10, GZ)))
        make_user("ent10", "enterprise", operator_id=op.id)
        db.session.commit()
    b = Browser(world["base"])
    b.login("ent10")
    assert b.get("/supervision/").status == 403
    anon = Browser(world["base"]).get("/supervision/", follow=False)
    assert anon.status == 302 and "/login" in anon.location
