from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import CST
from app.extensions import db

from .types import UTCDateTime

FILING_KINDS = ("product", "supplier", "distributor", "recall", "self_inspection")
# Reports the operator files as proof of an operator reward (Art. 17(2), 17(3)): a recall of an
# unsafe product, a seller's self-inspection after a non-conformity notice.
REPORT_KINDS = ("recall", "self_inspection")


class FilingItem(db.Model):
    """One line of an operator's information filing (企业信息填报, Art. 14(3)): a product it makes
    or sells, a supplier or a distributor. Repairs and operator rewards need a complete filing.

    It may also be a report the operator files (Art. 17): a recall (召回报告: the product, the
    day of the recall in `event_on`, a description) or a self-inspection (自查情况: the product,
    the day of the non-conformity notice in `event_on`, what was done); `filed_on` is the day
    the report was filed, which R17.3 checks against the notice."""

    __tablename__ = "filing_item"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('product', 'supplier', 'distributor', 'recall', 'self_inspection')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    # Brand and model for products; credit code or address for suppliers and distributors.
    detail: Mapped[str] = mapped_column(String(500), default="")
    event_on: Mapped[date | None]
    filed_on: Mapped[date | None]
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
