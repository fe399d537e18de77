from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

from .types import UTCDateTime


class Matter(db.Model):
    """A quality credit matter (质量信用事项): one determination, scoring each object it
    concerns once (R-ONCE). `ref` is the document number and the idempotency key of imports;
    `content_hash` tells a repeated record from a conflicting re-use of the same ref."""

    __tablename__ = "matter"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(12))  # 'matter' | 'spot_check'
    items: Mapped[list] = mapped_column(JSON)
    # R-INTENT (Art. 13): true when every object acted intentionally. Where the objects were
    # marked one by one, the objects that did (an operator by USCC, a product by
    # producer/brand/Nice class); None: the matter-level flag speaks for every object.
    intentional: Mapped[bool] = mapped_column(default=False)
    intentional_objects: Mapped[list | None] = mapped_column(JSON)
    # Follows the items: true when one of them is not repairable (A11.9, R-REPAIR-ELIGIBLE).
    major_impact: Mapped[bool] = mapped_column(default=False)
    effective_on: Mapped[date] = mapped_column(index=True)
    bureau_code: Mapped[str] = mapped_column(ForeignKey("bureau.code"), index=True)
    model: Mapped[str | None] = mapped_column(String(100))
    standard: Mapped[str | None] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(Text)
    table_version: Mapped[str] = mapped_column(String(50))
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SpotCheck(db.Model):
    """A spot-check result (监督抽查结果), pass or fail: passes feed R-REWARD-PRODUCT."""

    __tablename__ = "spot_check"
    __table_args__ = (CheckConstraint("result IN ('pass', 'fail')", name="result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("scoring_object.id"), index=True)
    model: Mapped[str | None] = mapped_column(String(100))
    standard: Mapped[str | None] = mapped_column(String(100))
    sampled_on: Mapped[date]
    result: Mapped[str] = mapped_column(String(4))
    effective_on: Mapped[date | None]
    bureau_code: Mapped[str] = mapped_column(ForeignKey("bureau.code"))
    seller_uscc: Mapped[str | None] = mapped_column(String(18))
    intentional: Mapped[bool] = mapped_column(default=False)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
