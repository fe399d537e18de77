"""Publishing scoring-table versions (Art. 19, interchange §3)."""

from __future__ import annotations

from datetime import date, datetime

import yaml
from sqlalchemy import select

from app.errors import Conflict, DomainError
from app.extensions import db
from app.scoring import ScoringTable, TableError, parse_table
from models import Matter, ScoringTableVersion

from .audit import record_event


def _to_content(table: ScoringTable) -> dict:
    """The parsed table as plain JSON-able data (what the database keeps)."""
    return {
        "version": table.version,
        "applies_from": table.applies_from.isoformat(),
        "default": table.is_default,
        "items": [
            {
                "code": i.code,
                "objects": list(i.objects),
                "title": i.title,
                "points": str(i.points),
                "intentional_points": str(i.intentional_points),
                "repairable": i.repairable,
            }
            for i in table.items.values()
        ],
        "rewards": [
            {"code": r.code, "objects": list(r.objects), "title": r.title, "points": str(r.points)}
            for r in table.rewards.values()
        ],
    }


def parse_table_text(text: str) -> ScoringTable:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DomainError(f"the scoring table is not valid YAML: {exc}") from None
    try:
        return parse_table(raw)
    except TableError as exc:
        raise DomainError(f"scoring table refused: {exc}") from None


def publish_table(text: str, *, actor: str, at: datetime) -> tuple[ScoringTableVersion, bool]:
    """Publish a version. Publishing the same version again with the same content changes
    nothing (returns created=False); a version name or date already taken by other content is
    refused, and so is a version that would re-price matters already recorded under another."""
    table = parse_table_text(text)
    content = _to_content(table)
    existing = db.session.get(ScoringTableVersion, table.version)
    if existing is not None:
        if existing.content == content:
            return existing, False
        raise Conflict(
            f"scoring table version {table.version} is already published with other content"
        )
    clash = db.session.scalar(
        select(ScoringTableVersion).where(ScoringTableVersion.applies_from == table.applies_from)
    )
    if clash is not None:
        raise Conflict(
            f"version {clash.version} already applies from {table.applies_from}; "
            "a new version needs its own applies_from date"
        )
    # A new version never rewrites scores already recorded under another one.
    later = db.session.scalar(
        select(Matter.ref).where(Matter.effective_on >= table.applies_from).limit(1)
    )
    if later is not None:
        raise Conflict(
            f"matters effective on or after {table.applies_from} are already scored under an "
            f"earlier version (e.g. {later}); publish with a later applies_from"
        )
    row = ScoringTableVersion(
        version=table.version,
        applies_from=table.applies_from,
        is_default=table.is_default,
        content=content,
        source=text,
        published_by=actor,
        published_at=at,
    )
    db.session.add(row)
    record_event(
        at,
        actor,
        "table.publish",
        "scoring_table",
        table.version,
        {"applies_from": table.applies_from.isoformat(), "default": table.is_default},
    )
    db.session.flush()
    return row, True


def load_tables() -> list[ScoringTable]:
    rows = db.session.scalars(select(ScoringTableVersion)).all()
    return [parse_table(r.content) for r in rows]


def table_for(tables: list[ScoringTable], on: date) -> ScoringTable:
    eligible = [t for t in tables if t.applies_from <= on]
    if not eligible:
        raise DomainError(f"no scoring table is in force on {on.isoformat()}", field="effective_on")
    return max(eligible, key=lambda t: t.applies_from)
