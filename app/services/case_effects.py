"""What a process's script tasks ask for (`effect("NAME")`), done in the case's transaction.

The scoring change of a case is written here, in the same transaction that completes it; a
case that ends without a change writes none.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from app.clock import CST
from app.codes import message
from app.errors import DomainError
from app.extensions import db
from app.permissions import bureau_ancestors
from app.scoring import REWARD_CAP, Entry, EntryKind
from app.scoring.dates import window_end
from app.scoring.engine import live_entries
from app.scoring.repairs import (
    NOT_REPAIRABLE,
    matter_repair,
    rebased_repair,
    repair_limit_reached,
    repaired_matter_dates,
    unrepairable_items,
)
from app.scoring.rewards import SPOT_CHECK_REWARDS, clean_year_runs, cycle_start
from models import (
    Case,
    CaseTask,
    FilingItem,
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


latest_form = _form  # the public name, for effects registered in other modules


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


def _record_notice(case: Case, ctx, channel: str, received_on=None) -> Notice:
    """R-CHANNEL: the channel that reached the recipient, and the day the notice counts as
    received, from which the 15 days of Art. 24 run."""
    notice = db.session.get(Notice, case.subject["notice_id"])
    notice.channel = channel
    notice.received_on = received_on or ctx.today
    notice.case_id = case.id
    case.outcome = "announced" if channel == "announcement" else "delivered"
    return notice


def _log_deliveries(case: Case, ctx, notice_id: int) -> None:
    """Each try to reach the recipient, into the case history (a refusal with its reason)."""
    from .cases import log
    from .notices import deliveries

    for d in deliveries(notice_id):
        log(
            case,
            ctx,
            f"notice_{d.state}",
            channel=d.channel,
            address=d.address,
            detail=d.detail,
        )


@effect("deliver_notice")
def _deliver_notice(case: Case, ctx) -> None:
    """Delivered by 数据电文: the portal, or the e-mail or SMS that the server or gateway
    took; received on that day (R-CHANNEL)."""
    from .notices import deliveries

    notice_id = case.subject["notice_id"]
    delivered = [d for d in deliveries(notice_id) if d.state == "delivered"]
    # The first channel that reached the recipient is the one the receipt counts from.
    channel = delivered[0].channel if delivered else "portal"
    _record_notice(case, ctx, channel, delivered[0].delivered_on if delivered else None)
    _log_deliveries(case, ctx, notice_id)
    if channel == "portal":
        notify_operator(
            case,
            ctx,
            "notice",
            message("notice_delivered"),
        )


def _letter(case: Case):
    from .notices import deliveries

    return next(
        (d for d in reversed(deliveries(case.subject["notice_id"])) if d.channel == "letter"),
        None,
    )


def _letter_dates(case: Case, ctx) -> tuple:
    from datetime import date

    posted = date.fromisoformat(_form(case, ctx, "post_letter")["posted_on"])
    result = _form(case, ctx, "letter_result")
    on = date.fromisoformat(result["on"])
    if posted > ctx.today or on > ctx.today:
        raise DomainError("a letter cannot be posted or delivered after today", field="on")
    if on < posted:
        raise DomainError(
            "the letter cannot be delivered or returned before it was posted (%(posted)s)",
            field="on",
            posted=posted.isoformat(),
        )
    return posted, on, result


@effect("letter_delivered")
def _letter_delivered(case: Case, ctx) -> None:
    """The letter was signed for: the notice counts as received on that day (R-CHANNEL)."""
    posted, on, _result = _letter_dates(case, ctx)
    letter = _letter(case)
    if letter is not None:
        letter.state, letter.posted_on, letter.delivered_on = "delivered", posted, on
    _record_notice(case, ctx, "letter", on)
    _log_deliveries(case, ctx, case.subject["notice_id"])


@effect("announce")
def _announce(case: Case, ctx) -> None:
    """Published as an announcement (通告) when the operator could not be reached directly:
    unknown, or its letter came back (R-CHANNEL)."""
    letter = _letter(case)
    if letter is not None and letter.state == "queued":
        posted, on, result = _letter_dates(case, ctx)
        letter.state, letter.posted_on = "returned", posted
        letter.detail = f"{on.isoformat()} {result.get('reasons') or ''}".strip()
    _record_notice(case, ctx, "announcement")
    _log_deliveries(case, ctx, case.subject["notice_id"])


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


def matter_repairable(matter: Matter) -> bool:
    """R-REPAIR-ELIGIBLE: no major social or other adverse impact — neither flagged on the
    matter nor carried by one of its items (A11.9), for every object the matter scored."""
    from .scoring_tables import load_tables

    table = next((t for t in load_tables() if t.version == matter.table_version), None)
    return not matter.major_impact and not unrepairable_items(matter.items, table)


def acted_intentionally(matter: Matter, uscc: str) -> bool:
    """R-INTENT (Art. 13): whether one of this operator's objects of the matter (itself or one
    of its products) acted intentionally. Without a per-object record, the matter-level flag
    speaks for every object."""
    if matter.intentional_objects is None:
        return matter.intentional
    return any(o == uscc or o.startswith(f"{uscc}/") for o in matter.intentional_objects)


@effect("repair_approved")
def _repair_approved(case: Case, ctx) -> None:
    """REPAIR entries effective on the verification date (Art. 21): one approved repair is of
    the matter, and restores its deduction on every object of the applicant that it scored,
    each by its own share (R-REPAIR-ONE-MATTER); it counts once toward R-REPAIR-LIMIT."""
    share = _write_repair(case, ctx, case.subject["entry_id"])
    case.outcome = "approved"
    notify_operator(case, ctx, "repair", message("repair_approved", share=f"{share:.0%}"))


def _write_repair(case: Case, ctx, entry_id: int) -> Decimal:
    """The REPAIR entries of a granted repair (by its approval, or by an objection that
    revoked its refusal); the largest share restored."""
    deduction, _obj = _entry(entry_id)
    matter = db.session.get(Matter, deduction.matter_id)
    if not matter_repairable(matter):
        raise DomainError(NOT_REPAIRABLE)
    _refuse_on_filing(case)
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
    return max(shares)


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
    """Compensating entries (rules §2, §8, R-RIGHTS): a VOID of each disputed entry and, if
    amended, a new entry of the same kind, matter and date with the decided points — a
    deduction (its repairs kept, R-REPAIR-KEEP), a repair of the same deduction, a reward of
    the same item. A revoked repair gives the repair back to R-REPAIR-LIMIT."""
    for entry_id in case.subject["entry_ids"]:
        entry, obj = _entry(entry_id)
        entries = object_entries(obj.id)
        live = {e.id for e in live_entries(entries, ctx.today)}
        if entry.id not in live:
            raise DomainError("entry %(entry)s is already voided", entry=entry.id)
        amended_points = None
        if not void and points is not None:
            amended_points = Decimal(points).quantize(Decimal("0.01"))
            _check_amended(entry, amended_points, entries, ctx)
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
        if amended_points is None:
            continue
        if entry.kind == "DEDUCTION":
            amended = add_entry(
                obj,
                "DEDUCTION",
                -amended_points,
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
        else:  # a repair names its deduction; a reward names nothing (rules §2)
            add_entry(
                obj,
                entry.kind,
                amended_points,
                entry.effective_on,
                actor=ctx.actor,
                at=ctx.now,
                reason=f"{why} (case {case.id}): replaces entry {entry.id}",
                matter_id=entry.matter_id,
                item=entry.item,
                target_id=entry.target_id if entry.kind == "REPAIR" else None,
            )


def _check_amended(entry: LedgerEntry, points: Decimal, entries, ctx) -> None:
    """An amended repair restores at most its deduction (Art. 15); an amended reward keeps the
    object within 2 reward points (R-REWARD-CAP)."""
    if points <= 0:
        raise DomainError("amended points are more than 0; to cancel the entry, revoke it")
    if entry.kind == "REPAIR":
        deduction = next((e for e in entries if e.id == entry.target_id), None)
        if deduction is not None and points > -deduction.points:
            raise DomainError(
                "a repair restores at most the %(points)s points of its deduction (Art. 15)",
                points=f"{-deduction.points:.2f}",
            )
    if entry.kind == "REWARD":
        others = sum(
            (
                e.points
                for e in live_entries(entries, ctx.today)
                if e.kind is EntryKind.REWARD
                and e.id != entry.id
                and ctx.today < window_end(e.effective_on)
            ),
            Decimal("0"),
        )
        if others + points > 2:
            raise DomainError(
                "rewards count for at most 2 points per object (Art. 18, R-REWARD-CAP)"
            )


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
    points = Decimal(form["points"]) if form.get("points") else None
    if case.subject.get("refused_case"):
        _refusal_resolved(case, ctx, outcome, points)
    elif outcome != "upheld":
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


def _refusal_resolved(case: Case, ctx, outcome: str, points: Decimal | None) -> None:
    """R-RIGHTS: an objection against a refused repair or reward. Upheld, the refusal stands;
    revoked, the application is granted as its approval would have granted it (the limit, the
    cap and the proof are checked again); amended, a reward is granted with the decided
    points — a repair's points follow from its share (R-REPAIR-SHARE), so it is granted or not."""
    if outcome == "upheld":
        return
    refused = db.session.get(Case, case.subject["refused_case"])
    if refused.process_id == "repair":
        if outcome == "amended":
            raise DomainError(
                "a refused repair is granted by revoking the refusal: its points follow from "
                "its share (Art. 15)"
            )
        _write_repair(case, ctx, refused.subject["entry_id"])
        return
    obj = db.session.get(ScoringObject, refused.object_id)
    _write_reward(case, ctx, obj, refused.subject["code"], points=points)


@effect("correction_applied")
def _correction_applied(case: Case, ctx) -> None:
    """The corrected scoring, then a new notice of the matter (R-RIGHTS): the objection window
    runs from its receipt."""
    from .applications import issue_notice

    form = _form(case, ctx, "verify_correction")
    points = Decimal(form["points"]) if form.get("points") else None
    _replace_or_void(case, ctx, void=bool(form.get("void")), points=points, why="correction")
    case.outcome = "corrected"
    notify_operator(
        case, ctx, "correction", message("correction_applied", reasons=form.get("reasons") or "")
    )
    if case.matter_id is not None:
        issue_notice(
            db.session.get(Matter, case.matter_id),
            case.operator_id,
            ctx=ctx,
            scored_on=ctx.today,
            correction=case.id,
        )


@effect("correction_rejected")
def _correction_rejected(case: Case, ctx) -> None:
    case.outcome = "no_error"


# ---- reward -------------------------------------------------------------------------------


@effect("reward_granted")
def _reward_granted(case: Case, ctx) -> None:
    """A REWARD entry effective on the verification date, within the 2-point cap (R-REWARD-CAP)."""
    obj = db.session.get(ScoringObject, case.object_id)
    _write_reward(case, ctx, obj, case.subject["code"])
    case.outcome = "granted"
    notify_operator(case, ctx, "reward", message("reward_granted"))


def _write_reward(
    case: Case, ctx, obj: ScoringObject, code: str, *, points: Decimal | None = None
) -> None:
    """The REWARD entry of a granted reward (by its verification, or by an objection against
    its refusal), with its proof checked on the day (Art. 16, 17) and within the cap."""
    from .scoring_tables import require_table

    table = require_table(ctx.today, None)  # R-VALIDITY: refused (Art. 36) if none covers
    reward = table.rewards.get(code)
    if reward is None:
        raise DomainError(
            "reward %(code)s is not in table %(table)s", code=code, table=table.version
        )
    refuse_reward_role(reward, obj)
    _refuse_on_filing(case, filing=reward.code.startswith("R17"))
    if reward.code in SPOT_CHECK_REWARDS:
        _refuse_without_proof_in_cycle(reward.code, obj, ctx.today)
    if reward.code in REPORT_REWARDS:
        case.subject = {**case.subject, "proof": operator_report(reward.code, obj, ctx).id}
    granted = sum(
        (
            e.points
            for e in live_entries(object_entries(obj.id), ctx.today)
            if e.kind.value == "REWARD" and ctx.today < window_end(e.effective_on)
        ),
        Decimal("0"),
    )
    room = REWARD_CAP - granted
    if room <= 0:
        raise DomainError("this object already has 2 reward points in its window (R-REWARD-CAP)")
    add_entry(
        obj,
        "REWARD",
        min(points if points is not None else reward.points, room),
        ctx.today,
        actor=ctx.actor,
        at=ctx.now,
        reason=f"reward case {case.id}",
        item=reward.code,
    )


# R-REWARD-OPERATOR: the rewards that rest on a report the operator filed (Art. 17(2), 17(3)).
REPORT_REWARDS = {"R17.2": "recall", "R17.3": "self_inspection"}
SELF_INSPECTION_DAYS = 15


def operator_report(code: str, obj: ScoringObject, ctx) -> FilingItem:
    """The filed report an operator reward rests on, checked on the day of the decision
    (R-REWARD-OPERATOR): for R17.2 a recall report whose recall lies inside the scoring cycle;
    for R17.3 a self-inspection filed within 15 days of a non-conformity notice that lies
    inside the cycle (day 15 counts; rules §6). A statement in the application proves nothing:
    without such a report the reward is refused."""
    start = cycle_start(ctx.today)
    reports = db.session.scalars(
        select(FilingItem)
        .where(FilingItem.operator_id == obj.operator_id, FilingItem.kind == REPORT_REWARDS[code])
        .order_by(FilingItem.event_on.desc(), FilingItem.id.desc())
    ).all()
    for item in reports:
        if item.event_on is None or not start <= item.event_on <= ctx.today:
            continue
        if code == "R17.2":
            return item
        filed_on = item.filed_on or item.created_at.astimezone(CST).date()
        if filed_on <= ctx.cal.add_days(item.event_on, SELF_INSPECTION_DAYS).due_on:
            return item
    if code == "R17.2":
        raise DomainError(
            "reward R17.2 rests on a recall report in the information filing, the recall "
            "inside the scoring cycle from %(start)s to %(end)s; a statement alone proves "
            "nothing (Art. 17(2), R-REWARD-OPERATOR)",
            start=start.isoformat(),
            end=ctx.today.isoformat(),
        )
    raise DomainError(
        "reward R17.3 rests on a self-inspection filed within 15 days of the non-conformity "
        "notice, the notice inside the scoring cycle from %(start)s to %(end)s; a statement "
        "alone proves nothing (Art. 17(3), R-REWARD-OPERATOR)",
        start=start.isoformat(),
        end=ctx.today.isoformat(),
    )


def operator_role(operator_id: int) -> str:
    """An operator's role for rewards (Art. 17): a producer has products, a seller none."""
    has_products = db.session.scalar(
        select(ScoringObject.id)
        .where(ScoringObject.operator_id == operator_id, ScoringObject.kind == "product")
        .limit(1)
    )
    return "producer" if has_products is not None else "seller"


def refuse_reward_role(reward, obj: ScoringObject) -> None:
    """R-REWARD-OPERATOR (Art. 16, 17): R16 is for products; R17.1 and R17.2 for producers,
    R17.3 for sellers, as the table states. Refused naming the article, when applying and
    when granting."""
    kind = "product" if obj.kind == "product" else operator_role(obj.operator_id)
    if kind in reward.objects:
        return
    if obj.kind == "product" or "product" in reward.objects:
        raise DomainError(
            "reward %(code)s does not apply to this kind of object (Art. 16, 17)",
            field="code",
            code=reward.code,
        )
    raise DomainError(
        "reward %(code)s is for %(roles)s, and this operator is a %(role)s (Art. 17)",
        field="code",
        code=reward.code,
        roles=", ".join(reward.objects),
        role=kind,
    )


def _refuse_on_filing(case: Case, *, filing: bool = True) -> None:
    """Art. 14(3), 17 at the decision: the filing is checked again (it may have become
    incomplete since the application), and a finding of concealment in force bars it."""
    from .filing import CONCEALED, INCOMPLETE_AT_DECISION, filing_refusals

    reasons = filing_refusals(case.operator_id, deciding=True)
    if not filing:
        reasons = [r for r in reasons if r != INCOMPLETE_AT_DECISION]
    if CONCEALED in reasons:
        raise DomainError(CONCEALED)
    if reasons:
        raise DomainError(INCOMPLETE_AT_DECISION)


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
