"""Letters waiting to be posted by a bureau (R-CHANNEL): notices no 数据电文 reached, queued
with the postal address the operator filed, while their case waits at `post_letter`."""

from __future__ import annotations

from sqlalchemy import select

from app.codes import Role
from app.extensions import db
from app.permissions import supervises
from models import Case, CaseTask, Notice, NoticeDelivery, User


def letters_to_post(user: User, bureau_code: str) -> list[tuple[Notice, NoticeDelivery]] | None:
    """(notice, queued letter) of the bureau's open `post_letter` tasks, oldest first; None
    when the user may not see that bureau's queue."""
    if not (
        (user.role == Role.OFFICER and user.bureau_code == bureau_code)
        or supervises(user, bureau_code)
    ):
        return None
    rows = db.session.execute(
        select(Notice, NoticeDelivery)
        .join(Case, Case.id == Notice.case_id)
        .join(CaseTask, CaseTask.case_id == Case.id)
        .join(NoticeDelivery, NoticeDelivery.notice_id == Notice.id)
        .where(
            Case.deciding_bureau == bureau_code,
            CaseTask.name == "post_letter",
            CaseTask.state == "open",
            NoticeDelivery.channel == "letter",
            NoticeDelivery.state == "queued",
        )
        .order_by(Notice.id)
    ).all()
    return [(n, d) for n, d in rows]
