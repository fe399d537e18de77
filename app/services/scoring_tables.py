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
        raise DomainError(
            "the scoring table is not valid YAML: %(error)s", error=str(exc)
        ) from None
    try:
        return parse_table(raw)
    except TableError as exc:
        raise DomainError("scoring table refused: %(error)s", error=str(exc)) from None


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
            "scoring table version %(version)s is already published with other content",
            version=table.version,
        )
    clash = db.session.scalar(
        select(ScoringTableVersion).where(ScoringTableVersion.applies_from == table.applies_from)
    )
    if clash is not None:
        raise Conflict(
            "version %(version)s already applies from %(date)s; "
            "a new version needs its own applies_from date",
            version=clash.version,
            date=table.applies_from,
        )
    # A new version never rewrites scores already recorded under another one.
    later = db.session.scalar(
        select(Matter.ref).where(Matter.effective_on >= table.applies_from).limit(1)
    )
    if later is not None:
        raise Conflict(
            "matters effective on or after %(date)s are already scored under an "
            "earlier version (e.g. %(matter)s); publish with a later applies_from",
            date=table.applies_from,
            matter=later,
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
        raise DomainError(
            "no scoring table is in force on %(date)s", field="effective_on", date=on.isoformat()
        )
    return max(eligible, key=lambda t: t.applies_from)
