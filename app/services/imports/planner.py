"""Planning one record at a time: checked, then added to the plan as named rows (nothing is
written here); the report counts it as created, updated, unchanged or refused."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.permissions import chain_up
from app.scoring import BASE_POINTS, ScoringTable, TableError, product_key
from app.scoring.repairs import unrepairable_items
from models import Bureau, Operator, ScoringObject

from ..reference import PROVINCE, bureau_level
from . import messages as m
from .checks import Checks, table_refusal
from .plan import (
    Change,
    Event,
    Known,
    KnownBureau,
    KnownOperator,
    KnownProduct,
    NewBureau,
    NewEntry,
    NewMatter,
    NewOperator,
    NewProduct,
    NewSpotCheck,
    ObjectRef,
    Plan,
)
from .records import content_hash, ref_of, validate
from .report import ImportReport, Refusal, Refused, Review

SPOT_CHECK_ITEM = "A11.1"
INTENTIONAL_FAILURE_ITEM = "A12.2"


class Planner(Checks):
    """One import: the checks against what is known, and the plan of the current chunk."""

    def __init__(
        self,
        known: Known,
        tables: list[ScoringTable],
        *,
        today: date,
        actor: str,
        at: datetime,
        report: ImportReport,
    ):
        super().__init__(known, tables, today)
        self.actor, self.at, self.report = actor, at, report
        self.plan = Plan()

    def record(self, line: int, rec: Any) -> None:
        """Plan one record, or note why it is refused."""
        ref = ref_of(rec)
        self.to_review = []
        try:
            rtype, data = validate(rec)
            outcome = getattr(self, f"_plan_{rtype}")(data)
        except Refused as exc:
            self.report.refusals.append(
                Refusal(line, ref, exc.reason, exc.template, exc.params, exc.fieldname)
            )
            return
        self.report.count(outcome)
        self.report.review += [
            Review(line, ref, category, template % params, template, params)
            for category, template, params in self.to_review
        ]

    # ---- reference records --------------------------------------------------------------

    def _plan_bureau(self, d: dict) -> str:
        code, parent = d["code"], d["parent"]
        if parent is None and code != PROVINCE:
            raise Refused(m.ONLY_PROVINCE_WITHOUT_PARENT, "parent", province=PROVINCE)
        parent_level = None
        if parent is not None:
            above = self.known.bureaus.get(parent)
            if above is None:
                raise Refused(m.UNKNOWN_PARENT, "parent", code=parent)
            parent_level = above.level
            if parent_level == "county":
                raise Refused(m.COUNTY_HAS_NO_CHILDREN, "parent")
            if code in chain_up(parent, self.known.parent_of):
                raise Refused(m.BUREAU_BELOW_ITSELF, "parent", code=code, parent=parent)
        level = bureau_level(parent_level)
        known = self.known.bureaus.get(code)
        if known is not None:
            if (known.name, known.parent) == (d["name"], parent):
                return "unchanged"
            if not known.stored:
                raise Refused(m.BUREAU_TWICE, code=code)
            self.known.bureaus[code] = KnownBureau(level, parent, d["name"], True)
            self.plan.changes.append(
                Change(Bureau, code, {"name": d["name"], "parent_code": parent, "level": level})
            )
            self.plan.events.append(Event("bureau.update", "bureau", code, {"name": d["name"]}))
            return "updated"
        self.known.bureaus[code] = KnownBureau(level, parent, d["name"], False)
        self.plan.bureaus.append(NewBureau(code, d["name"], parent, level))
        self.plan.events.append(Event("bureau.create", "bureau", code, {"name": d["name"]}))
        return "created"

    def _plan_operator(self, d: dict) -> str:
        self.bureau(d["bureau"])
        uscc = d["uscc"]
        values = (d["name"], d["bureau"], d["filing_complete"])
        known = self.known.operators.get(uscc)
        if known is not None:
            if known[1:] == values:
                return "unchanged"
            if known.id is None:
                raise Refused(m.OPERATOR_TWICE, uscc=uscc)
            self.plan.changes.append(
                Change(
                    Operator,
                    known.id,
                    {
                        "name": d["name"],
                        "bureau_code": d["bureau"],
                        "filing_complete": d["filing_complete"],
                    },
                )
            )
            self.known.operators[uscc] = KnownOperator(known.id, *values)
            detail = {"name": d["name"], "filing_complete": d["filing_complete"]}
            self.plan.events.append(Event("operator.update", "operator", uscc, detail))
            return "updated"
        self.known.operators[uscc] = KnownOperator(None, *values)
        self.plan.operators.append(
            NewOperator(uscc, d["name"], d["bureau"], d["filing_complete"], self.at)
        )
        self.plan.events.append(Event("operator.create", "operator", uscc, {"name": d["name"]}))
        return "created"

    def _plan_product(self, d: dict) -> str:
        self.operator(d["producer"], "producer")
        self.in_scope(d["category"], "category")
        key = (d["producer"], d["brand"], d["nice_class"])
        known = self.known.products.get(key)
        label = ObjectRef("product", key).label()
        detail = {"category": d["category"]}
        if known is not None:
            if known.category == d["category"]:
                return "unchanged"
            if known.id is None:
                raise Refused(m.PRODUCT_TWICE, label=label)
            self.plan.changes.append(Change(ScoringObject, known.id, dict(detail)))
            self.known.products[key] = KnownProduct(known.id, d["category"])
            self.plan.events.append(Event("product.update", "product", label, detail))
            return "updated"
        self.known.products[key] = KnownProduct(None, d["category"])
        self.plan.products.append(NewProduct(key, d["category"]))
        self.plan.events.append(Event("product.create", "product", label, detail))
        return "created"

    # ---- ledger entries -----------------------------------------------------------------

    def _start(self, obj: ObjectRef, on: date) -> None:
        """R-START: an object's first credit record gives it 12 points on that record's date.
        An earlier record arriving later dates a new START; the engine counts the earliest."""
        ident = self.known.object_id(obj)
        first = self.known.start_on.get(ident)
        if first is None or on < first:
            self.known.start_on[ident] = on
            self.plan.entries.append(NewEntry(obj, None, "START", BASE_POINTS, on, None, None))

    def _deduct(
        self,
        obj: ObjectRef,
        ref: str,
        points: Decimal,
        on: date,
        item: str,
        same_product: str | None,
    ) -> None:
        self._start(obj, on)
        self.plan.entries.append(NewEntry(obj, ref, "DEDUCTION", -points, on, item, same_product))

    def _new_matter(self, d: dict, digest: str, table: ScoringTable, **values: Any) -> None:
        """A matter row: what every matter stores, plus what its kind of record decides."""
        self.plan.matters.append(
            NewMatter(
                ref=d["ref"],
                effective_on=d["effective_on"],
                bureau_code=d["bureau"],
                model=d["model"],
                standard=d["standard"],
                table_version=table.version,
                content_hash=digest,
                recorded_by=self.actor,
                recorded_at=self.at,
                **values,
            )
        )

    # ---- credit records -----------------------------------------------------------------

    def _plan_spot_check(self, d: dict) -> str:
        digest = content_hash(d)
        if self.existing_ref(d["ref"], digest, "spot_check"):
            return "unchanged"
        self.operator(d["producer"], "producer")
        key = (d["producer"], d["brand"], d["nice_class"])
        self.product(key)
        self.product_in_scope(key, "product")
        self.bureau(d["bureau"])
        self.not_future(d["sampled_on"], "sampled_on")
        self.not_future(d["effective_on"], "effective_on")
        if d["seller"] is not None:
            self.operator(d["seller"], "seller")
        product = ObjectRef("product", key)
        if d["result"] == "fail":
            self._spot_check_failure(d, digest, product)
        else:
            # A recorded result is a credit record of the product: a pass starts its score too
            # (R-START), so a product checked and found clean is class A, not unscored.
            self._start(product, d["sampled_on"])
        self.known.spot_hash[d["ref"]] = digest
        self.plan.spot_checks.append(
            NewSpotCheck(
                ref=d["ref"],
                product=key,
                model=d["model"],
                standard=d["standard"],
                sampled_on=d["sampled_on"],
                result=d["result"],
                effective_on=d["effective_on"],
                bureau_code=d["bureau"],
                seller_uscc=d["seller"],
                intentional=d["intentional"],
                content_hash=digest,
                recorded_at=self.at,
            )
        )
        self.plan.events.append(
            Event("spot_check.create", "spot_check", d["ref"], {"result": d["result"]})
        )
        return "created"

    def _spot_check_failure(self, d: dict, digest: str, product: ObjectRef) -> None:
        """A failed spot check is a matter of A11.1 against the product (and A12.2 against the
        producer when intentional), recorded by the provincial bureau (Art. 19)."""
        on = d["effective_on"]
        if on < d["sampled_on"]:
            raise Refused(m.EFFECTIVE_BEFORE_SAMPLED, "effective_on")
        if d["bureau"] != PROVINCE:
            raise Refused(m.SPOT_CHECK_BY_PROVINCE, "bureau", province=PROVINCE)
        table = self.table(on)
        intentional = d["intentional"]
        items = [SPOT_CHECK_ITEM] + ([INTENTIONAL_FAILURE_ITEM] if intentional else [])
        try:
            product_item = table.heaviest([SPOT_CHECK_ITEM], "product", intentional)
            producer_item = (
                table.heaviest([INTENTIONAL_FAILURE_ITEM], "producer", True)
                if intentional
                else None
            )
        except TableError as exc:
            raise table_refusal(exc) from None
        # R-180: only the product's A11.1 entry carries the key, and only when the model and
        # standard are known (sameness cannot be shown otherwise).
        same_product = product_key(d["producer"], d["standard"], d["brand"], d["model"])
        if same_product is None:
            self.to_review.append((None, m.UNKNOWN_MODEL, {}))
        self._new_matter(
            d,
            digest,
            table,
            source="spot_check",
            items=items,
            intentional=intentional,
            intentional_objects=None,
            major_impact=False,
            summary=f"监督抽查不合格 {d['brand']} {d['model'] or ''}".strip(),
        )
        self._deduct(
            product,
            d["ref"],
            product_item.deduction(intentional),
            on,
            product_item.code,
            same_product,
        )
        if producer_item is not None:
            self._deduct(
                ObjectRef("operator", d["producer"]),
                d["ref"],
                producer_item.deduction(True),
                on,
                producer_item.code,
                None,
            )

    def _plan_matter(self, d: dict) -> str:
        digest = content_hash(d)
        if self.existing_ref(d["ref"], digest, "matter"):
            return "unchanged"
        self.matter_in_scope(d)
        level = self.bureau(d["bureau"])
        on = d["effective_on"]
        self.not_future(on, "effective_on")
        table = self.table(on)
        planned = self._matter_objects(d, table)
        self.recorder(d["items"], d["bureau"], level, table)
        # R-REPAIR-ELIGIBLE: the "major impact" flag follows the item (A11.9): stored true,
        # and listed for review when the record said otherwise.
        unrepairable = unrepairable_items(d["items"], table)
        if unrepairable and not d["major_impact"]:
            self.to_review.append(
                (d.get("category"), m.MAJOR_IMPACT_FOLLOWS, {"items": ", ".join(unrepairable)})
            )
        intents = [i for _obj, _item, i in planned]
        per_object = any("intentional" in o for o in d["objects"])
        self._new_matter(
            d,
            digest,
            table,
            source="matter",
            items=d["items"],
            # The matter-level flag means "every object" (R-INTENT).
            intentional=all(intents),
            intentional_objects=(
                [obj.label() for obj, _item, i in planned if i] if per_object else None
            ),
            major_impact=d["major_impact"] or bool(unrepairable),
            summary=d["summary"],
        )
        for obj, item, intentional in planned:
            self._deduct(obj, d["ref"], item.deduction(intentional), on, item.code, None)
        self.known.matter_hash[d["ref"]] = digest
        self.plan.events.append(
            Event(
                "matter.create", "matter", d["ref"], {"items": d["items"], "objects": len(planned)}
            )
        )
        return "created"

    def _matter_objects(self, d: dict, table: ScoringTable) -> list[tuple[ObjectRef, Any, bool]]:
        """Each object of a matter, with the heaviest item it is scored under and its intent
        (R-ONCE: an object once per matter)."""
        planned: list[tuple[ObjectRef, Any, bool]] = []
        seen: set[ObjectRef] = set()
        for n, o in enumerate(d["objects"]):
            where = f"objects.{n}"
            if o["kind"] == "product":
                key = (o["producer"], o["brand"], o["nice_class"])
                self.operator(o["producer"], f"{where}.producer")
                self.product(key, where)
                obj = ObjectRef("product", key)
            else:
                self.operator(o["uscc"], f"{where}.uscc")
                obj = ObjectRef("operator", o["uscc"])
            if obj in seen:
                raise Refused(m.OBJECT_TWICE, where)
            seen.add(obj)
            intentional = self.object_intent(d, o, where)
            try:
                item = table.heaviest(d["items"], o["kind"], intentional)
            except TableError as exc:
                raise table_refusal(exc) from None
            planned.append((obj, item, intentional))
        return planned
