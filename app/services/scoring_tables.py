"""Publishing scoring-table versions (Art. 19, interchange §3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import yaml
from sqlalchemy import select

from app.errors import Conflict, DomainError
from app.extensions import db
from app.queries.tables import load_tables
from app.scoring import (
    ScoringTable,
    TableError,
    ending_soon,
    latest_started,
    overlapping,
    parse_table,
    table_in_force,
)
from models import Matter, ScoringTableVersion

from .audit import record_event


def _to_content(table: ScoringTable) -> dict:
    """The parsed table as plain JSON-able data (what the database keeps). The fields of format
    version 2 are kept when the table states them."""
    content: dict = {
        "version": table.version,
        "applies_from": table.applies_from.isoformat(),
    }
    if table.applies_until is not None:
        content["applies_until"] = table.applies_until.isoformat()
    if table.regulation is not None:
        content["regulation"] = {
            "title": table.regulation.title,
            "number": table.regulation.number,
        }
    return content | {
        "default": table.is_default,
        "items": [
            {
                "code": i.code,
                "objects": list(i.objects),
                "title": i.title,
                "points": str(i.points),
                "intentional_points": str(i.intentional_points),
                "repairable": i.repairable,
                "spot_check": i.spot_check,
                # rules §12: kept only when stated, so older versions keep their content.
                **({"with": {k: list(v) for k, v in i.with_items.items()}} if i.with_items else {}),
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
        # Compared as tables: content stored before format version 2 lacks its fields.
        if parse_table(existing.content) == table:
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
    published = load_tables()
    other = overlapping(published, table)
    if other is not None:
        raise Conflict(
            "version %(version)s (%(start)s to %(end)s) overlaps version %(other)s "
            "(%(other_start)s to %(other_end)s); versions may not overlap (Art. 36)",
            version=table.version,
            start=table.applies_from.isoformat(),
            end=_until(table.applies_until),
            other=other.version,
            other_start=other.applies_from.isoformat(),
            other_end=_until(other.applies_until),
        )
    # A new version never rewrites scores already recorded under another one: no matter may
    # fall in the days it will cover (to its applies_until, or to the next version's start).
    last_day = table.applies_until
    if last_day is None:
        starts = [t.applies_from for t in published if t.applies_from > table.applies_from]
        last_day = min(starts) - timedelta(days=1) if starts else None
    query = select(Matter.ref).where(Matter.effective_on >= table.applies_from)
    if last_day is not None:
        query = query.where(Matter.effective_on <= last_day)
    later = db.session.scalar(query.limit(1))
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
        applies_until=table.applies_until,
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
        {
            "applies_from": table.applies_from.isoformat(),
            "applies_until": table.applies_until and table.applies_until.isoformat(),
            "regulation": table.regulation and table.regulation.number,
            "default": table.is_default,
        },
    )
    db.session.flush()
    return row, True


def _until(day: date | None) -> str:
    return day.isoformat() if day is not None else "…"


def table_for(
    tables: list[ScoringTable], on: date, field: str | None = "effective_on"
) -> ScoringTable:
    """R-VALIDITY: the version covering `on`, or a refusal naming Art. 36 and the last day in
    force when the last version has ended and no successor is published."""
    table = table_in_force(tables, on)
    if table is None:
        raise uncovered(tables, on, field)
    return table


def uncovered(
    tables: list[ScoringTable], on: date, field: str | None = "effective_on"
) -> DomainError:
    """Why no version covers `on`: none had started yet, or the last one has ended (Art. 36,
    naming the regulation when the version states it, and the last day in force)."""
    last = latest_started(tables, on)
    if last is None or last.applies_until is None:
        return DomainError(
            "no scoring table is in force on %(date)s", field=field, date=on.isoformat()
        )
    if last.regulation is not None:
        return DomainError(
            "no scoring table covers %(date)s: the regulation %(regulation)s was in force "
            "until %(until)s (Art. 36); a successor must be published first",
            field=field,
            date=on.isoformat(),
            regulation=last.regulation.number,
            until=last.applies_until.isoformat(),
        )
    return DomainError(
        "no scoring table covers %(date)s: version %(version)s was in force until %(until)s "
        "(Art. 36); a successor must be published first",
        field=field,
        date=on.isoformat(),
        version=last.version,
        until=last.applies_until.isoformat(),
    )


def require_table(on: date, field: str | None = "effective_on") -> ScoringTable:
    """The published version covering `on`; refused (Art. 36) when none does. For work that
    needs rules in force on a day: classification runs, reward proposals and grants."""
    return table_for(load_tables(), on, field)


def expiry_warning(on: date, days: int = 90) -> ScoringTable | None:
    """R-VALIDITY: the version that ends within `days` days of `on` (or has ended) while no
    successor is published, for the administrators' warning; None when all is well."""
    return ending_soon(load_tables(), on, days)
