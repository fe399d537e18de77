"""Evidence files of a case, for those who may see them (`can_see_attachments`): the
applicant enterprise, officers of the deciding bureau and supervisors over it."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from app.attachments.store import file_store
from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import can_see_attachments
from models import Attachment, Case, CaseTask, User


def case_attachments(user: User, case: Case) -> list[dict]:
    """The files of the case, oldest first; none for anyone else."""
    if not can_see_attachments(user, case):
        return []
    rows = db.session.execute(
        select(Attachment, CaseTask.name)
        .outerjoin(CaseTask, CaseTask.id == Attachment.task_id)
        .where(Attachment.case_id == case.id)
        .order_by(Attachment.id)
    ).all()
    return [
        {
            "id": a.id,
            "filename": a.filename,
            "kind": a.kind,
            "size": a.size,
            "sha256": a.sha256,
            "task": task_name,
            "uploaded_by": a.uploaded_by,
            "uploaded_at": a.uploaded_at,
        }
        for a, task_name in rows
    ]


def attachment_content(user: User, attachment_id: int) -> tuple[Attachment, bytes]:
    """The file and its bytes, checked against the SHA-256 recorded when it arrived; 404 for
    anyone who may not see it, so ids do not tell what exists."""
    row = db.session.get(Attachment, attachment_id)
    case = db.session.get(Case, row.case_id) if row is not None else None
    if case is None or not can_see_attachments(user, case):
        raise NotFound("no file %(id)s", id=attachment_id)
    data = file_store().get(row.storage_key)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise DomainError(
            "the stored file %(id)s does not match its recorded hash", status=500, id=row.id
        )
    return row, data
