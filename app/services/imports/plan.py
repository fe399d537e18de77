"""The plan of one chunk of an import: what exists (looked up once), and the rows to write.

Objects planned in this import have no id yet; they are named by an `ObjectRef` (kind and
natural key) until the plan is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select

from app.extensions import db
from models import Bureau, LedgerEntry, Matter, Operator, ScoringObject, SpotCheck

ProductKey = tuple[str, str, int]  # producer USCC, brand, Nice class


class ObjectRef(NamedTuple):
    """A scoring object by its natural key: ("operator", USCC) or ("product", ProductKey)."""

    kind: str
    key: Any

    def label(self) -> str:
        """How a matter names one of its objects (R-INTENT): an operator by its USCC, a
        product by producer/brand/Nice class."""
        if self.kind == "operator":
            return self.key
        return "/".join(str(part) for part in self.key)


class KnownBureau(NamedTuple):
    level: str
    parent: str | None
    name: str
    stored: bool  # False while planned in this import


class KnownOperator(NamedTuple):
    id: int | None  # None while planned in this import
    name: str
    bureau: str
    filing_complete: bool


class KnownProduct(NamedTuple):
    id: int | None  # None while planned in this import
    category: str


class Event(NamedTuple):
    """An audit event (services/audit.record_events)."""

    action: str
    object_type: str
    object_ref: str
    detail: dict


@dataclass
class NewBureau:
    code: str
    name: str
    parent_code: str | None
    level: str


@dataclass
class NewOperator:
    uscc: str
    name: str
    bureau_code: str
    filing_complete: bool
    created_at: datetime


@dataclass
class NewProduct:
    key: ProductKey
    category: str


@dataclass
class NewMatter:
    ref: str
    source: str
    items: list[str]
    intentional: bool
    intentional_objects: list[str] | None
    major_impact: bool
    effective_on: date
    bureau_code: str
    model: str | None
    standard: str | None
    summary: str
    table_version: str
    content_hash: str
    recorded_by: str
    recorded_at: datetime


@dataclass
class NewSpotCheck:
    ref: str
    product: ProductKey
    model: str | None
    standard: str | None
    sampled_on: date
    result: str
    effective_on: date | None
    bureau_code: str
    seller_uscc: str | None
    intentional: bool
    content_hash: str
    recorded_at: datetime


@dataclass
class NewEntry:
    """A ledger entry of an object and a matter, both by natural key until written."""

    object: ObjectRef
    matter: str | None
    kind: str
    points: Decimal
    effective_on: date
    item: str | None
    product_key: str | None


@dataclass
class Change:
    """An UPDATE of one stored row: its model, primary key and new values."""

    model: type
    id: Any
    values: dict[str, Any]


@dataclass
class Plan:
    """The rows one chunk writes, in the order the foreign keys need."""

    changes: list[Change] = field(default_factory=list)
    bureaus: list[NewBureau] = field(default_factory=list)
    operators: list[NewOperator] = field(default_factory=list)
    products: list[NewProduct] = field(default_factory=list)
    matters: list[NewMatter] = field(default_factory=list)
    spot_checks: list[NewSpotCheck] = field(default_factory=list)
    entries: list[NewEntry] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class Known:
    """What exists, by natural key: loaded once per import (bureaus) or per chunk (what the
    chunk's records name), and kept up to date with what the plan adds."""

    def __init__(self) -> None:
        self.bureaus: dict[str, KnownBureau] = {
            code: KnownBureau(level, parent, name, True)
            for code, level, parent, name in db.session.execute(
                select(Bureau.code, Bureau.level, Bureau.parent_code, Bureau.name)
            )
        }
        self.operators: dict[str, KnownOperator] = {}
        self.operator_object: dict[str, int] = {}  # USCC -> the operator's scoring object
        self.products: dict[ProductKey, KnownProduct] = {}
        self.matter_hash: dict[str, str] = {}
        self.spot_hash: dict[str, str] = {}
        self.start_on: dict[Any, date] = {}  # object id (or ObjectRef) -> earliest START date

    def parent_of(self, code: str) -> str | None:
        known = self.bureaus.get(code)
        return known.parent if known else None

    def object_id(self, obj: ObjectRef) -> Any:
        """The id of an object if it exists, else the ObjectRef of the planned one."""
        if obj.kind == "product":
            pid = self.products[obj.key].id
        else:
            pid = self.operator_object.get(obj.key)
        return pid if pid is not None else obj

    def rekey(self, pending: ObjectRef, object_id: int) -> None:
        """A planned object written: its START date now goes by its id."""
        if pending in self.start_on:
            self.start_on[object_id] = self.start_on.pop(pending)

    def preload(self, records: list[tuple[int, Any]]) -> None:
        """Look up, in a few queries, the operators, objects and refs the records name."""
        usccs: set[str] = set()
        refs: set[str] = set()
        for _, rec in records:
            if not isinstance(rec, dict):
                continue
            for k in ("uscc", "producer", "seller"):
                if isinstance(rec.get(k), str):
                    usccs.add(rec[k])
            for o in rec.get("objects") or []:
                if isinstance(o, dict):
                    for k in ("uscc", "producer"):
                        if isinstance(o.get(k), str):
                            usccs.add(o[k])
            if isinstance(rec.get("ref"), str):
                refs.add(rec["ref"])
        usccs -= self.operators.keys()
        if usccs:
            self._load_operators(usccs)
        refs -= self.matter_hash.keys() | self.spot_hash.keys()
        if refs:
            for ref, h in db.session.execute(
                select(Matter.ref, Matter.content_hash).where(Matter.ref.in_(refs))
            ):
                self.matter_hash[ref] = h
            for ref, h in db.session.execute(
                select(SpotCheck.ref, SpotCheck.content_hash).where(SpotCheck.ref.in_(refs))
            ):
                self.spot_hash[ref] = h

    def _load_operators(self, usccs: set[str]) -> None:
        rows = db.session.execute(
            select(
                Operator.id,
                Operator.uscc,
                Operator.name,
                Operator.bureau_code,
                Operator.filing_complete,
            ).where(Operator.uscc.in_(usccs))
        ).all()
        ids = {r.id: r.uscc for r in rows}
        for r in rows:
            self.operators[r.uscc] = KnownOperator(r.id, r.name, r.bureau_code, r.filing_complete)
        if not ids:
            return
        objs = db.session.execute(
            select(
                ScoringObject.id,
                ScoringObject.kind,
                ScoringObject.operator_id,
                ScoringObject.brand,
                ScoringObject.nice_class,
                ScoringObject.category,
            ).where(ScoringObject.operator_id.in_(ids))
        ).all()
        for o in objs:
            uscc = ids[o.operator_id]
            if o.kind == "operator":
                self.operator_object[uscc] = o.id
            else:
                self.products[(uscc, o.brand, o.nice_class)] = KnownProduct(o.id, o.category)
        starts = db.session.execute(
            select(LedgerEntry.object_id, func.min(LedgerEntry.effective_on))
            .where(LedgerEntry.operator_id.in_(ids), LedgerEntry.kind == "START")
            .group_by(LedgerEntry.object_id)
        ).all()
        for object_id, first in starts:
            self.start_on[object_id] = first
