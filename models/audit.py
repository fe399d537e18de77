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
