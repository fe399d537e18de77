"""Finding scoring objects and reading the bureau tree."""

from __future__ import annotations

from sqlalchemy import or_, select

from app.extensions import db
from models import Bureau, Operator, ScoringObject


def search_objects(q: str, limit: int = 20) -> list[dict]:
    """By exact credit code, or by part of an operator's name or a brand."""
    q = q.strip()
    like = f"%{q}%"
    rows = db.session.execute(
        select(
            ScoringObject.kind,
            Operator.uscc,
            Operator.name,
            ScoringObject.brand,
            ScoringObject.nice_class,
            ScoringObject.category,
            Operator.bureau_code,
        )
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .where(
            or_(
                Operator.uscc == q.upper(), Operator.name.like(like), ScoringObject.brand.like(like)
            )
        )
        .order_by(Operator.uscc, ScoringObject.kind, ScoringObject.brand, ScoringObject.nice_class)
        .limit(limit)
    ).all()
    return [
        {
            "kind": r.kind,
            "uscc": r.uscc,
            "name": r.name,
            "brand": r.brand,
            "nice_class": r.nice_class,
            "category": r.category,
            "bureau": r.bureau_code,
        }
        for r in rows
    ]


def bureau_tree() -> list[dict]:
    rows = db.session.scalars(select(Bureau).order_by(Bureau.code)).all()
    return [
        {"code": b.code, "name": b.name, "parent": b.parent_code, "level": b.level} for b in rows
    ]
