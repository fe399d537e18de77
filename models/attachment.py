from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime


class Attachment(db.Model):
    """An evidence file of a case (证据材料): uploaded with the application or with a supplement
    (`task_id`: the enterprise task it came with). The bytes live in the file store under
    `storage_key`; the SHA-256 is also written in the case history."""

    __tablename__ = "attachment"
    __table_args__ = (Index("uq_attachment_case_sha256", "case_id", "sha256", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("credit_case.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("case_task.id"))
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # pdf, jpeg, png, ofd, docx, xlsx
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
