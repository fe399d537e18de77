"""Bulk import of credit records (interchange §1).

Each record is checked on its own against the rules and against what the database and the
earlier lines of the same file hold; only records that pass are written, in bulk, so a bad
record stops nothing else and nothing is ever half-written. `ref` (and the natural keys of
reference records) make a second import of the same file change nothing; a `ref` re-used
with other content is refused as a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, insert, select, update

from app.extensions import db
from app.permissions import chain_up, forget_bureau_tree
from app.scoring import ScoringTable, TableError, product_key, table_in_force
from app.scoring.repairs import unrepairable_items
from app.scoring.scope import Decision
from forms.base import N_
from forms.records import RECORD_SCHEMAS
from models import Bureau, LedgerEntry, Matter, Operator, ScoringObject, SpotCheck

from .audit import record_events
from .reference import PROVINCE, bureau_level
from .scope import scope_catalogue
from .scoring_tables import load_tables, uncovered

CHUNK = 2000
SPOT_CHECK_ITEM = "A11.1"
INTENTIONAL_FAILURE_ITEM = "A12.2"

ProductKey = tuple[str, str, int]  # producer USCC, brand, Nice class

# R-SCOPE: refused, in English for the report; the pages show the catalogue translation.
OUT_OF_SCOPE = N_(
    "category %(category)s is %(family)s (%(family_zh)s), outside the scope of the "
    "Specification (Art. 2)"
)
UNKNOWN_MODEL = N_(
    "the model or standard of this failure is unknown, so it is never merged with another "
    "failure of the same product under R-180 (Art. 9)"
)
MAJOR_IMPACT_FOLLOWS = (
    "item %(items)s is a major social or other adverse impact: the matter is stored with "
    "major_impact true and is not repairable for any object it scored (Art. 14)"
)
UNKNOWN_CATEGORY = (
    "category %(category)s is not in the scope catalogue; check that it is an industrial "
    "product (Art. 2)"
)


@dataclass
class Refusal:
    line: int
    ref: str | None
    reason: str
    # A refusal raised from a template: its English template, values and field, so that a page
    # can show it translated (the report itself keeps `reason`).
    template: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    fieldname: str | None = None

    def as_dict(self) -> dict:
        return {"line": self.line, "ref": self.ref, "reason": self.reason}


@dataclass
class Review:
    """An accepted record a person should look at: a category the scope catalogue does not
    know (R-SCOPE), or a failure whose model or standard is unknown (R-180)."""

    line: int
    ref: str | None
    category: str | None
    reason: str

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "ref": self.ref,
            "category": self.category,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return len(self.refusals)

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": self.refused,
            "refusals": [r.as_dict() for r in self.refusals],
            "review": [r.as_dict() for r in self.review],
        }


class Refused(Exception):
    """A record refused. With `params`, `reason` is an English template (%(name)s) that pages
    translate; without, it is the text itself."""

    def __init__(self, reason: str, fieldname: str | None = None, **params: Any):
        text = reason % params if params else reason
        super().__init__(text)
        self.template, self.params, self.fieldname = reason, params, fieldname
        self.reason = f"{fieldname}: {text}" if fieldname else text


def _table_refusal(exc: TableError) -> Refused:
    """Items the scoring table cannot score, refused on the `items` field (translated on the
    pages when the table said why by template)."""
    if exc.template:
        return Refused(exc.template, "items", **exc.params)
    return Refused(str(exc), "items")


def read_lines(raw: Iterable[bytes]) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON or a Refused) for each non-blank line."""
    for n, line in enumerate(raw, 1):
        if n == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield n, Refused(f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8")
            continue
        try:
            yield n, json.loads(text)
        except json.JSONDecodeError as exc:
            yield n, Refused(f"not valid JSON ({exc.msg} at column {exc.colno})")
        except RecursionError:
            yield n, Refused("JSON nested too deeply; a record is one flat object")


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for k, v in messages.items():
            out += _flatten(v, f"{prefix}{k}." if prefix or k != "_schema" else "")
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix.rstrip('.')}: {m}" if prefix else m for m in messages]
    return [f"{prefix.rstrip('.')}: {messages}"]


def _content_hash(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Importer:
    """One import: caches of what exists, and the plan of what to write."""

    def __init__(self, *, today: date, actor: str, at: datetime):
        self.today, self.actor, self.at = today, actor, at
        self.tables: list[ScoringTable] = load_tables()
        self.bureau_levels: dict[str, str] = {}
        self.bureau_parents: dict[str, str | None] = {}
        for code, level, parent in db.session.execute(
            select(Bureau.code, Bureau.level, Bureau.parent_code)
        ):
            self.bureau_levels[code], self.bureau_parents[code] = level, parent
        # natural key -> id (None while planned in this import and not yet written)
        self.operators: dict[str, tuple[int | None, str, str, bool]] = {}
        self.operator_object: dict[str, int] = {}
        self.products: dict[ProductKey, tuple[int | None, str]] = {}
        self.matter_hash: dict[str, str] = {}
        self.spot_hash: dict[str, str] = {}
        self.start_on: dict[Any, date] = {}  # object key -> earliest START date
        self.scope = scope_catalogue()
        self.decisions: dict[str, Decision] = {}  # category -> R-SCOPE decision, per import
        self.to_review: list[tuple[str, str]] = []  # (category, reason) of the record planned
        self.report = ImportReport()
        self._reset_plan()

    def _reset_plan(self) -> None:
        self.new_bureaus: list[dict] = []
        self.new_operators: list[dict] = []
        self.new_products: list[dict] = []
        self.new_matters: list[dict] = []
        self.new_spot_checks: list[dict] = []
        self.new_entries: list[dict] = []  # object/matter by natural key, resolved at write
        self.events: list[tuple[str, str, str, dict]] = []

    # ---- preloading -------------------------------------------------------------------

    def preload(self, records: list[tuple[int, Any]]) -> None:
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
                self.operators[r.uscc] = (r.id, r.name, r.bureau_code, r.filing_complete)
            if ids:
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
                        self.products[(uscc, o.brand, o.nice_class)] = (o.id, o.category)
                starts = db.session.execute(
                    select(LedgerEntry.object_id, func.min(LedgerEntry.effective_on))
                    .where(LedgerEntry.operator_id.in_(ids), LedgerEntry.kind == "START")
                    .group_by(LedgerEntry.object_id)
                ).all()
                for object_id, first in starts:
                    self.start_on[object_id] = first
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

    # ---- checks -----------------------------------------------------------------------

    def _bureau(self, code: str) -> str:
        level = self.bureau_levels.get(code)
        if level is None:
            raise Refused(f"unknown bureau {code}", "bureau")
        return level

    def _operator(self, uscc: str, fieldname: str) -> None:
        if uscc not in self.operators:
            raise Refused(
                f"operator {uscc} is not registered; import its operator record first", fieldname
            )

    def _product(self, key: ProductKey, fieldname: str = "product") -> None:
        if key not in self.products:
            raise Refused(
                f"product {key[1]}/{key[2]} of {key[0]} is not registered; import its product "
                "record first",
                fieldname,
            )

    # ---- R-SCOPE (Art. 2) ---------------------------------------------------------------

    def _in_scope(self, category: str, fieldname: str, review: bool = True) -> None:
        """Refuses a category outside the Spec; notes an unknown one for review."""
        decision = self.decisions.get(category)
        if decision is None:
            decision = self.decisions[category] = self.scope.decide(category)
        if decision.out_of_scope:
            assert decision.family is not None
            raise Refused(
                OUT_OF_SCOPE,
                fieldname,
                category=category,
                family=decision.family.name_en,
                family_zh=decision.family.name,
            )
        if decision.unknown and review:
            self.to_review.append((category, UNKNOWN_CATEGORY % {"category": category}))

    def _product_in_scope(self, key: ProductKey, fieldname: str) -> None:
        """A product already stored with a category outside the Spec (before the catalogue
        knew it) gets no new matter or spot check."""
        known = self.products.get(key)
        if known is not None:
            self._in_scope(known[1], fieldname, review=False)

    def _matter_in_scope(self, d: dict) -> None:
        """A matter about an out-of-scope product is refused, against the product (by its
        stored category) or against its producer or seller (by the matter's `category`)."""
        if d.get("category") is not None:
            self._in_scope(d["category"], "category")
        for n, o in enumerate(d["objects"]):
            if o["kind"] == "product":
                self._product_in_scope((o["producer"], o["brand"], o["nice_class"]), f"objects.{n}")

    def _not_future(self, d: date | None, fieldname: str) -> None:
        if d is not None and d > self.today:
            raise Refused(
                f"{d.isoformat()} is in the future (today is {self.today.isoformat()})", fieldname
            )

    def _table(self, on: date) -> ScoringTable:
        """R-VALIDITY: the version covering `on`; refused (Art. 36) when none does."""
        table = table_in_force(self.tables, on)
        if table is None:
            raise Refused(uncovered(self.tables, on).message, "effective_on")
        return table

    def _existing_ref(self, ref: str, digest: str, kind: str) -> bool:
        """True if this exact record is already in; refuses a ref re-used with other content."""
        own = self.matter_hash if kind == "matter" else self.spot_hash
        other = self.spot_hash if kind == "matter" else self.matter_hash
        if ref in own:
            if own[ref] == digest:
                return True
            raise Refused(f"ref {ref} already exists with different content (conflict)", "ref")
        if ref in other:
            raise Refused(
                f"ref {ref} is already used by a {'spot check' if kind == 'matter' else 'matter'}"
                " (conflict)",
                "ref",
            )
        return False

    def _recorder(self, codes: list[str], bureau: str, level: str, table: ScoringTable) -> None:
        """Rules §11 (Art. 19): scoring related to spot checks (items marked spot_check) is
        recorded by the provincial bureau; other deductions by city bureaus, county bureaus
        entering them for their city. One matter is recorded by one of them."""
        related = {c for c in codes if c in table.items and table.items[c].spot_check}
        spot = [c for c in codes if c in related]
        other = [c for c in codes if c not in related]
        if spot and other:
            raise Refused(
                f"{', '.join(spot)} (related to spot checks) is recorded by the provincial "
                f"bureau {PROVINCE} and {', '.join(other)} by city bureaus (Art. 19): record "
                "them as separate matters",
                "items",
            )
        if spot and bureau != PROVINCE:
            raise Refused(
                f"{', '.join(spot)} is scoring related to spot checks, recorded by the "
                f"provincial bureau {PROVINCE} (Art. 19)",
                "bureau",
            )
        if other and level == "province":
            raise Refused(
                "matters other than spot checks are scored by city bureaus (county "
                "bureaus may enter them for their city), Art. 19",
                "bureau",
            )

    # ---- planning, one record at a time ------------------------------------------------

    def plan(self, line: int, rec: Any) -> None:
        ref = rec.get("ref") if isinstance(rec, dict) and isinstance(rec.get("ref"), str) else None
        self.to_review = []
        try:
            if isinstance(rec, Refused):
                raise rec
            if not isinstance(rec, dict):
                raise Refused("a record must be a JSON object")
            rtype = rec.get("type")
            schema = RECORD_SCHEMAS.get(rtype) if isinstance(rtype, str) else None
            if schema is None:
                raise Refused(
                    f"unknown record type {rtype!r}; expected one of {', '.join(RECORD_SCHEMAS)}",
                    "type",
                )
            try:
                data = schema().load(rec)
            except ValidationError as exc:
                raise Refused("; ".join(_flatten(exc.messages))) from None
            outcome = getattr(self, f"_plan_{rtype}")(data)
        except Refused as exc:
            self.report.refusals.append(
                Refusal(
                    line,
                    ref,
                    exc.reason,
                    exc.template if exc.params else None,
                    exc.params,
                    exc.fieldname,
                )
            )
            return
        setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        self.report.review += [Review(line, ref, c, why) for c, why in self.to_review]

    def _plan_bureau(self, d: dict) -> str:
        parent = d["parent"]
        if parent is None and d["code"] != PROVINCE:
            raise Refused(f"only the provincial bureau {PROVINCE} has no parent", "parent")
        parent_level = None
        if parent is not None:
            parent_level = self.bureau_levels.get(parent)
            if parent_level is None:
                raise Refused(f"unknown parent bureau {parent}", "parent")
            if parent_level == "county":
                raise Refused("a county bureau cannot have bureaus below it", "parent")
            if d["code"] in chain_up(parent, self.bureau_parents.get):
                raise Refused(
                    f"the bureau {d['code']} cannot be placed below itself (under {parent})",
                    "parent",
                )
        level = bureau_level(parent_level)
        existing = db.session.get(Bureau, d["code"]) if d["code"] in self.bureau_levels else None
        if existing is not None:
            if (existing.name, existing.parent_code) == (d["name"], parent):
                return "unchanged"
            db.session.execute(
                update(Bureau)
                .where(Bureau.code == d["code"])
                .values(name=d["name"], parent_code=parent, level=level)
            )
            forget_bureau_tree()
            self.bureau_levels[d["code"]], self.bureau_parents[d["code"]] = level, parent
            self.events.append(("bureau.update", "bureau", d["code"], {"name": d["name"]}))
            return "updated"
        self.bureau_levels[d["code"]], self.bureau_parents[d["code"]] = level, parent
        self.new_bureaus.append(
            {"code": d["code"], "name": d["name"], "parent_code": parent, "level": level}
        )
        self.events.append(("bureau.create", "bureau", d["code"], {"name": d["name"]}))
        return "created"

    def _plan_operator(self, d: dict) -> str:
        self._bureau(d["bureau"])
        values = (d["name"], d["bureau"], d["filing_complete"])
        known = self.operators.get(d["uscc"])
        if known is not None:
            if known[1:] == values:
                return "unchanged"
            if known[0] is None:
                raise Refused(
                    f"operator {d['uscc']} appears twice in this file with different content"
                )
            db.session.execute(
                update(Operator)
                .where(Operator.id == known[0])
                .values(
                    name=d["name"], bureau_code=d["bureau"], filing_complete=d["filing_complete"]
                )
            )
            self.operators[d["uscc"]] = (known[0], *values)
            self.events.append(
                (
                    "operator.update",
                    "operator",
                    d["uscc"],
                    {"name": d["name"], "filing_complete": d["filing_complete"]},
                )
            )
            return "updated"
        self.operators[d["uscc"]] = (None, *values)
        self.new_operators.append(
            {
                "uscc": d["uscc"],
                "name": d["name"],
                "bureau_code": d["bureau"],
                "filing_complete": d["filing_complete"],
                "created_at": self.at,
            }
        )
        self.events.append(("operator.create", "operator", d["uscc"], {"name": d["name"]}))
        return "created"

    def _plan_product(self, d: dict) -> str:
        self._operator(d["producer"], "producer")
        self._in_scope(d["category"], "category")
        key = (d["producer"], d["brand"], d["nice_class"])
        known = self.products.get(key)
        label = f"{d['producer']}/{d['brand']}/{d['nice_class']}"
        if known is not None:
            if known[1] == d["category"]:
                return "unchanged"
            if known[0] is None:
                raise Refused(f"product {label} appears twice in this file with different content")
            db.session.execute(
                update(ScoringObject)
                .where(ScoringObject.id == known[0])
                .values(category=d["category"])
            )
            self.products[key] = (known[0], d["category"])
            self.events.append(("product.update", "product", label, {"category": d["category"]}))
            return "updated"
        self.products[key] = (None, d["category"])
        self.new_products.append({"key": key, "category": d["category"]})
        self.events.append(("product.create", "product", label, {"category": d["category"]}))
        return "created"

    def _start(self, obj: tuple, on: date) -> None:
        """R-START: an object's first credit record gives it 12 points on that record's date.
        An earlier record arriving later dates a new START; the engine counts the earliest."""
        ident = self._object_id(obj) if obj[0] != "pending" else obj
        first = self.start_on.get(ident)
        if first is None or on < first:
            self.start_on[ident] = on
            self.new_entries.append(
                {
                    "object": obj,
                    "matter": None,
                    "kind": "START",
                    "points": Decimal("12.00"),
                    "effective_on": on,
                    "item": None,
                    "product_key": None,
                }
            )

    def _object_id(self, obj: tuple) -> Any:
        """The id of an object if it exists, else a stable key for the planned one."""
        kind, key = obj
        if kind == "product":
            pid = self.products[key][0]
            return pid if pid is not None else obj
        oid = self.operator_object.get(key)
        return oid if oid is not None else obj

    def _deduct(
        self, obj: tuple, ref: str, points: Decimal, on: date, item: str, same_product: str | None
    ) -> None:
        self._start(obj, on)
        self.new_entries.append(
            {
                "object": obj,
                "matter": ref,
                "kind": "DEDUCTION",
                "points": -points,
                "effective_on": on,
                "item": item,
                "product_key": same_product,
            }
        )

    def _plan_spot_check(self, d: dict) -> str:
        digest = _content_hash(d)
        if self._existing_ref(d["ref"], digest, "spot_check"):
            return "unchanged"
        self._operator(d["producer"], "producer")
        key = (d["producer"], d["brand"], d["nice_class"])
        self._product(key)
        self._product_in_scope(key, "product")
        self._bureau(d["bureau"])
        self._not_future(d["sampled_on"], "sampled_on")
        self._not_future(d["effective_on"], "effective_on")
        if d["seller"] is not None:
            self._operator(d["seller"], "seller")
        row = {
            "ref": d["ref"],
            "key": key,
            "model": d["model"],
            "standard": d["standard"],
            "sampled_on": d["sampled_on"],
            "result": d["result"],
            "effective_on": d["effective_on"],
            "bureau_code": d["bureau"],
            "seller_uscc": d["seller"],
            "intentional": d["intentional"],
            "content_hash": digest,
            "recorded_at": self.at,
        }
        if d["result"] == "fail":
            on = d["effective_on"]
            if on < d["sampled_on"]:
                raise Refused("effective_on is before sampled_on", "effective_on")
            if d["bureau"] != PROVINCE:
                raise Refused(
                    f"spot-check scoring is recorded by the provincial bureau {PROVINCE} (Art. 19)",
                    "bureau",
                )
            table = self._table(on)
            items = [SPOT_CHECK_ITEM] + ([INTENTIONAL_FAILURE_ITEM] if d["intentional"] else [])
            try:
                product_item = table.heaviest([SPOT_CHECK_ITEM], "product", d["intentional"])
                producer_item = (
                    table.heaviest([INTENTIONAL_FAILURE_ITEM], "producer", True)
                    if d["intentional"]
                    else None
                )
            except TableError as exc:
                raise _table_refusal(exc) from None
            # R-180: only the product's A11.1 entry carries the key, and only when the model
            # and standard are known (sameness cannot be shown otherwise).
            same_product = product_key(d["producer"], d["standard"], d["brand"], d["model"])
            if same_product is None:
                self.to_review.append((None, UNKNOWN_MODEL))
            self.new_matters.append(
                {
                    "ref": d["ref"],
                    "source": "spot_check",
                    "items": items,
                    "intentional": d["intentional"],
                    "intentional_objects": None,
                    "major_impact": False,
                    "effective_on": on,
                    "bureau_code": d["bureau"],
                    "model": d["model"],
                    "standard": d["standard"],
                    "summary": f"监督抽查不合格 {d['brand']} {d['model'] or ''}".strip(),
                    "table_version": table.version,
                    "content_hash": digest,
                    "recorded_by": self.actor,
                    "recorded_at": self.at,
                }
            )
            self._deduct(
                ("product", key),
                d["ref"],
                product_item.deduction(d["intentional"]),
                on,
                product_item.code,
                same_product,
            )
            if producer_item is not None:
                self._deduct(
                    ("operator", d["producer"]),
                    d["ref"],
                    producer_item.deduction(True),
                    on,
                    producer_item.code,
                    None,
                )
        else:
            # A recorded result is a credit record of the product: a pass starts its score too
            # (R-START), so a product checked and found clean is class A, not unscored.
            self._start(("product", key), d["sampled_on"])
        self.spot_hash[d["ref"]] = digest
        self.new_spot_checks.append(row)
        self.events.append(("spot_check.create", "spot_check", d["ref"], {"result": d["result"]}))
        return "created"

    def _plan_matter(self, d: dict) -> str:
        digest = _content_hash(d)
        if self._existing_ref(d["ref"], digest, "matter"):
            return "unchanged"
        self._matter_in_scope(d)
        level = self._bureau(d["bureau"])
        on = d["effective_on"]
        self._not_future(on, "effective_on")
        table = self._table(on)
        planned: list[tuple[tuple, Any]] = []
        seen: set[tuple] = set()
        for n, o in enumerate(d["objects"]):
            where = f"objects.{n}"
            if o["kind"] == "product":
                key = (o["producer"], o["brand"], o["nice_class"])
                self._operator(o["producer"], f"{where}.producer")
                self._product(key, where)
                obj = ("product", key)
            else:
                self._operator(o["uscc"], f"{where}.uscc")
                obj = ("operator", o["uscc"])
            if obj in seen:
                raise Refused(
                    "the same object is listed twice (one matter scores an object once, R-ONCE)",
                    where,
                )
            seen.add(obj)
            intentional = self._object_intent(d, o, where)
            try:
                item = table.heaviest(d["items"], o["kind"], intentional)
            except TableError as exc:
                raise _table_refusal(exc) from None
            planned.append((obj, item, intentional))
        self._recorder(d["items"], d["bureau"], level, table)
        # R-REPAIR-ELIGIBLE: the "major impact" flag follows the item (A11.9): stored true,
        # and listed for review when the record said otherwise.
        unrepairable = unrepairable_items(d["items"], table)
        if unrepairable and not d["major_impact"]:
            self.to_review.append(
                (d.get("category"), MAJOR_IMPACT_FOLLOWS % {"items": ", ".join(unrepairable)})
            )
        intents = [i for _obj, _item, i in planned]
        per_object = any("intentional" in o for o in d["objects"])
        self.new_matters.append(
            {
                "ref": d["ref"],
                "source": "matter",
                "items": d["items"],
                # The matter-level flag means "every object" (R-INTENT).
                "intentional": all(intents),
                "intentional_objects": (
                    [_label(obj) for obj, _item, i in planned if i] if per_object else None
                ),
                "major_impact": d["major_impact"] or bool(unrepairable),
                "effective_on": on,
                "bureau_code": d["bureau"],
                "model": d["model"],
                "standard": d["standard"],
                "summary": d["summary"],
                "table_version": table.version,
                "content_hash": digest,
                "recorded_by": self.actor,
                "recorded_at": self.at,
            }
        )
        for obj, item, intentional in planned:
            self._deduct(obj, d["ref"], item.deduction(intentional), on, item.code, None)
        self.matter_hash[d["ref"]] = digest
        self.events.append(
            ("matter.create", "matter", d["ref"], {"items": d["items"], "objects": len(planned)})
        )
        return "created"

    @staticmethod
    def _object_intent(d: dict, o: dict, where: str) -> bool:
        """R-INTENT (Art. 13): intent belongs to each object. The matter's `intentional: true`
        means every object; an object may say it acted intentionally of its own."""
        own = o.get("intentional")
        if own is None:
            return d["intentional"]
        if d["intentional"] and not own:
            raise Refused(
                "intentional: true on the matter means every object acted intentionally; "
                "leave it false and mark the objects that did (Art. 13)",
                f"{where}.intentional",
            )
        return own

    # ---- writing ------------------------------------------------------------------------

    def write(self) -> None:
        s = db.session
        if self.new_bureaus:
            s.execute(insert(Bureau), self.new_bureaus)
            forget_bureau_tree()
        if self.new_operators:
            rows = s.execute(
                insert(Operator).returning(Operator.id, Operator.uscc), self.new_operators
            ).all()
            for oid, uscc in rows:
                self.operators[uscc] = (oid, *self.operators[uscc][1:])
            objs = s.execute(
                insert(ScoringObject).returning(ScoringObject.id, ScoringObject.operator_id),
                [{"kind": "operator", "operator_id": oid} for oid, _ in rows],
            ).all()
            by_operator = dict((oid, uscc) for oid, uscc in rows)
            for object_id, operator_id in objs:
                uscc = by_operator[operator_id]
                self.operator_object[uscc] = object_id
                self._rekey(("operator", uscc), object_id)
        if self.new_products:
            params = [
                {
                    "kind": "product",
                    "operator_id": self.operators[p["key"][0]][0],
                    "brand": p["key"][1],
                    "nice_class": p["key"][2],
                    "category": p["category"],
                }
                for p in self.new_products
            ]
            rows = s.execute(
                insert(ScoringObject).returning(
                    ScoringObject.id,
                    ScoringObject.brand,
                    ScoringObject.nice_class,
                    ScoringObject.operator_id,
                    sort_by_parameter_order=True,
                ),
                params,
            ).all()
            for p, row in zip(self.new_products, rows, strict=True):
                self.products[p["key"]] = (row.id, p["category"])
                self._rekey(("product", p["key"]), row.id)
        matter_ids: dict[str, int] = {}
        if self.new_matters:
            rows = s.execute(
                insert(Matter).returning(Matter.id, Matter.ref), self.new_matters
            ).all()
            matter_ids = {ref: mid for mid, ref in rows}
        if self.new_spot_checks:
            params = []
            for r in self.new_spot_checks:
                r = dict(r)
                r["object_id"] = self.products[r.pop("key")][0]
                r["matter_id"] = matter_ids.get(r["ref"]) if r["result"] == "fail" else None
                params.append(r)
            s.execute(insert(SpotCheck), params)
        if self.new_entries:
            params = []
            for e in self.new_entries:
                kind, key = e["object"]
                if kind == "product":
                    object_id, operator_id = self.products[key][0], self.operators[key[0]][0]
                else:
                    object_id, operator_id = self.operator_object[key], self.operators[key][0]
                params.append(
                    {
                        "object_id": object_id,
                        "operator_id": operator_id,
                        "matter_id": matter_ids.get(e["matter"]) if e["matter"] else None,
                        "kind": e["kind"],
                        "points": e["points"],
                        "effective_on": e["effective_on"],
                        "item": e["item"],
                        "product_key": e["product_key"],
                        "recorded_by": self.actor,
                        "recorded_at": self.at,
                    }
                )
            s.execute(insert(LedgerEntry), params)
        record_events(self.at, self.actor, self.events)
        s.flush()
        self._reset_plan()

    def _rekey(self, pending: tuple, object_id: int) -> None:
        if pending in self.start_on:
            self.start_on[object_id] = self.start_on.pop(pending)


def _label(obj: tuple) -> str:
    """How a matter names one of its objects (R-INTENT): an operator by its USCC, a product by
    producer/brand/Nice class."""
    kind, key = obj
    return key if kind == "operator" else f"{key[0]}/{key[1]}/{key[2]}"


def import_records(
    raw_lines: Iterable[bytes],
    *,
    today: date,
    actor: str,
    at: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import JSON Lines records; returns the report. Flushes, does not commit."""
    imp = _Importer(today=today, actor=actor, at=at)
    chunk: list[tuple[int, Any]] = []

    def flush_chunk() -> None:
        imp.preload(chunk)
        for line, rec in chunk:
            imp.report.read += 1
            imp.plan(line, rec)
        imp.write()
        if progress:
            progress(len(chunk))
        chunk.clear()

    for item in read_lines(raw_lines):
        chunk.append(item)
        if len(chunk) >= CHUNK:
            flush_chunk()
    if chunk:
        flush_chunk()
    imp.report.refusals.sort(key=lambda r: r.line)
    return imp.report
