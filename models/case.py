from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime


class WorkflowSpec(db.Model):
    """A BPMN process definition as deployed, stored once by the hash of its XML, so every case
    can say exactly which definition it runs on."""

    __tablename__ = "workflow_spec"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(50), index=True)
    bpmn: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Case(db.Model):
    """A case (案件): one run of a process, its engine state, and who it concerns."""

    __tablename__ = "credit_case"  # "case" is an SQL keyword
    __table_args__ = (
        CheckConstraint("status IN ('open', 'completed', 'withdrawn')", name="status"),
        Index("ix_case_operator", "operator_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(50))
    spec_hash: Mapped[str] = mapped_column(ForeignKey("workflow_spec.hash"))
    status: Mapped[str] = mapped_column(String(10), default="open")
    outcome: Mapped[str | None] = mapped_column(String(40))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"))
    object_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_object.id"))
    # The matter a notice, repair, objection or correction is about (one open case each).
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"), index=True)
    deciding_bureau: Mapped[str] = mapped_column(ForeignKey("bureau.code"), index=True)
    subject: Mapped[dict] = mapped_column(JSON, default=dict)  # entries, matter, application
    filed_on: Mapped[date]
    started_by: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    overdue: Mapped[bool] = mapped_column(default=False)
    # The earliest running legal deadline: what the scheduler and dashboards look at first.
    next_due_on: Mapped[date | None] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(Text)  # the engine's serialized workflow
    serializer_version: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (optimistic locking)


class CaseTask(db.Model):
    """A user task as the inboxes see it, kept in step with the engine after every run, so a
    queue is a plain indexed query and never loads a workflow."""

    __tablename__ = "case_task"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'done', 'cancelled')", name="state"),
        Index("ix_case_task_queue", "bureau_code", "lane", "state", "due_on"),
        Index("ix_case_task_case", "case_id", "state"),
        # A supervisor's queue spans many bureaus: read open tasks in due order and stop early.
        Index(
            "ix_case_task_open_due",
            "due_on",
            "id",
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("credit_case.id"))
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(20))
    process_id: Mapped[str] = mapped_column(String(50))
    bureau_code: Mapped[str] = mapped_column(ForeignKey("bureau.code"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"), index=True)
    form_key: Mapped[str | None] = mapped_column(String(60))
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id"))
    due_on: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(10), default="open")
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    form_data: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))


class Deadline(db.Model):
    """A legal deadline of a case (rules §6), the project's own record so that it can pause
    while the enterprise supplements material and resume with the working days left."""

    __tablename__ = "deadline"
    __table_args__ = (
        CheckConstraint("state IN ('running', 'paused', 'met', 'passed')", name="state"),
        Index("ix_deadline_due", "state", "due_on"),
        Index("uq_deadline_case_name", "case_id", "name", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("credit_case.id"))
    name: Mapped[str] = mapped_column(String(40))
    working_days: Mapped[int | None]
    days: Mapped[int | None]
    start_on: Mapped[date]
    due_on: Mapped[date]
    provisional: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(10), default="running")
    paused_on: Mapped[date | None]
    remaining: Mapped[int | None]  # working days left while paused
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseEvent(db.Model):
    """The history of a case: each step, who, when, what, which deadline."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("credit_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    task: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Notification(db.Model):
    """A message to the supervisors of a bureau (overdue cases) or to an enterprise."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_bureau", "bureau_code", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("credit_case.id"), index=True)
    bureau_code: Mapped[str | None] = mapped_column(ForeignKey("bureau.code"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notice(db.Model):
    """The notice of a scoring (记分告知, Art. 23): matter, points, cumulative score, class and
    rights, to the operator (a product's goes to its producer). `received_on` starts the
    15-day objection window (Art. 24). A correction issues a new notice of the same matter
    (R-RIGHTS): the latest notice of a matter is the one whose receipt the window runs from."""

    __tablename__ = "notice"
    __table_args__ = (
        CheckConstraint(
            "channel IN ('portal', 'email', 'sms', 'letter', 'announcement')", name="channel"
        ),
        Index("ix_notice_operator_matter", "operator_id", "matter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"))
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("credit_case.id"))
    channel: Mapped[str] = mapped_column(String(12))
    content: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_on: Mapped[date | None]


class NoticeDelivery(db.Model):
    """One try to reach the recipient of a notice by one channel (R-CHANNEL): what was sent
    where, and what came of it. A refused e-mail or SMS is kept with the reason, and the next
    channel is tried; a letter is queued, posted, then delivered or returned."""

    __tablename__ = "notice_delivery"
    __table_args__ = (
        CheckConstraint("channel IN ('portal', 'email', 'sms', 'letter')", name="channel"),
        CheckConstraint(
            "state IN ('delivered', 'refused', 'queued', 'posted', 'returned')", name="state"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text, default="")
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_on: Mapped[date | None]
    delivered_on: Mapped[date | None]
