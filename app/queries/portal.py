"""What the enterprise portal (粤品通) reads: one operator's scoring objects with their scores
and classes, the history of a score over its window, its notices and its open tasks. Every
read is narrowed to the operator given; the views pass the signed-in user's."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.calendar import WorkCalendar
from app.codes import Role
from app.errors import NotFound
from app.extensions import db
from app.scoring import (
    Entry,
    EntryKind,
    add_months,
    live_entries,
    score_object,
    score_operator,
    window_end,
)
from forms.base import N_
from models import (
    Case,
    CaseTask,
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Matter,
    Notice,
    Notification,
    ScoringObject,
)

from .scores import entries_where

WINDOW_MONTHS = 36


def own_object(operator_id: int, object_id: int) -> ScoringObject:
    """The operator's own scoring object; another's is not found (ids do not leak)."""
    obj = db.session.get(ScoringObject, object_id)
    if obj is None or obj.operator_id != operator_id:
        raise NotFound("no scoring object %(id)s", id=object_id)
    return obj


def own_deduction(operator_id: int, entry_id: int) -> tuple[LedgerEntry, ScoringObject, Matter]:
    row = db.session.execute(
        select(LedgerEntry, ScoringObject, Matter)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind == "DEDUCTION")
    ).first()
    if row is None or row[1].operator_id != operator_id:
        raise NotFound("no deduction %(id)s", id=entry_id)
    return row[0], row[1], row[2]


def own_scoring(
    operator_id: int, entry_id: int
) -> tuple[LedgerEntry, ScoringObject, Matter | None]:
    """A deduction, repair or reward of the operator (R-RIGHTS: each can be objected to); a
    reward has no matter."""
    row = db.session.execute(
        select(LedgerEntry, ScoringObject, Matter)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .outerjoin(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind.in_(("DEDUCTION", "REPAIR", "REWARD")))
    ).first()
    if row is None or row[1].operator_id != operator_id:
        raise NotFound("no scoring entry %(entry)s", entry=entry_id)
    return row[0], row[1], row[2]


def decision_entries(entry_ids: list[int]) -> dict[int, LedgerEntry]:
    """Repair and reward entries by id: decisions whose objection window runs from their
    delivery."""
    if not entry_ids:
        return {}
    return {
        e.id: e
        for e in db.session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.id.in_(entry_ids), LedgerEntry.kind.in_(("REPAIR", "REWARD"))
            )
        )
    }


def _sorted_objects(operator_id: int) -> list[ScoringObject]:
    objs = db.session.scalars(
        select(ScoringObject).where(ScoringObject.operator_id == operator_id)
    ).all()
    return sorted(objs, key=lambda o: (o.kind != "operator", o.brand or "", o.nice_class or 0))


def official_classes(object_ids: list[int], as_of: date) -> dict[int, dict]:
    """The class the latest finished run set for each object (one query)."""
    if not object_ids:
        return {}
    rows = db.session.execute(
        select(
            ClassificationResult.object_id,
            ClassificationResult.klass,
            ClassificationRun.run_on,
            ClassificationResult.locked_until,
        )
        .join(ClassificationRun, ClassificationRun.id == ClassificationResult.run_id)
        .where(
            ClassificationResult.object_id.in_(object_ids),
            ClassificationRun.run_on <= as_of,
            ClassificationRun.finished_at.is_not(None),
        )
        .order_by(ClassificationRun.run_on.desc())
    ).all()
    out: dict[int, dict] = {}
    for oid, klass, run_on, locked in rows:
        out.setdefault(oid, {"class": klass, "run_on": run_on, "locked_until": locked})
    return out


def _score(obj: ScoringObject, family: dict[int, list[Entry]], on: date):
    if obj.kind == "product":
        return score_object(family.get(obj.id, []), on, explain=False)
    products = {oid: es for oid, es in family.items() if oid != obj.id}
    return score_operator(family.get(obj.id, []), products, on, explain=False)


def my_objects(operator_id: int, today: date) -> list[dict]:
    """The operator itself and its products, scored as of today from one entries query."""
    objs = _sorted_objects(operator_id)
    family = entries_where(LedgerEntry.operator_id == operator_id)
    classes = official_classes([o.id for o in objs], today)
    has_products = any(o.kind == "product" for o in objs)
    out = []
    for o in objs:
        s = _score(o, family, today)
        out.append(
            {
                "id": o.id,
                "kind": o.kind,
                "role": "product"
                if o.kind == "product"
                else ("producer" if has_products else "seller"),
                "brand": o.brand,
                "nice_class": o.nice_class,
                "category": o.category,
                "score": s.points,
                "class": s.klass,
                "official": classes.get(o.id),
            }
        )
    return out


def score_history(obj: ScoringObject, today: date) -> tuple[date, list[tuple[date, float]]]:
    """The score on each day within the 36 months up to today on which an entry takes effect
    or drops out of its window, computed in memory from one entries query."""
    start = add_months(today, -WINDOW_MONTHS)
    if obj.kind == "product":
        family = entries_where(LedgerEntry.object_id == obj.id)
    else:
        family = entries_where(LedgerEntry.operator_id == obj.operator_id)
    days = {start, today}
    for es in family.values():
        for e in es:
            for d in (e.effective_on, window_end(e.effective_on)):
                if start < d <= today:
                    days.add(d)
    points = []
    for d in sorted(days):
        s = _score(obj, family, d)
        if s.points is not None:
            points.append((d, float(s.points)))
    # Keep only the days the score changes (and the first).
    steps = [p for i, p in enumerate(points) if i == 0 or p[1] != points[i - 1][1]]
    return start, steps


def settled_matters(operator_id: int, today: date) -> tuple[set[str], set[str]]:
    """Matters of the operator that offer no more repair or objection: those repaired
    (R-REPAIR-ONE-MATTER: a repair is of the matter, on all its objects), and those with a
    repair or objection case still open."""
    family = entries_where(LedgerEntry.operator_id == operator_id)
    repaired = {
        e.matter
        for es in family.values()
        for e in live_entries(es, today)
        if e.kind is EntryKind.REPAIR and e.matter
    }
    open_refs = set(
        db.session.scalars(
            select(Matter.ref)
            .join(Case, Case.matter_id == Matter.id)
            .where(
                Case.operator_id == operator_id,
                Case.status == "open",
                Case.process_id.in_(("repair", "objection")),
            )
        )
    )
    return repaired, open_refs


def settled_deduction(operator_id: int, entry: LedgerEntry, today: date) -> str | None:
    """Why a deduction offers no repair or objection any more (an English template of the
    catalogues), or None: revoked (voided), its matter repaired, or a repair or objection of
    its matter still open."""
    voided = db.session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.kind == "VOID", LedgerEntry.target_id == entry.id)
    )
    if voided:
        return N_("this deduction was revoked: there is nothing to repair or object to")
    repaired, open_refs = settled_matters(operator_id, today)
    ref = db.session.scalar(select(Matter.ref).where(Matter.id == entry.matter_id))
    # A repaired matter offers no more repair, nor an objection to its deduction; the repair
    # itself (its share) can still be objected to (R-RIGHTS).
    if entry.kind == "DEDUCTION" and ref in repaired:
        return N_("this matter has already been repaired (Art. 15(2))")
    if ref in open_refs:
        return N_("a repair or objection of this matter is already being handled")
    return None


def entry_matters(entry_ids: list[int]) -> dict[int, int]:
    """Ledger entry id → matter id."""
    if not entry_ids:
        return {}
    return dict(
        db.session.execute(
            select(LedgerEntry.id, LedgerEntry.matter_id).where(
                LedgerEntry.id.in_(entry_ids), LedgerEntry.matter_id.is_not(None)
            )
        )
        .tuples()
        .all()
    )


def notices_by_matter(operator_id: int, matter_ids) -> dict[int, Notice]:
    if not matter_ids:
        return {}
    rows = db.session.scalars(
        select(Notice)
        .where(Notice.operator_id == operator_id, Notice.matter_id.in_(matter_ids))
        .order_by(Notice.id)
    )
    return {n.matter_id: n for n in rows}  # the latest notice of each matter (R-RIGHTS)


def my_notices(operator_id: int, *, limit: int = 200) -> list[tuple[Notice, list[int]]]:
    """The operator's notices, newest first, each with the objects its matter scored."""
    notices = db.session.scalars(
        select(Notice)
        .where(Notice.operator_id == operator_id)
        .order_by(Notice.id.desc())
        .limit(limit)
    ).all()
    matter_ids = {n.matter_id for n in notices}
    objects: dict[int, list[int]] = {}
    if matter_ids:
        for mid, oid in db.session.execute(
            select(LedgerEntry.matter_id, LedgerEntry.object_id)
            .where(
                LedgerEntry.operator_id == operator_id,
                LedgerEntry.matter_id.in_(matter_ids),
                LedgerEntry.kind == "DEDUCTION",
            )
            .distinct()
            .order_by(LedgerEntry.object_id)
        ):
            objects.setdefault(mid, []).append(oid)
    return [(n, objects.get(n.matter_id, [])) for n in notices]


def my_notifications(operator_id: int, *, limit: int = 100) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.operator_id == operator_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def open_tasks_by_case(
    operator_id: int, *, today: date, cal: WorkCalendar
) -> dict[int, list[dict]]:
    """Open tasks of the operator's cases, with overdue / due-soon flags (one query)."""
    soon = cal.add_working_days(today, 1).due_on
    out: dict[int, list[dict]] = {}
    for t in db.session.scalars(
        select(CaseTask)
        .where(CaseTask.operator_id == operator_id, CaseTask.state == "open")
        .order_by(CaseTask.id)
    ):
        out.setdefault(t.case_id, []).append(
            {
                "id": t.id,
                "task": t.name,
                "title": t.title,
                "lane": t.lane,
                "due_on": t.due_on,
                "overdue": t.due_on is not None and t.due_on < today,
                "due_soon": t.due_on is not None and today <= t.due_on <= soon,
            }
        )
    return out


def summary(operator_id: int) -> dict:
    open_cases = db.session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.operator_id == operator_id, Case.status == "open")
    )
    my_tasks = db.session.scalar(
        select(func.count())
        .select_from(CaseTask)
        .where(
            CaseTask.operator_id == operator_id,
            CaseTask.state == "open",
            CaseTask.lane == Role.ENTERPRISE,
        )
    )
    unread = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.operator_id == operator_id, Notification.read_at.is_(None))
    )
    notices = db.session.scalar(
        select(func.count()).select_from(Notice).where(Notice.operator_id == operator_id)
    )
    return {
        "open_cases": open_cases or 0,
        "my_tasks": my_tasks or 0,
        "unread": unread or 0,
        "notices": notices or 0,
    }


def bureau_request(case_id: int) -> dict | None:
    """What the bureau last asked of the enterprise on a case (e.g. the material a repair
    verification found missing), with its reasons; None when its last step gave none."""
    row = db.session.scalar(
        select(CaseTask)
        .where(
            CaseTask.case_id == case_id,
            CaseTask.lane != Role.ENTERPRISE,
            CaseTask.state == "done",
        )
        .order_by(CaseTask.id.desc())
        .limit(1)
    )
    if row is None or not (row.form_data or {}).get("reasons"):
        return None
    return {
        "task": row.name,
        "title": row.title,
        "reasons": row.form_data["reasons"],
        "at": row.completed_at,
    }
