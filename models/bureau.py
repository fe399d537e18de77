from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Bureau(db.Model):
    """A market supervision bureau (市场监督管理局), keyed by its 6-digit division code."""

    __tablename__ = "bureau"
    __table_args__ = (
        CheckConstraint("level IN ('province', 'city', 'county')", name="level"),
        CheckConstraint("length(code) = 6", name="code_length"),
    )

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("bureau.code"), index=True)
    level: Mapped[str] = mapped_column(String(8))
