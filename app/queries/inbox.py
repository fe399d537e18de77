"""What the officer inbox reads besides the queue and the case file: names of users, the
ledger entries a case is about, a bureau's officers, the records behind a scoring object and a
matter. Plain queries; who may see them is decided by the caller with `app.permissions`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.codes import Role
from app.errors import NotFound
from app.extensions import db
from models import Case, CaseTask, LedgerEntry, Matter, Operator, ScoringObject, User


def usernames(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


def case_entries(subject: dict) -> list[dict]:
    """The ledger entries a case is about, with their object and matter."""
    raw = subject.get("entry_ids") or ([subject["entry_id"]] if subject.get("entry_id") else [])
    ids = [i for i in raw if isinstance(i, int)]
    if not ids:
        return []
    rows = db.session.execute(
        select(LedgerEntry, ScoringObject, Matter)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .outerjoin(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id.in_(ids))
        .order_by(LedgerEntry.id)
    ).all()
    return [{"entry": e, "obj": o, "matter": m} for e, o, m in rows]


def case(case_id: int) -> Case | None:
    return db.session.get(Case, case_id)


def task(task_id: int) -> CaseTask | None:
    return db.session.get(CaseTask, task_id)


def scoring_object(object_id: int) -> ScoringObject | None:
    return db.session.get(ScoringObject, object_id)


def matter(matter_id: int) -> Matter | None:
    return db.session.get(Matter, matter_id)


def case_tasks(case_id: int) -> dict[int, CaseTask]:
    return {
        t.id: t for t in db.session.scalars(select(CaseTask).where(CaseTask.case_id == case_id))
    }


def bureau_officers(*bureau_codes: str) -> list[User]:
    """The active officers of these bureaus, by bureau and username: whom a task can be given
    to (one query for a whole page of tasks)."""
    if not bureau_codes:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.OFFICER, User.bureau_code.in_(bureau_codes), User.active)
            .order_by(User.bureau_code, User.username)
        )
    )


def user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def case_object_id(case: Case) -> int | None:
    """The object a case is about; a notice concerns the operator itself."""
    return case.object_id or db.session.scalar(
        select(ScoringObject.id).where(
            ScoringObject.operator_id == case.operator_id, ScoringObject.kind == "operator"
        )
    )


def object_bureaus(obj: ScoringObject) -> set[str]:
    """The bureaus that cover an object: the operator's own, those that scored it (or its
    products) and those that decide one of its cases."""
    bureaus = {obj.operator.bureau_code}
    bureaus |= set(
        db.session.scalars(
            select(Matter.bureau_code)
            .join(LedgerEntry, LedgerEntry.matter_id == Matter.id)
            .where(LedgerEntry.operator_id == obj.operator_id)
            .distinct()
        )
    )
    bureaus |= set(
        db.session.scalars(
            select(Case.deciding_bureau).where(Case.operator_id == obj.operator_id).distinct()
        )
    )
    return bureaus


def object_cases(obj: ScoringObject, *, limit: int = 50) -> list[Case]:
    """The newest cases about an object (a product's own; the operator's for the others)."""
    about = (
        Case.object_id == obj.id if obj.kind == "product" else Case.operator_id == obj.operator_id
    )
    return list(db.session.scalars(select(Case).where(about).order_by(Case.id.desc()).limit(limit)))


def deduction(entry_id: int) -> tuple[LedgerEntry, Matter]:
    row = db.session.execute(
        select(LedgerEntry, Matter)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind == "DEDUCTION")
    ).first()
    if row is None:
        raise NotFound("no deduction %(id)s", id=entry_id)
    return row[0], row[1]


def operator_by_uscc(uscc: str) -> Operator | None:
    return db.session.scalar(select(Operator).where(Operator.uscc == uscc)) if uscc else None


def matter_by_ref(ref: str) -> Matter | None:
    return db.session.scalar(select(Matter).where(Matter.ref == ref))


def matter_entries(matter_id: int) -> list[tuple[LedgerEntry, ScoringObject]]:
    return list(
        db.session.execute(
            select(LedgerEntry, ScoringObject)
            .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
            .where(LedgerEntry.matter_id == matter_id)
            .order_by(LedgerEntry.id)
        )
        .tuples()
        .all()
    )


def operator_name(operator_id: int) -> str:
    return db.session.scalar(select(Operator.name).where(Operator.id == operator_id)) or ""
