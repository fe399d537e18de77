"""Operations: `GET /healthz`, Prometheus metrics at `GET /metrics`, and one JSON log line per
request with its request id (`X-Request-ID`, taken from the client or made here, and echoed).

Metrics and several gunicorn workers: the figures that describe the system (open, due-soon and
overdue tasks, the scheduler's lag, the last classification run) are computed from the
database at scrape time, so every worker answers the same. The figures of requests (latency by
endpoint, HTTP import durations) are counted in the process that served them: with several
workers set `PROMETHEUS_MULTIPROC_DIR` to an empty folder (prometheus_client's multiprocess
mode; gunicorn.conf.py then tells it about workers that exit), and any worker's scrape adds up
all of them. Without it, each scrape shows the worker that answered it.

`/metrics` is not public: it answers callers from `METRICS_ALLOW` (addresses or networks,
default loopback only) and callers sending `Authorization: Bearer $METRICS_TOKEN`."""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import case as sql_case
from sqlalchemy import func, select, text
from sqlalchemy import inspect as sa_inspect

from app.context import now, today
from app.extensions import db

bp = Blueprint("ops", __name__)
log = logging.getLogger("credit.request")

# Counted in this process (or, in multiprocess mode, in files every worker writes).
REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "credit_http_request_duration_seconds",
    "Time to answer a request, by endpoint (the route's name), method and status",
    ["endpoint", "method", "status"],
    registry=REGISTRY,
)
IMPORT_SECONDS = Histogram(
    "credit_import_duration_seconds",
    "Time to import one JSON Lines file over HTTP",
    buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


# -- request ids and JSON log lines --------------------------------------------------------------


class JsonLines(logging.Formatter):
    """One JSON object per line: the record's `fields`, with the time and the level."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        return json.dumps(line, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (gunicorn and test runners replace it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_log() -> None:
    # alembic's logging.config.fileConfig (flask db upgrade in the same process) disables the
    # loggers that exist before it: every app made afterwards logs again.
    log.disabled = False
    if not log.handlers:
        handler = _Stderr()
        handler.setFormatter(JsonLines())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def _start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    started = g.get("started")
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
    status = response.status_code
    REQUEST_SECONDS.labels(endpoint, request.method, str(status)).observe(elapsed)
    response.headers["X-Request-ID"] = g.request_id
    log.info(
        "request",
        extra={
            "fields": {
                "request_id": g.request_id,
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "remote_addr": request.remote_addr,
                "user": _caller(),
            }
        },
    )
    return response


def _caller() -> str | None:
    """The API token's user or the signed-in user, from what this request already loaded: the
    log line never goes to the database (whose transaction may have failed: a 409 stays 409)."""
    for user in (g.get("user"), g.get("_login_user")):
        if user is not None:
            name = (
                sa_inspect(user).dict.get("username")
                if hasattr(user, "_sa_instance_state")
                else None
            )
            if name:
                return name
    return None


# -- /healthz ------------------------------------------------------------------------------------


@bp.get("/healthz")
def healthz():
    """200 when the database answers and a scheduler worker has passed within
    SCHEDULER_STALE_MINUTES; 503 otherwise. A missing holiday schedule is a warning only."""
    body: dict = {"status": "ok"}
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:
        db.session.rollback()
        body.update(status="fail", database={"ok": False, "error": type(exc).__name__})
        return jsonify(body), 503
    body["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}

    from app.services.calendar import work_calendar
    from app.services.heartbeat import scheduler_status

    at = now()
    sched = scheduler_status(at)
    age = (at - sched.last_pass_at).total_seconds() if sched.last_pass_at else None
    body["scheduler"] = {
        "ok": not sched.stale,
        "last_pass_at": sched.last_pass_at.isoformat() if sched.last_pass_at else None,
        "age_seconds": round(age, 1) if age is not None else None,
        "stale_after_seconds": int(sched.window.total_seconds()),
        "workers": sched.workers,
        "last_error": sched.last_error,
    }
    cal = work_calendar()
    year = today().year
    warning = cal.missing_year_warning(today())
    body["calendar"] = {
        "ok": warning is None,
        "years": {str(y): cal.source_of(y) for y in (year, year + 1)},
        "warning": warning,
    }
    if sched.stale:
        body["status"] = "fail"
        return jsonify(body), 503
    if warning:
        body["status"] = "warn"
    return jsonify(body), 200


# -- /metrics ------------------------------------------------------------------------------------


class DatabaseFigures:
    """Gauges read from the database when /metrics is scraped (the same in every worker)."""

    def collect(self):
        from app.services.calendar import work_calendar
        from app.services.heartbeat import scheduler_status
        from models import CaseTask, ClassificationRun

        day = today()
        soon = work_calendar().add_working_days(day, 1).due_on
        total, overdue, due_soon = db.session.execute(
            select(
                func.count(),
                func.sum(sql_case((CaseTask.due_on < day, 1), else_=0)),
                func.sum(sql_case((CaseTask.due_on.between(day, soon), 1), else_=0)),
            ).where(CaseTask.state == "open")
        ).one()
        for name, doc, value in (
            ("credit_tasks_open", "Open tasks (all lanes)", total),
            ("credit_tasks_due_soon", "Open tasks due by the next working day", due_soon),
            ("credit_tasks_overdue", "Open tasks past their legal deadline", overdue),
        ):
            yield GaugeMetricFamily(name, doc, value=int(value or 0))

        at = now()
        sched = scheduler_status(at)
        lag = (at - sched.last_pass_at).total_seconds() if sched.last_pass_at else float("inf")
        yield GaugeMetricFamily(
            "credit_scheduler_lag_seconds",
            "Seconds since the last scheduler pass (+Inf: never)",
            value=max(lag, 0.0),
        )
        yield GaugeMetricFamily(
            "credit_scheduler_workers",
            "Scheduler workers that passed within SCHEDULER_STALE_MINUTES",
            value=sched.workers,
        )
        run = db.session.scalar(
            select(ClassificationRun)
            .where(ClassificationRun.finished_at.is_not(None))
            .order_by(ClassificationRun.finished_at.desc())
            .limit(1)
        )
        if run is not None:
            yield GaugeMetricFamily(
                "credit_classification_run_duration_seconds",
                "Duration of the last finished classification run",
                value=(run.finished_at - run.started_at).total_seconds(),
            )
            yield GaugeMetricFamily(
                "credit_classification_run_finished_timestamp_seconds",
                "When the last classification run finished (Unix time)",
                value=run.finished_at.timestamp(),
            )


def _metrics_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given, token):
        return True
    try:
        addr = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(addr in net for net in _networks(current_app.config.get("METRICS_ALLOW", "")))


def _networks(setting: str) -> list:
    return [ipaddress.ip_network(n.strip(), strict=False) for n in setting.split(",") if n.strip()]


@bp.get("/metrics")
def metrics():
    if not _metrics_allowed():
        return jsonify({"code": 403, "status": "error", "message": "metrics are not public"}), 403
    own = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        own = CollectorRegistry()
        multiprocess.MultiProcessCollector(own)
    figures = CollectorRegistry(auto_describe=False)
    figures.register(DatabaseFigures())
    body = generate_latest(own) + generate_latest(figures)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def init_ops(app: Flask) -> None:
    _configure_log()
    _networks(app.config.get("METRICS_ALLOW", ""))  # a wrong setting stops the app here
    # First of all: a request refused by any later check (CSRF, a token) is logged too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.register_blueprint(bp)
