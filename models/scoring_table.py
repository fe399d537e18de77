from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime


class ScoringTableVersion(db.Model):
    """A published version of the scoring table (记分表, Art. 19). `content` is the parsed
    table as a plain mapping; `source` the YAML as published, kept for the record."""

    __tablename__ = "scoring_table_version"

    version: Mapped[str] = mapped_column(String(50), primary_key=True)
    applies_from: Mapped[date] = mapped_column(unique=True)
    # R-VALIDITY (Art. 36): the last day it applies; None until a later version starts.
    applies_until: Mapped[date | None] = mapped_column(default=None)
    is_default: Mapped[bool] = mapped_column(default=False)
    content: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
