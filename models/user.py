from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime


class User(db.Model):
    """A person who signs in: an enterprise user (bound to one operator), an officer (one bureau),
    a supervisor (a bureau and all below it) or an administrator."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role IN ('enterprise', 'officer', 'supervisor', 'admin')", name="role"),
        CheckConstraint(
            "(role = 'enterprise') = (operator_id IS NOT NULL)", name="enterprise_operator"
        ),
        CheckConstraint(
            "role IN ('enterprise', 'admin') OR bureau_code IS NOT NULL", name="staff_bureau"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(12))
    bureau_code: Mapped[str | None] = mapped_column(ForeignKey("bureau.code"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"))
    # sha256 of the API token; the token itself is shown once and never stored.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
