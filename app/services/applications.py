"""Starting cases: what must hold before a notice, repair, objection, correction or reward
application becomes a case (rules §4, §5, §7, §8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import exists, select

from app.clock import CST
from app.errors import Conflict, DomainError, NotFound, Reasons
from app.extensions import db
from app.permissions import can_report_error, can_start_for_operator
from app.scoring.engine import live_entries
from app.scoring.repairs import effective_deduction, repair_limit_reached, repair_refusals
from app.scoring.rewards import SPOT_CHECK_REWARDS, clean_year_runs
from forms.base import N_
from models import (
    Case,
    LedgerEntry,
    Matter,
    Notice,
    Operator,
    ScoringObject,
    SpotCheck,
    User,
)

from .bureaus import city_of, province_of
from .case_effects import matter_deductions, operator_repair_dates
from .cases import Ctx, start_case
from .scoring_tables import load_tables, require_table

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
    if user is not None and user.role == "enterprise" and user.operator_id != obj.operator_id:
        raise NotFound(
            "no deduction %(entry)s", entry=entry_id
        )  # never confirm what belongs to others
    return entry, obj, matter


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


# ---- notices (Art. 23) -------------------------------------------------------------------


def issue_notices(*, ctx: Ctx, limit: int = 500) -> int:
    """Start a notice case for each (operator, matter) scored without a notice yet."""
    from app.queries.scores import notice_figures

    pending = db.session.execute(
        select(ScoringObject.operator_id, LedgerEntry.matter_id)
        .join(ScoringObject, ScoringObject.id == LedgerEntry.object_id)
        .where(
            LedgerEntry.kind == "DEDUCTION",
            LedgerEntry.matter_id.is_not(None),
            ~exists().where(
                Notice.operator_id == ScoringObject.operator_id,
                Notice.matter_id == LedgerEntry.matter_id,
            ),
        )
        .group_by(ScoringObject.operator_id, LedgerEntry.matter_id)
        .order_by(LedgerEntry.matter_id)
        .limit(limit)
    ).all()
    for operator_id, matter_id in pending:
        matter = db.session.get(Matter, matter_id)
        operator = db.session.get(Operator, operator_id)
        # R-NOTICE: each object's own figures, from the rule core; the rights are stated in
        # the reader's language when the notice is shown.
        as_of = max(ctx.today, matter.effective_on)
        content = {
            "matter": matter.ref,
            "summary": matter.summary,
            "items": matter.items,
            "effective_on": matter.effective_on.isoformat(),
            "as_of": as_of.isoformat(),
            "objects": notice_figures(operator_id, matter.ref, as_of),
        }
        notice = Notice(
            operator_id=operator_id,
            matter_id=matter_id,
            channel="announcement",
            content=content,
            created_at=ctx.now,
        )
        db.session.add(notice)
        db.session.flush()
        recipient_known = db.session.scalar(
            select(exists().where(User.operator_id == operator_id, User.role == "enterprise"))
        )
        # The 3 working days of Art. 23 run from the scoring, not from this pass.
        scored_on = min(matter.recorded_at.astimezone(CST).date(), ctx.today)
        start_case(
            "deduction_notice",
            ctx=ctx,
            matter_id=matter.id,
            operator_id=operator_id,
            deciding_bureau=matter.bureau_code,
            filed_on=scored_on,
            subject={"notice_id": notice.id, "matter": matter.ref, "uscc": operator.uscc},
            start_data={"recipient_known": bool(recipient_known)},
        )
    return len(pending)


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
    table = next((t for t in load_tables() if t.version == matter.table_version), None)
    repairable = table is None or all(
        table.items[code].repairable for code in matter.items if code in table.items
    )
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
        repairable=repairable,
        major_impact=matter.major_impact,
        already_repaired=any(d.id in repaired_ids for d, _es in deductions),
        shows_not_intentional=bool(application.get("not_intentional_statement"))
        and not matter.intentional,
        rectified_confirmed=True,  # confirmed by the bureau at verification (Art. 14(2))
        filing_complete=operator.filing_complete,
        limit_reached=repair_limit_reached(operator_repair_dates(obj.operator_id), ctx.today),
        on=ctx.today,
    )
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


def objection_window_closes(matter_id: int, operator_id: int, ctx: Ctx) -> date:
    notice = db.session.scalar(
        select(Notice).where(Notice.matter_id == matter_id, Notice.operator_id == operator_id)
    )
    if notice is None or notice.received_on is None:
        raise DomainError(
            "no notice of this scoring has been received yet; the 15-day "
            "objection window starts on receipt"
        )
    return ctx.cal.add_days(notice.received_on, OBJECTION_DAYS).due_on


def file_objection(
    entry_ids: list[int], evidence: str, *, ctx: Ctx, idempotency_key: str | None = None
) -> Case:
    """Only within 15 days of receiving the notice; later filings are refused with the date
    the window closed."""
    user = ctx.user
    if not entry_ids:
        raise DomainError("name the ledger entries you dispute", field="entry_ids")
    found = [_deduction(i, user) for i in entry_ids]
    matters = {m.id for _, _, m in found}
    operators = {o.operator_id for _, o, _ in found}
    if len(matters) != 1 or len(operators) != 1:
        raise DomainError("one objection disputes the entries of one matter", field="entry_ids")
    _entry, obj, matter = found[0]
    if user is None or not can_start_for_operator(user, obj.operator_id):
        raise DomainError("only the operator concerned can file an objection", status=403)
    if (existing := _retried(idempotency_key, "objection", obj.operator_id)) is not None:
        return existing
    closes = objection_window_closes(matter.id, obj.operator_id, ctx)
    if ctx.today > closes:
        raise DomainError("the 15-day objection window closed on %(date)s", date=closes.isoformat())
    if not evidence.strip():
        raise DomainError("an objection carries its evidence", field="evidence")
    if _open_case_for("objection", matter.id, operator_id=obj.operator_id):
        raise Conflict(
            "matter %(matter)s is already disputed in an open objection", matter=matter.ref
        )
    case, _ = start_case(
        "objection",
        ctx=ctx,
        matter_id=matter.id,
        operator_id=obj.operator_id,
        object_id=obj.id,
        deciding_bureau=matter.bureau_code,
        idempotency_key=idempotency_key,
        subject={
            "entry_ids": sorted(entry_ids),
            "matter": matter.ref,
            "evidence": evidence,
            "window_closes": closes.isoformat(),
        },
    )
    return case


# ---- correction (Art. 25) ------------------------------------------------------------------


def report_correction(entry_id: int, description: str, *, ctx: Ctx) -> Case:
    user = ctx.user
    if user is None or not can_report_error(user):
        raise DomainError("errors are reported by staff of the administration", status=403)
    entry, obj, matter = _deduction(entry_id, None)
    if not description.strip():
        raise DomainError("describe the error", field="description")
    case, _ = start_case(
        "correction",
        ctx=ctx,
        matter_id=matter.id,
        operator_id=obj.operator_id,
        object_id=obj.id,
        deciding_bureau=matter.bureau_code,
        subject={
            "entry_ids": [entry.id],
            "matter": matter.ref,
            "description": description,
            "reported_by": user.username,
        },
    )
    return case


# ---- rewards (Art. 16-18, 22) -------------------------------------------------------------


def reward_bureau(code: str, operator_bureau: str) -> str:
    """The bureau that verifies and decides a reward (Art. 22, rules §5): one resting on spot
    checks (R16, R17.1) by the provincial bureau, which runs them (Art. 19); the others by the
    city bureau of the operator. Never the bureau of whoever keyed the application in."""
    if code in SPOT_CHECK_REWARDS:
        return province_of(operator_bureau)
    return city_of(operator_bureau)


def apply_reward(
    object_id: int, code: str, statement: str, *, ctx: Ctx, idempotency_key: str | None = None
) -> Case:
    user = ctx.user
    obj = db.session.get(ScoringObject, object_id)
    if (
        obj is None
        or user is None
        or (user.role == "enterprise" and user.operator_id != obj.operator_id)
    ):
        raise NotFound("no scoring object %(object)s", object=object_id)
    if not can_start_for_operator(user, obj.operator_id):
        raise DomainError("only the operator concerned can apply for a reward", status=403)
    table = require_table(ctx.today, None)  # R-VALIDITY: refused (Art. 36) if none covers
    reward = table.rewards.get(code)
    if reward is None:
        raise DomainError(
            "unknown reward %(code)s; the table has %(rewards)s",
            field="code",
            code=code,
            rewards=", ".join(table.rewards),
        )
    kinds = {"product"} if obj.kind == "product" else {"producer", "seller"}
    if not kinds & set(reward.objects):
        raise DomainError(
            "reward %(code)s does not apply to this kind of object", field="code", code=code
        )
    operator = db.session.get(Operator, obj.operator_id)
    if code.startswith("R17") and not operator.filing_complete:
        raise DomainError("operator rewards need a complete information filing (Art. 17, 14(3))")
    return start_case(
        "reward",
        ctx=ctx,
        operator_id=obj.operator_id,
        object_id=obj.id,
        deciding_bureau=reward_bureau(code, operator.bureau_code),
        idempotency_key=idempotency_key,
        subject={"code": code, "statement": statement, "applied_by": user.username},
    )[0]


def propose_rewards(*, ctx: Ctx, limit: int = 500) -> int:
    """R-REWARD-PRODUCT: products spot-checked clean in two or more consecutive years, all
    inside the scoring cycle ending today (Art. 16), get a reward case proposed by the system
    (once per run of clean years), in the provincial bureau's queue. At most `limit` a call: a
    call that reaches it may have left candidates for the next. Refused (Art. 36) on a day no
    scoring-table version covers (R-VALIDITY)."""
    require_table(ctx.today, None)
    rows = db.session.execute(
        select(SpotCheck.object_id, SpotCheck.sampled_on, SpotCheck.result).order_by(
            SpotCheck.object_id
        )
    ).all()
    by_object: dict[int, list] = {}
    for oid, sampled_on, result in rows:
        by_object.setdefault(oid, []).append((sampled_on, result == "pass"))
    # Proposed before: one query for all, not one per candidate.
    proposed = set(
        db.session.scalars(select(Case.idempotency_key).where(Case.idempotency_key.like("R16:%")))
    )
    started = 0
    for oid, results in by_object.items():
        if started >= limit:
            break
        runs = [r for r in clean_year_runs(results, on=ctx.today) if r[1] < ctx.today.year]
        if not runs:
            continue
        first, last = runs[-1]
        key = f"R16:{oid}:{first}-{last}"
        if key in proposed:
            continue
        obj = db.session.get(ScoringObject, oid)
        operator = db.session.get(Operator, obj.operator_id)
        start_case(
            "reward",
            ctx=ctx,
            operator_id=obj.operator_id,
            object_id=oid,
            deciding_bureau=reward_bureau("R16", operator.bureau_code),
            idempotency_key=key,
            subject={
                "code": "R16",
                "proposed": True,
                "clean_years": [first, last],
                "uscc": operator.uscc,
            },
        )
        started += 1
    return started
