"""Who may read which letter: anyone else is answered 404, as if it did not exist."""

from __future__ import annotations

from sqlalchemy import select

from app.codes import Role
from app.errors import NotFound
from app.extensions import db
from app.permissions import can_see_case, can_see_operator_records
from models import (
    Case,
    Matter,
    Notice,
    Operator,
    ScoringObject,
    User,
)


def find_notice(notice_id: int, user: User) -> Notice:
    """A notice the user may read: the enterprise its own once delivered or announced; staff
    of the deciding bureau or the operator's bureau, or above them. Others: 404."""
    row = db.session.execute(
        select(Notice, Matter.bureau_code, Operator.bureau_code)
        .join(Matter, Matter.id == Notice.matter_id)
        .join(Operator, Operator.id == Notice.operator_id)
        .where(Notice.id == notice_id)
    ).first()
    if row is None:
        raise NotFound("no notice %(notice)s", notice=notice_id)
    notice, matter_bureau, operator_bureau = row
    if not can_see_operator_records(user, notice.operator_id, (matter_bureau, operator_bureau)):
        raise NotFound("no notice %(notice)s", notice=notice_id)
    if user.role == Role.ENTERPRISE and notice.received_on is None:
        raise NotFound("no notice %(notice)s", notice=notice_id)
    return notice


def find_case(case_id: int, user: User) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(user, case):
        raise NotFound("no case %(case)s", case=case_id)
    return case


def find_object(object_id: int, user: User) -> ScoringObject:
    obj = db.session.get(ScoringObject, object_id)
    if obj is None or not can_see_operator_records(
        user, obj.operator_id, (obj.operator.bureau_code,)
    ):
        raise NotFound("no scoring object %(object)s", object=object_id)
    return obj
