"""The enterprise's notifications (the portal's "my notices" list): marking them read is a
write like any other, audited."""

from __future__ import annotations

from sqlalchemy import update

from app.extensions import db
from models import Notification

from .audit import record_event
from .cases import Ctx


def mark_read(operator_id: int, *, ctx: Ctx) -> int:
    """Mark the operator's unread notifications read; class notices are left to be signed
    for on the measures page (签收), which marks them read itself."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.operator_id == operator_id,
            Notification.read_at.is_(None),
            Notification.kind != "class_notice",
        )
        .values(read_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    count = result.rowcount or 0
    if count:
        record_event(
            ctx.now, ctx.actor, "notification.read", "operator", str(operator_id), {"count": count}
        )
    return count
