"""The staff view of a scoring object (why it scores what it does, entry by entry) and the
finding of concealment (隐瞒, Art. 14(3)) recorded or cleared from it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.errors import DomainError, NotFound
from app.permissions import can_record_concealment, can_see_case, can_see_operator_records
from app.queries import inbox as q
from app.queries.scores import explained_score
from app.services import filing as filing_service
from app.unit_of_work import attempt
from models import ScoringObject

from ..guards import case_ctx, roles
from .common import STAFF, bp, user


def staff_object(object_id: int) -> ScoringObject:
    """A scoring object the user covers: the bureau the operator is registered with, a bureau
    that scored it (or its products) or decides one of its cases, or a bureau above those."""
    obj = q.scoring_object(object_id)
    if obj is None:
        raise NotFound("no scoring object %(id)s", id=object_id)
    if not can_see_operator_records(user(), obj.operator_id, q.object_bureaus(obj)):
        raise NotFound("no scoring object %(id)s", id=object_id)
    return obj


@bp.get("/objects/<int:object_id>", endpoint="object")
@roles(*STAFF)
def scoring_object(object_id: int):
    """Why an object scores what it does, entry by entry, each with an error report link."""
    obj = staff_object(object_id)
    ctx = case_ctx()
    doc = explained_score(obj, ctx.today)
    me = user()
    return render_template(
        "inbox/object.html",
        obj=obj,
        doc=doc,
        cases=[c for c in q.object_cases(obj) if can_see_case(me, c)],
        today=ctx.today,
        finding=filing_service.active_finding(obj.operator_id),
        findings=filing_service.findings(obj.operator_id),
        filing_complete=obj.operator.filing_complete,
        can_find=can_record_concealment(me, obj.operator.bureau_code),
        # The class letter goes to the bureau the operator is registered with (and above).
        class_letter=can_see_operator_records(me, obj.operator_id, (obj.operator.bureau_code,)),
    )


@bp.post("/objects/<int:object_id>/concealment", endpoint="concealment")
@roles(*STAFF)
def concealment_post(object_id: int):
    """Record (or, with action=clear, clear) a finding that the enterprise concealed products,
    suppliers or distributors (隐瞒, Art. 14(3)): it bars repairs and rewards while in force."""
    obj = staff_object(object_id)
    operator_id = obj.operator_id
    reason = request.form.get("reason", "")
    clear = request.form.get("action") == "clear"
    try:
        with attempt():  # the redirect below commits: a refused call leaves nothing
            if clear:
                filing_service.clear_concealment(operator_id, reason, ctx=case_ctx())
            else:
                filing_service.record_concealment(operator_id, reason, ctx=case_ctx())
    except DomainError as err:
        flash(err.translated(), "error")
        return redirect(url_for("inbox.object", object_id=object_id))
    flash(_("已解除隐瞒认定") if clear else _("已记录隐瞒认定"), "success")
    return redirect(url_for("inbox.object", object_id=object_id))
