"""The progress bar of a classification run asked for on the admin page: the runs page shows
each queued request's progress when it is drawn, and its script asks this endpoint every
second for the figures (without script the page refreshes itself and has a refresh link)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.codes import Role
from app.extensions import db
from app.services import progress
from models import ClassificationRequest

from .guards import roles

bp = Blueprint("run_progress", __name__, url_prefix="/admin")

MAX_IDS = 20


def run_progress(req: ClassificationRequest) -> dict:
    """What the bar of one request shows: done and total (None before the worker starts it,
    an indeterminate bar) and the sentence beside it."""
    found = progress.read("classification", req.id) if req.state == "queued" else None
    if req.state != "queued":
        text = _("已完成") if req.state == "done" else _("未能完成")
        return {"id": req.id, "state": req.state, "done": None, "total": None, "text": text}
    if found is None:
        text = _("排队中，等待后台任务执行")
        return {"id": req.id, "state": req.state, "done": None, "total": None, "text": text}
    done, total = found
    text = _("已处理 %(done)s / %(total)s 个记分对象", done=f"{done:,}", total=f"{total:,}")
    return {"id": req.id, "state": req.state, "done": done, "total": total, "text": text}


@bp.app_context_processor
def _helpers() -> dict:
    return {"run_progress": run_progress}


@bp.get("/runs/progress")
@roles(Role.ADMIN)
def runs():
    """The requests named by `id` (the queued ones of the page), with their progress."""
    ids = [i for i in request.args.getlist("id", type=int) if i > 0][:MAX_IDS]
    rows = db.session.scalars(
        select(ClassificationRequest)
        .where(ClassificationRequest.id.in_(ids))
        .order_by(ClassificationRequest.id)
    )
    return jsonify({"requests": [run_progress(r) for r in rows]})
