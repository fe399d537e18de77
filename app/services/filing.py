"""The information filing (企业信息填报, Art. 14(3)): products, suppliers and distributors an
operator declares. A repair (R-REPAIR-ELIGIBLE) and an operator reward need it complete, so
`Operator.filing_complete` follows the items: set by the declaration once at least one product
and one supplier or distributor are filed, cleared as soon as that stops being true."""

from __future__ import annotations

from sqlalchemy import func, select

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from models import FilingItem, Operator

from .audit import record_event
from .cases import Ctx
from .scope import scope_catalogue

MAX_ITEMS = 1000  # per operator: a filing, not a catalogue


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
        )
    )
    if same is not None:
        raise Conflict("%(name)s is already in the filing", name=name)
    item = FilingItem(
        operator_id=operator_id,
        kind=data["kind"],
        name=name,
        detail=(data.get("detail") or "").strip(),
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
        {"item": item.id, "kind": item.kind, "name": item.name, "detail": item.detail},
    )
    _recheck(operator, ctx)
    return item


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
