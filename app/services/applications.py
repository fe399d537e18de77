"""Starting cases: what must hold before a repair, objection or correction becomes a case
(rules §4, §7, §8). Notices are issued where they are delivered (notices.py) and rewards
applied for in rewards.py (rules §5); their entry points are importable from here too."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.clock import CST
from app.codes import Role
from app.errors import Conflict, DomainError, NotFound, Reasons
from app.extensions import db
from app.permissions import can_report_error, can_start_for_operator
from app.scoring.engine import live_entries
from app.scoring.repairs import effective_deduction, repair_limit_reached, repair_refusals
from forms.base import N_
from models import (
    Case,
    LedgerEntry,
    Matter,
    Notice,
    Operator,
    ScoringObject,
    User,
)

from .case_effects import (
    acted_intentionally,
    matter_deductions,
    matter_repairable,
    operator_repair_dates,
)
from .cases import Ctx, start_case
from .filing import CONCEALED, active_finding
from .notices import issue_notice, issue_notices
from .rewards import apply_reward, propose_rewards, reward_bureau

__all__ = [
    "DISPUTABLE",
    "OBJECTION_DAYS",
    "REPAIR_OPEN",
    "apply_reward",
    "decision_day",
    "entry_window_closes",
    "file_objection",
    "file_repair",
    "issue_notice",
    "issue_notices",
    "latest_notice",
    "objection_window_closes",
    "propose_rewards",
    "report_correction",
    "reward_bureau",
]

OBJECTION_DAYS = 15
REPAIR_OPEN = N_("a repair of this matter is already being handled (Art. 21)")


def _deduction(entry_id: int, user: User | None) -> tuple[LedgerEntry, ScoringObject, Matter]:
    row = db.session.execute(
        select(LedgerEntry, ScoringObject, Matter)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .join(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind == "DEDUCTION")
    ).first()
    if row is None:
        raise NotFound("no deduction %(entry)s", entry=entry_id)
    entry, obj, matter = row
    if user is not None and user.role == Role.ENTERPRISE and user.operator_id != obj.operator_id:
        raise NotFound(
            "no deduction %(entry)s", entry=entry_id
        )  # never confirm what belongs to others
    return entry, obj, matter


# R-RIGHTS (Art. 24, 25): every scoring can be objected to and corrected — a deduction, a repair
# (e.g. its share) and a reward; a refused repair or reward through the case that refused it.
DISPUTABLE = ("DEDUCTION", "REPAIR", "REWARD")


def _scoring(entry_id: int, user: User | None) -> tuple[LedgerEntry, ScoringObject, Matter | None]:
    """A scoring entry (deduction, repair or reward) with its object and matter (a reward has
    none); another operator's entry is not found."""
    row = db.session.execute(
        select(LedgerEntry, ScoringObject, Matter)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .outerjoin(Matter, Matter.id == LedgerEntry.matter_id)
        .where(LedgerEntry.id == entry_id, LedgerEntry.kind.in_(DISPUTABLE))
    ).first()
    if row is None or (
        user is not None and user.role == Role.ENTERPRISE and user.operator_id != row[1].operator_id
    ):
        raise NotFound("no scoring entry %(entry)s", entry=entry_id)
    return row[0], row[1], row[2]


def _deciding_bureau(entry: LedgerEntry, obj: ScoringObject, matter: Matter | None) -> str:
    """Who decides a dispute of a scoring (R-RIGHTS): the bureau that decided its matter, or
    for a reward, which has none, the bureau that decides rewards (rules §5)."""
    if matter is not None:
        return matter.bureau_code
    operator = db.session.get(Operator, obj.operator_id)
    return reward_bureau(entry.item or "", operator.bureau_code)


def decision_day(at) -> date:
    """The day a decision written at `at` reached the enterprise portal (rules §7: received on
    delivery to the portal), as a China Standard Time day."""
    return at.astimezone(CST).date()


def _retried(idempotency_key: str | None, process_id: str, operator_id: int) -> Case | None:
    """The case a repeated submission (same Idempotency-Key) started the first time; checked
    before the rules, so a retry gets its case even if, meanwhile, the rules would refuse."""
    if not idempotency_key:
        return None
    case = db.session.scalar(select(Case).where(Case.idempotency_key == idempotency_key))
    if case is not None and (case.process_id, case.operator_id) != (process_id, operator_id):
        raise Conflict("this idempotency key was used for another case")
    return case


def _open_case_for(
    process_id: str, matter_id: int, *, object_id: int | None = None, operator_id: int | None = None
) -> Case | None:
    """An open case of this process about this matter, for this object or operator (indexed)."""
    where = [Case.matter_id == matter_id, Case.process_id == process_id, Case.status == "open"]
    if object_id is not None:
        where.append(Case.object_id == object_id)
    if operator_id is not None:
        where.append(Case.operator_id == operator_id)
    return db.session.scalar(select(Case).where(*where).limit(1))


# ---- repair (Art. 14, 15, 21) -------------------------------------------------------------


def file_repair(
    entry_id: int, application: dict, *, ctx: Ctx, idempotency_key: str | None = None
) -> Case:
    """R-REPAIR-ELIGIBLE: refused with every failed condition, or a case in the deciding
    bureau's queue."""
    user = ctx.user
    entry, obj, matter = _deduction(entry_id, user)
    if user is None or not can_start_for_operator(user, obj.operator_id):
        raise DomainError("only the operator concerned can apply for a repair", status=403)
    if (existing := _retried(idempotency_key, "repair", obj.operator_id)) is not None:
        return existing
    # A repair is of the matter: every deduction it made on this operator's objects
    # (R-REPAIR-ONE-MATTER).
    deductions = matter_deductions(matter.ref, obj.operator_id, ctx.today)
    target = next((d for d, _es in deductions if d.id == entry.id), None)
    if target is None:
        raise DomainError("this deduction no longer counts; there is nothing to repair")
    taken = sum((effective_deduction(d, es, ctx.today) for d, es in deductions), Decimal("0"))
    repaired_ids = {
        e.target
        for _d, es in deductions
        for e in live_entries(es, ctx.today)
        if e.kind.value == "REPAIR"
    }
    operator = db.session.get(Operator, obj.operator_id)
    reasons = repair_refusals(
        deduction=target,
        taken=taken,
        repairable=matter_repairable(matter),
        major_impact=matter.major_impact,
        already_repaired=any(d.id in repaired_ids for d, _es in deductions),
        shows_not_intentional=bool(application.get("not_intentional_statement"))
        and not acted_intentionally(matter, operator.uscc),
        rectified_confirmed=True,  # confirmed by the bureau at verification (Art. 14(2))
        filing_complete=operator.filing_complete,
        limit_reached=repair_limit_reached(operator_repair_dates(obj.operator_id), ctx.today),
        on=ctx.today,
    )
    if active_finding(obj.operator_id) is not None:
        reasons.append(CONCEALED)
    if _open_case_for("repair", matter.id, operator_id=obj.operator_id):
        reasons.append(REPAIR_OPEN)
    if reasons:
        raise DomainError("repair refused: %(reasons)s", reasons=Reasons(reasons))
    case, _ = start_case(
        "repair",
        ctx=ctx,
        matter_id=matter.id,
        operator_id=obj.operator_id,
        object_id=obj.id,
        deciding_bureau=matter.bureau_code,
        idempotency_key=idempotency_key,
        subject={"entry_id": entry.id, "matter": matter.ref, **application},
    )
    return case


# ---- objection (Art. 24) -------------------------------------------------------------------


def latest_notice(matter_id: int, operator_id: int) -> Notice | None:
    """The latest notice of the matter to the operator: after a correction, the new one."""
    return db.session.scalar(
        select(Notice)
        .where(Notice.matter_id == matter_id, Notice.operator_id == operator_id)
        .order_by(Notice.id.desc())
        .limit(1)
    )


def objection_window_closes(
    matter_id: int | None, operator_id: int, ctx: Ctx, *, decided_on: date | None = None
) -> date:
    """The last day of the 15-day objection window (Art. 24, R-RIGHTS). It runs from the
    receipt of the latest notice of the matter (a correction issues a new one) or, for a
    decision — a repair, a reward, a refusal — from its delivery (`decided_on`), whichever is
    later."""
    notice = latest_notice(matter_id, operator_id) if matter_id is not None else None
    starts = [d for d in (notice and notice.received_on, decided_on) if d is not None]
    if not starts:
        raise DomainError(
            "no notice of this scoring has been received yet; the 15-day "
            "objection window starts on receipt"
        )
    return ctx.cal.add_days(max(starts), OBJECTION_DAYS).due_on


def entry_window_closes(entry: LedgerEntry, operator_id: int, ctx: Ctx) -> date:
    """A deduction's window runs from its notice; a repair's or a reward's from the decision
    that wrote it, or from a later notice of its matter (a correction)."""
    decided_on = None if entry.kind == "DEDUCTION" else decision_day(entry.recorded_at)
    return objection_window_closes(entry.matter_id, operator_id, ctx, decided_on=decided_on)


def _refused_case(case_id: int, user: User | None) -> Case:
    """A repair or reward case that ended in a refusal: a scoring decision of its own that can
    be objected to (R-RIGHTS)."""
    case = db.session.get(Case, case_id)
    if case is None or (
        user is not None and user.role == Role.ENTERPRISE and user.operator_id != case.operator_id
    ):
        raise NotFound("no case %(case)s", case=case_id)
    if (
        case.process_id not in ("repair", "reward")
        or case.status != "completed"
        or case.outcome != "rejected"
    ):
        raise DomainError(
            "case %(case)s is not a refused repair or reward; an objection disputes ledger "
            "entries or a refusal (Art. 24)",
            field="refused_case",
            case=case_id,
        )
    return case


def file_objection(
    entry_ids: list[int],
    evidence: str,
    *,
    ctx: Ctx,
    idempotency_key: str | None = None,
    refused_case: int | None = None,
) -> Case:
    """R-RIGHTS: an objection disputes ledger entries of one matter — deductions, repairs or
    rewards (a reward, which has no matter, is disputed alone) — or a refused repair or reward
    (`refused_case`). Only within 15 days of receiving the notice or the decision; later
    filings are refused with the date the window closed."""
    user = ctx.user
    if refused_case is not None:
        if entry_ids:
            raise DomainError(
                "an objection disputes either ledger entries or a refusal", field="entry_ids"
            )
        return _object_to_refusal(refused_case, evidence, ctx=ctx, idempotency_key=idempotency_key)
    if not entry_ids:
        raise DomainError("name the ledger entries you dispute", field="entry_ids")
    found = [_scoring(i, user) for i in entry_ids]
    matters = {m.id if m is not None else ("entry", e.id) for e, _, m in found}
    operators = {o.operator_id for _, o, _ in found}
    if len(matters) != 1 or len(operators) != 1:
        raise DomainError("one objection disputes the entries of one matter", field="entry_ids")
    entry, obj, matter = found[0]
    if user is None or not can_start_for_operator(user, obj.operator_id):
        raise DomainError("only the operator concerned can file an objection", status=403)
    if (existing := _retried(idempotency_key, "objection", obj.operator_id)) is not None:
        return existing
    closes = min(entry_window_closes(e, obj.operator_id, ctx) for e, _o, _m in found)
    if ctx.today > closes:
        raise DomainError("the 15-day objection window closed on %(date)s", date=closes.isoformat())
    if not evidence.strip():
        raise DomainError("an objection carries its evidence", field="evidence")
    if matter is not None and _open_case_for("objection", matter.id, operator_id=obj.operator_id):
        raise Conflict(
            "matter %(matter)s is already disputed in an open objection", matter=matter.ref
        )
    if matter is None and _open_objection_of(obj.operator_id, "entry_ids", entry.id):
        raise Conflict("entry %(entry)s is already disputed in an open objection", entry=entry.id)
    case, _ = start_case(
        "objection",
        ctx=ctx,
        matter_id=matter.id if matter is not None else None,
        operator_id=obj.operator_id,
        object_id=obj.id,
        deciding_bureau=_deciding_bureau(entry, obj, matter),
        idempotency_key=idempotency_key,
        subject={
            "entry_ids": sorted(entry_ids),
            "kinds": sorted({e.kind for e, _o, _m in found}),
            "matter": matter.ref if matter is not None else None,
            "evidence": evidence,
            "window_closes": closes.isoformat(),
        },
    )
    return case


def _open_objection_of(operator_id: int, key: str, value: int) -> bool:
    """Is an objection of the operator open that names `value` under `key` of its subject?"""
    for subject in db.session.scalars(
        select(Case.subject).where(
            Case.operator_id == operator_id,
            Case.process_id == "objection",
            Case.status == "open",
            Case.matter_id.is_(None),
        )
    ):
        named = (subject or {}).get(key)
        if named == value or (isinstance(named, list) and value in named):
            return True
    return False


def _object_to_refusal(
    case_id: int, evidence: str, *, ctx: Ctx, idempotency_key: str | None
) -> Case:
    """An objection against a refused repair or reward (R-RIGHTS). Its window runs from the
    delivery of the refusal; the bureau that refused decides it. Revoking the refusal grants
    the application as the approval would have (the rules are checked again)."""
    user = ctx.user
    refused = _refused_case(case_id, user)
    if user is None or not can_start_for_operator(user, refused.operator_id):
        raise DomainError("only the operator concerned can file an objection", status=403)
    if (existing := _retried(idempotency_key, "objection", refused.operator_id)) is not None:
        return existing
    closes = objection_window_closes(
        None, refused.operator_id, ctx, decided_on=decision_day(refused.completed_at)
    )
    if ctx.today > closes:
        raise DomainError("the 15-day objection window closed on %(date)s", date=closes.isoformat())
    if not evidence.strip():
        raise DomainError("an objection carries its evidence", field="evidence")
    if _open_objection_of(refused.operator_id, "refused_case", refused.id) or (
        refused.matter_id is not None
        and _open_case_for("objection", refused.matter_id, operator_id=refused.operator_id)
    ):
        raise Conflict("case %(case)s is already disputed in an open objection", case=refused.id)
    subject = refused.subject or {}
    case, _ = start_case(
        "objection",
        ctx=ctx,
        matter_id=refused.matter_id,
        operator_id=refused.operator_id,
        object_id=refused.object_id,
        deciding_bureau=refused.deciding_bureau,
        idempotency_key=idempotency_key,
        subject={
            "entry_ids": [],
            "refused_case": refused.id,
            "refused_process": refused.process_id,
            "matter": subject.get("matter"),
            "code": subject.get("code"),
            "evidence": evidence,
            "window_closes": closes.isoformat(),
        },
    )
    return case


# ---- correction (Art. 25) ------------------------------------------------------------------


def report_correction(entry_id: int, description: str, *, ctx: Ctx) -> Case:
    """R-RIGHTS (Art. 25): an error in any scoring — a deduction, a repair or a reward — is
    reported to the bureau that decided it."""
    user = ctx.user
    if user is None or not can_report_error(user):
        raise DomainError("errors are reported by staff of the administration", status=403)
    entry, obj, matter = _scoring(entry_id, None)
    if not description.strip():
        raise DomainError("describe the error", field="description")
    case, _ = start_case(
        "correction",
        ctx=ctx,
        matter_id=matter.id if matter is not None else None,
        operator_id=obj.operator_id,
        object_id=obj.id,
        deciding_bureau=_deciding_bureau(entry, obj, matter),
        subject={
            "entry_ids": [entry.id],
            "kinds": [entry.kind],
            "matter": matter.ref if matter is not None else None,
            "description": description,
            "reported_by": user.username,
        },
    )
    return case
