from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime

MEASURE_KINDS = (
    "yellow_notice",  # 黄色监管提示 (B)
    "orange_warning",  # 橙色监管警示 (C)
    "red_warning",  # 红色监管警示 (D)
    "archive_guidance",  # 指导建立产品质量管理档案 (O)
    "quality_monitoring",  # 加强质量安全监测 (O, Art. 27(5))
    "rectification",  # 责令整改 (B, C, D): a case on workflows/rectification.bpmn
    "interview_training",  # 质量负责人行政约谈和培训 (C)
    "interview",  # 法定代表人及质量负责人行政约谈 (D)
)


class Measure(db.Model):
    """A supervision measure (监管措施, Art. 27) a classification run set for one object.

    One row per (run, object, kind) among rows not cancelled. A run writes hundreds of
    thousands at once with INSERT … SELECT, so, like `classification_result`, the run, object,
    operator and bureau columns carry no foreign keys (they are copied from rows the same
    statement reads; objects are never deleted).
    """

    __tablename__ = "measure"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'done', 'cancelled')", name="state"),
        CheckConstraint("klass IN ('A', 'B', 'C', 'D', 'O')", name="klass"),
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in MEASURE_KINDS) + ")", name="kind"
        ),
        Index(
            "uq_measure_run_object_kind",
            "run_id",
            "object_id",
            "kind",
            unique=True,
            postgresql_where=text("state <> 'cancelled'"),
            sqlite_where=text("state <> 'cancelled'"),
        ),
        Index("ix_measure_bureau", "bureau_code", "state", "kind", "due_on"),
        Index("ix_measure_operator", "operator_id", "state"),
        # Open measures by run: what a new run supersedes. Partial, so done and cancelled rows
        # (most of the table, in time) stay out of it.
        Index(
            "ix_measure_open",
            "run_id",
            "kind",
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
        # Rectification orders waiting for the scheduler to start their case.
        Index(
            "ix_measure_pending_case",
            "id",
            postgresql_where=text("kind = 'rectification' AND state = 'open' AND case_id IS NULL"),
            sqlite_where=text("kind = 'rectification' AND state = 'open' AND case_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int]
    object_id: Mapped[int]
    # The recipient: the operator itself, or a product's producer.
    operator_id: Mapped[int]
    # The responsible bureau: the operator's (a product's producer's) bureau.
    bureau_code: Mapped[str] = mapped_column(String(6))
    klass: Mapped[str] = mapped_column(String(1))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default="open")
    issued_on: Mapped[date]
    due_on: Mapped[date | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("credit_case.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))


class InspectionPlan(db.Model):
    """A yearly inspection plan (检查计划) of a bureau's subtree, recorded with every input of
    its random A-class selection (双随机) so that anyone can draw the same selection again."""

    __tablename__ = "inspection_plan"
    __table_args__ = (Index("ix_inspection_plan_bureau_year", "bureau_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    bureau_code: Mapped[str] = mapped_column(ForeignKey("bureau.code"))
    run_id: Mapped[int] = mapped_column(ForeignKey("classification_run.id"))
    run_on: Mapped[date]
    # The day the plan was drawn as of: the run, the clean-inspection weights and the
    # candidates are read as of it, so the draw can be repeated later.
    plan_on: Mapped[date]
    seed: Mapped[int] = mapped_column(BigInteger)
    ratio: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    clean_weight: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    candidates: Mapped[int]
    # sha256 of the ordered candidate list ("object_id:weight" lines): what the draw ran over.
    candidates_digest: Mapped[str] = mapped_column(String(64))
    selected: Mapped[int]
    selection_digest: Mapped[str] = mapped_column(String(64))
    # The draw as recorded: [[object_id, "weight"], …] by object id.
    selection: Mapped[list] = mapped_column(JSON)
    lowered: Mapped[int]  # candidates with the lowered weight
    required: Mapped[int]  # B/C/D objects with a yearly minimum
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
