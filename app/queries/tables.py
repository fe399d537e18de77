"""The published scoring-table versions, read (publishing them is app/services/scoring_tables)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.scoring import ScoringTable, parse_table
from models import ScoringTableVersion


def load_tables() -> list[ScoringTable]:
    """Every published version, parsed."""
    rows = db.session.scalars(select(ScoringTableVersion)).all()
    return [parse_table(r.content) for r in rows]
