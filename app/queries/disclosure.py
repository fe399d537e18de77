"""What the public pages publish (Art. 29): the A-class list of the latest classification run
and the dishonesty matters in force, and a search over both.

Published, and nothing else (Art. 29; rules §2, §9, §10):

- the A-class list: objects the latest finished classification run put in class A (the
  official class holds until the next run, R-HALFYEAR); the class of any other object is not
  published here;
- dishonesty matters (失信事项): original deductions of a matter that still count on the day —
  not voided by an objection or a correction (an amended one shows its amended points), not
  repaired (Art. 14, 15: 信用修复后停止公示; the operator's repair of a matter withdraws it for
  every object of that operator), effective on or before today and inside their 36-month
  window (R-WINDOW: effective E, shown from E to `published_until(E)`, the day before
  E + 36 months). Once a deduction drops out of the score it is no longer published. A
  spot-check failure merged under R-180 is still a recorded dishonesty matter and is shown,
  with the 0 points it carries and the reason, as its notice and the score state it.

These are the rows the disclosure exports send (`app.services.exports`: the A-class list and
the dishonesty matters), built from the same query pieces (`app.queries.credit_rows`), with the
same "published until" and repair status from the pure core (`app.scoring.disclosure`), so the
page and the files never disagree; the dishonesty export also keeps repaired matters, marked
repaired. The class is shown for information only: it may not be printed on product labels or
used commercially (Art. 28); every public page says so.

The pages are anonymous and may be asked for any page number, so every query here is a
single indexed, paged query (the fate of a deduction is decided in SQL), never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.permissions import bureau_tree_codes
from app.queries.credit_rows import (
    class_base,
    class_where,
    fates,
    item_titles,
    matter_base,
    matter_where,
    merged_failures,
    published_in_force,
    repairs,
)
from app.scoring.dates import add_months, window_end
from app.scoring.disclosure import published_until
from models import Bureau, ClassificationResult, ClassificationRun, LedgerEntry, Operator
from models import ScoringObject as Obj


@dataclass
class Page:
    rows: list[dict]
    total: int
    page: int
    per_page: int
    capped: bool = False  # more rows than `total`, which is the most that were counted

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)


# ---- shared pieces --------------------------------------------------------------------------


def latest_run() -> ClassificationRun | None:
    """The latest finished classification run: its A list is the one in force."""
    return db.session.scalar(
        select(ClassificationRun)
        .where(ClassificationRun.finished_at.is_not(None))
        .order_by(ClassificationRun.run_on.desc())
        .limit(1)
    )


SUFFIX = "市场监督管理局"


def place(bureau_name: str) -> str:
    """广州市市场监督管理局 → 广州市: the city as the public names it."""
    return bureau_name.removesuffix(SUFFIX) or bureau_name


def cities() -> list[dict]:
    """The city bureaus, for the filter."""
    rows = db.session.execute(
        select(Bureau.code, Bureau.name).where(Bureau.level == "city").order_by(Bureau.code)
    ).all()
    return [{"code": c, "name": place(n)} for c, n in rows]


def city_names() -> dict[str, tuple[str, str]]:
    """Each bureau → (its city's code, name); the province stands for itself."""
    rows = db.session.execute(select(Bureau.code, Bureau.name, Bureau.parent_code, Bureau.level))
    by_code = {code: (name, parent, level) for code, name, parent, level in rows}
    out = {}
    for code in by_code:
        current, seen = code, {code}
        # up to the city; `seen` stops at a cycle (refused on every write) instead of hanging
        while by_code[current][2] == "county" and by_code[current][1] in by_code:
            if by_code[current][1] in seen:
                break
            current = by_code[current][1]
            seen.add(current)
        out[code] = (current, place(by_code[current][0]))
    return out


def city_scope(city: str | None) -> frozenset[str] | None:
    return bureau_tree_codes(city) if city else None


def text_match(q: str | None):
    """By exact credit code, or by part of an operator's name or a brand (as the object search
    of the API, `app.queries.catalogue.search_objects`)."""
    q = (q or "").strip()
    if not q:
        return None
    like = f"%{_escape_like(q)}%"
    return or_(
        Operator.uscc == q.upper(),
        Operator.name.like(like, escape="\\"),
        Obj.brand.like(like, escape="\\"),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _counted_page(rows: list[dict], stmt, cap: int, page: int, per_page: int) -> Page:
    """A page of a list whose rows are counted up to `cap`: the province's lists run to a
    million rows, and counting them all for every anonymous visitor took seconds (3.0 s for the
    dishonesty matters in force, 5.0 s of one city, at 1,000,000 objects)."""
    total = _count(stmt.limit(cap + 1))
    return Page(rows, min(total, cap), page, per_page, capped=total > cap)


def _published_object(o: Obj, op: Operator, names: dict[str, tuple[str, str]]) -> dict:
    """What the public pages say of a scoring object: who, which product, which city."""
    return {
        "object_id": o.id,
        "kind": o.kind,
        "uscc": op.uscc,
        "name": op.name,
        "brand": o.brand,
        "nice_class": o.nice_class,
        "category": o.category,
        "city": names.get(op.bureau_code, (op.bureau_code, op.bureau_code))[1],
    }


# ---- the A-class list -----------------------------------------------------------------------


def a_list(
    *,
    city: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
    cap: int = 1000,
) -> tuple[ClassificationRun | None, Page]:
    """The A list of the latest run, the rows of the A-class export (Art. 29)."""
    run = latest_run()
    if run is None:
        return None, Page([], 0, page, per_page)
    where = class_where(run, "A", city_scope(city))
    match = text_match(q)
    if match is not None:
        where.append(match)
    stmt = class_base().where(*where)
    rows = db.session.execute(
        # The primary key order (run, object), as the export: a page is an index range.
        stmt.order_by(ClassificationResult.object_id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    names = city_names()
    out = [{**_published_object(o, op, names), "class": r.klass} for r, o, op in rows]
    return run, _counted_page(out, stmt, cap, page, per_page)


# ---- dishonesty matters in force ------------------------------------------------------------


def window_start(today: date) -> date:
    """The earliest effective date still inside the 36-month window on `today` (R-WINDOW):
    window_end is monotonic, so this is the first day after add_months(today, -37) whose
    window ends after today."""
    day = add_months(today, -37)
    while window_end(day) <= today:
        day += timedelta(days=1)
    return day


# The aliases of in_force, made once: building an alias of the entity costs more CPU than
# the rest of the page's query construction.
_D, _DV, _EV, _R, _RV, _TV = (aliased(LedgerEntry, name=f"in_force_{n}") for n in range(6))


def in_force(today: date, entry=LedgerEntry) -> list:
    """SQL conditions on an original deduction (`LedgerEntry`) that hold exactly when the exports'
    tests do (`fates` + `published_in_force`, and no repair by `repairs`): every compensating
    entry of a deduction (VOID, amended DEDUCTION) names the same object and matter, and an
    amendment always voids what it replaces; so the matter counts while one deduction of that
    object and matter is not voided: the original itself (no VOID names it), or one of its
    amendments (the only other deductions of that object and matter: R-ONCE allows one
    original). It is repaired when the operator has a REPAIR of the matter (on any of its
    objects, R-REPAIR-ONE-MATTER) that is effective by today, not voided, and whose deduction
    is not voided (`engine.live_entries`).

    Written so that PostgreSQL answers each test from a partial index (VOIDs by target,
    REPAIRs by matter) and estimates the original's own test well, so a page of the newest
    walks the index of published deductions instead of sorting all of them."""
    live = or_(
        ~exists().where(_EV.kind == "VOID", _EV.target_id == entry.id),
        exists().where(
            _D.object_id == entry.object_id,
            _D.matter_id == entry.matter_id,
            _D.kind == "DEDUCTION",
            _D.target_id.is_not(None),
            ~exists().where(_DV.kind == "VOID", _DV.target_id == _D.id),
        ),
    )
    repaired = exists().where(
        _R.matter_id == entry.matter_id,
        _R.operator_id == entry.operator_id,
        _R.kind == "REPAIR",
        _R.effective_on <= today,
        ~exists().where(_RV.kind == "VOID", _RV.target_id == _R.id),
        ~exists().where(_TV.kind == "VOID", _TV.target_id == _R.target_id),
    )
    return [
        entry.effective_on >= window_start(today),
        entry.effective_on <= today,
        live,
        ~repaired,
    ]


def _dishonesty_rows(rows, today: date) -> list[dict]:
    """Shape one page of (entry, matter, object, operator): the current points follow the
    entry through amendments (`fates`, one query per link of the chain for the whole page)."""
    if not rows:
        return []
    fate = fates({e.id: e.points for e, *_ in rows})
    repaired = repairs(((e.operator_id, e.matter_id) for e, *_ in rows), today)
    merged = merged_failures(((e, m) for e, m, *_ in rows), today)
    title = item_titles()
    names = city_names()
    bureaus = dict(db.session.execute(select(Bureau.code, Bureau.name)).tuples().all())
    out = []
    for e, m, o, op in rows:
        f = fate[e.id]
        # Cannot happen while in_force() is exact: the pure core has the last word.
        if not published_in_force(e, f, today) or (e.operator_id, e.matter_id) in repaired:
            continue
        out.append(
            {
                "entry_id": e.id,
                "object_id": o.id,
                "matter_ref": m.ref,
                "effective_on": m.effective_on,
                "published_until": published_until(e.effective_on),
                "deciding_bureau": m.bureau_code,
                "deciding_bureau_name": bureaus.get(m.bureau_code, m.bureau_code),
                "item": e.item,
                "item_title": title(m.table_version, e.item),
                "summary": m.summary,
                "kind": o.kind,
                "uscc": op.uscc,
                "name": op.name,
                "brand": o.brand,
                "nice_class": o.nice_class,
                "city": names.get(op.bureau_code, (op.bureau_code, op.bureau_code))[1],
                # a merged failure is shown, at the 0 points it carries
                "points": Decimal("0.00") if e.id in merged else f.current,
                "merged": e.id in merged,
                "amended": f.status == "amended",
            }
        )
    return out


def dishonesty(
    *,
    today: date,
    city: str | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = 50,
    cap: int = 1000,
) -> Page:
    """Dishonesty matters in force on `today`, newest first (Art. 29), counted up to `cap`."""
    where = [*matter_where(None, None, city_scope(city)), *in_force(today)]
    match = text_match(q)
    if match is not None:
        where.append(match)
    stmt = matter_base().where(*where)
    rows = db.session.execute(
        stmt.order_by(LedgerEntry.effective_on.desc(), LedgerEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    # With conditions on the entry only, the entries alone are counted: every entry has its
    # matter, object and operator (not null, foreign keys), so the joins change no number.
    counted = select(LedgerEntry.id).where(*where) if match is None and city is None else stmt
    return _counted_page(_dishonesty_rows(rows, today), counted, cap, page, per_page)


# ---- search ---------------------------------------------------------------------------------


def search(
    q: str, *, today: date, page: int = 1, per_page: int = 20, cap: int = 1000
) -> tuple[Page, bool]:
    """Operators and products matching `q` that have published information: in the latest
    A list, or with a dishonesty matter in force. Each comes with only that information.

    At most `cap` of them are counted (`Page.capped` when there are more): a word found in
    most names ("有限公司") would otherwise make PostgreSQL decide, for every object of the
    province, whether it is published (5 s at 1,000,000 objects), for an anonymous visitor."""
    match = text_match(q)
    if match is None:
        return Page([], 0, page, per_page), False
    run = latest_run()
    e = aliased(LedgerEntry)
    published = exists().where(
        e.object_id == Obj.id,
        e.kind == "DEDUCTION",
        e.target_id.is_(None),
        e.matter_id.is_not(None),
        *in_force(today, e),
    )
    conditions = [published]
    a_class = None
    if run is not None:
        a_class = exists().where(
            ClassificationResult.run_id == run.id,
            ClassificationResult.object_id == Obj.id,
            ClassificationResult.klass == "A",
        )
        conditions.append(a_class)
    stmt = (
        select(Obj, Operator)
        .join(Operator, Operator.id == Obj.operator_id)
        .where(match, or_(*conditions))
    )
    found = db.session.scalars(stmt.with_only_columns(Obj.id).limit(cap + 1)).all()
    total = len(found)
    if total <= cap:
        # A few: the page is read by their ids. Left to find them again, PostgreSQL walks the
        # index of every credit code in order (1 s at 1,000,000 objects for a rare word).
        stmt = stmt.where(Obj.id.in_(found))
    rows = (
        db.session.execute(
            stmt.order_by(Operator.uscc, Obj.kind, Obj.brand, Obj.nice_class)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        if found
        else []
    )
    ids = [o.id for o, _ in rows]
    a_ids = set()
    if run is not None and ids:
        a_ids = set(
            db.session.scalars(
                select(ClassificationResult.object_id).where(
                    ClassificationResult.run_id == run.id,
                    ClassificationResult.klass == "A",
                    ClassificationResult.object_id.in_(ids),
                )
            )
        )
    matters: dict[int, list[dict]] = {}
    if ids:
        found = db.session.execute(
            matter_base()
            .where(
                *matter_where(None, None, None),
                *in_force(today),
                LedgerEntry.object_id.in_(ids),
            )
            .order_by(LedgerEntry.effective_on.desc(), LedgerEntry.id.desc())
        ).all()
        for row in _dishonesty_rows(found, today):
            matters.setdefault(row["object_id"], []).append(row)
    names = city_names()
    out = [
        {
            **_published_object(o, op, names),
            "a_class": o.id in a_ids,
            "matters": matters.get(o.id, []),
        }
        for o, op in rows
    ]
    return Page(out, min(total, cap), page, per_page, capped=total > cap), True
