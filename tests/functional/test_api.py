"""The JSON API over real HTTP (a live server on loopback, the real database)."""

from __future__ import annotations

import pytest

from tests.functional.http import call, quote
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

P1, S1 = uscc(1), uscc(2, "440100")
TOKEN = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/x-ndjson"}
READER: dict[str, str] = {}  # the Authorization header of a token with the `read` scope


def get(url: str):
    return call("GET", url, None, READER)


@pytest.fixture
def api(live_server, seeded):
    from datetime import UTC, datetime

    from app.auth import create_user, issue_token
    from app.extensions import db

    with seeded.app_context():
        reader = create_user(
            "reader", "officer", display_name="reader", at=datetime.now(UTC), bureau_code="440000"
        )
        READER["Authorization"] = f"Bearer {issue_token(reader, ('read',))}"
        db.session.commit()
    records = jsonl(
        [
            operator(1, name="深圳某电子有限公司"),
            operator(2, bureau="440100"),
            product(P1),
            spot_check("GD-CC-2025-00017", P1),
            matter(
                "粤深市监罚〔2025〕123号",
                [{"kind": "seller", "uscc": S1}],
                items=["A12.3"],
                bureau="440100",
            ),
        ]
    )
    status, report = call("POST", f"{live_server}/api/v1/imports", records, TOKEN)
    assert status == 200 and report["created"] == 5, report
    return f"{live_server}/api/v1"


def test_import_needs_a_token(live_server):
    status, body = call(
        "POST",
        f"{live_server}/api/v1/imports",
        jsonl([operator(5)]),
        {"Content-Type": "application/x-ndjson"},
    )
    assert status == 401
    assert "API token" in body["message"]


def test_import_report_over_http_names_refusals(api):
    status, report = call(
        "POST",
        f"{api}/imports",
        jsonl([operator(1, name="深圳某电子有限公司"), {**operator(7), "x": 1}]),
        TOKEN,
    )
    assert status == 200
    assert (report["unchanged"], report["refused"]) == (1, 1)
    assert report["refusals"] == [{"line": 2, "ref": None, "reason": "x: Unknown field."}]


def test_product_score_with_explanation(api):
    status, doc = get(f"{api}/operators/{P1}/products/{quote('某牌')}/9/score?as_of=2026-11-26")
    assert status == 200
    assert (doc["score"], doc["class"], doc["official_class"]) == ("9.00", "B", None)
    assert [e["kind"] for e in doc["entries"]] == ["START", "DEDUCTION"]


def test_producer_score_takes_its_products(api):
    status, doc = get(f"{api}/operators/{P1}/score?as_of=2026-11-26")
    assert status == 200
    assert doc["object"] == {"kind": "producer", "uscc": P1, "name": "深圳某电子有限公司"}
    assert doc["score"] == "9.00"
    assert doc["entries"][1]["via"] == "product 某牌/9"


def test_score_as_of_before_first_record_is_unscored(api):
    status, doc = get(f"{api}/operators/{S1}/score?as_of=2025-01-01")
    assert status == 200
    assert (doc["score"], doc["class"], doc["entries"]) == (None, "O", [])


def test_official_class_shows_after_a_run(api, seeded):
    from datetime import UTC, date, datetime

    from app.extensions import db
    from app.services.classification import run_classification

    with seeded.app_context():
        run_classification(date(2026, 7, 1), actor="test", at=datetime.now(UTC))
        db.session.commit()
    status, doc = get(f"{api}/operators/{S1}/score")
    assert doc["official_class"] == {"class": "B", "run_on": "2026-07-01", "locked_until": None}
    status, runs = get(f"{api}/classification-runs")
    assert status == 200 and runs[0]["counts"]["B"] == 3
    status, page = get(f"{api}/classification-runs/2026-07-01/results?class=B&bureau=440100")
    assert status == 200
    assert page["total"] == 1 and page["results"][0]["uscc"] == S1


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        (f"/operators/{uscc(99)}/score", 404, "no operator with credit code"),
        (f"/operators/{S1}/score?as_of=2026-13-01", 422, "Not a valid date"),
        (f"/operators/{S1}/score?as_of=2030-01-01", 422, "in the future"),
        (f"/operators/{S1}/score?colour=red", 422, "Unknown field"),
        (f"/operators/{P1}/products/{quote('无牌')}/9/score", 404, "no scoring object"),
        ("/classification-runs/2026-07-01", 404, "no classification run of 2026-07-01"),
        # a run is named by its day: anything else is no page of the API (404)
        ("/classification-runs/yesterday", 404, "not found"),
        ("/objects", 422, "Missing data for required field"),
    ],
)
def test_bad_requests_get_a_clear_4xx(api, path, status, words):
    code, body = get(api + path)
    assert code == status
    assert words in str(body)


def test_search_by_code_name_and_brand(api):
    assert {h["kind"] for h in get(f"{api}/objects?q={P1}")[1]} == {"operator", "product"}
    assert get(f"{api}/objects?q={quote('某电子')}")[1][0]["uscc"] == P1
    hits = get(f"{api}/objects?q={quote('某牌')}")[1]
    assert [(h["kind"], h["brand"], h["nice_class"]) for h in hits] == [("product", "某牌", 9)]


def test_bureau_tree(api):
    status, bureaus = get(f"{api}/bureaus")
    assert status == 200
    levels = [b["level"] for b in bureaus]
    assert (levels.count("province"), levels.count("city")) == (1, 21)
    assert levels.count("county") > 100
    by_code = {b["code"]: b for b in bureaus}
    assert by_code["440300"]["name"] == "深圳市市场监督管理局"
    assert all(by_code[b["parent"]]["level"] == "city" for b in bureaus if b["level"] == "county")


def test_r_cal_deadline_endpoint(api):
    status, d = get(f"{api}/calendar/deadline?from=2025-12-31&working_days=5")
    assert (status, d["due_on"], d["provisional"]) == (200, "2026-01-08", False)
    status, d = get(f"{api}/calendar/deadline?from=2026-02-06&days=15")
    assert d["due_on"] == "2026-02-24"
    status, d = get(f"{api}/calendar/deadline?from=2027-03-01&working_days=5")
    assert d["provisional"] is True
    status, body = get(f"{api}/calendar/deadline?from=2027-03-01")
    assert status == 400 and "exactly one of" in body["message"]


def test_openapi_document_lists_the_api(live_server):
    status, doc = get(f"{live_server}/api/openapi.json")
    assert status == 200
    assert "/api/v1/operators/{uscc}/score" in doc["paths"]
    assert "ScoreDocument" in doc["components"]["schemas"]


def test_r_cal_provisional_deadline_is_recomputed_when_the_schedule_is_loaded(api, seeded):
    from datetime import UTC, datetime

    from app.extensions import db
    from app.services.calendar import load_schedule

    url = f"{api}/calendar/deadline?from=2027-09-30&working_days=3"
    status, before = get(url)
    assert (before["due_on"], before["provisional"]) == ("2027-10-05", True)  # Mon-Fri guess
    with seeded.app_context():
        load_schedule(
            "year: 2027\nsource: 国务院办公厅关于2027年部分节假日安排的通知（测试）\n"
            "holidays:\n  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}\n"
            "workdays: [2027-10-09]\n",
            actor="test",
            at=datetime.now(UTC),
        )
        db.session.commit()
    status, after = get(url)
    # Oct 1-7 off; Saturday Oct 9 is a make-up working day: 8th, 9th, 11th.
    assert (after["due_on"], after["provisional"]) == ("2027-10-11", False)
    status, cal = get(f"{api}/calendar/status")
    assert status == 200
    assert cal == {"years": {"2026": "package", "2027": "schedule"}, "warning": None}


def test_landing_page_in_chinese_with_the_art_28_notice(api, live_server):
    import urllib.request

    with urllib.request.urlopen(live_server + "/", timeout=10) as resp:
        page = resp.read().decode("utf-8")
    assert resp.status == 200
    assert "广东省产品质量信用分类监管" in page
    assert "不得印制于产品标识" in page
    assert '<td class="num">3</td>' in page  # three scoring objects imported by the fixture


def test_r_scope_import_over_http_refuses_out_of_scope_and_lists_unknown_for_review(api):
    status, report = call(
        "POST",
        f"{api}/imports",
        jsonl(
            [
                product(P1, brand="梯牌", category="自动扶梯"),
                product(P1, brand="新牌", category="无人机"),
            ]
        ),
        TOKEN,
    )
    assert status == 200
    assert (report["created"], report["refused"]) == (1, 1)
    assert report["refusals"] == [
        {
            "line": 1,
            "ref": None,
            "reason": "category: category 自动扶梯 is special equipment (特种设备), outside the "
            "scope of the Specification (Art. 2)",
        }
    ]
    assert [(r["line"], r["category"]) for r in report["review"]] == [(2, "无人机")]
