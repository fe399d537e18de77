"""Reference data: the bureau tree shipped with the project (data/bureaus_440000.csv)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from app.config import ROOT
from app.extensions import db
from app.permissions import forget_bureau_tree
from models import Bureau

from .audit import record_events

BUREAU_FILE = ROOT / "data" / "bureaus_440000.csv"
PROVINCE = "440000"


def bureau_level(parent_level: str | None) -> str:
    return {None: "province", "province": "city", "city": "county"}[parent_level]


def load_bureau_tree(*, actor: str, at: datetime, path: Path = BUREAU_FILE) -> tuple[int, int]:
    """Insert the bureaus the database lacks and rename changed ones; returns (created, updated).
    Parents come before children in the file, so foreign keys hold at every flush."""
    known = {b.code: b for b in db.session.scalars(select(Bureau))}
    created = updated = 0
    events = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            parent = row["parent"] or None
            current = known.get(row["code"])
            if current is None:
                b = Bureau(
                    code=row["code"], name=row["name"], parent_code=parent, level=row["level"]
                )
                db.session.add(b)
                known[b.code] = b
                created += 1
                events.append(("bureau.create", "bureau", b.code, {"name": b.name}))
            elif (current.name, current.parent_code) != (row["name"], parent):
                current.name, current.parent_code = row["name"], parent
                updated += 1
                events.append(("bureau.update", "bureau", current.code, {"name": current.name}))
            db.session.flush()
    if created or updated:
        forget_bureau_tree()
    record_events(at, actor, events)
    return created, updated


DEFAULT_TABLE = ROOT / "data" / "scoring_tables" / "GD-2021-default.yaml"
# R-VALIDITY: the default table ends with the Spec on 2026-06-04 (Art. 36). The demo (and the
# tests, whose today is later) publish this successor, marked as a demonstration only.
DEMO_SUCCESSOR_TABLE = ROOT / "data" / "scoring_tables" / "demo" / "GD-2026-demo-successor.yaml"


def init_reference_data(*, actor: str, at: datetime) -> tuple[int, int, bool]:
    """What every database starts with (`flask credit init`): the bureau tree and the shipped
    default scoring table. Returns (bureaus created, bureaus updated, table published)."""
    from .scoring_tables import publish_table

    created, updated = load_bureau_tree(actor=actor, at=at)
    _, published = publish_table(DEFAULT_TABLE.read_text(encoding="utf-8"), actor=actor, at=at)
    return created, updated, published


def publish_demo_successor(*, actor: str, at: datetime) -> bool:
    """Publish the demonstration successor of the default table (never in a real database);
    True when it was published now, False when it already was."""
    from .scoring_tables import publish_table

    _, published = publish_table(
        DEMO_SUCCESSOR_TABLE.read_text(encoding="utf-8"), actor=actor, at=at
    )
    return published
