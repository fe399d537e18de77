"""Scheduler workers report each pass, so the admin pages can tell when none is running:
without one, deadlines do not fire, notices are not issued and queued runs wait forever."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from models import SchedulerHeartbeat


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


@dataclass
class SchedulerStatus:
    last_pass_at: datetime | None
    last_error: str | None
    workers: int  # workers seen within the staleness window
    stale: bool  # no pass within the window (or never)
    window: timedelta


def scheduler_status(now: datetime) -> SchedulerStatus:
    window = timedelta(minutes=int(current_app.config.get("SCHEDULER_STALE_MINUTES", 10)))
    rows = db.session.scalars(
        select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.last_pass_at.desc())
    ).all()
    latest = rows[0] if rows else None
    recent = [r for r in rows if now - r.last_pass_at <= window]
    return SchedulerStatus(
        last_pass_at=latest.last_pass_at if latest else None,
        last_error=latest.last_error if latest else None,
        workers=len(recent),
        stale=not recent,
        window=window,
    )
