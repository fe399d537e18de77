"""How a notice of a scoring reaches its recipient (R-CHANNEL, Art. 23).

数据电文 first: the enterprise portal where the operator has an account, and the e-mail it
filed, or where that is refused the mobile (each where its channel is configured). A refused
e-mail or SMS is recorded with the server's or gateway's words and the next channel is
tried. Where none reaches it, a letter to the postal address it filed is queued for the
deciding bureau to print and post; with no address either, the notice is published as an
announcement (通告).

Every try is a `NoticeDelivery` row, and each is written into the case history when the case
applies its effect. Issuing a notice (R-NOTICE) writes it with each object's figures and starts
the case that delivers it."""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import exists, select

from app.clock import CST
from app.codes import Role
from app.extensions import db
from app.notify import Sent, letter_text, mailer_for, sms_gateway_for
from models import (
    Bureau,
    LedgerEntry,
    Matter,
    Notice,
    NoticeDelivery,
    Operator,
    ScoringObject,
    User,
)

from . import pass_locks
from .cases import Ctx, start_case

ELECTRONIC, LETTER, ANNOUNCE = "electronic", "letter", "announce"


def _record(notice: Notice, channel: str, address: str, sent: Sent, ctx: Ctx) -> NoticeDelivery:
    row = NoticeDelivery(
        notice_id=notice.id,
        channel=channel,
        address=address,
        state="delivered" if sent.ok else "refused",
        detail=(sent.detail + (f" ({sent.reference})" if sent.reference else ""))[:2000],
        attempted_at=ctx.now,
        delivered_on=ctx.today if sent.ok else None,
    )
    db.session.add(row)
    return row


def _email(notice: Notice, operator: Operator, matter: Matter, ctx: Ctx) -> Sent | None:
    mailer = mailer_for(current_app.config)
    if mailer is None or not operator.email:
        return None
    from app.letters.content import notice_letter

    letter = notice_letter(notice, ctx=ctx)
    subject = f"{letter.title} · {matter.ref}"
    return mailer.send(operator.email, subject, letter_text(letter))


def _sms(notice: Notice, operator: Operator, matter: Matter, ctx: Ctx) -> Sent | None:
    gateway = sms_gateway_for(current_app.config)
    if gateway is None or not operator.mobile:
        return None
    bureau = db.session.get(Bureau, matter.bureau_code)
    return gateway.send(
        operator.mobile,
        "deduction_notice",
        {"company": operator.name, "matter": matter.ref, "bureau": bureau.name, "days": "15"},
    )


def reach(notice: Notice, operator: Operator, matter: Matter, ctx: Ctx) -> str:
    """Try the channels in turn; the route the notice case takes: electronic (delivered today
    by the first channel that took it), letter (queued for posting) or announce."""
    has_portal = db.session.scalar(
        select(exists().where(User.operator_id == operator.id, User.role == Role.ENTERPRISE))
    )
    reached = bool(has_portal)
    if has_portal:
        _record(notice, "portal", operator.uscc, Sent(True, "portal"), ctx)
    # Then the e-mail, and if it is refused the mobile, so that people read it where they are.
    for channel, address, send in (
        ("email", operator.email, _email),
        ("sms", operator.mobile, _sms),
    ):
        sent = send(notice, operator, matter, ctx)
        if sent is None:
            continue
        _record(notice, channel, address, sent, ctx)
        if sent.ok:
            reached = True
            break
    if reached:
        return ELECTRONIC
    if operator.postal_address:
        db.session.add(
            NoticeDelivery(
                notice_id=notice.id,
                channel="letter",
                address=operator.postal_address,
                state="queued",
                detail="",
                attempted_at=ctx.now,
            )
        )
        return LETTER
    return ANNOUNCE


def deliveries(notice_id: int) -> list[NoticeDelivery]:
    return list(
        db.session.scalars(
            select(NoticeDelivery)
            .where(NoticeDelivery.notice_id == notice_id)
            .order_by(NoticeDelivery.id)
        )
    )


# ---- issuing notices (Art. 23) -------------------------------------------------------------


def issue_notices(*, ctx: Ctx, limit: int = 500) -> int:
    """Start a notice case for each (operator, matter) scored without a notice yet. While
    another scheduler is issuing, none (it issues them; the next pass looks again)."""
    if not pass_locks.exclusive(pass_locks.NOTICES):
        return 0
    pending = db.session.execute(
        select(ScoringObject.operator_id, LedgerEntry.matter_id)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .where(
            LedgerEntry.kind == "DEDUCTION",
            LedgerEntry.matter_id.is_not(None),
            ~exists().where(
                Notice.operator_id == ScoringObject.operator_id,
                Notice.matter_id == LedgerEntry.matter_id,
            ),
        )
        .group_by(ScoringObject.operator_id, LedgerEntry.matter_id)
        .order_by(LedgerEntry.matter_id)
        .limit(limit)
    ).all()
    for operator_id, matter_id in pending:
        matter = db.session.get(Matter, matter_id)
        # The 3 working days of Art. 23 run from the scoring, not from this pass.
        scored_on = min(matter.recorded_at.astimezone(CST).date(), ctx.today)
        issue_notice(matter, operator_id, ctx=ctx, scored_on=scored_on)
    return len(pending)


def issue_notice(
    matter: Matter,
    operator_id: int,
    *,
    ctx: Ctx,
    scored_on: date,
    correction: int | None = None,
) -> Notice:
    """A notice of the matter to one operator and the case that delivers it (R-NOTICE,
    R-CHANNEL). A correction issues one anew (R-RIGHTS): the objection window of the matter
    then runs from the receipt of that latest notice."""
    from app.queries.scores import notice_figures

    operator = db.session.get(Operator, operator_id)
    # R-NOTICE: each object's own figures, from the rule core; the rights are stated in
    # the reader's language when the notice is shown.
    as_of = max(ctx.today, matter.effective_on)
    content = {
        "matter": matter.ref,
        "summary": matter.summary,
        "items": matter.items,
        "effective_on": matter.effective_on.isoformat(),
        "as_of": as_of.isoformat(),
        "objects": notice_figures(operator_id, matter.ref, as_of),
    }
    if correction is not None:
        content["correction_case"] = correction
    notice = Notice(
        operator_id=operator_id,
        matter_id=matter.id,
        channel="announcement",
        content=content,
        created_at=ctx.now,
    )
    db.session.add(notice)
    db.session.flush()
    # R-CHANNEL: the portal, e-mail or SMS now; else a letter; else an announcement.
    route = reach(notice, operator, matter, ctx)
    subject = {"notice_id": notice.id, "matter": matter.ref, "uscc": operator.uscc}
    if correction is not None:
        subject["correction_case"] = correction
    notice_case, _new = start_case(
        "deduction_notice",
        ctx=ctx,
        matter_id=matter.id,
        operator_id=operator_id,
        deciding_bureau=matter.bureau_code,
        filed_on=scored_on,
        subject=subject,
        start_data={"route": route},
    )
    notice.case_id = notice_case.id
    return notice
