"""What-if previews (影响预览): the ledgers loaded as the score API loads them, the hypothetical
change built by the rule core (`app/scoring/whatif.py`), and figures per object for the pages.

Read only: nothing is added to the session, nothing is flushed. A preview is a `Preview`; its
`refusal` says why the decision could not be taken (then it shows no figures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.scoring import EntryKind, OfficialClass, ScoringTable, TableError, parse_table
from app.scoring.engine import live_entries
from app.scoring.repairs import matter_repair, unrepairable_items
from app.scoring.whatif import (
    Ledger,
    ObjectEffect,
    RepairCount,
    matter_entries,
    next_run_on,
    repair_count,
    repair_dates,
    repair_entries,
    revocation_entries,
    what_if,
)
from models import Case, LedgerEntry, Matter, Operator, ScoringObject, ScoringTableVersion

from .scores import entries_where, official_class_of

NEW_OPERATOR = 0  # the id a seller or producer not yet registered is previewed under


def N_(text: str) -> str:  # noqa: N802  (the gettext convention)
    """Marks a text for the message catalogues; the pages show it in their language."""
    return text


# Why a decision would change nothing, or could not be taken (catalogue ids; pages translate).
NO_CHANGE = N_("此决定不改变任何记分")
NOT_REPAIRABLE = N_("该事项造成重大社会影响，不予修复（第十四条）：获批不会恢复分值")
NOTHING_TO_REPAIR = N_("该扣分已不再计分或已修复，没有可修复的分值")
LIMIT_REACHED = N_("经营者在36个月内已有两次修复，再次修复将被拒绝（第十五条第二款）")
PRODUCT_UNKNOWN = N_("该产品尚未登记，无法预览")
IN_FUTURE = N_("生效日期晚于今天，无法预览")
NOT_PREVIEWED = N_("此类决定暂不提供影响预览")
POINTS_NEEDED = N_("填写变更后的分值后显示预览")
INCOMPLETE = N_("请先完整填写事项，再预览影响")
OUT_OF_REACH = N_("该经营者的信用记录不在本局查看范围内，无法预览；登记后可在记分对象页查看")


@dataclass
class Row:
    """One object of a preview, named as the pages name it."""

    effect: ObjectEffect
    kind: str  # product / producer / seller
    brand: str | None = None
    nice_class: int | None = None
    name: str | None = None


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    refusal: str | None = None  # a catalogue id, or a text the rule core wrote (TableError)
    refusal_params: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    repairs: RepairCount | None = None
    next_run: date | None = None
    scenario: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, figures as strings like the score API's."""

        def pts(p: Decimal | None) -> str | None:
            return None if p is None else f"{p:.2f}"

        def cls(c: OfficialClass | None) -> dict | None:
            if c is None:
                return None
            until = c.locked_until.isoformat() if c.locked_until else None
            return {"class": c.klass, "run_on": c.run_on.isoformat(), "locked_until": until}

        return {
            "scenario": self.scenario,
            "refusal": self.refusal,
            "note": self.note,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "repairs": None
            if self.repairs is None
            else {
                "used_before": self.repairs.used_before,
                "used_after": self.repairs.used_after,
                "limit": self.repairs.limit,
                "limit_reached": self.repairs.limit_reached,
            },
            "objects": [
                {
                    "object_id": r.effect.object_id or None,
                    "kind": r.kind,
                    "brand": r.brand,
                    "nice_class": r.nice_class,
                    "before": {
                        "score": pts(r.effect.before.points),
                        "class": r.effect.before.klass,
                    },
                    "after": {"score": pts(r.effect.after.points), "class": r.effect.after.klass},
                    "matter_before": pts(r.effect.matter_before),
                    "matter_after": pts(r.effect.matter_after),
                    "in_force": cls(r.effect.in_force),
                    "next_run_before": cls(r.effect.next_before),
                    "next_run_after": cls(r.effect.next_after),
                    "triggers": list(r.effect.triggers),
                }
                for r in self.rows
            ],
        }


def _figures(f) -> dict[str, Any]:
    return {"score": None if f.points is None else f"{f.points:.2f}", "class": f.klass}


# ---- loading --------------------------------------------------------------------------------


def ledger_of(operator_id: int, as_of: date) -> tuple[Ledger, dict[int, ScoringObject]]:
    """The operator's entries (its own and its products'), as `notice_figures` reads them,
    and the class in force of each object."""
    family = entries_where(LedgerEntry.operator_id == operator_id)
    objects = {
        o.id: o
        for o in db.session.scalars(
            select(ScoringObject).where(ScoringObject.operator_id == operator_id)
        )
    }
    own_id = next((oid for oid, o in objects.items() if o.kind == "operator"), NEW_OPERATOR)
    products = {
        oid: tuple(family.get(oid, ())) for oid, o in objects.items() if o.kind == "product"
    }
    in_force = {}
    for oid in objects:
        row = official_class_of(oid, as_of)
        if row is not None:
            in_force[oid] = OfficialClass(row["class"], row["run_on"], row["locked_until"])
    return Ledger(own_id, tuple(family.get(own_id, ())), products, in_force), objects


def _role(operator_id: int, objects: dict[int, ScoringObject]) -> str:
    return "producer" if any(o.kind == "product" for o in objects.values()) else "seller"


def _rows(effects, objects: dict[int, ScoringObject], role: str, name: str | None = None):
    rows = []
    for e in effects:
        obj = objects.get(e.object_id)
        if obj is not None and obj.kind == "product":
            rows.append(Row(e, "product", obj.brand, obj.nice_class))
        else:
            rows.append(Row(e, role, name=obj.operator.name if obj is not None else name))
    return rows


def _table(version: str) -> ScoringTable | None:
    content = db.session.scalar(
        select(ScoringTableVersion.content).where(ScoringTableVersion.version == version)
    )
    return parse_table(content) if content is not None else None


# ---- recording a matter (登记事项) ------------------------------------------------------------


def matter_preview(d: dict, table: ScoringTable, today: date, schedule: str) -> Preview:
    """The matter typed into the form, as if recorded: its deduction on the object it scores
    (the item's value for that kind of object, R-INTENT, Art. 12(1) via `heaviest`), before
    and after for that object and its operator, the notice it issues (R-NOTICE) and the class
    the next run would set (R-CLASS, R-DLOCK). The import's own checks still apply when it is
    recorded."""
    on = d["effective_on"]
    if on > today:
        return Preview(refusal=IN_FUTURE)
    uscc = d["uscc"].strip().upper()
    kind = d["kind"]
    items = [d["related_item"], d["item"]] if d.get("related_item") else [d["item"]]
    try:
        item = table.heaviest(items, kind, d["intentional"])
    except TableError as exc:
        return Preview(refusal=exc.template or str(exc), refusal_params=dict(exc.params or {}))
    operator = db.session.scalar(select(Operator).where(Operator.uscc == uscc))
    if operator is None:
        if kind == "product":
            return Preview(refusal=PRODUCT_UNKNOWN)
        ledger, objects = Ledger(NEW_OPERATOR, (), {}), {}
        role = kind
    else:
        ledger, objects = ledger_of(operator.id, today)
        role = "producer" if kind == "producer" else _role(operator.id, objects)
    target = ledger.own_id
    if kind == "product":
        target = next(
            (
                oid
                for oid, o in objects.items()
                if o.kind == "product"
                and o.brand == d.get("brand")
                and o.nice_class == d.get("nice_class")
            ),
            None,
        )
        if target is None:
            return Preview(refusal=PRODUCT_UNKNOWN)
    ref = d.get("ref") or "—"
    changes = matter_entries(target, ledger.entries(target), ref, item, d["intentional"], on)
    run = next_run_on(today, schedule)
    effects = what_if(ledger, changes, today, matter=ref, notice=True, next_run=run)
    return Preview(_rows(effects, objects, role, d.get("name")), next_run=run, scenario="record")


# ---- deciding a repair, an objection or a correction ----------------------------------------


def repair_preview(entry_id: int, today: date, schedule: str) -> Preview:
    """An approved repair of the deduction's matter (R-REPAIR-ONE-MATTER): each object of the
    operator that the matter scored, restored by its own share, and the count of repairs
    (R-REPAIR-LIMIT). A repair that would be refused says why and shows no figures."""
    row = db.session.execute(
        select(LedgerEntry.operator_id, Matter)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id == entry_id)
    ).first()
    if row is None:
        return Preview(refusal=NOTHING_TO_REPAIR)
    operator_id, matter = row
    ledger, objects = ledger_of(operator_id, today)
    count = repair_count(repair_dates(ledger.all_entries()), today)
    if matter.major_impact or unrepairable_items(matter.items, _table(matter.table_version)):
        return Preview(refusal=NOT_REPAIRABLE, repairs=count, scenario="repair")
    deductions = []
    for oid in [ledger.own_id, *sorted(ledger.products)]:
        entries = ledger.entries(oid)
        for e in live_entries(entries, today):
            if e.kind is EntryKind.DEDUCTION and e.matter == matter.ref:
                deductions.append((e, entries))
    restored = matter_repair(deductions, today)
    if not restored:
        return Preview(refusal=NOTHING_TO_REPAIR, repairs=count, scenario="repair")
    if count.limit_reached:
        return Preview(refusal=LIMIT_REACHED, repairs=count, scenario="repair")
    run = next_run_on(today, schedule)
    effects = what_if(
        ledger, repair_entries(restored, today), today, matter=matter.ref, next_run=run
    )
    return Preview(
        _rows(effects, objects, _role(operator_id, objects)),
        repairs=count,
        next_run=run,
        scenario="repair",
    )


def revocation_preview(
    entry_ids: list[int],
    today: date,
    schedule: str,
    *,
    points: Decimal | None = None,
    notice: bool = False,
) -> Preview:
    """A revoked (points None) or amended scoring (R-RIGHTS): the disputed entries voided —
    a revoked deduction gives its points back — or replaced with the decided points, repairs
    kept on them (R-REPAIR-KEEP). A correction issues a new notice (`notice`)."""
    if not entry_ids:
        return Preview(refusal=NOT_PREVIEWED)
    operator_id = db.session.scalar(
        select(LedgerEntry.operator_id).where(LedgerEntry.id == entry_ids[0])
    )
    if operator_id is None:
        return Preview(refusal=NOT_PREVIEWED)
    ledger, objects = ledger_of(operator_id, today)
    wanted = set(entry_ids)
    disputed = [e for e in ledger.all_entries() if e.id in wanted]
    live = {e.id for oid in objects for e in live_entries(ledger.entries(oid), today)}
    disputed = [e for e in disputed if e.id in live]
    if not disputed:
        return Preview(refusal=NO_CHANGE)
    matter = disputed[0].matter
    run = next_run_on(today, schedule)
    changes = revocation_entries(disputed, ledger, today, points)
    effects = what_if(ledger, changes, today, matter=matter, notice=notice, next_run=run)
    return Preview(
        _rows(effects, objects, _role(operator_id, objects)),
        next_run=run,
        scenario="amend" if points is not None else "revoke",
    )


# What a case's decision task decides, and the scenario shown before the officer chooses.
DECISION_FORMS = ("RepairVerification", "ObjectionResolution", "CorrectionDecision")


def case_preview(case: Case, values: dict | None, today: date, schedule: str) -> Preview:
    """The decision of a case's task as the officer has filled it in so far (`values`: its
    form as posted, strings); None (nothing posted yet) shows the decision that changes the
    scoring: approve the repair, revoke the scoring, void it on correction."""
    subject = case.subject or {}
    posted = values is not None
    values = values or {}
    if case.process_id == "repair":
        if values.get("decision", "approve") != "approve":
            return Preview(note=NO_CHANGE, scenario="none")
        return repair_preview(subject["entry_id"], today, schedule)
    if case.process_id == "objection":
        outcome = values.get("outcome") or "revoked"
        if outcome == "upheld":
            return Preview(note=NO_CHANGE, scenario="none")
        if subject.get("refused_case"):
            refused = db.session.get(Case, subject["refused_case"])
            if refused.process_id == "repair" and outcome == "revoked":
                return repair_preview(refused.subject["entry_id"], today, schedule)
            return Preview(note=NOT_PREVIEWED, scenario="none")
        points = _points(values.get("points")) if outcome == "amended" else None
        if outcome == "amended" and points is None:
            return Preview(note=POINTS_NEEDED, scenario="none")
        return revocation_preview(subject.get("entry_ids") or [], today, schedule, points=points)
    if case.process_id == "correction":
        if values.get("decision", "correct") != "correct":
            return Preview(note=NO_CHANGE, scenario="none")
        void = not posted or values.get("void") in ("on", "true", "1", "yes", "y")
        points = None if void else _points(values.get("points"))
        if not void and points is None:
            return Preview(note=POINTS_NEEDED, scenario="none")
        return revocation_preview(
            subject.get("entry_ids") or [], today, schedule, points=points, notice=True
        )
    return Preview(note=NOT_PREVIEWED, scenario="none")


def _points(raw: Any) -> Decimal | None:
    """Points typed into a form (more than 0, at most 12), else None."""
    try:
        value = Decimal(str(raw).strip())
    except (ArithmeticError, ValueError):
        return None
    if not value.is_finite() or not 0 < value <= 12:
        return None
    return value.quantize(Decimal("0.1"))


def operator_id_of(uscc: str) -> int | None:
    return db.session.scalar(select(Operator.id).where(Operator.uscc == uscc.strip().upper()))


def operator_bureaus(operator_id: int) -> set[str]:
    """The bureaus whose staff cover an operator's records: the bureau it is registered with,
    the bureaus that scored it and the bureaus deciding its cases (as the inbox's object page
    reads them)."""
    bureaus = {db.session.scalar(select(Operator.bureau_code).where(Operator.id == operator_id))}
    bureaus |= set(
        db.session.scalars(
            select(Matter.bureau_code)
            .join(LedgerEntry, LedgerEntry.matter_id == Matter.id)
            .where(LedgerEntry.operator_id == operator_id)
            .distinct()
        )
    )
    bureaus |= set(
        db.session.scalars(
            select(Case.deciding_bureau).where(Case.operator_id == operator_id).distinct()
        )
    )
    return bureaus
