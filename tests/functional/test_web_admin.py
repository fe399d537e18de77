"""Administration pages over real HTTP: holiday schedules (R-CAL), scoring-table versions
(Art. 19), users, the bureau tree, classification runs (R-HALFYEAR)."""

from __future__ import annotations

import re
import urllib.request
from datetime import date

import pytest

from tests.helpers import at_once, jsonl, matter, operator, product, spot_check, uscc

from .web import PASSWORD, Browser, make_user

P1, S1, P3 = uscc(1), uscc(2, "440100"), uscc(3)

SCHEDULE_2027 = """\
year: 2027
source: "国务院办公厅关于2027年部分节假日安排的通知（测试）"
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - {name: 春节, from: 2027-02-06, to: 2027-02-13}
workdays: [2027-02-14, 2027-02-20]
"""

ADMIN_PAGES = [
    "/admin/",
    "/admin/calendar",
    "/admin/tables",
    "/admin/tables/GD-2021-default",
    "/admin/users",
    "/admin/users/new",
    "/admin/bureaus",
    "/admin/bureaus/440100",
    "/admin/runs",
]


def table_yaml(version: str, applies_from: str, points: int = 4) -> str:
    return f"""\
version: "{version}"
applies_from: {applies_from}
items:
  - {{code: A11.1, objects: [product], title: 监督抽查不合格, points: {points}, \
intentional_points: 8, repairable: true}}
  - {{code: A12.3, objects: [producer, seller], title: 生产或销售国家明令淘汰的产品, \
points: 4, intentional_points: 8, repairable: true}}
rewards:
  - {{code: R16, objects: [product], title: 连续两年以上未发现不合格, points: 1}}
"""


@pytest.fixture
def province(seeded, clock):
    """Three operators (a Shenzhen producer with a failed spot check, a Guangzhou seller with a
    deduction, a clean producer) through the real import service, and an admin."""
    from app.extensions import db
    from app.services.imports import import_records

    with seeded.app_context():
        report = import_records(
            jsonl(
                [
                    operator(1),
                    operator(2, bureau="440100"),
                    operator(3),
                    product(P1),
                    product(P3, brand="好牌"),
                    spot_check(
                        "GD-CC-2026-1", P1, effective_on="2026-05-10", sampled_on="2026-04-01"
                    ),
                    matter(
                        "粤穗市监罚〔2026〕7号",
                        [{"kind": "seller", "uscc": S1}],
                        items=["A12.3"],
                        bureau="440100",
                        effective_on="2026-11-02",
                    ),
                ]
            ).splitlines(keepends=True),
            today=clock.today(),
            actor="test",
            at=clock.now(),
        )
        assert report.refused == 0, report.refusals
        make_user("admin1", "admin")
        db.session.commit()
    return seeded


def admin(live_server) -> Browser:
    b = Browser(live_server)
    assert b.login("admin1").status == 200
    return b


def audit_actions(app) -> list[str]:
    from app.extensions import db
    from models import AuditEvent

    with app.app_context():
        return [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]


def by_testid(page, name: str) -> str:
    found = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', page.text)
    assert found, f"no {name} on the page"
    return found.group(1).strip()


def refusal(page) -> str:
    return by_testid(page, "refusal")


# -- who may open the pages ------------------------------------------------------------------


def test_admin_pages_are_for_administrators_only(live_server, province):
    from app.extensions import db
    from models import Bureau, Operator

    with province.app_context():
        s1 = db.session.query(Operator).filter_by(uscc=S1).one()
        make_user("ent", "enterprise", operator_id=s1.id)
        make_user("officer", "officer", bureau="440100")
        make_user("supervisor", "supervisor", bureau="440000")
        db.session.commit()

    anonymous = Browser(live_server)
    for path in ADMIN_PAGES:
        page = anonymous.get(path, follow=False)
        assert page.status == 302 and "/login" in page.location, path
    for username in ("ent", "officer", "supervisor"):
        b = Browser(live_server)
        b.login(username)
        for path in ADMIN_PAGES:
            assert b.get(path).status == 403, (username, path)
        # A form posted by hand is refused as well, and writes nothing.
        page = b.post("/admin/bureaus", {"parent": "440100", "code": "440199", "name": "某局"})
        assert page.status == 403
    with province.app_context():
        assert db.session.get(Bureau, "440199") is None


def test_every_admin_page_is_reachable_from_the_menu_and_opens(live_server, province):
    b = admin(live_server)
    home = b.get("/admin/")
    assert home.status == 200
    for path in (
        "/admin/calendar",
        "/admin/tables",
        "/admin/users",
        "/admin/bureaus",
        "/admin/runs",
    ):
        assert f'href="{path}"' in home.text, path
    for path in ADMIN_PAGES:
        assert b.get(path).status == 200, path
    b.get("/lang/en?next=/admin/")
    for path in ADMIN_PAGES:
        page = b.get(path)
        assert page.status == 200 and 'lang="en"' in page.text, path


# -- holiday schedules (R-CAL) ---------------------------------------------------------------


def test_r_cal_a_schedule_loaded_by_the_form_decides_that_years_deadlines(live_server, province):
    b = admin(live_server)
    # 5 working days from Friday 2027-02-05: 2027 has no data yet, so Monday-Friday, provisional.
    before = b.get("/admin/calendar?start=2027-02-05&days=5")
    assert by_testid(before, "trial-due") == "2027-02-12"
    assert 'data-testid="trial-provisional"' in before.text

    page = b.post("/admin/calendar", {"text": SCHEDULE_2027})
    assert page.status == 200 and "已载入2027年节假日安排" in page.text
    assert 'data-year="2027"' in page.text and "2027-02-06 – 2027-02-13" in page.text

    # Spring Festival off; Sunday 2027-02-14 is a make-up working day: 14, 15, 16, 17, 18.
    after = b.get("/admin/calendar?start=2027-02-05&days=5")
    assert by_testid(after, "trial-due") == "2027-02-18"
    assert 'data-testid="trial-provisional"' not in after.text
    assert "calendar.load" in audit_actions(province)

    # Loading the same file again changes nothing and says so.
    again = b.post("/admin/calendar", {"text": SCHEDULE_2027})
    assert "未作更改" in again.text
    assert audit_actions(province).count("calendar.load") == 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("year: 2027\nholidays: [\n  - {from: x\n", "第 3 行"),  # broken YAML: the line
        (SCHEDULE_2027.replace("2027-02-20", "2027-02-22"), "workdays：2027-02-22 是星期一"),
        (SCHEDULE_2027.replace("to: 2027-01-03", "to: 2027-13-03"), "holidays 第1项（元旦）.to"),
    ],
)
def test_r_cal_a_bad_schedule_is_refused_with_its_line_or_field(
    live_server, province, text, reason
):
    b = admin(live_server)
    page = b.post("/admin/calendar", {"text": text})
    assert page.status == 422
    assert reason in refusal(page)
    assert text.splitlines()[0] in page.text  # the text stays in the form to be corrected
    assert 'data-year="2027"' not in page.text
    assert "calendar.load" not in audit_actions(province)


def test_r_cal_warning_from_15_november_while_next_year_is_missing(live_server, province, clock):
    b = admin(live_server)
    clock.set_today(date(2026, 11, 14))
    assert 'data-testid="calendar-warning"' not in b.get("/admin/").text
    clock.set_today(date(2026, 11, 15))
    for path in ("/admin/", "/admin/calendar"):
        page = b.get(path)
        warning = page.text.split('data-testid="calendar-warning"')[1].split("</div>")[0]
        assert "尚未载入2027年节假日安排" in warning, path
    b.post("/admin/calendar", {"text": SCHEDULE_2027})
    assert 'data-testid="calendar-warning"' not in b.get("/admin/").text


# -- scoring tables (Art. 19) ----------------------------------------------------------------


def test_a_published_table_version_is_listed_with_its_items(live_server, province):
    b = admin(live_server)
    page = b.post("/admin/tables", {"text": table_yaml("GD-2027", "2027-01-01", points=5)})
    assert page.status == 200 and "GD-2027" in page.text
    items = page.text.split('data-testid="items"')[1].split("</table>")[0]
    assert "A11.1" in items and "监督抽查不合格" in items and ">5<" in items
    tables = b.get("/admin/tables")
    assert 'data-version="GD-2027"' in tables.text and "2027-01-01" in tables.text
    assert "table.publish" in audit_actions(province)


def upload(b: Browser, path: str, filename: str, content: str):
    """A file posted the way a browser's file input sends it (multipart/form-data)."""
    boundary = "----admin-test-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f'{b.csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n'
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/yaml\r\n\r\n'
        f"{content}\r\n--{boundary}--\r\n"
    ).encode()
    req = urllib.request.Request(
        b.base + path,
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return b._open(req)


def test_a_table_version_can_be_uploaded_as_a_file(live_server, province):
    b = admin(live_server)
    b.get("/admin/tables")
    page = upload(b, "/admin/tables", "GD-2027.yaml", table_yaml("GD-2027", "2027-01-01"))
    assert page.status == 302 and "/admin/tables/GD-2027" in page.location
    assert 'data-version="GD-2027"' in b.get("/admin/tables").text
    b.get("/admin/calendar")
    page = upload(
        b, "/admin/calendar", "2027.yaml", "year: 2027\nsource: x\nholidays: []\nworkdays: []\n"
    )
    assert page.status == 422 and "holidays" in refusal(page)


def test_a_table_version_that_would_reprice_recorded_matters_is_refused(live_server, province):
    b = admin(live_server)
    # A matter effective 2026-11-02 is recorded under the (demonstration) successor.
    page = b.post("/admin/tables", {"text": table_yaml("GD-2026", "2026-10-01")})
    assert page.status == 409
    assert "粤穗市监罚〔2026〕7号" in refusal(page)
    assert 'data-version="GD-2026"' not in b.get("/admin/tables").text

    broken = b.post("/admin/tables", {"text": "version: x\napplies_from: 2027-01-01\nitems: 3\n"})
    assert broken.status == 422 and "记分标准被拒绝" in refusal(broken)


def _admin_on(app, base: str) -> Browser:
    from app.extensions import db

    with app.app_context():
        make_user("admin1", "admin")
        db.session.commit()
    return admin(base)


def test_r_validity_the_overview_warns_that_the_table_has_ended(expired_server, expired):
    b = _admin_on(expired, expired_server)
    page = b.get("/admin/")
    assert page.status == 200
    warning = page.text.split('data-testid="table-warning"')[1].split("</div>")[0]
    assert "记分标准已失效" in warning
    for words in ("GD-2021-default", "2026-06-04", "第三十六条", "粤市监规字〔2021〕5号"):
        assert words in warning, words
    assert 'data-testid="no-table"' in page.text  # no version in force today
    tables = b.get("/admin/tables")
    assert 'data-testid="table-warning"' in tables.text
    row = tables.text.split('data-version="GD-2021-default"')[1].split("</tr>")[0]
    assert "2026-06-04" in row and "已到期" in row


def test_r_validity_the_overview_warns_from_90_days_before_the_end(expired_server, expired, clock):
    b = _admin_on(expired, expired_server)
    clock.set_today(date(2026, 3, 5))  # 91 days before the last day: not yet
    page = b.get("/admin/")
    assert 'data-testid="table-warning"' not in page.text
    assert by_testid(page, "table-until") == "适用至 2026-06-04"
    clock.set_today(date(2026, 3, 6))  # 90 days before
    warning = b.get("/admin/").text.split('data-testid="table-warning"')[1].split("</div>")[0]
    assert "记分标准即将失效" in warning and "还有 90 天" in warning
    assert "GD-2021-default" in warning and "第三十六条" in warning


def test_r_validity_no_warning_once_a_successor_is_published(live_server, province, clock):
    b = admin(live_server)
    for day in (date(2026, 3, 6), date(2026, 11, 26)):
        clock.set_today(day)
        page = b.get("/admin/")
        assert page.status == 200 and 'data-testid="table-warning"' not in page.text
    assert "GD-2026-demo-successor" in page.text  # the version in force today


# -- users -----------------------------------------------------------------------------------


def create(b: Browser, **fields):
    data = {"display_name": "", "bureau_code": "", "uscc": "", "password": PASSWORD, **fields}
    return b.post("/admin/users/new", data)


def test_the_admin_creates_each_kind_of_user_and_each_signs_in(live_server, province):
    b = admin(live_server)
    homes = {
        "enterprise": ("ent_s1", {"uscc": S1}, "我的记分对象"),
        "officer": ("gz_officer", {"bureau_code": "440100"}, "待办任务"),
        "supervisor": ("prov_supervisor", {"bureau_code": "440000"}, "监督看板"),
        "admin": ("admin2", {}, "系统管理"),
    }
    for role, (username, extra, _menu) in homes.items():
        page = create(b, username=username, display_name=f"{username} 姓名", role=role, **extra)
        assert page.status == 200 and username in page.text, (role, page.text[:300])
    listing = b.get("/admin/users?role=officer")
    assert 'data-username="gz_officer"' in listing.text
    assert 'data-username="ent_s1"' not in listing.text
    by_bureau = b.get("/admin/users?bureau=440100")  # the Guangzhou officer and enterprise user
    assert 'data-username="gz_officer"' in by_bureau and 'data-username="ent_s1"' in by_bureau
    assert 'data-username="prov_supervisor"' not in by_bureau
    assert 'data-username="ent_s1"' in b.get(f"/admin/users?q={S1}")

    for role, (username, _extra, menu) in homes.items():
        page = Browser(live_server).login(username)
        assert page.status == 200, role
        assert f"{username} 姓名" in by_testid(page, "who") and menu in page.text, role
    assert audit_actions(province).count("user.create") == 4


def test_user_form_refusals_say_what_is_wrong_and_create_nothing(live_server, province):
    from app.extensions import db
    from models import User

    b = admin(live_server)
    cases = [
        ({"username": "x1", "role": "officer", "bureau_code": "440999"}, "bureau_code", "440999"),
        ({"username": "x2", "role": "enterprise", "uscc": uscc(77)}, "uscc", uscc(77)),
        ({"username": "admin1", "role": "admin"}, "username", "admin1"),
        ({"username": "x3", "role": "admin", "password": "short"}, "password", "8"),
        ({"username": "x4", "role": "supervisor"}, "bureau_code", ""),
    ]
    for fields, field, shown in cases:
        page = create(b, **fields)
        assert page.status == 400, fields
        error = re.search(rf'data-field="{field}">([^<]+)<', page.text)
        assert error and shown in error.group(1), (fields, page.text[:500])
        assert f'value="{fields["username"]}"' in page.text  # the form keeps what was typed
    with province.app_context():
        assert db.session.query(User).count() == 1
    assert "user.create" not in audit_actions(province)


def test_a_deactivated_user_cannot_sign_in_until_reactivated(live_server, province):
    from app.extensions import db
    from models import User

    with province.app_context():
        officer_id = make_user("gz_officer", "officer", bureau="440100").id
        db.session.commit()
    officer = Browser(live_server)
    officer.login("gz_officer")
    assert officer.get("/inbox/").status == 200

    b = admin(live_server)
    page = b.post(f"/admin/users/{officer_id}/active", {"active": "0"})
    assert 'data-testid="user-state"><span class="badge overdue">' in page.text
    # The open session ends, and signing in again is refused.
    assert officer.get("/inbox/", follow=False).status == 302
    assert Browser(live_server).login("gz_officer").status == 401

    b.post(f"/admin/users/{officer_id}/active", {"active": "1"})
    assert Browser(live_server).login("gz_officer").status == 200

    # A password reset: the new one works, the old one no longer does.
    short = b.post(f"/admin/users/{officer_id}/password", {"password": "1234567"})
    assert short.status == 400
    b.post(f"/admin/users/{officer_id}/password", {"password": "new-password-9"})
    assert Browser(live_server).login("gz_officer", "new-password-9").status == 200
    assert Browser(live_server).login("gz_officer").status == 401
    actions = audit_actions(province)
    assert {"user.deactivate", "user.reactivate", "user.password_reset"} <= set(actions)
    with province.app_context():
        assert db.session.get(User, officer_id).active


def test_an_admin_cannot_deactivate_themselves(live_server, province):
    from app.extensions import db
    from models import User

    with province.app_context():
        me = db.session.query(User).filter_by(username="admin1").one().id
    b = admin(live_server)
    page = b.post(f"/admin/users/{me}/active", {"active": "0"})
    assert page.status == 409 and refusal(page)
    assert b.get("/admin/").status == 200
    with province.app_context():
        assert db.session.get(User, me).active


# -- bureaus ---------------------------------------------------------------------------------


def test_adding_and_renaming_a_bureau(live_server, province):
    from app.extensions import db
    from app.permissions import bureau_tree_codes

    b = admin(live_server)
    page = b.post(
        "/admin/bureaus",
        {"parent": "440100", "code": "440199", "name": "广州市测试区市场监督管理局"},
    )
    assert page.status == 200 and "广州市测试区市场监督管理局" in page.text
    assert "县区级" in page.text  # the level follows from the parent
    tree = b.get("/admin/bureaus")
    assert 'data-code="440199"' in tree.text
    with province.app_context():
        # The supervisors' trees know the new bureau at once.
        assert "440199" in bureau_tree_codes("440000")
    # Staff can now belong to it.
    assert create(b, username="new_officer", role="officer", bureau_code="440199").status == 200

    page = b.post("/admin/bureaus/440199", {"name": "广州市新区市场监督管理局"})
    assert page.status == 200 and "广州市新区市场监督管理局" in page.text
    assert "广州市新区市场监督管理局" in b.get("/admin/bureaus").text
    actions = audit_actions(province)
    assert "bureau.create" in actions and "bureau.update" in actions

    with province.app_context():
        from models import Bureau

        count = db.session.query(Bureau).count()
    refusals = [
        ({"parent": "440100", "code": "440103", "name": "重复"}, 409, "440103"),  # taken
        ({"parent": "440100", "code": "44019x", "name": "某局"}, 400, "44019x"),
        ({"parent": "440100", "code": "440301", "name": "某局"}, 400, "4401"),  # not Guangzhou's
        ({"parent": "440000", "code": "449901", "name": "某局"}, 400, "00"),  # a city ends in 00
        ({"parent": "440103", "code": "440198", "name": "某局"}, 400, "440103"),  # below a county
        ({"parent": "440100", "code": "440198", "name": "广州市新区市场监督管理局"}, 409, "440199"),
    ]
    for fields, status, shown in refusals:
        page = b.post("/admin/bureaus", fields)
        assert page.status == status, fields
        assert shown in refusal(page) or shown in page.text, fields
    dup = b.post("/admin/bureaus/440199", {"name": "广州市市场监督管理局"})
    assert dup.status == 409 and "440100" in refusal(dup)
    with province.app_context():
        assert db.session.query(Bureau).count() == count


# -- classification runs (R-HALFYEAR) --------------------------------------------------------


def worker_pass(app, clock):
    """What `flask cases worker` does at its next pass."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.scheduler import tick

    with app.app_context():
        report = tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
        db.session.remove()
    return report


def test_r_halfyear_a_run_started_from_the_page_and_reviewed(live_server, province, clock):
    b = admin(live_server)
    runs = b.get("/admin/runs")
    # The form proposes the latest scheduled date (1 January / 1 July) on or before today.
    assert 'name="run_on" type="date" value="2026-07-01"' in runs.text

    # The page queues the run: a province run outlasts a web request; the worker does it.
    queued = b.post("/admin/runs", {"run_on": "2026-07-01", "confirm": "1"})
    assert queued.status == 200 and 'data-request="2026-07-01" data-state="queued"' in queued.text
    assert 'data-run="2026-07-01"' not in queued.text
    assert '<meta http-equiv="refresh"' in queued.text  # the page comes back by itself
    again = b.post(
        "/admin/runs", {"run_on": "2026-07-01", "confirm": "1"}
    )  # asked twice: queued once
    assert again.text.count('data-request="2026-07-01"') == 1
    assert worker_pass(province, clock).classification_runs == 1
    listing = b.get("/admin/runs")
    assert 'data-request="2026-07-01" data-state="done"' in listing.text
    assert 'data-run="2026-07-01"' in listing.text and '<meta http-equiv="refresh"' not in listing

    page = b.get("/admin/runs/2026-07-01")
    assert page.status == 200 and "2026-07-01" in page.text
    counts = {k: int(by_testid(page, f"count-{k}")) for k in "ABCDO"}
    # P1's product failed a spot check (12 - 3 = 9: B, and so is its producer, R-SCORE-PRODUCER);
    # S1's first record takes effect only in November and P3 has none: unscored (R-START).
    assert counts == {"A": 0, "B": 2, "C": 0, "D": 0, "O": 3}
    assert sum(counts.values()) == int(by_testid(page, "count-total"))
    for k, n in counts.items():
        filtered = b.get(f"/admin/runs/2026-07-01?class={k}")
        assert int(by_testid(filtered, "results-total")) == n, k
        assert filtered.text.count(f'<tr data-result="{k}">') == n, k
    sz = b.get("/admin/runs/2026-07-01?bureau=440300")
    assert int(by_testid(sz, "results-total")) == 4  # P1, P3 and their products
    actions = audit_actions(province)
    assert "classification.requested" in actions and "classification.run" in actions

    # A later run shows what changed: S1 started at 12 and lost 4 points in November (O→B).
    clock.set_today(date(2027, 1, 2))
    b.post("/admin/runs", {"run_on": "2027-01-01", "confirm": "1"})
    worker_pass(province, clock)
    page = b.get("/admin/runs/2027-01-01")
    changes = page.text.split('data-testid="changes"')[1].split("</table>")[0]
    assert "O→B" in changes
    listing = b.get("/admin/runs")
    assert 'data-run="2027-01-01"' in listing.text and 'data-run="2026-07-01"' in listing.text

    # Dates the rules refuse are refused on the page, not queued.
    before = b.post("/admin/runs", {"run_on": "2026-12-31"})
    assert before.status == 409 and "2027-01-01" in refusal(before)
    future = b.post("/admin/runs", {"run_on": "2027-03-01"})
    assert future.status == 400 and "2027-03-01" in refusal(future)
    with province.app_context():
        from app.extensions import db
        from models import ClassificationRequest, ClassificationRun

        assert db.session.query(ClassificationRun).count() == 2
        assert db.session.query(ClassificationRequest).count() == 2


def preview_number(page, name: str) -> int:
    found = re.search(rf'data-testid="{name}">[^<0-9]*?(\d+)', page.text)
    assert found, f"no {name} on the page"
    return int(found.group(1))


def test_r_halfyear_an_unscheduled_date_is_refused_on_the_page_unless_off_cycle(
    live_server, province, clock
):
    from app.extensions import db
    from models import ClassificationRequest, ClassificationRun

    b = admin(live_server)
    page = b.get("/admin/runs")
    assert 'name="off_cycle"' in page.text and 'name="reason"' in page.text
    plain = b.post("/admin/runs", {"run_on": "2026-11-26"})
    assert plain.status == 422
    assert "2026-11-26 不是法定评定日" in refusal(plain) and "R-HALFYEAR" in refusal(plain)
    assert "第二十六条" in refusal(plain)
    forced = b.post("/admin/runs", {"run_on": "2026-11-26", "confirm": "1"})  # by hand
    assert forced.status == 422 and "R-HALFYEAR" in refusal(forced)
    blank = b.post("/admin/runs", {"run_on": "2026-11-26", "off_cycle": "1", "reason": " "})
    assert blank.status == 422 and "非常规评定须说明理由" in refusal(blank)
    assert 'id="f-off-cycle" checked' in blank.text  # the choice is kept for the correction
    with province.app_context():
        assert db.session.query(ClassificationRequest).count() == 0
        assert db.session.query(ClassificationRun).count() == 0


def test_r_halfyear_the_page_shows_what_a_run_would_do_then_queues_it_off_cycle(
    live_server, province, clock
):
    from sqlalchemy import func, select

    from app.extensions import db
    from models import (
        AuditEvent,
        ClassificationRequest,
        ClassificationRun,
        Measure,
        Notification,
    )

    form = {"run_on": "2026-11-26", "off_cycle": "1", "reason": "更正后重新评定"}
    b = admin(live_server)
    preview = b.post("/admin/runs", form)
    assert preview.status == 200 and 'data-testid="run-preview"' in preview.text
    assert 'data-testid="preview-off-cycle"' in preview.text and "更正后重新评定" in preview.text
    shown = {k: int(by_testid(preview, f"preview-{k}")) for k in "ABCDO"}
    # S1 lost 4 points in November (B), P1 and its product are B; P3 and its product O.
    assert shown == {"A": 0, "B": 3, "C": 0, "D": 0, "O": 2}
    assert "首次公示，0 个记分对象" in preview.text  # no A-class list published yet
    notices = preview_number(preview, "preview-notices")
    rectifications = preview_number(preview, "preview-rectifications")
    yellow = preview_number(preview, "preview-measure-yellow_notice")
    assert (notices, rectifications, yellow) == (3, 3, 3)  # P1, S1 and P3 (O: guidance)
    with province.app_context():  # the preview wrote nothing
        for model in (ClassificationRun, ClassificationRequest, Measure, Notification):
            assert db.session.query(model).count() == 0, model
        assert db.session.query(AuditEvent).filter_by(action="classification.run").count() == 0

    queued = b.post("/admin/runs", {**form, "confirm": "1"})
    assert 'data-request="2026-11-26" data-state="queued"' in queued.text
    row = queued.text.split('data-request="2026-11-26"')[1].split("</tr>")[0]
    assert "非常规评定" in row
    assert worker_pass(province, clock).classification_runs == 1
    listing = b.get("/admin/runs")
    assert 'data-run="2026-11-26" data-off-cycle' in listing.text
    assert "更正后重新评定" in listing.text.split('data-run="2026-11-26"')[1].split("</tr>")[0]
    page = b.get("/admin/runs/2026-11-26")
    shown_run = page.text.split('data-testid="off-cycle"')[1].split("</p>")[0]
    assert "非常规评定" in shown_run and "更正后重新评定" in shown_run

    # What the page announced is what the run did, and what the worker then starts.
    with province.app_context():
        run = db.session.scalar(select(ClassificationRun))
        assert (run.off_cycle, run.reason) == (True, "更正后重新评定")
        assert {k: run.counts[k] for k in "ABCDO"} == shown
        kinds = dict(
            db.session.execute(
                select(Measure.kind, func.count())
                .where(Measure.run_id == run.id)
                .group_by(Measure.kind)
            ).all()
        )
        assert kinds["yellow_notice"] == yellow and kinds["rectification"] == rectifications
        assert db.session.query(Notification).filter_by(kind="class_notice").count() == notices
        requested = db.session.query(AuditEvent).filter_by(action="classification.requested").one()
        assert requested.detail == {"off_cycle": True, "reason": "更正后重新评定"}
    assert worker_pass(province, clock).rectifications_started == rectifications


def test_r_halfyear_a_scheduled_run_is_confirmed_without_a_reason(live_server, province, clock):
    b = admin(live_server)
    preview = b.post("/admin/runs", {"run_on": "2026-07-01"})
    assert preview.status == 200 and 'data-testid="run-preview"' in preview.text
    assert 'data-testid="preview-off-cycle"' not in preview.text
    assert 'data-state="queued"' not in preview.text
    queued = b.post("/admin/runs", {"run_on": "2026-07-01", "confirm": "1"})
    assert 'data-request="2026-07-01" data-state="queued"' in queued.text
    worker_pass(province, clock)
    assert "data-off-cycle" not in b.get("/admin/runs").text


def test_a_queued_run_that_the_rules_no_longer_allow_fails_with_its_reason(
    live_server, province, clock
):
    """Queued for 1 July, but by the worker's pass a run of 1 January 2027 exists (R-DLOCK:
    no run before the latest): the request fails, saying why, and writes no run."""
    from app.extensions import db
    from app.services.classification import run_classification
    from models import ClassificationRun

    clock.set_today(date(2027, 1, 2))
    b = admin(live_server)
    b.post("/admin/runs", {"run_on": "2026-07-01", "confirm": "1"})
    with province.app_context():
        run_classification(date(2027, 1, 1), actor="cli", at=clock.now())
        db.session.commit()
    assert worker_pass(province, clock).classification_runs == 1
    listing = b.get("/admin/runs")
    assert 'data-request="2026-07-01" data-state="failed"' in listing.text
    shown = listing.text.split('data-testid="request-refusal">')[1].split("</span>")[0]
    assert "2027-01-01" in shown and "已有" in shown  # in the page's language
    with province.app_context():
        assert [r.run_on for r in db.session.query(ClassificationRun)] == [date(2027, 1, 1)]
    assert worker_pass(province, clock).classification_runs == 0  # not retried


def test_two_workers_do_a_queued_run_once(live_server, province, clock):
    """Two scheduler workers reach the same queued request at once: one runs it, the other
    passes it by (PostgreSQL: SKIP LOCKED; SQLite: the claim waits, or the pass fails and
    leaves it to the next): one run, audited once, the request done."""
    from app.extensions import db
    from app.services.classification_requests import run_requested
    from models import AuditEvent, ClassificationRequest, ClassificationRun

    admin(live_server).post("/admin/runs", {"run_on": "2026-07-01", "confirm": "1"})
    done, errors = at_once(
        province,
        lambda: run_requested(today=clock.today(), now=clock.now(), commit=db.session.commit),
    )
    assert sum(done) == 1, (done, errors)
    with province.app_context():
        assert db.session.query(ClassificationRun).count() == 1
        [request] = db.session.query(ClassificationRequest).all()
        assert request.state == "done"
        runs = db.session.query(AuditEvent).filter_by(action="classification.run").count()
        assert runs == 1


def test_the_admin_pages_say_when_no_scheduler_worker_runs(live_server, province, clock):
    """Deadlines, notices and queued runs need a worker: the overview says when its last pass
    was, and warns when none passed within SCHEDULER_STALE_MINUTES (10)."""
    from datetime import timedelta

    b = admin(live_server)
    home = b.get("/admin/")
    assert 'data-testid="scheduler-warning"' in home and "从未运行" in home
    result = province.test_cli_runner().invoke(
        args=["cases", "worker", "--passes", "1", "--interval", "0"]
    )
    assert result.exit_code == 0, result.output
    home = b.get("/admin/")
    assert 'data-testid="scheduler-warning"' not in home
    panel = home.text.split('data-testid="scheduler"')[1].split("</section>")[0]
    assert "运行中" in panel and "：1 个" in panel

    clock.advance(timedelta(minutes=11))
    home = b.get("/admin/")
    assert 'data-testid="scheduler-warning"' in home and "未在运行" in home
    queued = b.post(
        "/admin/runs", {"run_on": "2026-07-01", "confirm": "1"}
    )  # a run queued with no worker
    assert 'data-testid="scheduler-warning"' in queued


def test_run_results_are_paged_and_keep_their_filters(live_server, province, clock):
    from app.extensions import db
    from app.services.imports import import_records

    with province.app_context():
        records = []
        for n in range(10, 36):  # 26 more producers with a product each: 57 objects in all
            records += [operator(n), product(uscc(n))]
        import_records(
            jsonl(records).splitlines(keepends=True),
            today=clock.today(),
            actor="test",
            at=clock.now(),
        )
        db.session.commit()
    b = admin(live_server)
    b.post("/admin/runs", {"run_on": "2026-07-01", "confirm": "1"})
    worker_pass(province, clock)
    first = b.get("/admin/runs/2026-07-01")
    assert first.text.count("<tr data-result=") == 50
    second = b.get(
        re.search(r'href="([^"]+page=2[^"]*)"', first.text).group(1).replace("&amp;", "&")
    )
    assert second.text.count("<tr data-result=") == 7
    filtered = b.get("/admin/runs/2026-07-01?class=O&bureau=440300")
    assert (
        int(by_testid(filtered, "results-total")) == 54
    )  # Shenzhen's 56 but P1 and its product (B)
    last = b.get(
        re.search(r'href="([^"]+page=2[^"]*)"', filtered.text).group(1).replace("&amp;", "&")
    )
    assert last.text.count('<tr data-result="O">') == 4
    assert "<tr data-result=" in last.text and '<tr data-result="B">' not in last.text
