from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime


class AuditEvent(db.Model):
    """Who did what, to which object, when. Append-only: database triggers refuse UPDATE and
    DELETE (see the migration), so not even a bug in this code can rewrite history."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(30))
    object_ref: Mapped[str] = mapped_column(String(200), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class SchedulerHeartbeat(db.Model):
    """The last pass of each scheduler worker (`flask cases worker`, `tick`): deadlines,
    notices and queued classification runs only happen while one runs, so the admin pages
    say when none has passed lately."""

    __tablename__ = "scheduler_heartbeat"

    worker: Mapped[str] = mapped_column(String(100), primary_key=True)  # host:pid
    last_pass_at: Mapped[datetime] = mapped_column(UTCDateTime)
    passes: Mapped[int] = mapped_column(default=0)
    last_report: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(String(500))
