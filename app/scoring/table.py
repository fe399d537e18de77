"""The scoring table (Art. 19, interchange §3): points per matter item, versioned by date.

Pure: it takes the mapping a YAML file parses to, checks it, and answers "what does this
matter cost this object" (R-MAX, R-INTENT). Loading and storing versions is the service's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

OBJECT_KINDS = ("product", "producer", "seller")
_TABLE_KEYS = {
    "version",
    "regulation",
    "applies_from",
    "applies_until",
    "items",
    "rewards",
    "default",
    "note",
}
_ITEM_KEYS = {
    "code",
    "objects",
    "title",
    "points",
    "intentional_points",
    "repairable",
    "spot_check",
    "with",
}
_REWARD_KEYS = {"code", "objects", "points", "title"}
_REGULATION_KEYS = {"title", "number"}
# Art. 11(1), the failed spot check itself, is always scoring related to spot checks (Art. 19).
SPOT_CHECK_FAILURE = "A11.1"


class TableError(ValueError):
    """A scoring table that cannot be published, or items it cannot score; the message says
    where and why. `template` and `params`, when given, are the English catalogue id the pages
    translate and its values."""

    def __init__(self, message: str, template: str | None = None, **params: object):
        super().__init__(message)
        self.template, self.params = template, params


def N_(text: str) -> str:  # noqa: N802  (the gettext convention: marks a catalogue id)
    return text


# Which items an object of each kind may be scored under (Art. 11-13), by kind.
_NOT_APPLICABLE = {
    "product": N_("item %(items)s does not apply to a product (table %(table)s)"),
    "producer": N_("item %(items)s does not apply to a producer (table %(table)s)"),
    "seller": N_("item %(items)s does not apply to a seller (table %(table)s)"),
}

# rules §12: an item that scores an object only together with other items (Art. 12(1)).
_ONLY_WITH = {
    "product": N_(
        "item %(item)s scores a product only together with %(partners)s (%(article)s; "
        "table %(table)s)"
    ),
    "producer": N_(
        "item %(item)s scores a producer only together with %(partners)s (%(article)s; "
        "table %(table)s)"
    ),
    "seller": N_(
        "item %(item)s scores a seller only together with %(partners)s (%(article)s; "
        "table %(table)s)"
    ),
}


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    objects: tuple[str, ...]
    title: str
    points: Decimal  # deducted, as a positive number
    intentional_points: Decimal
    repairable: bool
    # Scoring related to spot checks, recorded by the provincial bureau (Art. 19, rules §11).
    spot_check: bool = False
    # The items this one may go with, per kind of object (rules §12): A12.1 scores a seller
    # only in a matter that also carries Art. 11(2), 11(3) or 11(5)-(7) (Art. 12(1)). A kind
    # not named here is scored by this item whatever else the matter carries.
    with_items: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    @property
    def article(self) -> str:
        """The article the item implements, read from its code (A12.1 -> "Art. 12(1)")."""
        found = re.fullmatch(r"A(\d+)\.(\d+)", self.code)
        return f"Art. {found[1]}({found[2]})" if found else f"item {self.code}"

    def goes_with(self, codes: Iterable[str], object_kind: str) -> bool:
        """Whether the item may score this kind of object in a matter carrying `codes`."""
        allowed = self.with_items.get(object_kind)
        return allowed is None or any(c in allowed for c in codes)

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
class Regulation:
    """The document a table version implements (interchange §3, format version 2)."""

    title: str
    number: str


@dataclass(frozen=True, slots=True)
class ScoringTable:
    version: str
    applies_from: date
    is_default: bool
    items: Mapping[str, Item]
    rewards: Mapping[str, Reward]
    # R-VALIDITY: the last day this version applies (None: until a later version starts).
    applies_until: date | None = None
    regulation: Regulation | None = None

    def covers(self, on: date) -> bool:
        """Whether a matter effective `on` may be scored under this version by its own dates
        (a later version still takes over from its applies_from: see table_in_force)."""
        return self.applies_from <= on and (self.applies_until is None or on <= self.applies_until)

    def heaviest(self, codes: Sequence[str], object_kind: str, intentional: bool) -> Item:
        """R-MAX: of the items a matter fits that apply to this kind of object, the one that
        costs most. Raises TableError naming the codes when none applies."""
        unknown = [c for c in codes if c not in self.items]
        if unknown:
            raise TableError(
                f"unknown item code {', '.join(unknown)} in table {self.version}",
                N_("unknown item code %(items)s in table %(table)s"),
                items=", ".join(unknown),
                table=self.version,
            )
        kinds = [self.items[c] for c in codes if object_kind in self.items[c].objects]
        fitting = [it for it in kinds if it.goes_with(codes, object_kind)]
        if not fitting:
            if kinds:
                # rules §12: an item that goes only with others (A12.1 for a seller).
                item = kinds[0]
                with_items = ", ".join(item.with_items[object_kind])
                raise TableError(
                    f"item {item.code} scores a {object_kind} only together with "
                    f"{with_items} ({item.article}; table {self.version})",
                    _ONLY_WITH[object_kind],
                    item=item.code,
                    partners=with_items,
                    article=item.article,
                    table=self.version,
                )
            template = _NOT_APPLICABLE.get(object_kind)
            params = {"items": ", ".join(codes), "table": self.version}
            raise TableError(
                f"item {', '.join(codes)} does not apply to a {object_kind} (table {self.version})",
                template,
                **(params if template else {}),
            )
        return max(fitting, key=lambda it: (it.deduction(intentional), it.code))


def latest_started(tables: Iterable[ScoringTable], on: date) -> ScoringTable | None:
    """The version with the latest applies_from on or before `on`, whether or not it has
    ended since."""
    eligible = [t for t in tables if t.applies_from <= on]
    return max(eligible, key=lambda t: t.applies_from) if eligible else None


def table_in_force(tables: Iterable[ScoringTable], on: date) -> ScoringTable | None:
    """R-VALIDITY: the version a matter effective `on` takes: the latest applies_from on or
    before it, provided it has not ended (applies_until) by then; None when no version covers
    the day."""
    latest = latest_started(tables, on)
    return latest if latest is not None and latest.covers(on) else None


def overlapping(tables: Iterable[ScoringTable], new: ScoringTable) -> ScoringTable | None:
    """R-VALIDITY: a published version whose days overlap the new one's. A version without
    applies_until ends where the next one starts, so only stated periods can overlap: two
    versions overlap when one starts on a day the other covers by its own dates."""
    for old in tables:
        if old.version == new.version:
            continue
        if old.covers(new.applies_from) and old.applies_until is not None:
            return old
        if new.covers(old.applies_from) and new.applies_until is not None:
            return old
        if old.applies_from == new.applies_from:
            return old
    return None


def ending_soon(tables: Iterable[ScoringTable], on: date, days: int = 90) -> ScoringTable | None:
    """R-VALIDITY: the latest version started by `on`, when it ends within `days` days (or has
    ended) and no later version is published: the administrators' warning."""
    tables = list(tables)
    last = latest_started(tables, on)
    if last is None or last.applies_until is None:
        return None
    if (last.applies_until - on).days > days:
        return None
    if any(t.applies_from > last.applies_from for t in tables):
        return None
    return last


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


def _with_items(value: object, objects: tuple[str, ...], where: str) -> dict[str, tuple]:
    """The optional `with` of an item: {object kind: [item codes it may go with]}."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not value:
        raise TableError(
            f"{where}: with must map a kind of object to the items it may go with, "
            "e.g. {seller: [A11.2, A11.3]}"
        )
    out: dict[str, tuple[str, ...]] = {}
    for kind, codes in value.items():
        if kind not in objects:
            raise TableError(f"{where}: with names {kind!r}, not one of its objects")
        if (
            not isinstance(codes, list)
            or not codes
            or not all(isinstance(c, str) and c for c in codes)
        ):
            raise TableError(f"{where}: with.{kind} must be a non-empty list of item codes")
        out[kind] = tuple(codes)
    return out


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
    applies_from = _date(raw["applies_from"], "applies_from")
    applies_until = raw.get("applies_until")
    if applies_until is not None:
        applies_until = _date(applies_until, "applies_until")
        if applies_until < applies_from:
            raise TableError(
                f"table: applies_until {applies_until} is before applies_from {applies_from}"
            )
    regulation = _regulation(raw.get("regulation"))

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
        spot_check = it.get("spot_check", code == SPOT_CHECK_FAILURE)
        if not isinstance(spot_check, bool):
            raise TableError(f"{where}: spot_check must be true or false")
        if code == SPOT_CHECK_FAILURE and not spot_check:
            raise TableError(f"{where}: a failed spot check is always spot_check: true (Art. 19)")
        objects = _objects(it["objects"], where)
        items[code] = Item(
            code,
            objects,
            str(it.get("title", "")),
            points,
            intentional,
            repairable,
            spot_check,
            _with_items(it.get("with"), objects, where),
        )
    for item in items.values():
        for kind, codes in item.with_items.items():
            unknown = [c for c in codes if c not in items]
            if unknown:
                raise TableError(
                    f"item {item.code}: with.{kind} names {unknown[0]!r}, not an item of the table"
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
    return ScoringTable(
        version.strip(), applies_from, is_default, items, rewards, applies_until, regulation
    )


def _date(value: object, name: str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise TableError(f"table: {name} {value!r} is not a date") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TableError(f"table: {name} {value!r} is not a date (YYYY-MM-DD)")
    return value


def _regulation(value: object) -> Regulation | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TableError("table: regulation must be a mapping with title and number")
    _keys(value, _REGULATION_KEYS, _REGULATION_KEYS, "regulation")
    title, number = value["title"], value["number"]
    for name, text in (("title", title), ("number", number)):
        if not isinstance(text, str) or not text.strip():
            raise TableError(f"regulation: {name} must be a non-empty string")
    return Regulation(title.strip(), number.strip())
