"""The scoring table (Art. 19, interchange §3): points per matter item, versioned by date.

Pure: it takes the mapping a YAML file parses to, checks it, and answers "what does this
matter cost this object" (R-MAX, R-INTENT). Loading and storing versions is the service's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

OBJECT_KINDS = ("product", "producer", "seller")
_TABLE_KEYS = {"version", "applies_from", "items", "rewards", "default", "note"}
_ITEM_KEYS = {"code", "objects", "title", "points", "intentional_points", "repairable"}
_REWARD_KEYS = {"code", "objects", "points", "title"}


class TableError(ValueError):
    """A scoring table that cannot be published; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    objects: tuple[str, ...]
    title: str
    points: Decimal  # deducted, as a positive number
    intentional_points: Decimal
    repairable: bool

    def deduction(self, intentional: bool) -> Decimal:
        """R-INTENT: intentional conduct takes the heavier value."""
        return self.intentional_points if intentional else self.points


@dataclass(frozen=True, slots=True)
class Reward:
    code: str
    objects: tuple[str, ...]
    points: Decimal
    title: str


@dataclass(frozen=True, slots=True)
class ScoringTable:
    version: str
    applies_from: date
    is_default: bool
    items: Mapping[str, Item]
    rewards: Mapping[str, Reward]

    def heaviest(self, codes: Sequence[str], object_kind: str, intentional: bool) -> Item:
        """R-MAX: of the items a matter fits that apply to this kind of object, the one that
        costs most. Raises TableError naming the codes when none applies."""
        unknown = [c for c in codes if c not in self.items]
        if unknown:
            raise TableError(f"unknown item code {', '.join(unknown)} in table {self.version}")
        fitting = [self.items[c] for c in codes if object_kind in self.items[c].objects]
        if not fitting:
            raise TableError(
                f"item {', '.join(codes)} does not apply to a {object_kind} (table {self.version})"
            )
        return max(fitting, key=lambda it: (it.deduction(intentional), it.code))


def table_in_force(tables: Iterable[ScoringTable], on: date) -> ScoringTable | None:
    """The version a matter effective `on` takes: the latest applies_from on or before it."""
    eligible = [t for t in tables if t.applies_from <= on]
    return max(eligible, key=lambda t: t.applies_from) if eligible else None


def _points(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise TableError(f"{where}: points must be a number, got {value!r}")
    try:
        points = Decimal(str(value))
    except InvalidOperation:
        raise TableError(f"{where}: points must be a number, got {value!r}") from None
    if points <= 0 or points > 12:
        raise TableError(f"{where}: points must be above 0 and at most 12, got {value}")
    if points != points.quantize(Decimal("0.1")):
        # One decimal place keeps a 50 % repair exact to the cent.
        raise TableError(f"{where}: points may have at most one decimal place, got {value}")
    return points.quantize(Decimal("0.01"))


def _objects(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise TableError(f"{where}: objects must be a non-empty list of {', '.join(OBJECT_KINDS)}")
    bad = [v for v in value if v not in OBJECT_KINDS]
    if bad:
        raise TableError(f"{where}: unknown object kind {bad[0]!r}; use {', '.join(OBJECT_KINDS)}")
    return tuple(value)


def _keys(raw: Mapping, allowed: set[str], required: set[str], where: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise TableError(f"{where}: unknown field {extra[0]!r}")
    missing = sorted(required - set(raw))
    if missing:
        raise TableError(f"{where}: missing field {missing[0]!r}")


def parse_table(raw: object) -> ScoringTable:
    if not isinstance(raw, Mapping):
        raise TableError("a scoring table must be a mapping with version, applies_from, items")
    _keys(raw, _TABLE_KEYS, {"version", "applies_from", "items"}, "table")
    version = raw["version"]
    if not isinstance(version, str) or not version.strip():
        raise TableError("table: version must be a non-empty string")
    applies_from = raw["applies_from"]
    if isinstance(applies_from, str):
        try:
            applies_from = date.fromisoformat(applies_from)
        except ValueError:
            raise TableError(f"table: applies_from {applies_from!r} is not a date") from None
    if not isinstance(applies_from, date):
        raise TableError(f"table: applies_from {applies_from!r} is not a date (YYYY-MM-DD)")

    items: dict[str, Item] = {}
    raw_items = raw["items"]
    if not isinstance(raw_items, list) or not raw_items:
        raise TableError("table: items must be a non-empty list")
    for n, it in enumerate(raw_items, 1):
        where = f"item #{n}"
        if not isinstance(it, Mapping):
            raise TableError(f"{where}: must be a mapping")
        _keys(it, _ITEM_KEYS, {"code", "objects", "points", "intentional_points"}, where)
        code = it["code"]
        if not isinstance(code, str) or not code.startswith("A"):
            raise TableError(f"{where}: code must look like A11.1, got {code!r}")
        where = f"item {code}"
        if code in items:
            raise TableError(f"{where}: listed twice")
        points = _points(it["points"], where)
        intentional = _points(it["intentional_points"], where)
        if intentional < points:
            raise TableError(f"{where}: intentional_points must not be lighter than points")
        repairable = it.get("repairable", True)
        if not isinstance(repairable, bool):
            raise TableError(f"{where}: repairable must be true or false")
        items[code] = Item(
            code,
            _objects(it["objects"], where),
            str(it.get("title", "")),
            points,
            intentional,
            repairable,
        )

    rewards: dict[str, Reward] = {}
    for n, rw in enumerate(raw.get("rewards") or [], 1):
        where = f"reward #{n}"
        if not isinstance(rw, Mapping):
            raise TableError(f"{where}: must be a mapping")
        _keys(rw, _REWARD_KEYS, {"code", "objects", "points"}, where)
        code = rw["code"]
        if not isinstance(code, str) or not code.startswith("R"):
            raise TableError(f"{where}: code must look like R16 or R17.1, got {code!r}")
        if code in rewards:
            raise TableError(f"reward {code}: listed twice")
        rewards[code] = Reward(
            code,
            _objects(rw["objects"], f"reward {code}"),
            _points(rw["points"], f"reward {code}"),
            str(rw.get("title", "")),
        )

    is_default = raw.get("default", False)
    if not isinstance(is_default, bool):
        raise TableError("table: default must be true or false")
    return ScoringTable(version.strip(), applies_from, is_default, items, rewards)
