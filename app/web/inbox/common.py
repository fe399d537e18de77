"""The inbox blueprint and what its pages share: labels, the acting user, the way back."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from app.codes import Role
from forms.base import N_
from forms.matters import OBJECT_KINDS
from models import User

from ..labels import (
    DEADLINE_LABELS,
    ENTRY_KINDS,
    OUTCOME_LABELS,
    PROCESS_LABELS,
    STATUS_LABELS,
    history_actions,
)

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

STAFF = (Role.OFFICER, Role.SUPERVISOR)
TASK_STATES = {"open": N_("待办"), "done": N_("已完成"), "cancelled": N_("已取消")}
DEADLINE_STATES = {
    "running": N_("计时中"),
    "paused": N_("暂停"),
    "met": N_("按期办结"),
    "passed": N_("已超期"),
}
ACTIONS = history_actions(
    {
        "started": N_("立案"),
        "task_opened": N_("待办"),
        "task_completed": N_("办理"),
        "claimed": N_("认领"),
        "unclaimed": N_("取消认领"),
        "reassigned": N_("改派"),
        "completed": N_("办结"),
        "overdue": N_("超期"),
    }
)


@bp.context_processor
def _shared() -> dict:
    return {
        "process_labels": PROCESS_LABELS,
        "status_labels": STATUS_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "task_states": TASK_STATES,
        "deadline_states": DEADLINE_STATES,
        "deadline_labels": DEADLINE_LABELS,
        "actions": ACTIONS,
        "entry_kinds": ENTRY_KINDS,
        "object_kinds": OBJECT_KINDS,
    }


def user() -> User:
    return current_user._get_current_object()


def back(case_id: int):
    """Back where the button was: the case page or the queue."""
    if request.form.get("back") == "case":
        return redirect(url_for("inbox.case", case_id=case_id))
    return redirect(url_for("inbox.queue"))
