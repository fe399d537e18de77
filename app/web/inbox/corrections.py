"""Reporting an error in a deduction (纠错, Art. 25): a correction case for the bureau that
scored it, with the reporter's attachments."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import DomainError, NotFound
from app.permissions import can_see_case
from app.queries import inbox as q
from app.services.applications import report_correction
from app.services.attachments import attach, read_uploads
from app.unit_of_work import attempt
from forms.cases import CorrectionReport
from models import LedgerEntry, Matter, ScoringObject

from ..forms import field_specs, load
from ..guards import case_ctx, roles
from .common import STAFF, bp, user
from .objects import staff_object


def _deduction(entry_id: int) -> tuple[LedgerEntry, ScoringObject, Matter]:
    entry, matter = q.deduction(entry_id)
    return entry, staff_object(entry.object_id), matter


def _correction_page(
    entry_id: int, *, values=None, errors=None, refusal=None, status=200, files_error=None
):
    entry, obj, matter = _deduction(entry_id)
    specs = field_specs(
        CorrectionReport, {"entry_id": entry_id, **(values or {})}, errors, hidden=("entry_id",)
    )
    return (
        render_template(
            "inbox/correction.html",
            entry=entry,
            obj=obj,
            matter=matter,
            specs=specs,
            refusal=refusal,
            files_error=files_error,
        ),
        status,
    )


@bp.get("/entries/<int:entry_id>/correction")
@roles(*STAFF)
def correction(entry_id: int):
    return _correction_page(entry_id)


@bp.post("/entries/<int:entry_id>/correction")
@roles(*STAFF)
def correction_post(entry_id: int):
    """Report an error in a deduction: a correction case for the bureau that scored it."""
    _deduction(entry_id)  # 404 outside
    data, raw, errors = load(CorrectionReport, request.form)
    if data is None or data["entry_id"] != entry_id:
        return _correction_page(entry_id, values=raw, errors=errors, status=422)
    ctx = case_ctx()
    try:
        with attempt():  # a refused report is undone before the form is drawn again
            uploads = read_uploads(request.files.getlist("files"))
            case = report_correction(entry_id, data["description"], ctx=ctx)
            attach(case, uploads, ctx=ctx)
    except NotFound:
        raise
    except DomainError as err:
        if err.field == "files":
            return _correction_page(
                entry_id, values=raw, files_error=err.translated(), status=err.status
            )
        return _correction_page(entry_id, values=raw, refusal=err.translated(), status=err.status)
    case_id, bureau, object_id = case.id, case.deciding_bureau, case.object_id
    visible = can_see_case(user(), case)
    if visible:
        flash(_("已报告错误，纠错案件已立案"), "success")
        return redirect(url_for("inbox.case", case_id=case_id))
    flash(_("已报告错误，纠错案件 %(id)s 由 %(bureau)s 办理", id=case_id, bureau=bureau), "success")
    return redirect(url_for("inbox.object", object_id=object_id))
