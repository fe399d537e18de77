from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .operator import Operator


class ScoringObject(db.Model):
    """A 记分对象: an operator, or a product = producer + brand + Nice class (Art. 6).

    `operator_id` is the operator itself for an operator object and the producer for a
    product, so one operator's whole family (its own object and its products) is one index
    range: that is how a producer's score (R-SCORE-PRODUCER) is read.
    """

    __tablename__ = "scoring_object"
    __table_args__ = (
        CheckConstraint("kind IN ('operator', 'product')", name="kind"),
        CheckConstraint(
            "(kind = 'operator' AND brand IS NULL AND nice_class IS NULL) OR "
            "(kind = 'product' AND brand IS NOT NULL AND nice_class BETWEEN 1 AND 34)",
            name="product_key",
        ),
        Index(
            "uq_scoring_object_identity", "operator_id", "kind", "brand", "nice_class", unique=True
        ),
        Index("ix_scoring_object_brand", "brand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    operator_id: Mapped[int] = mapped_column(ForeignKey("operator.id"))
    brand: Mapped[str | None] = mapped_column(String(100))
    nice_class: Mapped[int | None]
    category: Mapped[str | None] = mapped_column(String(50))

    operator: Mapped[Operator] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        if self.kind == "product":
            return f"product {self.brand}/{self.nice_class}"
        return f"operator {self.operator.uscc}"
