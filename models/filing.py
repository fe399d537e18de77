from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import CST
from app.extensions import db

from .types import UTCDateTime

FILING_KINDS = ("product", "supplier", "distributor")


class FilingItem(db.Model):
    """One line of an operator's information filing (企业信息填报, Art. 14(3)): a product it makes
    or sells, a supplier or a distributor. Repairs and operator rewards need a complete filing."""

    __tablename__ = "filing_item"
    __table_args__ = (
        CheckConstraint("kind IN ('product', 'supplier', 'distributor')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    # Brand and model for products; credit code or address for suppliers and distributors.
    detail: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConcealmentFinding(db.Model):
    """A finding by staff that the enterprise concealed products, suppliers or distributors
    in its information filing (隐瞒, Art. 14(3)). While it is not cleared, repairs and rewards
    are refused, at the application and at the decision."""

    __tablename__ = "concealment_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(100))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def recorded_on(self) -> date:
        """The day (China Standard Time) the finding was recorded."""
        return self.recorded_at.astimezone(CST).date()

    @property
    def cleared_on(self) -> date | None:
        return self.cleared_at.astimezone(CST).date() if self.cleared_at else None
