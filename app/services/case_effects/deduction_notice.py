"""Effects of `deduction_notice.bpmn` (Art. 23, R-CHANNEL): how the notice reached the
operator and the day it counts as received."""

from __future__ import annotations

from app.codes import message
from app.errors import DomainError
from app.extensions import db
from models import Case, Notice

from .common import latest_form, notify_operator
from .registry import effect


def _record_notice(case: Case, ctx, channel: str, received_on=None) -> Notice:
    """R-CHANNEL: the channel that reached the recipient, and the day the notice counts as
    received, from which the 15 days of Art. 24 run."""
    notice = db.session.get(Notice, case.subject["notice_id"])
    notice.channel = channel
    notice.received_on = received_on or ctx.today
    notice.case_id = case.id
    case.outcome = "announced" if channel == "announcement" else "delivered"
    return notice


def _log_deliveries(case: Case, ctx, notice_id: int) -> None:
    """Each try to reach the recipient, into the case history (a refusal with its reason)."""
    from ..cases import log
    from ..notices import deliveries

    for d in deliveries(notice_id):
        log(
            case,
            ctx,
            f"notice_{d.state}",
            channel=d.channel,
            address=d.address,
            detail=d.detail,
        )


@effect("deliver_notice")
def _deliver_notice(case: Case, ctx) -> None:
    """Delivered by 数据电文: the portal, or the e-mail or SMS that the server or gateway
    took; received on that day (R-CHANNEL)."""
    from ..notices import deliveries

    notice_id = case.subject["notice_id"]
    delivered = [d for d in deliveries(notice_id) if d.state == "delivered"]
    # The first channel that reached the recipient is the one the receipt counts from.
    channel = delivered[0].channel if delivered else "portal"
    _record_notice(case, ctx, channel, delivered[0].delivered_on if delivered else None)
    _log_deliveries(case, ctx, notice_id)
    if channel == "portal":
        notify_operator(
            case,
            ctx,
            "notice",
            message("notice_delivered"),
        )


def _letter(case: Case):
    from ..notices import deliveries

    return next(
        (d for d in reversed(deliveries(case.subject["notice_id"])) if d.channel == "letter"),
        None,
    )


def _letter_dates(case: Case, ctx) -> tuple:
    from datetime import date

    posted = date.fromisoformat(latest_form(case, ctx, "post_letter")["posted_on"])
    result = latest_form(case, ctx, "letter_result")
    on = date.fromisoformat(result["on"])
    if posted > ctx.today or on > ctx.today:
        raise DomainError("a letter cannot be posted or delivered after today", field="on")
    if on < posted:
        raise DomainError(
            "the letter cannot be delivered or returned before it was posted (%(posted)s)",
            field="on",
            posted=posted.isoformat(),
        )
    return posted, on, result


@effect("letter_delivered")
def _letter_delivered(case: Case, ctx) -> None:
    """The letter was signed for: the notice counts as received on that day (R-CHANNEL)."""
    posted, on, _result = _letter_dates(case, ctx)
    letter = _letter(case)
    if letter is not None:
        letter.state, letter.posted_on, letter.delivered_on = "delivered", posted, on
    _record_notice(case, ctx, "letter", on)
    _log_deliveries(case, ctx, case.subject["notice_id"])


@effect("announce")
def _announce(case: Case, ctx) -> None:
    """Published as an announcement (通告) when the operator could not be reached directly:
    unknown, or its letter came back (R-CHANNEL)."""
    letter = _letter(case)
    if letter is not None and letter.state == "queued":
        posted, on, result = _letter_dates(case, ctx)
        letter.state, letter.posted_on = "returned", posted
        letter.detail = f"{on.isoformat()} {result.get('reasons') or ''}".strip()
    _record_notice(case, ctx, "announcement")
    _log_deliveries(case, ctx, case.subject["notice_id"])
