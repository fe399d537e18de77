"""Statistics for supervisors: classes per city over successive runs, matters per item of the
scoring table, and the outcomes of repairs, objections, corrections and rewards.

Each function takes the bureau codes the caller may see (None: the whole province) and returns
plain rows, which the page draws as a chart and a table and exports as CSV or XLSX."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from app.extensions import db
from app.permissions import scope_filter
from app.scoring import CLASSES, latest_started, parse_table, table_in_force
from models import (
    Bureau,
    Case,
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Matter,
    Operator,
    ScoringObject,
    ScoringTableVersion,
)

from .credit_rows import matter_where

CASE_PROCESSES = ("repair", "objection", "correction", "reward")
CASE_OUTCOMES = {
    "repair": ("approved", "rejected"),
    "objection": ("not_accepted", "upheld", "amended", "revoked"),
    "correction": ("corrected", "no_error"),
    "reward": ("granted", "rejected"),
}


def _cities() -> dict[str, tuple[str, str]]:
    """Each bureau → (its city bureau's code, name); the province stands for itself."""
    rows = db.session.execute(select(Bureau.code, Bureau.name, Bureau.parent_code, Bureau.level))
    by_code = {code: (name, parent, level) for code, name, parent, level in rows}
    out: dict[str, tuple[str, str]] = {}
    for code in by_code:
        current, seen = code, {code}
        # up to the city; `seen` stops at a cycle (refused on every write) instead of hanging
        while by_code[current][2] == "county" and by_code[current][1] in by_code:
            if by_code[current][1] in seen:
                break
            current = by_code[current][1]
            seen.add(current)
        out[code] = (current, by_code[current][0])
    return out


def class_distribution(codes: frozenset[str] | None, *, runs: int = 6) -> list[dict]:
    """Objects per class per city, for the latest `runs` classification runs (oldest first)."""
    run_rows = db.session.execute(
        select(ClassificationRun.id, ClassificationRun.run_on)
        .where(ClassificationRun.finished_at.is_not(None))
        .order_by(ClassificationRun.run_on.desc())
        .limit(runs)
    ).all()
    if not run_rows:
        return []
    run_on = dict(run_rows)
    counts = db.session.execute(
        select(
            ClassificationResult.run_id,
            Operator.bureau_code,
            ClassificationResult.klass,
            func.count(),
        )
        .join(ScoringObject, ScoringObject.id == ClassificationResult.object_id)
        .join(Operator, Operator.id == ScoringObject.operator_id)
        .where(
            ClassificationResult.run_id.in_(sorted(run_on)),
            *scope_filter(Operator.bureau_code, codes),
        )
        .group_by(ClassificationResult.run_id, Operator.bureau_code, ClassificationResult.klass)
    ).all()
    cities = _cities()
    table: dict[tuple[date, str], dict] = {}
    for run_id, bureau, klass, n in counts:
        city, name = cities.get(bureau, (bureau, bureau))
        row = table.setdefault(
            (run_on[run_id], city),
            {"run_on": run_on[run_id], "city": city, "city_name": name}
            | dict.fromkeys(CLASSES, 0)
            | {"total": 0},
        )
        row[klass] += n
        row["total"] += n
    return [table[k] for k in sorted(table)]


def matters_per_item(
    codes: frozenset[str] | None, *, since: date | None, until: date | None, today: date
) -> list[dict]:
    """Per item of the scoring table in force today: matters scored under it, objects scored
    and points deducted (as first recorded), over matters effective in the period that were
    decided in the area or concern an operator of it. Items never used show zero."""
    # The operator's bureau through a list of the scope's operators, not a join: joining the
    # operator of every deduction cost most of the page's database time.
    where = matter_where(since, until, codes, operator_id=LedgerEntry.operator_id)
    rows = db.session.execute(
        select(
            LedgerEntry.item,
            func.count(func.distinct(LedgerEntry.matter_id)),
            func.count(),
            func.sum(LedgerEntry.points),
        )
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(*where)
        .group_by(LedgerEntry.item)
    ).all()
    found = {item: (m, d, p) for item, m, d, p in rows}
    tables = [parse_table(r.content) for r in db.session.scalars(select(ScoringTableVersion))]
    # After the last version ended (Art. 36) its items are still the ones to list.
    table = table_in_force(tables, today) or latest_started(tables, today)
    items = list(table.items.values()) if table else []
    out = []
    for it in items:
        m, d, p = found.pop(it.code, (0, 0, 0))
        out.append(_item_row(it.code, it.title, m, d, p))
    for code in sorted(found, key=lambda c: c or ""):  # items of older table versions
        m, d, p = found[code]
        out.append(_item_row(code or "", "", m, d, p))
    return out


def _item_row(code: str, title: str, matters: int, deductions: int, points) -> dict:
    return {
        "item": code,
        "title": title,
        "matters": int(matters or 0),
        "deductions": int(deductions or 0),
        "points": f"{abs(points or 0):.2f}",
    }


def case_outcomes(
    codes: frozenset[str] | None, *, since: date | None, until: date | None
) -> list[dict]:
    """Cases of each kind by outcome (open and withdrawn ones too), filed in the period, of
    the bureaus in the area (the deciding bureau), and how many of them went overdue."""
    where = [Case.process_id.in_(CASE_PROCESSES), *scope_filter(Case.deciding_bureau, codes)]
    if since:
        where.append(Case.filed_on >= since)
    if until:
        where.append(Case.filed_on <= until)
    rows = db.session.execute(
        select(
            Case.process_id,
            Case.status,
            Case.outcome,
            func.count(),
            func.sum(sql_case((Case.overdue.is_(True), 1), else_=0)),
        )
        .where(*where)
        .group_by(Case.process_id, Case.status, Case.outcome)
    ).all()
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for process, status, outcome, n, overdue in rows:
        key = (process, status if status in ("open", "withdrawn") else outcome or "none")
        before = found.get(key, (0, 0))
        found[key] = (before[0] + n, before[1] + int(overdue or 0))
    out = []
    for process in CASE_PROCESSES:
        for o in (*CASE_OUTCOMES[process], "open", "withdrawn"):
            n, od = found.pop((process, o), (0, 0))
            out.append({"process": process, "outcome": o, "cases": n, "overdue": od})
    out += [
        {"process": p, "outcome": o, "cases": n, "overdue": od}
        for (p, o), (n, od) in sorted(found.items())
    ]
    return out
