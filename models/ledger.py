from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import Points, UTCDateTime

# The original deductions of matters: what the public pages may publish.
PUBLISHED = "kind = 'DEDUCTION' AND target_id IS NULL AND matter_id IS NOT NULL"


class LedgerEntry(db.Model):
    """One immutable change of points (rules §2). Never updated, never deleted: a correction
    adds a compensating entry or a VOID naming the entry it cancels."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("kind IN ('START', 'DEDUCTION', 'REPAIR', 'REWARD', 'VOID')", name="kind"),
        CheckConstraint(
            "(kind = 'START' AND points = 12) OR (kind = 'DEDUCTION' AND points <= 0) OR "
            "(kind IN ('REPAIR', 'REWARD') AND points > 0) OR (kind = 'VOID' AND points = 0)",
            name="points_sign",
        ),
        # A REPAIR names the deduction it repairs, a VOID the entry it cancels; a DEDUCTION may
        # name the one it replaces (an amended objection or a correction).
        CheckConstraint(
            "(kind IN ('REPAIR', 'VOID') AND target_id IS NOT NULL) OR "
            "(kind IN ('START', 'REWARD') AND target_id IS NULL) OR kind = 'DEDUCTION'",
            name="target",
        ),
        # The family index: a producer's score reads its own and its products' entries.
        Index("ix_ledger_entry_operator", "operator_id", "object_id"),
        Index("ix_ledger_entry_object", "object_id"),
        # R-ONCE: one matter deducts an object once.
        Index(
            "uq_ledger_entry_once",
            "object_id",
            "matter_id",
            unique=True,
            postgresql_where=text("kind = 'DEDUCTION' AND target_id IS NULL"),
            sqlite_where=text("kind = 'DEDUCTION' AND target_id IS NULL"),
        ),
        # The public dishonesty list (app/queries/disclosure.py): its originals newest first,
        # and whether each is voided or its matter repaired, without reading the whole ledger.
        Index(
            "ix_ledger_entry_published",
            "effective_on",
            "id",
            postgresql_where=text(PUBLISHED),
            sqlite_where=text(PUBLISHED),
        ),
        Index(
            "ix_ledger_entry_void",
            "target_id",
            postgresql_where=text("kind = 'VOID'"),
            sqlite_where=text("kind = 'VOID'"),
        ),
        Index(
            "ix_ledger_entry_repair",
            "matter_id",
            "operator_id",
            postgresql_where=text("kind = 'REPAIR'"),
            sqlite_where=text("kind = 'REPAIR'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("scoring_object.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"))
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"), index=True)
    # The matter's ref, copied on append (both are immutable): R-ORDER, R-ONCE and R-180 need
    # it for every entry a classification run reads, without joining the matter table.
    matter_ref: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    points: Mapped[Decimal] = mapped_column(Points)
    effective_on: Mapped[date]
    item: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), index=True)
    product_key: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
