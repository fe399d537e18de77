"""Sticky claims: the officer who did a case's last step in a staff lane keeps its next one."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from app.codes import Role
from app.extensions import db
from app.permissions import can_claim_task
from models import Case, CaseTask, User


def sticky_claimer(case: Case, lane: str, done: CaseTask | bool | None) -> int | None:
    """Who did the case's last step in this staff lane keeps the next one (a step claimed
    once stays with its officer unless released): the claimer of the task of the lane this
    run completed, else of the lane's newest done task, when that person may still claim it.
    Enterprise steps belong to no one; a case just started (`done` None) has no done step."""
    if lane == Role.ENTERPRISE or done is None:
        return None
    if done is not False and done.lane == lane and done.claimed_by is not None:
        last = done.claimed_by  # the lane's last step is the one this request did
    else:
        last = _newest_claimer(case, lane)
    if last is None:
        return None
    officer = db.session.get(User, last)
    probe = SimpleNamespace(lane=lane, bureau_code=case.deciding_bureau)
    if officer is None or not officer.active or not can_claim_task(officer, probe):
        return None
    return last


def _newest_claimer(case: Case, lane: str) -> int | None:
    return db.session.scalar(
        select(CaseTask.claimed_by)
        .where(
            CaseTask.case_id == case.id,
            CaseTask.lane == lane,
            CaseTask.state == "done",
            CaseTask.claimed_by.is_not(None),
        )
        .order_by(CaseTask.id.desc())
        .limit(1)
    )
