"""The portal's blueprint and what its pages share: the operator the user speaks for, the
labels, and how an application is filed once (one key per form) with its files."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from app.codes import Process
from app.errors import DomainError
from app.services.attachments import attach
from app.services.idempotency import file_once
from forms.base import N_
from models import Case

from ..labels import (
    DEADLINE_LABELS,
    ENTRY_KINDS,
    OUTCOME_LABELS,
    PROCESS_LABELS,
    STATUS_LABELS,
    history_actions,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")

ACTIONS = {
    "started": N_("立案"),
    "task_opened": N_("待办"),
    "task_completed": N_("办理"),
    "claimed": N_("承办人认领"),
    "unclaimed": N_("取消认领"),
    "reassigned": N_("改派"),
    "completed": N_("办结"),
    "overdue": N_("超期"),
}
ACTIONS = history_actions(ACTIONS)
ROLES = {"producer": N_("生产者"), "seller": N_("销售者"), "product": N_("产品")}
FILING_KINDS = {
    "product": N_("产品"),
    "supplier": N_("供货商"),
    "distributor": N_("经销商"),
    "recall": N_("召回报告"),
    "self_inspection": N_("自查情况（不合格通报后）"),
}
# The enterprise starts these cases, so it may withdraw them before the decision.
WITHDRAWABLE = (Process.REPAIR, Process.OBJECTION, Process.REWARD)


@bp.context_processor
def _shared() -> dict:
    return {
        "process_labels": PROCESS_LABELS,
        "status_labels": STATUS_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "entry_kinds": ENTRY_KINDS,
        "object_roles": ROLES,
        "filing_kinds": FILING_KINDS,
        "deadline_labels": DEADLINE_LABELS,
    }


def my_operator() -> int:
    """The operator the signed-in enterprise user speaks for."""
    operator_id = current_user.operator_id
    if operator_id is None:
        raise DomainError("this account is not bound to an enterprise", status=403)
    return operator_id


def key_for_form() -> str:
    """A fresh per-form key: a double submission of the same form starts one case."""
    posted = request.form.get("idempotency_key", "")
    try:
        return str(uuid.UUID(posted))
    except ValueError:
        return str(uuid.uuid4())


def idempotency_key() -> str:
    posted = request.form.get("idempotency_key", "")
    try:
        token = uuid.UUID(posted)
    except ValueError:
        raise DomainError(
            "the form is incomplete; reload the page and try again", status=400
        ) from None
    # Scoped to the user, so one user's key can never name another's case.
    return f"portal:{current_user.id}:{token}"


def refused(err: DomainError) -> dict:
    """A refusal shown beside the file input when it is about the files, else on top."""
    if err.field == "files":
        return {"files_error": err.translated()}
    return {"refusal": err.translated()}


def file_case(key: str, file: Callable[[], Case]) -> Case:
    """File an application with its files, undone at once if refused. A concurrent double
    submission of the same form meets the first one's unique key: it shows that case."""
    case, _raced = file_once(key, file)
    return case


def with_files(case: Case, uploads, ctx) -> Case:
    attach(case, uploads, ctx=ctx)
    return case


def started(case: Case, message: str):
    flash(message, "success")
    return redirect(url_for("portal.case", case_id=case.id))
