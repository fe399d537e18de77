"""The scheduler killed with SIGKILL in the middle of a pass, then started again (issue 12):
every deadline still fires exactly once and nothing is notified twice.

`flask cases tick` runs as its own process against the test database (a file on SQLite). To
kill it at a known point, a small bootstrap wraps the scheduler's `send_message` so that its
N-th call (the N-th deadline of the pass) leaves a marker file and waits: the test then kills
the process with SIGKILL, inside the open transaction of that batch (batches of 200 are
committed one by one). A plain `flask cases tick` then finishes the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import jsonl, matter, operator, uscc

ROOT = Path(__file__).resolve().parents[2]
CASES = 230  # more than one batch of 200
LATER = "2026-12-10"  # every notice deadline (3 working days from 2026-11-26) has passed

BOOTSTRAP = """
import os, sys, time
from app.services import scheduler
original, calls = scheduler.send_message, [0]
def send_message(*args, **kwargs):
    calls[0] += 1
    if calls[0] == int(os.environ["KILL_AT"]):
        open(os.environ["KILL_MARKER"], "w").close()
        time.sleep(120)
    return original(*args, **kwargs)
scheduler.send_message = send_message
from flask.cli import main
sys.argv = ["flask", "cases", "tick"]
main()
"""


def _env(database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(
        FLASK_APP="wsgi.py",
        DATABASE_URL=database_url,
        CREDIT_ENV="testing",
        CLOCK_TODAY=LATER,
        **extra,
    )
    return env


@pytest.fixture
def waiting(seeded, clock, database_url):
    """CASES notice cases, each with a running 3-working-day deadline, started on 2026-11-26."""
    from app.extensions import db
    from app.services.cases import Ctx
    from app.services.imports import import_records
    from app.services.scheduler import tick
    from models import Deadline

    records = [operator(n) for n in range(1, CASES + 1)]
    records += [
        matter(
            f"M{n}",
            [{"kind": "producer", "uscc": uscc(n)}],
            items=["A12.3"],
            effective_on="2026-11-20",
        )
        for n in range(1, CASES + 1)
    ]
    with seeded.app_context():
        report = import_records(
            jsonl(records).splitlines(True), today=clock.today(), actor="t", at=clock.now()
        )
        assert report.refused == 0, report.as_dict()["refusals"][:3]
        tick(ctx=Ctx("scheduler", clock.today(), clock.now()), commit=db.session.commit)
        running = db.session.scalar(
            select(func.count()).select_from(Deadline).where(Deadline.state == "running")
        )
    assert running >= CASES
    return running


def counts(app) -> dict:
    from app.extensions import db
    from models import CaseEvent, Deadline, Notification

    with app.app_context():
        db.session.rollback()  # a fresh look at what other processes committed
        passed = db.session.scalar(
            select(func.count()).select_from(Deadline).where(Deadline.state == "passed")
        )
        running = db.session.scalar(
            select(func.count()).select_from(Deadline).where(Deadline.state == "running")
        )
        effects = db.session.execute(
            select(CaseEvent.case_id, func.count())
            .where(CaseEvent.action == "effect:overdue")
            .group_by(CaseEvent.case_id)
        ).all()
        notified = db.session.execute(
            select(Notification.case_id, Notification.bureau_code, func.count())
            .where(Notification.kind == "overdue")
            .group_by(Notification.case_id, Notification.bureau_code)
        ).all()
    return {
        "passed": passed,
        "running": running,
        "cases_overdue": len(effects),
        "max_effects_per_case": max((n for _, n in effects), default=0),
        "notifications": sum(n for *_, n in notified),
        "max_per_bureau_and_case": max((n for *_, n in notified), default=0),
    }


@pytest.mark.parametrize(
    ("kill_at", "committed"),
    [
        (50, 0),  # inside the first batch: nothing of the pass is kept
        (CASES - 10, 200),  # inside the second batch: the first batch of 200 stays
    ],
)
def test_scheduler_killed_mid_pass_then_restarted_fires_each_deadline_once(
    seeded, waiting, database_url, tmp_path, kill_at, committed
):
    marker = tmp_path / "reached"
    proc = subprocess.Popen(
        [sys.executable, "-c", BOOTSTRAP],
        cwd=ROOT,
        env=_env(database_url, KILL_AT=str(kill_at), KILL_MARKER=str(marker)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(600):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), proc.communicate(timeout=5)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    mid = counts(seeded)
    assert mid["passed"] == committed and mid["running"] == waiting - committed
    assert mid["cases_overdue"] == committed

    restart = subprocess.run(
        [sys.executable, "-m", "flask", "cases", "tick"],
        cwd=ROOT,
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restart.returncode == 0, restart.stderr[-2000:]
    after = counts(seeded)
    assert after["passed"] == waiting and after["running"] == 0
    # each case told overdue once, each bureau above it notified once per case
    assert after["cases_overdue"] == waiting and after["max_effects_per_case"] == 1
    assert after["max_per_bureau_and_case"] == 1
    assert after["notifications"] >= waiting

    # a third pass finds nothing left to fire and notifies nobody
    again = subprocess.run(
        [sys.executable, "-m", "flask", "cases", "tick"],
        cwd=ROOT,
        env=_env(database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert counts(seeded) == after
