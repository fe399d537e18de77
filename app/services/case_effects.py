"""What a process's script tasks ask for (`effect("NAME")`), done in the case's transaction.

The scoring change of a case is written here, in the same transaction that completes it; a
case that ends without a change writes none.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from app.codes import message
from app.errors import DomainError
from app.extensions import db
from app.permissions import bureau_ancestors
from app.scoring import Entry, EntryKind
from app.scoring.dates import window_end
from app.scoring.engine import live_entries
from app.scoring.repairs import (
    matter_repair,
    rebased_repair,
    repair_limit_reached,
    repaired_matter_dates,
)
from app.scoring.rewards import SPOT_CHECK_REWARDS, clean_year_runs, cycle_start
from models import (
    Case,
    CaseTask,
    LedgerEntry,
    Matter,
    Notice,
    Notification,
    ScoringObject,
    SpotCheck,
)

from .ledger import add_entry, object_entries

EFFECTS: dict[str, Callable] = {}


def effect(name: str):
    def register(fn):
        EFFECTS[name] = fn
        return fn

    return register


def apply_effect(name: str, case: Case, ctx) -> None:
    fn = EFFECTS.get(name)
    if fn is None:
        raise DomainError(
            "the process asked for an unknown effect %(effect)r", status=500, effect=name
        )
    fn(case, ctx)


def _form(case: Case, ctx, task_name: str) -> dict:
    """The form data of the latest completed task `task_name` of the case: the one this request
    completed if it is that task, else the latest stored."""
    just_done = ctx.completed_forms.get((case.id, task_name))
    if just_done is not None:
        return just_done
    row = db.session.scalar(
        select(CaseTask)
        .where(CaseTask.case_id == case.id, CaseTask.name == task_name, CaseTask.state == "done")
        .order_by(CaseTask.id.desc())
        .limit(1)
    )
    return (row.form_data or {}) if row else {}


def notify_operator(case: Case, ctx, kind: str, message: str) -> None:
    db.session.add(
        Notification(
            case_id=case.id,
            operator_id=case.operator_id,
            kind=kind,
            message=message,
            created_at=ctx.now,
        )
    )


def _entry(entry_id: int) -> tuple[LedgerEntry, ScoringObject]:
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise DomainError("ledger entry %(entry)s does not exist", entry=entry_id)
    return entry, db.session.get(ScoringObject, entry.object_id)


# ---- notices ------------------------------------------------------------------------------


def _record_notice(case: Case, ctx, channel: str) -> None:
    notice = db.session.get(Notice, case.subject["notice_id"])
    notice.channel = channel
    notice.received_on = ctx.today
    notice.case_id = case.id
    case.outcome = "delivered" if channel == "portal" else "announced"


@effect("deliver_notice")
def _deliver_notice(case: Case, ctx) -> None:
    """Delivered to the enterprise portal: received on delivery (rules §7)."""
    _record_notice(case, ctx, "portal")
    notify_operator(
        case,
        ctx,
        "notice",
        message("notice_delivered"),
    )


@effect("announce")
def _announce(case: Case, ctx) -> None:
    """Published as an announcement (通告) when the operator could not be reached directly."""
    _record_notice(case, ctx, "announcement")


# ---- repair -------------------------------------------------------------------------------


def matter_deductions(matter_ref: str, operator_id: int, on) -> list[tuple[Entry, list[Entry]]]:
    """The live deductions of one matter on every object of one operator (its own and its
    products'), each with all entries of its object (R-REPAIR-ONE-MATTER)."""
    from app.queries.scores import entries_where

    family = entries_where(LedgerEntry.operator_id == operator_id)
    out: list[tuple[Entry, list[Entry]]] = []
    for _oid, entries in sorted(family.items()):
        for e in live_entries(entries, on):
            if e.kind is EntryKind.DEDUCTION and e.matter == matter_ref:
                out.append((e, entries))
    return out


@effect("repair_approved")
def _repair_approved(case: Case, ctx) -> None:
    """REPAIR entries effective on the verification date (Art. 21): one approved repair is of
    the matter, and restores its deduction on every object of the applicant that it scored,
    each by its own share (R-REPAIR-ONE-MATTER); it counts once toward R-REPAIR-LIMIT."""
    deduction, _obj = _entry(case.subject["entry_id"])
    matter = db.session.get(Matter, deduction.matter_id)
    restored = matter_repair(matter_deductions(matter.ref, case.operator_id, ctx.today), ctx.today)
    if not restored:
        raise DomainError("this deduction no longer takes points; there is nothing to repair")
    if repair_limit_reached(operator_repair_dates(case.operator_id), ctx.today):
        raise DomainError("the operator already has two repairs in 36 months (R-REPAIR-LIMIT)")
    shares = []
    for target, points in restored:
        add_entry(
            db.session.get(ScoringObject, target.object_id),
            "REPAIR",
            points,
            ctx.today,
            actor=ctx.actor,
            at=ctx.now,
            reason=f"repair case {case.id}",
            target_id=target.id,
            matter_id=deduction.matter_id,
        )
        shares.append(points / -target.points)
    case.outcome = "approved"
    share = max(shares)
    notify_operator(case, ctx, "repair", message("repair_approved", share=f"{share:.0%}"))


def operator_repair_dates(operator_id: int) -> list:
    """One date per matter the operator has repaired (its own deductions and its products'),
    for R-REPAIR-LIMIT: a repair of a matter that scored a product and its producer counts
    once."""
    rows = db.session.execute(
        select(
            LedgerEntry.id, LedgerEntry.matter_id, LedgerEntry.effective_on, LedgerEntry.target_id
        ).where(LedgerEntry.operator_id == operator_id, LedgerEntry.kind == "REPAIR")
    ).all()
    if not rows:
        return []
    voided = set(
        db.session.scalars(
            select(LedgerEntry.target_id).where(
                LedgerEntry.operator_id == operator_id, LedgerEntry.kind == "VOID"
            )
        )
    )
    # A voided repair, or the repair of a revoked deduction, gives the repair back to the
    # limit (R-REPAIR-KEEP); a repair moved onto a corrected deduction still counts once.
    return repaired_matter_dates(
        (matter_id or ("entry", rid), eff)
        for rid, matter_id, eff, target in rows
        if rid not in voided and target not in voided
    )


@effect("repair_rejected")
def _repair_rejected(case: Case, ctx) -> None:
    case.outcome = "rejected"
    reasons = _form(case, ctx, "verify_repair").get("reasons")
    notify_operator(case, ctx, "repair", message("repair_rejected", reasons=reasons or ""))


# ---- objection and correction --------------------------------------------------------------


def _replace_or_void(case: Case, ctx, *, void: bool, points: Decimal | None, why: str) -> None:
    """Compensating entries: a VOID of each disputed entry and, if amended, a new deduction of
    the same matter on the same date (rules §2, §8)."""
    for entry_id in case.subject["entry_ids"]:
        entry, obj = _entry(entry_id)
        entries = object_entries(obj.id)
        live = {e.id for e in live_entries(entries, ctx.today)}
        if entry.id not in live:
            raise DomainError("entry %(entry)s is already voided", entry=entry.id)
        add_entry(
            obj,
            "VOID",
            Decimal("0.00"),
            entry.effective_on,
            actor=ctx.actor,
            at=ctx.now,
            reason=f"{why} (case {case.id})",
            target_id=entry.id,
            matter_id=entry.matter_id,
        )
        if not void and points is not None:
            amended = add_entry(
                obj,
                "DEDUCTION",
                -Decimal(points).quantize(Decimal("0.01")),
                entry.effective_on,
                actor=ctx.actor,
                at=ctx.now,
                reason=f"{why} (case {case.id})",
                matter_id=entry.matter_id,
                item=entry.item,
                target_id=entry.id,
                product_key=entry.product_key,
            )
            _keep_repairs(case, ctx, obj, entries, entry.id, amended, why)


def _keep_repairs(case: Case, ctx, obj, entries, replaced_id: int, amended, why: str) -> None:
    """R-REPAIR-KEEP: each repair of the replaced deduction moves to the amended one, re-based
    on its points at the same share and on the same date (so it still counts once toward
    R-REPAIR-LIMIT): the old repair is voided and a new one names the amended deduction."""
    replaced = next(e for e in entries if e.id == replaced_id)
    for r in live_entries(entries, ctx.today):
        if r.kind is not EntryKind.REPAIR or r.target != replaced_id:
            continue
        reason = f"{why} (case {case.id}): repair kept on the corrected points"
        add_entry(
            obj,
            "VOID",
            Decimal("0.00"),
            r.effective_on,
            actor=ctx.actor,
            at=ctx.now,
            reason=reason,
            target_id=r.id,
            matter_id=amended.matter_id,
        )
        add_entry(
            obj,
            "REPAIR",
            rebased_repair(r, replaced, amended.points),
            r.effective_on,
            actor=ctx.actor,
            at=ctx.now,
            reason=reason,
            target_id=amended.id,
            matter_id=amended.matter_id,
        )


@effect("objection_not_accepted")
def _objection_not_accepted(case: Case, ctx) -> None:
    case.outcome = "not_accepted"
    reasons = _form(case, ctx, "accept_objection").get("reasons")
    notify_operator(
        case, ctx, "objection", message("objection_not_accepted", reasons=reasons or "")
    )


@effect("objection_resolved")
def _objection_resolved(case: Case, ctx) -> None:
    form = _form(case, ctx, "resolve_objection")
    outcome = form["outcome"]
    if outcome != "upheld":
        points = Decimal(form["points"]) if form.get("points") else None
        _replace_or_void(
            case, ctx, void=outcome == "revoked", points=points, why=f"objection {outcome}"
        )
    case.outcome = outcome
    notify_operator(
        case,
        ctx,
        "objection",
        message("objection_resolved", outcome=outcome, reasons=form.get("reasons") or ""),
    )


@effect("correction_applied")
def _correction_applied(case: Case, ctx) -> None:
    form = _form(case, ctx, "verify_correction")
    points = Decimal(form["points"]) if form.get("points") else None
    _replace_or_void(case, ctx, void=bool(form.get("void")), points=points, why="correction")
    case.outcome = "corrected"
    notify_operator(
        case, ctx, "correction", message("correction_applied", reasons=form.get("reasons") or "")
    )


@effect("correction_rejected")
def _correction_rejected(case: Case, ctx) -> None:
    case.outcome = "no_error"


# ---- reward -------------------------------------------------------------------------------


@effect("reward_granted")
def _reward_granted(case: Case, ctx) -> None:
    """A REWARD entry effective on the verification date, within the 2-point cap (R-REWARD-CAP)."""
    from .scoring_tables import require_table

    obj = db.session.get(ScoringObject, case.object_id)
    table = require_table(ctx.today, None)  # R-VALIDITY: refused (Art. 36) if none covers
    reward = table.rewards.get(case.subject["code"])
    if reward is None:
        raise DomainError(
            "reward %(code)s is not in table %(table)s",
            code=case.subject["code"],
            table=table.version,
        )
    if reward.code in SPOT_CHECK_REWARDS:
        _refuse_without_proof_in_cycle(reward.code, obj, ctx.today)
    granted = sum(
        (
            e.points
            for e in live_entries(object_entries(obj.id), ctx.today)
            if e.kind.value == "REWARD" and ctx.today < window_end(e.effective_on)
        ),
        Decimal("0"),
    )
    room = Decimal("2.00") - granted
    if room <= 0:
        raise DomainError("this object already has 2 reward points in its window (R-REWARD-CAP)")
    add_entry(
        obj,
        "REWARD",
        min(reward.points, room),
        ctx.today,
        actor=ctx.actor,
        at=ctx.now,
        reason=f"reward case {case.id}",
        item=reward.code,
    )
    case.outcome = "granted"
    notify_operator(case, ctx, "reward", message("reward_granted"))


def _refuse_without_proof_in_cycle(code: str, obj: ScoringObject, on) -> None:
    """R-REWARD-PRODUCT at the decision: the clean spot-check years must still lie inside the
    scoring cycle on the day the reward is verified (Art. 16; for a producer, its products'
    checks, Art. 17(1)). A proposal whose proof has left the cycle since is refused."""
    where = (
        SpotCheck.object_id == obj.id
        if code == "R16"
        else SpotCheck.object_id.in_(
            select(ScoringObject.id).where(ScoringObject.operator_id == obj.operator_id)
        )
    )
    results = [
        (sampled_on, result == "pass")
        for sampled_on, result in db.session.execute(
            select(SpotCheck.sampled_on, SpotCheck.result).where(where)
        )
    ]
    if not clean_year_runs(results, on=on):
        raise DomainError(
            "reward %(code)s refused: no two consecutive years of clean spot checks lie inside "
            "the scoring cycle from %(start)s to %(end)s (Art. 16, R-REWARD-PRODUCT)",
            code=code,
            start=cycle_start(on).isoformat(),
            end=on.isoformat(),
        )


@effect("reward_rejected")
def _reward_rejected(case: Case, ctx) -> None:
    case.outcome = "rejected"
    reasons = _form(case, ctx, "verify_reward").get("reasons") or ""
    notify_operator(case, ctx, "reward", message("reward_rejected", reasons=reasons))


# ---- withdrawal and deadlines --------------------------------------------------------------


@effect("withdrawn")
def _withdrawn(case: Case, ctx) -> None:
    case.status, case.outcome, case.completed_at = "withdrawn", "withdrawn", ctx.now


@effect("overdue")
def _overdue(case: Case, ctx) -> None:
    """Mark the case overdue and tell the supervisors of its bureau and every bureau above."""
    case.overdue = True
    names = sorted(d.name for d in ctx.deadlines[case.id].values() if d.state == "passed")
    for code in bureau_ancestors(case.deciding_bureau):
        db.session.add(
            Notification(
                case_id=case.id,
                bureau_code=code,
                kind="overdue",
                created_at=ctx.now,
                message=message("overdue", case=case.id, process=case.process_id, deadlines=names),
            )
        )
