from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import Points, UTCDateTime


class ClassificationRun(db.Model):
    """A half-yearly classification run (R-HALFYEAR): one per date. A run on a date that is
    not a scheduled run date is off-cycle, asked for explicitly with its reason."""

    __tablename__ = "classification_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_on: Mapped[date] = mapped_column(unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(100))
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    off_cycle: Mapped[bool] = mapped_column(default=False, server_default=false())
    reason: Mapped[str | None] = mapped_column(String(500))


class ClassificationResult(db.Model):
    """The official class a run set for one object, with its D lock (R-DLOCK).

    No foreign keys, on purpose: a run writes a million rows at once, only for objects it read
    in the same transaction (objects are never deleted), and per-row foreign-key checks made
    the province-scale run a third slower.
    """

    __tablename__ = "classification_result"
    __table_args__ = (
        CheckConstraint("klass IN ('A', 'B', 'C', 'D', 'O')", name="klass"),
        Index("ix_classification_result_object", "object_id", "run_id"),
    )

    run_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    object_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    score: Mapped[Decimal | None] = mapped_column(Points)
    klass: Mapped[str] = mapped_column(String(1))
    locked_until: Mapped[date | None]
    previous_klass: Mapped[str | None] = mapped_column(String(1))


class ClassificationRequest(db.Model):
    """A run asked for from the admin page, done by the scheduler worker: a province run takes
    longer than a web request may (about 80 s for a million objects).

    A worker holds the row locked while it runs, so a crash puts the request back in the queue
    and two workers never run the same one. `refusal` is the English template of a refusal, its
    values in `refusal_params`, so the page shows it in its own language."""

    __tablename__ = "classification_request"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'done', 'failed')", name="state"),
        Index("ix_classification_request_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_on: Mapped[date]
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    objects: Mapped[int | None]
    refusal: Mapped[str | None] = mapped_column(String(500))
    refusal_params: Mapped[dict | None] = mapped_column(JSON)
    off_cycle: Mapped[bool] = mapped_column(default=False, server_default=false())
    reason: Mapped[str | None] = mapped_column(String(500))
