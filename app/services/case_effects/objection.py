"""Effects of `objection.bpmn` (Art. 24, R-RIGHTS): not accepted, or resolved as upheld,
amended or revoked — each outcome its own branch of the diagram."""

from __future__ import annotations

from decimal import Decimal

from app.codes import message
from app.errors import DomainError
from app.extensions import db
from models import Case, ScoringObject

from .common import latest_form, notify_operator
from .compensation import replace_or_void
from .registry import effect
from .repair import write_repair
from .reward import write_reward


@effect("objection_not_accepted")
def _objection_not_accepted(case: Case, ctx) -> None:
    case.outcome = "not_accepted"
    reasons = latest_form(case, ctx, "accept_objection").get("reasons")
    notify_operator(
        case, ctx, "objection", message("objection_not_accepted", reasons=reasons or "")
    )


def _resolve(case: Case, ctx, outcome: str) -> None:
    """The decided outcome on the disputed entries (or the refused application), and the
    enterprise told of it with the reasons (Art. 24)."""
    form = latest_form(case, ctx, "resolve_objection")
    if form.get("outcome") != outcome:  # the gateway routes by the form: a broken diagram
        raise DomainError(
            "the objection's outcome %(outcome)r does not match its branch",
            status=500,
            outcome=form.get("outcome"),
        )
    points = Decimal(form["points"]) if form.get("points") else None
    if case.subject.get("refused_case"):
        _refusal_resolved(case, ctx, outcome, points)
    elif outcome != "upheld":
        replace_or_void(
            case, ctx, void=outcome == "revoked", points=points, why=f"objection {outcome}"
        )
    case.outcome = outcome
    notify_operator(
        case,
        ctx,
        "objection",
        message("objection_resolved", outcome=outcome, reasons=form.get("reasons") or ""),
    )


@effect("objection_upheld")
def _objection_upheld(case: Case, ctx) -> None:
    """维持: the disputed scoring (or refusal) stands."""
    _resolve(case, ctx, "upheld")


@effect("objection_amended")
def _objection_amended(case: Case, ctx) -> None:
    """变更: each disputed entry voided and replaced with the decided points."""
    _resolve(case, ctx, "amended")


@effect("objection_revoked")
def _objection_revoked(case: Case, ctx) -> None:
    """撤销: each disputed entry voided; a refused repair or reward granted."""
    _resolve(case, ctx, "revoked")


@effect("objection_resolved")
def _objection_resolved(case: Case, ctx) -> None:
    """Cases started on the objection process before its outcome gateway: one script task
    for all three outcomes, read from the form."""
    _resolve(case, ctx, latest_form(case, ctx, "resolve_objection").get("outcome"))


def _refusal_resolved(case: Case, ctx, outcome: str, points: Decimal | None) -> None:
    """R-RIGHTS: an objection against a refused repair or reward. Upheld, the refusal stands;
    revoked, the application is granted as its approval would have granted it (the limit, the
    cap and the proof are checked again); amended, a reward is granted with the decided
    points — a repair's points follow from its share (R-REPAIR-SHARE), so it is granted or not."""
    if outcome == "upheld":
        return
    refused = db.session.get(Case, case.subject["refused_case"])
    if refused.process_id == "repair":
        if outcome == "amended":
            raise DomainError(
                "a refused repair is granted by revoking the refusal: its points follow from "
                "its share (Art. 15)"
            )
        write_repair(case, ctx, refused.subject["entry_id"])
        return
    obj = db.session.get(ScoringObject, refused.object_id)
    write_reward(case, ctx, obj, refused.subject["code"], points=points)
