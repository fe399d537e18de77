from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime


class HolidaySchedule(db.Model):
    """A year's official holiday schedule (国务院办公厅节假日安排), loaded by an administrator.
    It wins over the chinesecalendar package for its year (R-CAL)."""

    __tablename__ = "holiday_schedule"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text)
    holidays: Mapped[list] = mapped_column(JSON)  # ISO dates
    workdays: Mapped[list] = mapped_column(JSON)  # make-up working days, ISO dates
    names: Mapped[dict] = mapped_column(JSON)  # ISO date -> holiday name
    document: Mapped[str] = mapped_column(Text)  # the file as loaded
    loaded_by: Mapped[str] = mapped_column(String(100))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
