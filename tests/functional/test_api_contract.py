"""The API keeps its contract (issue 12, point 12): schemathesis generates requests from
`/api/openapi.json` for every operation and sends them to the live server (real HTTP, a real
database) with a token of the scope the operation needs; every answer must be no server error,
match the document (status, body schema, content type, headers), and a request the document
allows is never refused as malformed (400). The same request without a token gets 401, whatever
its body or query: the token is checked before anything else.

Bounded for CI: a few examples per operation, derandomized, no deadline."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure

from tests.functional.http import call
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc

EXAMPLES = 12
IMPORT = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/x-ndjson"}
JSON = {"Content-Type": "application/json"}
CALLS: list[tuple[str, int]] = []  # (operation, status) of every call, for the figures


class MalformedAnswer(Failure):
    """A request the OpenAPI document allows was answered 400 (a malformed request)."""


def not_refused_as_malformed(ctx, response, case):
    CALLS.append((case.operation.label, response.status_code))
    if response.status_code == 400:
        raise MalformedAnswer(
            operation=case.operation.label,
            title="Schema-valid request refused as malformed",
            message=f"400 to a request the document allows: {response.text[:300]}",
        )


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    not_refused_as_malformed,
]


def scope_of(path: str) -> str:
    if path.startswith("/api/v1/imports"):
        return "import"
    if path.startswith("/api/v1/exports/"):
        return "export"
    cases = ("/api/v1/cases", "/api/v1/tasks", "/api/v1/queue", "/api/v1/overdue")
    if path.startswith((*cases, "/api/v1/notifications")):
        return "cases"
    return "read"


@pytest.fixture
def contract_world(live_server, seeded, clock):
    """Operators, a product with a failed spot check, a matter, a classification run, and a
    supervisor's token of each scope."""
    from app.auth import issue_token
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.classification import run_classification
    from app.services.scheduler import tick

    from .web import make_user

    p1, s2 = uscc(1), uscc(2, "440100")
    records = [
        operator(1),
        operator(2, bureau="440100"),
        product(p1),
        spot_check("GD-CC-1", p1),
        matter("M1", [{"kind": "seller", "uscc": s2}], items=["A12.3"], bureau="440100"),
    ]
    status, report = call("POST", f"{live_server}/api/v1/imports", jsonl(records), IMPORT)
    assert status == 200 and report["refused"] == 0, report
    with seeded.app_context():
        run_classification(date(2026, 7, 1), actor="test", at=clock.now())
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
        sup = make_user("sup1", "supervisor", bureau="440000")
        tokens = {s: issue_token(sup, (s,), name=s) for s in ("cases", "read", "export")}
        db.session.commit()
    tokens["import"] = "s3cret-token"
    return tokens


def test_api_answers_as_its_openapi_document_says(real_server, contract_world):
    # schemathesis speaks HTTP with its own client: the app on a real socket.
    schema = schemathesis.openapi.from_url(f"{real_server}/api/openapi.json")
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            token = contract_world[scope_of(case.path)]
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
            # Without a token: 401 before the query or the body is looked at.
            anonymous = case.call(headers={"Authorization": ""})
            CALLS.append((case.operation.label, anonymous.status_code))
            assert anonymous.status_code == 401, anonymous.text[:200]

        try:
            exercise()
        except Exception as exc:  # one operation's failure; the others still run
            failures[operation.label] = str(exc)[:2000]
    statuses = Counter(status for _, status in CALLS)
    print(f"\nschemathesis: {len(operations)} operations, {len(CALLS)} calls, {dict(statuses)}")
    assert len(operations) >= 30
    assert not failures, "\n\n".join(f"{op}: {text}" for op, text in failures.items())
    assert not [c for c in CALLS if c[1] >= 500]


# -- what the first schemathesis run found, each pinned ------------------------------------


def test_point_12_a_missing_token_is_401_before_the_body_is_read(live_server):
    for path in ("/cases/correction", "/cases/repair", "/tasks/1/reassign"):
        status, body = call("POST", f"{live_server}/api/v1{path}", b"{}", JSON)
        assert status == 401, (path, body)
    status, _ = call("GET", f"{live_server}/api/v1/exports/matters?since=nonsense")
    assert status == 401


def test_point_12_a_token_without_the_scope_is_403_before_the_body_is_read(
    live_server, contract_world
):
    headers = {**JSON, "Authorization": f"Bearer {contract_world['read']}"}
    status, body = call("POST", f"{live_server}/api/v1/cases/correction", b"{}", headers)
    assert status == 403 and "'cases' scope" in body["message"]


def test_point_12_deadline_takes_days_or_working_days_and_says_so(live_server, contract_world):
    read = {"Authorization": f"Bearer {contract_world['read']}"}
    api = f"{live_server}/api/v1/calendar/deadline"
    status, body = call("GET", f"{api}?from=2026-02-06&days=15", headers=read)
    assert status == 200 and body["due_on"] == "2026-02-24" and body["working_days"] is None
    status, body = call("GET", f"{api}?from=2025-12-31&working_days=5", headers=read)
    assert status == 200 and body["days"] is None
    assert call("GET", f"{api}?from=2026-02-06", headers=read)[0] == 400
    assert call("GET", f"{api}?from=2026-02-06&days=1&working_days=1", headers=read)[0] == 400
    status, body = call("GET", f"{api}?from=2026-02-31&days=1", headers=read)
    assert status == 422 and "from" in body["errors"]["query"]
    # and the document says exactly that: from, and one of the two
    doc = call("GET", f"{live_server}/api/openapi.json")[1]
    (param,) = doc["paths"]["/api/v1/calendar/deadline"]["get"]["parameters"]
    assert param["schema"]["required"] == ["from"]
    assert param["schema"]["oneOf"] == [{"required": ["working_days"]}, {"required": ["days"]}]
    # an instant before 1901 (local mean time in Shanghai) is written in RFC 3339
    status, body = call("GET", f"{api}?from=0544-07-30&days=157", headers=read)
    assert status == 200 and body["ends_at"].endswith("+08:00")


def test_point_12_complete_without_a_body_is_the_empty_form(live_server, contract_world):
    cases = {"Authorization": f"Bearer {contract_world['cases']}"}
    status, body = call("POST", f"{live_server}/api/v1/tasks/987654/complete", headers=cases)
    assert status == 404, body
    status, body = call("POST", f"{live_server}/api/v1/tasks/987654/complete", b"[1]", JSON | cases)
    assert status == 400 and "JSON object" in body["message"]


def test_point_12_refusals_match_the_documented_error_body(live_server, contract_world):
    read = {"Authorization": f"Bearer {contract_world['read']}"}
    status, body = call("GET", f"{live_server}/api/v1/operators/{uscc(99)}/score", headers=read)
    assert status == 404 and body["field"] == "uscc"
    doc = call("GET", f"{live_server}/api/openapi.json")[1]
    documented = doc["components"]["schemas"]["ApiError"]["properties"]
    assert set(body) <= set(documented) and {"field", "errors"} <= set(documented)
    # a run is named by its day in the document, and anything else is no page (404)
    path = doc["paths"]["/api/v1/classification-runs/{run_on}"]
    assert path["parameters"][0]["schema"] == {"type": "string", "format": "date"}
    assert call("GET", f"{live_server}/api/v1/classification-runs/0", headers=read)[0] == 404


def test_point_12_a_method_not_allowed_says_which_are(live_server):
    req = urllib.request.Request(f"{live_server}/api/v1/bureaus", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 405
    assert set(err.value.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_point_12_exports_document_their_three_formats(live_server):
    doc = call("GET", f"{live_server}/api/openapi.json")[1]
    for name in ("classes", "matters", "a-class", "dishonesty"):
        content = doc["paths"][f"/api/v1/exports/{name}"]["get"]["responses"]["200"]["content"]
        assert {t.split(";")[0] for t in content} == {
            "application/x-ndjson",
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
