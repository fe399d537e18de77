"""The audit trail: every write says who, what, on which object, when."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from app.extensions import db
from models import AuditEvent


def record_event(
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_ref: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    db.session.add(
        AuditEvent(
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_ref=object_ref,
            detail=dict(detail or {}),
        )
    )


def record_events(at: datetime, actor: str, events: Iterable[tuple[str, str, str, dict]]) -> int:
    """Many events in one statement (bulk imports)."""
    rows = [
        {"at": at, "actor": actor, "action": a, "object_type": t, "object_ref": r, "detail": d}
        for a, t, r, d in events
    ]
    if rows:
        db.session.execute(insert(AuditEvent), rows)
    return len(rows)
