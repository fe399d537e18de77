"""The bureau tree as administrators keep it: add a bureau under a parent, rename one.

Codes are administrative division codes (行政区划代码): a city's code shares the province's
first two digits and ends in 00; a county's shares its city's first four and does not end in
00. A code that breaks this would put a bureau in the wrong place of every supervisor's tree,
so it is refused. Nothing here commits (one transaction per request)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select

from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.permissions import bureau_ancestors, chain_up, forget_bureau_tree
from forms.base import N_
from models import Bureau, Operator, User

from .audit import record_event
from .reference import bureau_level

_CODE = re.compile(r"\d{6}")
MAX_NAME = 100


def get_bureau(code: str) -> Bureau:
    bureau = db.session.get(Bureau, code)
    if bureau is None:
        raise NotFound(N_("no bureau has the code %(code)s"), code=code)
    return bureau


def province_of(code: str) -> str:
    """The provincial bureau at the top of the tree that `code` belongs to."""
    return bureau_ancestors(code)[-1]


def city_of(code: str) -> str:
    """The city bureau (市局) of a bureau: a county's city (440305 → 440300), a city itself;
    the province stands for itself."""
    chain = bureau_ancestors(code)  # the bureau, its parent, …, the province
    return chain[-2] if len(chain) >= 2 else chain[0]


def tree() -> list[dict]:
    """Every bureau with its depth, in tree order (province, each city, its counties), and how
    many users and operators belong to it."""
    bureaus = db.session.scalars(select(Bureau).order_by(Bureau.code)).all()
    users = dict(
        db.session.execute(select(User.bureau_code, func.count()).group_by(User.bureau_code))
        .tuples()
        .all()
    )
    operators = dict(
        db.session.execute(
            select(Operator.bureau_code, func.count()).group_by(Operator.bureau_code)
        )
        .tuples()
        .all()
    )
    children: dict[str | None, list[Bureau]] = {}
    for b in bureaus:
        children.setdefault(b.parent_code, []).append(b)
    out: list[dict] = []

    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for b in children.get(parent, []):
            if b.code in seen:  # a cycle (refused on every write) is not walked twice
                continue
            seen.add(b.code)
            out.append(
                {
                    "code": b.code,
                    "name": b.name,
                    "level": b.level,
                    "parent": b.parent_code,
                    "depth": depth,
                    "children": len(children.get(b.code, [])),
                    "users": users.get(b.code, 0),
                    "operators": operators.get(b.code, 0),
                }
            )
            walk(b.code, depth + 1)

    walk(None, 0)
    return out


def _check_name(name: str, *, other_than: str | None = None) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise DomainError(
            N_("a bureau's name has 1 to %(n)s characters"), field="name", status=400, n=MAX_NAME
        )
    taken = db.session.scalar(select(Bureau.code).where(Bureau.name == name))
    if taken is not None and taken != other_than:
        raise Conflict(
            N_("the bureau %(code)s already has the name %(name)s"),
            field="name",
            code=taken,
            name=name,
        )
    return name


def _check_code(code: str, parent: Bureau) -> str:
    if not _CODE.fullmatch(code):
        raise DomainError(
            N_("a bureau code is 6 digits (the division code), not %(code)s"),
            field="code",
            status=400,
            code=code,
        )
    level = bureau_level(parent.level)
    if level == "city":
        ok = code[:2] == parent.code[:2] and code.endswith("00") and code != parent.code
        rule = N_("a city's code starts with %(prefix)s and ends with 00, like %(example)s")
        prefix, example = parent.code[:2], f"{parent.code[:2]}9900"
    else:
        ok = code[:4] == parent.code[:4] and not code.endswith("00")
        rule = N_(
            "a county's code starts with %(prefix)s and does not end with 00, like %(example)s"
        )
        prefix, example = parent.code[:4], f"{parent.code[:4]}99"
    if not ok:
        raise DomainError(rule, field="code", status=400, prefix=prefix, example=example)
    existing = db.session.get(Bureau, code)
    if existing is not None:
        raise Conflict(
            N_("the code %(code)s is already used by %(name)s"),
            field="code",
            code=code,
            name=existing.name,
        )
    return code


def refuse_cycle(code: str, parent_code: str | None) -> None:
    """A bureau cannot be its own parent nor sit below itself: every walk of the tree (scopes
    of supervisors, notifications up the tree, cities of the public pages) needs it finite."""
    parents = dict(db.session.execute(select(Bureau.code, Bureau.parent_code)).tuples().all())
    if code in chain_up(parent_code, parents.get):
        raise DomainError(
            N_("the bureau %(code)s cannot be placed below itself (under %(parent)s)"),
            field="parent",
            status=400,
            code=code,
            parent=parent_code or "",
        )


def add_bureau(*, code: str, name: str, parent_code: str, actor: str, at: datetime) -> Bureau:
    """A new bureau under `parent_code`; its level follows from the parent's."""
    code, parent_code = code.strip(), (parent_code or "").strip()
    parent = db.session.get(Bureau, parent_code) if parent_code else None
    if parent is None:
        raise DomainError(
            N_("choose the bureau the new one belongs to"), field="parent", status=400
        )
    if parent.level == "county":
        raise DomainError(
            N_("%(name)s is a county bureau; no bureau can be added below it"),
            field="parent",
            status=400,
            name=parent.name,
        )
    refuse_cycle(code, parent.code)
    code = _check_code(code, parent)
    name = _check_name(name)
    bureau = Bureau(code=code, name=name, parent_code=parent.code, level=bureau_level(parent.level))
    db.session.add(bureau)
    db.session.flush()
    forget_bureau_tree()
    record_event(
        at,
        actor,
        "bureau.create",
        "bureau",
        code,
        {"name": name, "parent": parent.code, "level": bureau.level},
    )
    return bureau


def rename_bureau(bureau: Bureau, name: str, *, actor: str, at: datetime) -> bool:
    """Returns whether the name changed."""
    name = _check_name(name, other_than=bureau.code)
    if name == bureau.name:
        return False
    old, bureau.name = bureau.name, name
    db.session.flush()
    record_event(at, actor, "bureau.update", "bureau", bureau.code, {"name": name, "was": old})
    return True
