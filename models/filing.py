from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

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
