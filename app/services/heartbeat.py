"""Scheduler workers report each pass, so the admin pages can tell when none is running:
without one, deadlines do not fire, notices are not issued and queued runs wait forever."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from app.extensions import db
from models import SchedulerHeartbeat

FORGET_AFTER = timedelta(days=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def record_pass(
    worker: str, at: datetime, *, report: str | None = None, error: str | None = None
) -> None:
    """Note a pass of `worker` (committed by the caller); `error` when the pass failed."""
    row = db.session.get(SchedulerHeartbeat, worker)
    if row is None:
        row = SchedulerHeartbeat(worker=worker, passes=0)
        db.session.add(row)
    row.last_pass_at, row.passes = at, row.passes + 1
    row.last_report = report[:300] if report else None
    row.last_error = error[:500] if error else None
    # Every restart is a new host:pid; workers not seen for a day are forgotten.
    db.session.execute(
        delete(SchedulerHeartbeat).where(SchedulerHeartbeat.last_pass_at < at - FORGET_AFTER)
    )


@dataclass
class SchedulerStatus:
    last_pass_at: datetime | None
    last_error: str | None
    workers: int  # workers seen within the staleness window
    stale: bool  # no pass within the window (or never)
    window: timedelta


def scheduler_status(now: datetime) -> SchedulerStatus:
    window = timedelta(minutes=int(current_app.config.get("SCHEDULER_STALE_MINUTES", 10)))
    latest = db.session.scalar(
        select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.last_pass_at.desc()).limit(1)
    )
    recent = db.session.scalar(
        select(func.count()).where(SchedulerHeartbeat.last_pass_at >= now - window)
    )
    return SchedulerStatus(
        last_pass_at=latest.last_pass_at if latest else None,
        last_error=latest.last_error if latest else None,
        workers=recent or 0,
        stale=not recent,
        window=window,
    )
