"""A supervisor marks the bureau's notifications read: the write and its audit event in the
caller's transaction, so who read which notice of an overdue case, and when, is on record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from app.errors import NotFound
from app.extensions import db
from models import Notification, User

from .audit import record_event


def bureau_notification(user: User, notification_id: int) -> Notification:
    """A notification of the user's own bureau; any other is not found."""
    n = db.session.get(Notification, notification_id)
    if n is None or n.bureau_code is None or n.bureau_code != user.bureau_code:
        raise NotFound("no notification %(id)s", id=notification_id)
    return n


def mark_read(user: User, notification_id: int, *, at: datetime) -> bool:
    """Mark one notification read; False when it already was (nothing written)."""
    n = bureau_notification(user, notification_id)
    if n.read_at is not None:
        return False
    n.read_at = at
    record_event(at, user.username, "notification.read", "notification", str(n.id))
    db.session.flush()
    return True


def mark_all_read(user: User, *, at: datetime) -> int:
    """Mark every unread notification of the user's bureau read; how many were."""
    ids = list(
        db.session.scalars(
            select(Notification.id).where(
                Notification.bureau_code == user.bureau_code, Notification.read_at.is_(None)
            )
        )
    )
    if not ids:
        return 0
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.read_at.is_(None))
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )
    record_event(
        at,
        user.username,
        "notification.read_all",
        "bureau",
        user.bureau_code or "",
        {"notifications": len(ids)},
    )
    db.session.flush()
    return len(ids)


def mark_operator_read(operator_id: int, *, actor: str, at: datetime) -> int:
    """An enterprise marks its notifications read (the portal's notices page); class notices
    are left to be signed for on the measures page (签收), which marks them read itself."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.operator_id == operator_id,
            Notification.read_at.is_(None),
            Notification.kind != "class_notice",
        )
        .values(read_at=at)
        .execution_options(synchronize_session=False)
    )
    count = result.rowcount or 0
    if count:
        record_event(at, actor, "notification.read", "operator", str(operator_id), {"count": count})
    return count
