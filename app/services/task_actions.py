"""Claiming or reassigning several tasks at once from the queue. Each task goes through the
same service call as a single one (`cases.claim_task`, `cases.reassign_task`) inside its own
savepoint, so a refused task leaves nothing behind and the others are done; all of them are
committed together by the caller's one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.errors import DomainError
from app.extensions import db
from models import CaseTask, User

from . import cases as case_service
from .cases import Ctx


@dataclass
class BulkResult:
    """The tasks done and those refused, each refused one with its reason (a DomainError, so
    the page can say it in its language)."""

    done: list[CaseTask] = field(default_factory=list)
    refused: list[tuple[int, CaseTask | None, DomainError]] = field(default_factory=list)


def _each(task_ids: Iterable[int], action: Callable[[int], CaseTask]) -> BulkResult:
    result = BulkResult()
    for task_id in dict.fromkeys(task_ids):  # once each, in the order given
        savepoint = db.session.begin_nested()
        try:
            task = action(task_id)
        except DomainError as err:
            savepoint.rollback()
            result.refused.append((task_id, db.session.get(CaseTask, task_id), err))
            continue
        savepoint.commit()
        result.done.append(task)
    return result


def claim_tasks(task_ids: Iterable[int], *, ctx: Ctx) -> BulkResult:
    return _each(task_ids, lambda task_id: case_service.claim_task(task_id, ctx=ctx))


def reassign_tasks(task_ids: Iterable[int], to_user: User, reason: str, *, ctx: Ctx) -> BulkResult:
    if not reason.strip():
        raise DomainError("a reassignment needs a reason", field="reason")
    return _each(
        task_ids, lambda task_id: case_service.reassign_task(task_id, to_user, reason, ctx=ctx)
    )
