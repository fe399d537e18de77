"""The audit log as people read it: the exports and who received them (Art. 31, 32)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from forms.base import N_
from models import AuditEvent

RECIPIENT_KIND_LABELS = {
    "department": N_("政府部门"),
    "association": N_("行业协会"),
    "platform": N_("电子商务平台"),
}


def export_events(*, limit: int = 200) -> list[AuditEvent]:
    """The latest exports (API exports and statistics downloads), newest first, each with
    who took what, how many rows, the recipient and the legal basis it recorded."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type.in_(("export", "statistics")))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
