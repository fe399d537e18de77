"""What-if previews (影响预览): before an officer records a matter or decides a repair, an
objection or a correction, and before an enterprise applies for a repair, the page shows what
the decision would do to each object's score and class, computed by the rule core.

Every endpoint here reads only: a POST carries the form being filled in (with its CSRF token,
like every form) and answers an HTML fragment to a script (`static/js/whatif.js`), or, without
script, the page with the preview beside the form. JSON when asked for (`Accept`). Nothing is
added to the session, so the request boundary (app/unit_of_work.py) has nothing to commit.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.codes import Role
from app.errors import NotFound
from app.extensions import db
from app.permissions import can_see_case, can_see_operator_records
from app.queries import portal as portal_queries
from app.queries.whatif import (
    DECISION_FORMS,
    INCOMPLETE,
    OUT_OF_REACH,
    Preview,
    case_preview,
    matter_preview,
    operator_bureaus,
    operator_id_of,
    repair_preview,
    revocation_preview,
)
from app.services.scoring_tables import load_tables, table_for
from forms.matters import MatterForm
from forms.tasks import TASK_FORMS
from models import Case, CaseTask, LedgerEntry

from .forms import field_specs, form_data, load
from .guards import case_ctx, roles

bp = Blueprint("whatif", __name__, url_prefix="/whatif")

STAFF = (Role.OFFICER, Role.SUPERVISOR)


def _schedule() -> str:
    return current_app.config["CLASSIFICATION_DAYS"]


def _wants_fragment() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not _wants_fragment()


def _answer(preview: Preview, page=None, status: int = 200):
    """JSON, the fragment alone (script), or the full page (`page()`, without script)."""
    if _wants_json():
        return jsonify(preview.as_dict()), status
    if _wants_fragment() or page is None:
        return render_template("web/_whatif_fragment.html", preview=preview), status
    return page(preview), status


# ---- recording a matter ------------------------------------------------------------------------


@bp.post("/matter")
@roles(Role.OFFICER)
def matter():
    """The matter form as filled in so far, as if recorded."""
    from .inbox.matters import matter_page

    data, raw, errors = load(MatterForm, request.form)
    if data is None:
        preview = Preview(note=INCOMPLETE)

        def page(p):
            return matter_page(values=raw, errors=errors, whatif=p)[0]

        return _answer(preview, page, 422)
    operator_id = operator_id_of(data["uscc"])
    if operator_id is not None and not can_see_operator_records(
        current_user, operator_id, operator_bureaus(operator_id)
    ):
        preview = Preview(refusal=OUT_OF_REACH)  # its score is not this officer's to see
        return _answer(preview, lambda p: matter_page(values=raw, whatif=p)[0])
    ctx = case_ctx()
    table = table_for(load_tables(), ctx.today)
    preview = matter_preview(data, table, ctx.today, _schedule())
    return _answer(preview, lambda p: matter_page(values=raw, whatif=p)[0])


# ---- deciding a case ---------------------------------------------------------------------------


def _staff_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(current_user, case):
        raise NotFound("no case %(case)s", case=case_id)
    return case


def _decision_task(case: Case) -> CaseTask | None:
    """The open decision task of the case (repair verification, objection resolution,
    correction decision), whose form the preview follows."""
    return db.session.scalars(
        select(CaseTask)
        .where(
            CaseTask.case_id == case.id,
            CaseTask.state == "open",
            CaseTask.form_key.in_(DECISION_FORMS),
        )
        .order_by(CaseTask.id.desc())
    ).first()


@bp.get("/cases/<int:case_id>")
@roles(*STAFF)
def case(case_id: int):
    """The decision that changes the scoring (approve, revoke, void), before any is chosen."""
    case = _staff_case(case_id)
    return _answer(case_preview(case, None, case_ctx().today, _schedule()))


@bp.post("/cases/<int:case_id>")
@roles(*STAFF)
def case_post(case_id: int):
    """The decision as the task form is filled in so far."""
    case = _staff_case(case_id)
    task = _decision_task(case)
    schema = TASK_FORMS[task.form_key] if task is not None else None
    values = {k: v for k, v in request.form.items() if schema and k in schema().fields}
    preview = case_preview(case, values, case_ctx().today, _schedule())

    def page(p):
        specs = field_specs(schema, form_data(schema, request.form)) if schema else []
        return render_template("web/whatif_page.html", preview=p, case=case, specs=specs, task=task)

    return _answer(preview, page)


@bp.get("/entries/<int:entry_id>/correction")
@roles(*STAFF)
def correction(entry_id: int):
    """A correction that voids the scoring: what it gives back."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None or not can_see_operator_records(
        current_user, entry.operator_id, operator_bureaus(entry.operator_id)
    ):
        raise NotFound("no scoring entry %(entry)s", entry=entry_id)
    preview = revocation_preview([entry_id], case_ctx().today, _schedule(), notice=True)
    return _answer(preview)


# ---- the enterprise's repair application -------------------------------------------------------


@bp.get("/portal/repair/<int:entry_id>")
@roles(Role.ENTERPRISE)
def portal_repair(entry_id: int):
    """如果修复获批: the enterprise's objects before and after, for its own deduction."""
    operator_id = current_user.operator_id
    if operator_id is None:
        raise NotFound("no deduction %(id)s", id=entry_id)
    portal_queries.own_deduction(operator_id, entry_id)  # 404 outside its own
    return _answer(repair_preview(entry_id, case_ctx().today, _schedule()))


# ---- the partial's previews, drawn with the page -----------------------------------------------


@bp.app_template_global()
def whatif_case(case_id: int) -> Preview | None:
    """The default preview of a case's decision, for the case page (None: nothing to show)."""
    case = db.session.get(Case, case_id)
    if case is None or case.process_id not in ("repair", "objection", "correction"):
        return None
    return case_preview(case, None, case_ctx().today, _schedule())


@bp.app_template_global()
def whatif_repair(entry_id: int) -> Preview:
    """如果修复获批, for the enterprise's repair application page."""
    return repair_preview(entry_id, case_ctx().today, _schedule())


@bp.app_template_global()
def whatif_correction(entry_id: int) -> Preview:
    """A correction that voids the scoring, for the error report page."""
    return revocation_preview([entry_id], case_ctx().today, _schedule(), notice=True)
