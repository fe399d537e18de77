from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime


class Operator(db.Model):
    """A legally registered organisation (经营者), keyed by its Unified Social Credit Code."""

    __tablename__ = "operator"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    bureau_code: Mapped[str] = mapped_column(ForeignKey("bureau.code"), index=True)
    # 企业信息填报 complete (Art. 14(3)): a condition of repairs and operator rewards.
    filing_complete: Mapped[bool] = mapped_column(default=False)
    # Where notices reach it (R-CHANNEL, Art. 23), filed by the operator: e-mail and mobile for
    # 数据电文, the postal address for letters.
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))
    postal_address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
