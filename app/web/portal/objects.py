"""My scoring objects and why they score what they do; my notices and notifications."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.codes import EntryKind, Role
from app.context import now, today
from app.extensions import db
from app.letters.content import notice_objects, operator_objects
from app.queries import portal as q
from app.queries.scores import explained_score
from app.services.applications import (
    OBJECTION_DAYS,
    entry_window_closes,
    objection_window_closes,
)
from app.services.notifications import mark_operator_read
from models import Operator

from ..charts import step_chart
from ..guards import case_ctx, roles
from .base import (
    bp,
    my_operator,
)

# ---- my scoring objects -----------------------------------------------------------------------


@bp.get("/")
@roles(Role.ENTERPRISE)
def home():
    mine = my_operator()
    operator = db.session.get(Operator, mine)
    return render_template(
        "portal/home.html",
        operator=operator,
        objects=q.my_objects(mine, today()),
        summary=q.summary(mine),
        today=today(),
    )


@bp.get("/objects/<int:object_id>", endpoint="object")
@roles(Role.ENTERPRISE)
def scoring_object(object_id: int):
    mine = my_operator()
    obj = q.own_object(mine, object_id)
    ctx = case_ctx()
    doc = explained_score(obj, ctx.today)
    entries = doc["entries"]
    deduction_ids = [e["entry_id"] for e in entries if e["kind"] == EntryKind.DEDUCTION]
    matters = q.entry_matters(deduction_ids)
    notices = q.notices_by_matter(mine, set(matters.values()))
    windows = {}
    for matter_id, notice in notices.items():
        if notice.received_on is not None:
            windows[matter_id] = objection_window_closes(matter_id, mine, ctx)
    # R-RIGHTS: a repair or a reward can be objected to within 15 days of its decision.
    decisions = q.decision_entries([e["entry_id"] for e in entries if e.get("entry_id")])
    repaired, in_progress = q.settled_matters(mine, ctx.today)
    for e in entries:
        if e.get("entry_id") in decisions:
            e["window_closes"] = entry_window_closes(decisions[e["entry_id"]], mine, ctx)
            continue
        e["repaired"] = e["matter"] in repaired
        e["in_progress"] = e["matter"] in in_progress
        matter_id = matters.get(e["entry_id"])
        notice = notices.get(matter_id) if matter_id else None
        e["notice"] = notice
        e["window_closes"] = windows.get(matter_id)
    start, steps = q.score_history(obj, ctx.today)
    values = [v for _d, v in steps]
    chart = step_chart(
        _("近36个月信用分"),
        steps,
        start=start,
        end=ctx.today,
        lo=min([0.0, *values]),
        hi=max([12.0, *values]),
    )
    return render_template(
        "portal/object.html",
        obj=obj,
        doc=doc,
        entries=entries,
        official=doc["official_class"],
        chart=chart,
        today=ctx.today,
    )


# ---- notices --------------------------------------------------------------------------------


@bp.get("/notices")
@roles(Role.ENTERPRISE)
def notices():
    mine = my_operator()
    ctx = case_ctx()
    rows = []
    operator = db.session.get(Operator, mine)
    objects = operator_objects(mine)  # one query for the page, not one per notice
    for notice, object_ids in q.my_notices(mine):
        closes = None
        if notice.received_on is not None:
            closes = ctx.cal.add_days(notice.received_on, OBJECTION_DAYS).due_on
        rows.append(
            {
                "notice": notice,
                "c": notice.content or {},
                "figures": notice_objects(notice, operator, objects),
                "objects": object_ids,
                "closes": closes,
                "open": closes is not None and ctx.today <= closes,
            }
        )
    return render_template(
        "portal/notices.html",
        rows=rows,
        notifications=q.my_notifications(mine),
        today=ctx.today,
    )


@bp.post("/notices/read")
@roles(Role.ENTERPRISE)
def notices_read():
    """Mark the notifications read (class notices are signed for on the measures page)."""
    mark_operator_read(my_operator(), actor=current_user.username, at=now())
    flash(_("已全部标为已读"), "success")
    return redirect(url_for("portal.notices"))
