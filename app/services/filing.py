"""The information filing (企业信息填报, Art. 14(3)): products, suppliers and distributors an
operator declares. A repair (R-REPAIR-ELIGIBLE) and an operator reward need it complete, so
`Operator.filing_complete` follows the items: set by the declaration once at least one product
and one supplier or distributor are filed, cleared as soon as that stops being true.

Staff may also find that the enterprise concealed products, suppliers or distributors (隐瞒):
while such a finding is not cleared, repairs and rewards are refused, when the enterprise
applies and when the bureau decides (`decision_refusals`)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.permissions import can_record_concealment
from app.scoring.repairs import FILING_INCOMPLETE
from forms.base import N_
from models import ConcealmentFinding, FilingItem, Operator
from models.filing import REPORT_KINDS

from .audit import record_event
from .cases import Ctx
from .scope import scope_catalogue

MAX_ITEMS = 1000  # per operator: a filing, not a catalogue

# Why a repair or a reward is refused on the filing (Art. 14(3), 17), at application or decision.
CONCEALED = N_(
    "a finding of concealment of products, suppliers or distributors is recorded against the "
    "enterprise (Art. 14(3)): no repair or reward until it is cleared"
)
INCOMPLETE_AT_DECISION = N_(
    "the enterprise information filing (products, suppliers, distributors) is no longer "
    "complete (Art. 14(3)): it must be complete when the bureau decides"
)


def items(operator_id: int) -> list[FilingItem]:
    return list(
        db.session.scalars(
            select(FilingItem)
            .where(FilingItem.operator_id == operator_id)
            .order_by(FilingItem.kind, FilingItem.id)
        )
    )


def missing(operator_id: int) -> list[str]:
    """What the filing still lacks: "product", "partner" (a supplier or distributor); empty
    when it may be declared complete."""
    counts = dict(
        db.session.execute(
            select(FilingItem.kind, func.count())
            .where(FilingItem.operator_id == operator_id)
            .group_by(FilingItem.kind)
        )
        .tuples()
        .all()
    )
    out = []
    if not counts.get("product"):
        out.append("product")
    if not (counts.get("supplier") or counts.get("distributor")):
        out.append("partner")
    return out


def _operator(operator_id: int) -> Operator:
    operator = db.session.get(Operator, operator_id)
    if operator is None:
        raise NotFound("no operator %(id)s", id=operator_id)
    return operator


def _set_complete(operator: Operator, value: bool, ctx: Ctx, why: str) -> None:
    if operator.filing_complete == value:
        return
    operator.filing_complete = value
    record_event(
        ctx.now,
        ctx.actor,
        "filing.complete" if value else "filing.incomplete",
        "operator",
        operator.uscc,
        {"filing_complete": value, "why": why},
    )


def _recheck(operator: Operator, ctx: Ctx) -> None:
    """A complete filing that lost its last product or partner is complete no more."""
    db.session.flush()
    if operator.filing_complete and missing(operator.id):
        _set_complete(operator, False, ctx, "items removed")


def add_item(operator_id: int, data: dict, *, ctx: Ctx) -> FilingItem:
    operator = _operator(operator_id)
    name = data["name"].strip()
    if not name:
        raise DomainError("give a name", field="name")
    if data["kind"] == "product":
        _in_scope(name)
    event_on = data.get("event_on")
    if data["kind"] in REPORT_KINDS:
        _check_report(data, event_on, ctx)
    else:
        event_on = None
    count = db.session.scalar(
        select(func.count()).select_from(FilingItem).where(FilingItem.operator_id == operator_id)
    )
    if count >= MAX_ITEMS:
        raise DomainError("a filing holds at most %(n)s items", n=MAX_ITEMS)
    same = db.session.scalar(
        select(FilingItem.id).where(
            FilingItem.operator_id == operator_id,
            FilingItem.kind == data["kind"],
            FilingItem.name == name,
            # A product may be recalled or self-inspected more than once: one report a day.
            FilingItem.event_on.is_(None) if event_on is None else FilingItem.event_on == event_on,
        )
    )
    if same is not None:
        raise Conflict("%(name)s is already in the filing", name=name)
    item = FilingItem(
        operator_id=operator_id,
        kind=data["kind"],
        name=name,
        detail=(data.get("detail") or "").strip(),
        event_on=event_on,
        filed_on=ctx.today if data["kind"] in REPORT_KINDS else None,
        created_at=ctx.now,
    )
    db.session.add(item)
    db.session.flush()
    record_event(
        ctx.now,
        ctx.actor,
        "filing.add",
        "operator",
        operator.uscc,
        {
            "item": item.id,
            "kind": item.kind,
            "name": item.name,
            "detail": item.detail,
            "event_on": item.event_on.isoformat() if item.event_on else None,
            "filed_on": item.filed_on.isoformat() if item.filed_on else None,
        },
    )
    if item.kind not in REPORT_KINDS:  # a report neither makes nor breaks the filing
        _recheck(operator, ctx)
    return item


def _check_report(data: dict, event_on, ctx: Ctx) -> None:
    """A recall report (Art. 17(2)) names the product, the day of the recall and what was
    done; a self-inspection (Art. 17(3)) the product, the day of the non-conformity notice and
    what was done. The day it is filed is recorded by the system (R-REWARD-OPERATOR)."""
    if event_on is None:
        raise DomainError(
            "give the day of the recall or of the non-conformity notice", field="event_on"
        )
    if event_on > ctx.today:
        raise DomainError("the day %(day)s is after today", field="event_on", day=str(event_on))
    if not (data.get("detail") or "").strip():
        raise DomainError("describe the recall or the self-inspection", field="detail")


def _in_scope(name: str) -> None:
    """R-SCOPE: the filing declares the industrial products the Spec covers; a product whose
    name contains an excluded name of the scope catalogue (乘客电梯, 某牌奶粉 …) is refused."""
    decision = scope_catalogue().decide(name)
    if decision.out_of_scope:
        assert decision.family is not None
        raise DomainError(
            "product %(name)s is %(family)s (%(family_zh)s), outside the scope of the "
            "Specification (Art. 2)",
            field="name",
            name=name,
            family=decision.family.name_en,
            family_zh=decision.family.name,
        )


def remove_item(operator_id: int, item_id: int, *, ctx: Ctx) -> None:
    """Another operator's item is not found (ids do not leak)."""
    item = db.session.get(FilingItem, item_id)
    if item is None or item.operator_id != operator_id:
        raise NotFound("no filing item %(id)s", id=item_id)
    operator = _operator(operator_id)
    record_event(
        ctx.now,
        ctx.actor,
        "filing.remove",
        "operator",
        operator.uscc,
        {"item": item.id, "kind": item.kind, "name": item.name},
    )
    db.session.delete(item)
    _recheck(operator, ctx)


def declare(operator_id: int, *, ctx: Ctx) -> Operator:
    """The declaration (如实填报，无隐瞒) completes a filing that has what it needs."""
    operator = _operator(operator_id)
    lacking = missing(operator_id)
    if lacking == ["product", "partner"]:
        raise DomainError(
            "the filing needs at least one product and at least one supplier or distributor "
            "before it can be declared complete"
        )
    if lacking == ["product"]:
        raise DomainError(
            "the filing needs at least one product before it can be declared complete"
        )
    if lacking:
        raise DomainError(
            "the filing needs at least one supplier or distributor before it can be declared "
            "complete"
        )
    _set_complete(operator, True, ctx, "declared")
    return operator


# ---- concealment (隐瞒, Art. 14(3)) ----------------------------------------------------------


def active_finding(operator_id: int) -> ConcealmentFinding | None:
    """The finding of concealment in force (recorded, not cleared), if any."""
    return db.session.scalar(
        select(ConcealmentFinding)
        .where(
            ConcealmentFinding.operator_id == operator_id,
            ConcealmentFinding.cleared_at.is_(None),
        )
        .order_by(ConcealmentFinding.id.desc())
        .limit(1)
    )


def findings(operator_id: int) -> list[ConcealmentFinding]:
    return list(
        db.session.scalars(
            select(ConcealmentFinding)
            .where(ConcealmentFinding.operator_id == operator_id)
            .order_by(ConcealmentFinding.id.desc())
        )
    )


def filing_refusals(operator_id: int, *, deciding: bool = False) -> list[str]:
    """Art. 14(3), 17: what in the filing bars a repair or a reward: incomplete, or a finding
    of concealment in force. Checked when the enterprise applies and again when the bureau
    decides (`deciding`: the filing may have become incomplete since)."""
    operator = _operator(operator_id)
    reasons = []
    if not operator.filing_complete:
        reasons.append(INCOMPLETE_AT_DECISION if deciding else FILING_INCOMPLETE)
    if active_finding(operator_id) is not None:
        reasons.append(CONCEALED)
    return reasons


def _staff_for(operator: Operator, ctx: Ctx) -> None:
    user = ctx.user
    if user is None or not can_record_concealment(user, operator.bureau_code):
        raise DomainError(
            "a finding of concealment is recorded by officers of the operator's bureau or of a "
            "bureau above it",
            status=403,
        )


def record_concealment(operator_id: int, reason: str, *, ctx: Ctx) -> ConcealmentFinding:
    """Staff record that the enterprise concealed products, suppliers or distributors."""
    operator = _operator(operator_id)
    _staff_for(operator, ctx)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("give the reason for the finding", field="reason")
    if active_finding(operator_id) is not None:
        raise Conflict("a finding of concealment is already recorded for this operator")
    finding = ConcealmentFinding(
        operator_id=operator_id, reason=reason, recorded_by=ctx.actor, recorded_at=ctx.now
    )
    db.session.add(finding)
    db.session.flush()
    record_event(
        ctx.now,
        ctx.actor,
        "filing.concealment",
        "operator",
        operator.uscc,
        {"finding": finding.id, "reason": reason},
    )
    return finding


def clear_concealment(operator_id: int, reason: str, *, ctx: Ctx) -> ConcealmentFinding:
    """Staff clear the finding in force (e.g. the filing was completed truthfully)."""
    operator = _operator(operator_id)
    _staff_for(operator, ctx)
    finding = active_finding(operator_id)
    if finding is None:
        raise NotFound("no finding of concealment in force for this operator")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("give the reason for clearing the finding", field="reason")
    finding.cleared_by, finding.cleared_at, finding.cleared_reason = ctx.actor, ctx.now, reason
    record_event(
        ctx.now,
        ctx.actor,
        "filing.concealment_cleared",
        "operator",
        operator.uscc,
        {"finding": finding.id, "reason": reason},
    )
    return finding


def set_contacts(operator_id: int, data: dict, *, ctx: Ctx) -> Operator:
    """The e-mail, mobile and postal address notices reach the operator at (R-CHANNEL)."""
    operator = _operator(operator_id)
    before = {k: getattr(operator, k) for k in ("email", "mobile", "postal_address")}
    after = {k: (data.get(k) or "").strip() or None for k in before}
    if after == before:
        return operator
    for k, v in after.items():
        setattr(operator, k, v)
    record_event(ctx.now, ctx.actor, "filing.contacts", "operator", operator.uscc, after)
    return operator
