"""The rules a record must pass before it is planned: what it names exists, its dates, its
ref, its scope (R-SCOPE), its table (R-VALIDITY) and who may record it (Art. 19)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.scoring import ScoringTable, TableError, table_in_force
from app.scoring.scope import Decision

from ..reference import PROVINCE
from ..scope import scope_catalogue
from ..scoring_tables import uncovered
from . import messages as m
from .plan import Known, ProductKey
from .report import Refused


def table_refusal(exc: TableError) -> Refused:
    """Items the scoring table cannot score, refused on the `items` field (translated on the
    pages when the table said why by template)."""
    if exc.template:
        return Refused(exc.template, "items", **exc.params)
    return Refused.plain(str(exc), "items")


class Checks:
    """Checks against what is known; notes for review (category, template, values) go to
    `to_review` of the record being planned."""

    def __init__(self, known: Known, tables: list[ScoringTable], today: date):
        self.known, self.tables, self.today = known, tables, today
        self.scope = scope_catalogue()
        self.decisions: dict[str, Decision] = {}  # category -> R-SCOPE decision, per import
        self.to_review: list[tuple[str | None, str, dict[str, Any]]] = []

    def bureau(self, code: str) -> str:
        """The level of a known bureau."""
        known = self.known.bureaus.get(code)
        if known is None:
            raise Refused(m.UNKNOWN_BUREAU, "bureau", code=code)
        return known.level

    def operator(self, uscc: str, fieldname: str) -> None:
        if uscc not in self.known.operators:
            raise Refused(m.OPERATOR_NOT_REGISTERED, fieldname, uscc=uscc)

    def product(self, key: ProductKey, fieldname: str = "product") -> None:
        if key not in self.known.products:
            raise Refused(
                m.PRODUCT_NOT_REGISTERED,
                fieldname,
                producer=key[0],
                brand=key[1],
                nice_class=key[2],
            )

    def not_future(self, d: date | None, fieldname: str) -> None:
        if d is not None and d > self.today:
            raise Refused(m.IN_FUTURE, fieldname, date=d.isoformat(), today=self.today.isoformat())

    def table(self, on: date) -> ScoringTable:
        """R-VALIDITY: the version covering `on`; refused (Art. 36) when none does."""
        table = table_in_force(self.tables, on)
        if table is None:
            err = uncovered(self.tables, on)
            raise Refused(err.template, "effective_on", **err.params)
        return table

    def existing_ref(self, ref: str, digest: str, kind: str) -> bool:
        """True if this exact record is already in; refuses a ref re-used with other content."""
        own = self.known.matter_hash if kind == "matter" else self.known.spot_hash
        other = self.known.spot_hash if kind == "matter" else self.known.matter_hash
        if ref in own:
            if own[ref] == digest:
                return True
            raise Refused(m.REF_CONFLICT, "ref", ref=ref)
        if ref in other:
            used = m.REF_USED_BY_SPOT_CHECK if kind == "matter" else m.REF_USED_BY_MATTER
            raise Refused(used, "ref", ref=ref)
        return False

    # ---- R-SCOPE (Art. 2) ---------------------------------------------------------------

    def in_scope(self, category: str, fieldname: str, review: bool = True) -> None:
        """Refuses a category outside the Spec; notes an unknown one for review."""
        decision = self.decisions.get(category)
        if decision is None:
            decision = self.decisions[category] = self.scope.decide(category)
        if decision.out_of_scope:
            assert decision.family is not None
            raise Refused(
                m.OUT_OF_SCOPE,
                fieldname,
                category=category,
                family=decision.family.name_en,
                family_zh=decision.family.name,
            )
        if decision.unknown and review:
            self.to_review.append((category, m.UNKNOWN_CATEGORY, {"category": category}))

    def product_in_scope(self, key: ProductKey, fieldname: str) -> None:
        """A product already stored with a category outside the Spec (before the catalogue
        knew it) gets no new matter or spot check."""
        known = self.known.products.get(key)
        if known is not None:
            self.in_scope(known.category, fieldname, review=False)

    def matter_in_scope(self, d: dict) -> None:
        """A matter about an out-of-scope product is refused, against the product (by its
        stored category) or against its producer or seller (by the matter's `category`)."""
        if d.get("category") is not None:
            self.in_scope(d["category"], "category")
        for n, o in enumerate(d["objects"]):
            if o["kind"] == "product":
                self.product_in_scope((o["producer"], o["brand"], o["nice_class"]), f"objects.{n}")

    # ---- who records (rules §11, Art. 19) -----------------------------------------------

    @staticmethod
    def recorder(codes: list[str], bureau: str, level: str, table: ScoringTable) -> None:
        """Rules §11 (Art. 19): scoring related to spot checks (items marked spot_check) is
        recorded by the provincial bureau; other deductions by city bureaus, county bureaus
        entering them for their city. One matter is recorded by one of them."""
        related = {c for c in codes if c in table.items and table.items[c].spot_check}
        spot = ", ".join(c for c in codes if c in related)
        other = ", ".join(c for c in codes if c not in related)
        if spot and other:
            raise Refused(
                m.SPLIT_SPOT_AND_OTHER, "items", spot=spot, other=other, province=PROVINCE
            )
        if spot and bureau != PROVINCE:
            raise Refused(m.ITEMS_BY_PROVINCE, "bureau", spot=spot, province=PROVINCE)
        if other and level == "province":
            raise Refused(m.OTHER_BY_CITY, "bureau")

    @staticmethod
    def object_intent(d: dict, o: dict, where: str) -> bool:
        """R-INTENT (Art. 13): intent belongs to each object. The matter's `intentional: true`
        means every object; an object may say it acted intentionally of its own."""
        own = o.get("intentional")
        if own is None:
            return d["intentional"]
        if d["intentional"] and not own:
            raise Refused(m.INTENT_OF_EVERY_OBJECT, f"{where}.intentional")
        return own
