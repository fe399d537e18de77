"""How a notice of a scoring reaches its recipient (R-CHANNEL, Art. 23).

数据电文 first: the enterprise portal where the operator has an account, and the e-mail it
filed, or where that is refused the mobile (each where its channel is configured). A refused
e-mail or SMS is recorded with the server's or gateway's words and the next channel is
tried. Where none reaches it, a letter to the postal address it filed is queued for the
deciding bureau to print and post; with no address either, the notice is published as an
announcement (通告).

Every try is a `NoticeDelivery` row, and each is written into the case history when the case
applies its effect."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import exists, select

from app.codes import Role
from app.extensions import db
from app.notify import Sent, letter_text, mailer_for, sms_gateway_for
from models import Bureau, Matter, Notice, NoticeDelivery, Operator, User

from .cases import Ctx

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
