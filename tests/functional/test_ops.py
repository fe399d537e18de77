"""Operations (issue 12): /healthz, Prometheus metrics at /metrics, JSON request logs with a
request id. Flask test client on the real test database."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

import pytest

from app.factory import create_app
from tests.helpers import jsonl, matter, operator, uscc

IMPORT = {"Authorization": "Bearer s3cret-token", "Content-Type": "application/x-ndjson"}


def passed(app, minutes_ago: float) -> None:
    from app.context import now
    from app.extensions import db
    from app.services.heartbeat import record_pass

    with app.app_context():
        record_pass("host:1", now() - timedelta(minutes=minutes_ago), report="ok")
        db.session.commit()


def metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    assert found, f"{name} not in the metrics"
    return float(found.group(1))


# -- /healthz ----------------------------------------------------------------------------------


def test_healthz_is_503_until_a_scheduler_worker_has_passed(seeded):
    resp = seeded.test_client().get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "fail" and body["database"]["ok"] is True
    assert body["scheduler"] == {
        "ok": False,
        "last_pass_at": None,
        "age_seconds": None,
        "stale_after_seconds": 600,
        "workers": 0,
        "last_error": None,
    }


def test_healthz_reports_the_age_of_the_last_pass_and_the_calendar(seeded):
    passed(seeded, minutes_ago=2)
    resp = seeded.test_client().get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["scheduler"]["ok"] is True and body["scheduler"]["workers"] == 1
    assert body["scheduler"]["age_seconds"] == 120.0
    # today is 2026-11-26: from 15 November the 2027 schedule is due and not loaded
    assert body["calendar"]["years"] == {"2026": "package", "2027": "provisional"}
    assert body["calendar"]["ok"] is False and "2027" in body["calendar"]["warning"]
    assert body["status"] == "warn"


def test_healthz_is_503_when_the_last_pass_is_older_than_the_window(seeded):
    passed(seeded, minutes_ago=10.5)  # SCHEDULER_STALE_MINUTES = 10
    resp = seeded.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["scheduler"]["age_seconds"] == 630.0


def test_healthz_is_503_when_the_database_cannot_be_reached(tmp_path, clock):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
            "TESTING": True,
            "CLOCK": clock,
        }
    )
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {
        "status": "fail",
        "database": {"ok": False, "error": "OperationalError"},
    }


# -- /metrics ----------------------------------------------------------------------------------


def test_metrics_count_tasks_scheduler_lag_and_request_latency(seeded, clock):
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.scheduler import tick
    from models import CaseTask

    client = seeded.test_client()
    records = [operator(1), matter("M1", [{"kind": "producer", "uscc": uscc(1)}], items=["A12.3"])]
    resp = client.post("/api/v1/imports", data=jsonl(records), headers=IMPORT)
    assert resp.status_code == 200 and resp.get_json()["created"] == 2
    with seeded.app_context():
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
        open_tasks = db.session.query(CaseTask).filter_by(state="open").count()
    passed(seeded, minutes_ago=1.5)

    text = client.get("/metrics").get_data(as_text=True)
    assert open_tasks >= 1
    assert metric(text, "credit_tasks_open") == open_tasks
    assert metric(text, "credit_tasks_overdue") == 0
    assert metric(text, "credit_scheduler_lag_seconds") == 90.0
    assert metric(text, "credit_scheduler_workers") == 1
    assert metric(text, "credit_import_duration_seconds_count") >= 1
    assert re.search(
        r'^credit_http_request_duration_seconds_count\{endpoint="credit_api.Imports",'
        r'method="POST",status="200"\} [1-9]',
        text,
        re.M,
    )

    # a month later every one of those tasks is past its deadline
    clock.set_today(clock.today() + timedelta(days=40))
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "credit_tasks_overdue") == open_tasks


def test_metrics_show_the_last_classification_run(seeded, clock):
    from datetime import date

    from app.extensions import db
    from app.services.classification import run_classification

    with seeded.app_context():
        run_classification(date(2026, 7, 1), actor="t", at=clock.now())
        db.session.commit()
    text = seeded.test_client().get("/metrics").get_data(as_text=True)
    assert metric(text, "credit_classification_run_duration_seconds") >= 0
    assert metric(text, "credit_classification_run_finished_timestamp_seconds") > 0


@pytest.mark.parametrize(
    ("allow", "token", "sent", "status"),
    [
        ("127.0.0.0/8,::1", None, None, 200),  # the default: loopback
        ("10.0.0.0/8", None, None, 403),
        ("10.0.0.0/8", "m3trics-t0ken", "m3trics-t0ken", 200),
        ("10.0.0.0/8", "m3trics-t0ken", "wrong", 403),
        ("", None, None, 403),
    ],
)
def test_metrics_are_not_public(database_url, clock, allow, token, sent, status):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "CLOCK": clock,
            "METRICS_ALLOW": allow,
            "METRICS_TOKEN": token,
        }
    )
    headers = {"Authorization": f"Bearer {sent}"} if sent else {}
    resp = app.test_client().get("/metrics", headers=headers)
    assert resp.status_code == status
    if status == 200:
        assert resp.content_type.startswith("text/plain")
        assert "credit_tasks_open" in resp.get_data(as_text=True)


# -- JSON request logs ---------------------------------------------------------------------------


@pytest.fixture
def request_log():
    from app.ops import JsonLines

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("credit.request")
    logger.addHandler(handler)
    yield out
    logger.removeHandler(handler)


def test_each_request_is_one_json_line_with_its_request_id(seeded, request_log):
    client = seeded.test_client()
    resp = client.get("/public/a-class", headers={"X-Request-ID": "edge-42.a"})
    assert resp.headers["X-Request-ID"] == "edge-42.a"
    anonymous = client.post("/api/v1/cases/correction", json={})
    assert anonymous.status_code == 401
    made = anonymous.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    # an id that could break a log line is replaced by one made here
    odd = client.get("/healthz", headers={"X-Request-ID": 'a"b c' + "x" * 200}).headers[
        "X-Request-ID"
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", odd)

    lines = [json.loads(line) for line in request_log.getvalue().splitlines()]
    assert len(lines) == 3
    first, second, _ = lines
    assert first["request_id"] == "edge-42.a" and first["endpoint"] == "public.a_list"
    assert (first["method"], first["path"], first["status"]) == ("GET", "/public/a-class", 200)
    assert first["duration_ms"] >= 0 and first["level"] == "info"
    assert second["request_id"] == made and second["status"] == 401
    assert second["endpoint"] == "cases_api.CorrectionCases"
    assert lines[2]["request_id"] == odd


def test_the_log_names_the_caller_of_an_api_request(seeded, request_log):
    from app.auth import issue_token
    from app.extensions import db
    from tests.functional.web import make_user

    with seeded.app_context():
        token = issue_token(make_user("off1", "officer", bureau="440100"))
        db.session.commit()
    seeded.test_client().get("/api/v1/queue", headers={"Authorization": f"Bearer {token}"})
    (line,) = [json.loads(x) for x in request_log.getvalue().splitlines()]
    assert line["user"] == "off1" and line["status"] == 200
