"""R-ORDER's "by construction", on the real database: every output gives the same figures.

Hypothesis draws small ledgers — several products of one producer, a seller, sometimes a
second producer; same-day ties whose refs sort against the order they were recorded in;
R-180 chains (failures of one model 0, 1, 179, 180, 181 days apart) and failures of unknown
model or standard; split matters (product and producer, sometimes a seller too) repaired on
both at their shares; rewards up to and over the 2-point cap; voids and amended deductions;
entries that drop out of the 36-month window; two half-yearly classification runs, the first
often putting an object in D. Data goes in through the import service and the ledger service,
as in production. Then, for every object and several dates:

(a) the score API equals the classification run's stored score and class (D-lock respected),
(b) the explanation lines of the score API add up to its score,
(c) the notice figures of each matter give each object the API's score, class and the points
    the API's lines of that matter add up to,
(d) the class exports (JSON Lines, CSV, XLSX) and the A-class list agree with the API, and
    the dishonesty export gives each matter the points the API's line of it counts (0 for a
    failure merged under R-180).

Matters fall on both sides of 2026-06-05, so both table versions of `seeded` score (the
default, ended by Art. 36, and its demonstration successor). `--hypothesis-show-statistics`
shows how often the examples reach each rule.

Each example runs inside one transaction that is rolled back (the ledger is append-only, so
the tables are never emptied by DELETE); the reference data of `seeded` stays committed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.queries.scores import explained_score, notice_figures
from app.scoring import add_months, add_years, window_end
from app.scoring.repairs import matter_repair
from app.services.case_effects import matter_deductions
from app.services.classification import run_classification
from app.services.exports import a_class_export, class_export, dishonesty_export, stream
from app.services.imports import import_records
from app.services.ledger import add_entry
from models import ClassificationResult, ClassificationRun, LedgerEntry, Matter, ScoringObject, User
from tests.helpers import jsonl, matter, operator, product, spot_check, uscc
from tests.unit.test_scoring_properties import PROPERTY

TODAY = date(2026, 11, 26)
AT = datetime(2026, 11, 26, 2, tzinfo=UTC)
TABLE_FROM = date(2021, 6, 5)  # the default table's applies_from: nothing scores before it
RUN_DATES = [date(y, m, 1) for y in range(2022, 2027) for m in (1, 7)]  # R-HALFYEAR

P, S, Q = uscc(1), uscc(2), uscc(3)  # producer, seller, a second producer
BRANDS = {P: ["甲牌", "乙牌", "丙牌"], Q: ["丁牌"]}
NICE = {P: 9, Q: 11}
MODELS = ["X-100", "X-200", None]  # None: unknown model, never merged under R-180

# Matter templates: (items, kinds of object it scores). One matter scores each object once
# (R-ONCE) at the heaviest item that fits it (R-MAX).
TEMPLATES = [
    (["A11.7"], ("product",)),
    (["A11.5", "A11.8"], ("product",)),  # R-MAX: A11.8 (4) over A11.5 (2)
    (["A11.9"], ("product",)),  # 12 points, not repairable: the road to D
    (["A11.3", "A12.1"], ("product", "producer")),  # a split matter
    (["A12.3"], ("producer",)),
    (["A12.8"], ("seller",)),
    (["A11.7", "A12.1"], ("product", "producer", "seller")),
    (["A12.4"], ("producer", "seller")),
]
NOT_REPAIRABLE = {"A11.9"}
SPOT_CHECK_ITEMS = {"A12.4"}  # items of matters that only the provincial bureau records
PROVINCE = "440000"
HEAVY = 2  # the A11.9 template: drawn more often, so that the first run puts objects in D
DAY_STEPS = [0, 0, 1, 179, 180, 181, 365, 1095, 1096]  # ties, R-180 and R-WINDOW boundaries


# ---- the drawn world ---------------------------------------------------------------------


@dataclass
class Record:
    kind: str  # "fail", "pass" or "matter"
    on: date
    producer: str
    brand: str
    template: int = 0
    model: str | None = "X-100"
    standard: str | None = "GB 4943.1-2022"
    intentional: bool = False
    ref: str = ""


@dataclass
class World:
    products: dict[str, list[str]]
    seller: bool
    records: list[Record]
    split: int  # records before this index are imported first, the rest in a second import
    follow_ups: list[tuple]  # ("repair", i, days, who) | ("reward", who, [pts], on) | ("void", …)
    runs: tuple[date, date]
    extra_dates: list[date] = field(default_factory=list)


def _clip(d: date) -> date:
    return min(max(d, TABLE_FROM), TODAY)


@st.composite
def worlds(draw) -> World:
    products = {P: BRANDS[P][: draw(st.integers(1, 3))]}
    if draw(st.booleans()):
        products[Q] = BRANDS[Q]
    seller = draw(st.booleans())
    # The runs first, so that some entries can count at the first and be gone by the second.
    first, second = sorted(
        draw(st.lists(st.sampled_from(RUN_DATES), min_size=2, max_size=2, unique=True))
    )
    n = draw(st.integers(1, 9))
    records: list[Record] = []
    for _ in range(n):
        how = draw(st.sampled_from(["new", "chain", "chain", "near", "straddle"]))
        producer = draw(st.sampled_from(sorted(products)))
        brand = draw(st.sampled_from(products[producer]))
        kind = draw(st.sampled_from(["fail", "fail", "pass", "matter", "matter"]))
        model = draw(st.sampled_from(MODELS))
        standard = draw(st.sampled_from(["GB 4943.1-2022"] * 4 + [None]))
        if how in ("chain", "near") and records:
            base = draw(st.sampled_from(records))
            on = _clip(base.on + timedelta(days=draw(st.sampled_from(DAY_STEPS))))
            if how == "chain":  # another failure of the same product and model
                kind, producer, brand = "fail", base.producer, base.brand
                model, standard = base.model, base.standard
        elif how == "straddle":  # counts at the first run, expired by the second (R-WINDOW)
            days = draw(st.integers(1, (second - first).days))
            on = _clip(add_months(first, -36) + timedelta(days=days))
        else:
            on = draw(st.dates(min_value=TABLE_FROM, max_value=TODAY))
        template = draw(st.sampled_from([*range(len(TEMPLATES)), HEAVY, HEAVY]))
        if "seller" in TEMPLATES[template][1] and not seller:
            template = 0
        records.append(
            Record(
                kind,
                on,
                producer,
                brand,
                template,
                model=model,
                standard=standard,
                intentional=kind != "pass" and draw(st.integers(0, 3)) == 0,
            )
        )
    # Refs sort in another order than the records are imported in, so that R-ORDER (not the
    # order of insertion) must decide between same-day entries.
    for record, number in zip(records, draw(st.permutations(range(n))), strict=True):
        record.ref = f"GD-{number:02d}"

    scored = [i for i, r in enumerate(records) if r.kind != "pass"]
    follow_ups: list[tuple] = []
    for _ in range(draw(st.integers(0, 4))):
        what = draw(st.sampled_from(["repair", "repair", "reward", "reward", "void"]))
        if what == "reward" or not scored:
            who = draw(
                st.sampled_from(
                    ["producer", "product", "seller"] if seller else ["producer", "product"]
                )
            )
            on = draw(st.dates(min_value=TABLE_FROM, max_value=TODAY))
            # One to three rewards of one object two months apart: up to and over the cap.
            points = draw(st.lists(st.sampled_from([1, 2]), min_size=1, max_size=3))
            follow_ups.append(("reward", who, points, on))
        elif what == "repair":
            i = draw(st.sampled_from(scored))
            follow_ups.append(
                ("repair", i, draw(st.sampled_from([0, 10, 200, 800])), draw(st.booleans()))
            )
        else:
            i = draw(st.sampled_from(scored))
            follow_ups.append(
                ("void", i, draw(st.integers(0, 2)), draw(st.sampled_from([None, 1, 2])))
            )
    extra = [draw(st.dates(min_value=date(2021, 1, 1), max_value=TODAY))]
    boundary = window_end(draw(st.sampled_from(records)).on)
    extra.append(boundary if draw(st.booleans()) else boundary - timedelta(days=1))
    return World(
        products,
        seller,
        records,
        draw(st.integers(0, n)),
        follow_ups,
        (first, second),
        [d for d in extra if d <= TODAY],
    )


# ---- building it through the services ------------------------------------------------------


def _record(r: Record, seller: bool) -> dict:
    if r.kind in ("fail", "pass"):
        return spot_check(
            r.ref,
            r.producer,
            result=r.kind,
            effective_on=r.on.isoformat(),
            sampled_on=(r.on - timedelta(days=20)).isoformat(),
            brand=r.brand,
            nice_class=NICE[r.producer],
            model=r.model,
            standard=r.standard,
            intentional=r.intentional,
        )
    items, kinds = TEMPLATES[r.template]
    objects = []
    for kind in kinds:
        if kind == "product":
            objects.append(
                {
                    "kind": "product",
                    "producer": r.producer,
                    "brand": r.brand,
                    "nice_class": NICE[r.producer],
                }
            )
        elif kind == "producer":
            objects.append({"kind": "producer", "uscc": r.producer})
        else:
            objects.append({"kind": "seller", "uscc": S})
    return matter(
        r.ref,
        objects,
        items=items,
        effective_on=r.on.isoformat(),
        intentional=r.intentional,
        # A12.4 (refusing a spot check) is recorded by the provincial bureau (Art. 19)
        bureau=PROVINCE if SPOT_CHECK_ITEMS & set(items) else "440300",
    )


def _import(records: list[dict]) -> None:
    if not records:
        return
    report = import_records(jsonl(records).splitlines(True), today=TODAY, actor="test", at=AT)
    assert report.refusals == [], report.refusals


def _objects() -> dict[int, ScoringObject]:
    return {o.id: o for o in db.session.scalars(select(ScoringObject).order_by(ScoringObject.id))}


def _object_of(w: World, who: str, r: Record | None = None) -> ScoringObject:
    uscc_ = S if who == "seller" else (r.producer if r else P)
    objs = [o for o in _objects().values() if o.operator.uscc == uscc_]
    if who == "product":
        brand = r.brand if r else w.products[P][0]
        return next(o for o in objs if o.kind == "product" and o.brand == brand)
    return next(o for o in objs if o.kind == "operator")


def build(w: World) -> None:
    heads = [operator(1), operator(3)] if Q in w.products else [operator(1)]
    if w.seller:
        heads.append(operator(2))
    heads += [product(p, brand=b, nice_class=NICE[p]) for p, bs in w.products.items() for b in bs]
    recs = [_record(r, w.seller) for r in w.records]
    _import(heads + recs[: w.split])
    _import(recs[w.split :])

    for f in w.follow_ups:
        if f[0] == "reward":  # written as granted, the engine caps them (R-REWARD-CAP)
            _, who, points, on = f
            item = {"product": "R16", "producer": "R17.1", "seller": "R17.3"}[who]
            for k, pts in enumerate(points):
                add_entry(
                    _object_of(w, who),
                    "REWARD",
                    Decimal(pts),
                    min(on + timedelta(days=61 * k), TODAY),
                    actor="test",
                    at=AT,
                    reason="reward",
                    item=item,
                )
        elif f[0] == "repair":  # R-REPAIR-ONE-MATTER, as the repair case's effect writes it
            _, i, days, seller_applies = f
            r = w.records[i]
            if r.kind == "matter" and TEMPLATES[r.template][0][0] in NOT_REPAIRABLE:
                continue
            on = r.on + timedelta(days=days)
            if on > TODAY:
                continue
            kinds = TEMPLATES[r.template][1] if r.kind == "matter" else ("product",)
            applicant = S if (seller_applies and "seller" in kinds) else r.producer
            op_id = _object_of(w, "seller" if applicant == S else "producer", r).operator_id
            for target, points in matter_repair(matter_deductions(r.ref, op_id, on), on):
                add_entry(
                    db.session.get(ScoringObject, target.object_id),
                    "REPAIR",
                    points,
                    on,
                    actor="test",
                    at=AT,
                    reason="repair",
                    target_id=target.id,
                    matter_of=db.session.get(LedgerEntry, target.id),
                )
        else:  # a VOID, maybe with an amended deduction (objection or correction)
            _, i, pick, amended = f
            r = w.records[i]
            live = db.session.scalars(
                select(LedgerEntry)
                .join(Matter, Matter.id == LedgerEntry.matter_id)
                .where(Matter.ref == r.ref, LedgerEntry.kind == "DEDUCTION")
                .order_by(LedgerEntry.id)
            ).all()
            voided = set(
                db.session.scalars(select(LedgerEntry.target_id).where(LedgerEntry.kind == "VOID"))
            )
            live = [e for e in live if e.id not in voided]
            if not live:
                continue
            e = live[pick % len(live)]
            obj = db.session.get(ScoringObject, e.object_id)
            add_entry(
                obj,
                "VOID",
                Decimal("0.00"),
                e.effective_on,
                actor="test",
                at=AT,
                reason="objection",
                target_id=e.id,
                matter_of=e,
            )
            if amended is not None:
                add_entry(
                    obj,
                    "DEDUCTION",
                    -Decimal(amended).quantize(Decimal("0.01")),
                    e.effective_on,
                    actor="test",
                    at=AT,
                    reason="objection amended",
                    matter_of=e,
                    item=e.item,
                    target_id=e.id,
                    product_key=e.product_key,
                )
    for run_on in w.runs:
        run_classification(run_on, actor="test", at=AT)
    db.session.flush()


# ---- reading every output ------------------------------------------------------------------


def _export_rows(export, fmt: str) -> list[dict]:
    data = b"".join(stream(export, fmt))
    if fmt == "jsonl":
        return [json.loads(line) for line in data.decode("utf-8").splitlines()]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in rows]
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    header, *body = list(ws.iter_rows(values_only=True))
    # A write-only sheet leaves out the empty cells at the end of a row.
    return [
        dict(zip(header, [*row, *[None] * (len(header) - len(row))], strict=True)) for row in body
    ]


def _text(value) -> str | None:
    """A cell as text: XLSX gives numbers and dates back typed."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _admin() -> User:
    from app.auth import create_user

    user = db.session.scalar(select(User).where(User.username == "prop_admin"))
    if user is None:
        user = create_user("prop_admin", "admin", display_name="管理员", at=AT)
        db.session.commit()  # once, beside the committed reference data; examples roll back
    return user


@settings(
    PROPERTY,
    max_examples=200,
    suppress_health_check=[*PROPERTY.suppress_health_check, HealthCheck.function_scoped_fixture],
)
@given(w=worlds(), fmts=st.tuples(*[st.sampled_from(["jsonl", "csv", "xlsx"])] * 2))
def test_r_order_every_output_gives_the_same_figures(seeded, db_session, w: World, fmts):
    admin = _admin()
    try:
        build(w)
        check(w, admin, fmts)
    finally:
        db.session.rollback()


def _note_coverage(doc: dict) -> None:
    """Hypothesis events: how often the examples reach each rule (--hypothesis-show-statistics)."""
    notes = {e["note"] for e in doc["entries"]}
    if "over the reward cap (R-REWARD-CAP)" in notes:
        event("rewards over the 2-point cap")
    if "counted once under R-ONCE" in notes:
        event("a matter of a product and its producer counted once")
    own = {e["matter"] for e in doc["entries"] if e["kind"] == "REPAIR" and not e["via"]}
    via = {e["matter"] for e in doc["entries"] if e["kind"] == "REPAIR" and e["via"]}
    if doc["object"]["kind"] != "product" and own & via:
        event("a split matter repaired on the product and its producer")
    if doc["class"] == "D":
        event("an object in D by its score")
    days: dict[date, set] = {}
    for e in doc["entries"]:
        if e["kind"] == "DEDUCTION":
            days.setdefault(e["effective_on"], set()).add(e["matter"])
    if any(len(matters) > 1 for matters in days.values()):
        event("deductions of several matters on one day (R-ORDER)")


def check(w: World, admin: User, fmts) -> None:
    objects = _objects()
    dates = sorted({*w.runs, TODAY, *w.extra_dates})
    api: dict[tuple[int, date], dict] = {}
    for oid, obj in objects.items():
        for d in dates:
            doc = explained_score(obj, d)
            api[oid, d] = doc
            _note_coverage(doc)
            # (b) the explanation lines add up to the score
            if doc["score"] is None:
                assert doc["entries"] == [] and doc["class"] == "O"
            else:
                total = sum((Decimal(e["points"]) for e in doc["entries"]), Decimal(0))
                assert f"{total:.2f}" == doc["score"], (obj.kind, d, doc)

    # (a) the classification runs store what the API says, D-lock respected (R-DLOCK)
    runs = {
        r.run_on: r.id
        for r in db.session.scalars(select(ClassificationRun).order_by(ClassificationRun.run_on))
    }
    stored: dict[date, dict[int, ClassificationResult]] = {}
    previous: dict[int, ClassificationResult] = {}
    for run_on in w.runs:
        results = {
            r.object_id: r
            for r in db.session.scalars(
                select(ClassificationResult).where(ClassificationResult.run_id == runs[run_on])
            )
        }
        assert set(results) == set(objects)
        for oid, res in results.items():
            doc = api[oid, run_on]
            assert (None if res.score is None else f"{res.score:.2f}") == doc["score"], (
                objects[oid].kind,
                run_on,
                doc,
            )
            prior = previous.get(oid)
            if prior is not None and prior.klass == "D" and run_on < prior.locked_until:
                expected = ("D", prior.locked_until)
                if doc["class"] != "D":
                    event("D-lock holds an object whose score is above 0")
            else:
                expected = (doc["class"], add_years(run_on, 3) if doc["class"] == "D" else None)
            assert (res.klass, res.locked_until) == expected, (objects[oid].kind, run_on, doc)
            official = doc["official_class"]
            assert (official["class"], official["run_on"]) == (res.klass, run_on)
        stored[run_on] = results
        previous = results

    versions = set(db.session.scalars(select(Matter.table_version)))
    if len(versions) > 1:
        event("matters scored under both table versions (Art. 36 and its successor)")

    # (c) notice figures: each object its own points, score and class, as the API says
    family_matters = db.session.execute(
        select(Matter.ref, LedgerEntry.operator_id)
        .join(LedgerEntry, LedgerEntry.matter_id == Matter.id)
        .where(LedgerEntry.kind == "DEDUCTION")
        .distinct()
    ).all()
    for ref, operator_id in family_matters:
        scored = {
            oid
            for oid in db.session.scalars(
                select(LedgerEntry.object_id)
                .join(Matter, Matter.id == LedgerEntry.matter_id)
                .where(
                    Matter.ref == ref,
                    LedgerEntry.operator_id == operator_id,
                    LedgerEntry.kind == "DEDUCTION",
                )
            )
        }
        for d in dates:
            figures = notice_figures(operator_id, ref, d)
            assert {f["object_id"] for f in figures} == scored
            for f in figures:
                doc = api[f["object_id"], d]
                lines = [e for e in doc["entries"] if e["matter"] == ref]
                points = sum((Decimal(e["points"]) for e in lines), Decimal(0))
                assert (f["points"], f["score"], f["class"]) == (
                    f"{points:.2f}",
                    doc["score"],
                    doc["class"],
                ), (ref, d, f, doc)
                assert f["merged"] == any(e["note"] == "merged under R-180" for e in lines)
                official = doc["official_class"]
                assert (f["official_class"] or {}).get("class") == (official or {}).get("class")
                if f["merged"]:
                    event("a notice of a failure merged under R-180")

    # (d) the exports of each run carry the API's score and class
    key_of = {(o.operator.uscc, o.brand, o.nice_class): oid for oid, o in objects.items()}
    for run_on, fmt in zip(w.runs, fmts, strict=True):
        rows = _export_rows(class_export(admin, run_on=run_on, klass=None, bureau=None), fmt)
        assert len(rows) == len(objects)
        for row in rows:
            nice = None if row["nice_class"] is None else int(row["nice_class"])
            oid = key_of[row["uscc"], row["brand"], nice]
            doc, res = api[oid, run_on], stored[run_on][oid]
            score = _text(row["score"])
            assert (None if score is None else f"{Decimal(score):.2f}") == doc["score"]
            assert row["class"] == res.klass
            assert row["object_kind"] == doc["object"]["kind"]
            locked = _text(row["locked_until"])
            assert locked == (res.locked_until.isoformat() if res.locked_until else None)
        a_rows = _export_rows(a_class_export(admin, run_on=run_on, bureau=None), "jsonl")
        a_list = {key_of[r["uscc"], r["brand"], r["nice_class"]] for r in a_rows}
        assert a_list == {oid for oid, res in stored[run_on].items() if res.klass == "A"}

    # (d) the dishonesty matters in force today (the public list's export): a failure merged
    # under R-180 carries 0 points there too, as its notice and the score say
    rows = _export_rows(
        dishonesty_export(admin, since=None, until=None, bureau=None, today=TODAY), "jsonl"
    )
    for row in rows:
        oid = key_of[row["uscc"], row["brand"], row["nice_class"]]
        lines = [
            e
            for e in api[oid, TODAY]["entries"]
            if e["matter"] == row["matter_ref"]
            and e["kind"] == "DEDUCTION"
            and (objects[oid].kind == "product" or e["via"] is None)
        ]
        counted = [e for e in lines if e["note"] != "counted once under R-ONCE"]
        if any(e["note"] == "merged under R-180" for e in lines):
            event("a failure merged under R-180 on the public dishonesty list")
            assert row["points"] == "0.00", (row, lines)
        elif counted:
            assert row["points"] == counted[0]["points"], (row, lines)


def test_r_180_a_merged_failure_is_published_with_the_0_points_it_carries(seeded, db_session):
    """The minimal example the property found: two failures of one product and model on one
    day, the later ref recorded first. R-ORDER scores GD-CC-A and merges GD-CC-B; the score,
    the notice and the public list (page, search and export) all give GD-CC-B 0 points."""
    from app.queries.disclosure import dishonesty, search

    admin = _admin()
    _import([operator(1), product(P, brand="甲牌"), _record(_fail("GD-CC-B"), False)])
    _import([_record(_fail("GD-CC-A"), False)])
    (operator_id,) = db.session.scalars(select(ScoringObject.operator_id).distinct()).all()
    assert [(f["points"], f["merged"]) for f in notice_figures(operator_id, "GD-CC-B", TODAY)] == [
        ("0.00", True)
    ]
    exported = _export_rows(
        dishonesty_export(admin, since=None, until=None, bureau=None, today=TODAY), "csv"
    )
    assert {r["matter_ref"]: r["points"] for r in exported} == {
        "GD-CC-A": "-3.00",
        "GD-CC-B": "0.00",
    }
    page = dishonesty(today=TODAY)
    assert {r["matter_ref"]: (f"{r['points']:.2f}", r["merged"]) for r in page.rows} == {
        "GD-CC-A": ("-3.00", False),
        "GD-CC-B": ("0.00", True),
    }
    found, _more = search("甲牌", today=TODAY)
    (obj,) = found.rows
    assert sorted((m["matter_ref"], m["merged"]) for m in obj["matters"]) == [
        ("GD-CC-A", False),
        ("GD-CC-B", True),
    ]
    html = seeded.test_client().get("/public/dishonesty", headers={"Accept-Language": "zh-CN"})
    row = re.search(r'data-matter="GD-CC-B">(.*?)</tr>', html.get_data(as_text=True), re.S)
    assert re.search(r'data-col="points">0 <small class="muted">合并计分（第九条）', row.group(1))


def _fail(ref: str) -> Record:
    return Record("fail", date(2025, 4, 10), P, "甲牌", ref=ref)
