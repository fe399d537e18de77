"""(b) The decision of a case (repair, objection, correction, reward), once decided: what was
decided and why, the ledger entries it wrote, the pauses of its deadline (R-PAUSE) and the
right to object to it (R-RIGHTS)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.codes import DEADLINE_TITLES, Role
from app.errors import DomainError, NotFound
from app.extensions import db
from app.queries.cases import case_pauses
from app.queries.scores import score_of
from app.queries.tables import load_tables
from app.scoring import class_for, latest_started
from app.services.applications import OBJECTION_DAYS, latest_notice, objection_window_closes
from app.services.cases import Ctx
from forms.base import N_
from models import (
    Bureau,
    Case,
    CaseTask,
    LedgerEntry,
    Matter,
    Operator,
    ScoringObject,
)

from .letter import (
    PREFIXES,
    TITLES,
    Letter,
    Section,
    bureau_of,
    class_label,
    cst_day,
    day,
    describe_object,
    item_title,
    pts,
    query_note,
)

# Case outcomes (app/services/case_effects/) as a letter states them.
OUTCOMES = {
    ("repair", "approved"): N_("准予信用修复"),
    ("repair", "rejected"): N_("不予信用修复"),
    ("objection", "not_accepted"): N_("异议不予受理"),
    ("objection", "upheld"): N_("异议不成立，维持原记分"),
    ("objection", "amended"): N_("异议部分成立，变更记分"),
    ("objection", "revoked"): N_("异议成立，撤销记分"),
    ("correction", "corrected"): N_("予以更正"),
    ("correction", "no_error"): N_("经核实无误，不予更正"),
    ("reward", "granted"): N_("予以奖励加分"),
    ("reward", "rejected"): N_("不予奖励加分"),
}


def _reasons(case: Case) -> str:
    """The reasons of the deciding task (the last staff task done on the case)."""
    form = db.session.scalar(
        select(CaseTask.form_data)
        .where(
            CaseTask.case_id == case.id, CaseTask.state == "done", CaseTask.lane != Role.ENTERPRISE
        )
        .order_by(CaseTask.id.desc())
        .limit(1)
    )
    return (form or {}).get("reasons") or ""


def _case_entries(case: Case) -> list[LedgerEntry]:
    """The ledger entries the case's decision wrote (their reason names the case)."""
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.operator_id == case.operator_id,
                or_(
                    LedgerEntry.reason.like(f"%case {case.id}"),
                    LedgerEntry.reason.like(f"%(case {case.id})"),
                ),
                LedgerEntry.kind != "START",
            )
            .order_by(LedgerEntry.id)
        )
    )


def _entry_line(e: LedgerEntry) -> str:
    if e.kind == "REPAIR":
        return _(
            "信用修复，恢复%(points)s分（第%(target)s号扣分记录）",
            points=pts(e.points),
            target=e.target_id,
        )
    if e.kind == "REWARD":
        return _("奖励加%(points)s分（%(item)s）", points=pts(e.points), item=e.item or "")
    if e.kind == "VOID":
        return _("撤销第%(target)s号记分记录", target=e.target_id)
    return _(
        "变更为扣%(points)s分（替代第%(target)s号记分记录）",
        points=pts(e.points),
        target=e.target_id,
    )


def _pause_sections(case: Case) -> tuple[Section, ...]:
    """R-PAUSE: when the verification waited for material, the letter says that the clock
    stopped, from when to when, and why."""
    paragraphs = []
    for p in case_pauses(case):
        name = _(DEADLINE_TITLES.get(p["deadline"], p["deadline"]))
        if p["until"] is None:  # cannot happen for a decided case; said plainly if it does
            paragraphs.append(
                _("%(deadline)s期限自%(since)s起暂停。", deadline=name, since=day(p["since"]))
            )
        else:
            paragraphs.append(
                _(
                    "因等待补正材料，%(deadline)s期限自%(since)s起暂停计算，至%(until)s收到"
                    "材料后恢复计算。",
                    deadline=name,
                    since=day(p["since"]),
                    until=day(p["until"]),
                )
            )
    if not paragraphs:
        return ()
    paragraphs.append(_("补正期间不计入办理时限 (R-PAUSE)。"))
    return (Section(_("办理期限"), tuple(paragraphs)),)


def _rights_section(
    case: Case, bureau: Bureau, decided: date, ctx: Ctx
) -> tuple[date | None, Section] | None:
    """R-RIGHTS (Art. 24): a repair, a reward and a correction are scorings the enterprise may
    object to, granted or refused; the letter says until when and to which bureau. After a
    correction the window runs from the receipt of the new notice of the matter."""
    if case.process_id not in ("repair", "reward", "correction"):
        return None
    if case.process_id == "correction" and case.matter_id is not None:
        notice = latest_notice(case.matter_id, case.operator_id)
        if notice is None or notice.received_on is None:
            text = _(
                "更正后将重新发出记分告知。如对更正后的记分有异议，可于收到新的告知之日起"
                "%(days)d日内向%(bureau)s提出异议，并提交相关证明材料（第二十四条）。",
                days=OBJECTION_DAYS,
                bureau=bureau.name,
            )
            return None, Section(_("异议"), (text,))
        closes = objection_window_closes(case.matter_id, case.operator_id, ctx)
    else:
        closes = objection_window_closes(None, case.operator_id, ctx, decided_on=decided)
    text = _(
        "如对本决定有异议，可于收到本决定之日起%(days)d日内（即%(closes)s前）向%(bureau)s"
        "提出异议，并提交相关证明材料（第二十四条）。",
        days=OBJECTION_DAYS,
        closes=day(closes),
        bureau=bureau.name,
    )
    return closes, Section(_("异议"), (text,))


def case_letter(case: Case, *, ctx: Ctx) -> Letter:
    """The decision of a repair, objection, correction or reward case, once decided."""
    label = OUTCOMES.get((case.process_id, case.outcome or ""))
    if case.process_id == "deduction_notice":
        raise NotFound("a notice case has no decision letter; open the notice of the scoring")
    if case.status == "withdrawn":
        raise DomainError("this case was withdrawn: there is no decision to issue", status=409)
    if case.status != "completed" or label is None:
        raise DomainError(
            "this case has no decision yet; its letter is issued when it is decided", status=409
        )
    operator = db.session.get(Operator, case.operator_id)
    bureau = bureau_of(case.deciding_bureau)
    matter = db.session.get(Matter, case.matter_id) if case.matter_id else None
    obj = db.session.get(ScoringObject, case.object_id) if case.object_id else None
    decided = cst_day(case.completed_at) or ctx.today
    subject = case.subject or {}
    filed = day(case.filed_on)

    facts: list[tuple[str, str]] = [(_("案件编号"), str(case.id))]
    if matter is not None:
        facts.append((_("信用事项（认定文书）"), matter.ref))
    if obj is not None:
        facts.append((_("记分对象"), describe_object(obj, operator)))
    if case.process_id == "repair":
        opening = _("你单位于%(filed)s提出的信用修复申请，经核实，决定如下：", filed=filed)
    elif case.process_id == "objection":
        opening = _(
            "你单位于%(filed)s对信用事项%(ref)s提出的异议，经审查，决定如下：",
            filed=filed,
            ref=subject.get("matter", ""),
        )
    elif case.process_id == "correction":
        opening = _(
            "经核实信用事项%(ref)s的事实认定及记分情况（第二十五条），决定如下：",
            ref=subject.get("matter", ""),
        )
    else:
        table = latest_started(load_tables(), decided)
        facts.append((_("奖励项目"), item_title(table, subject.get("code"))))
        if subject.get("proposed"):
            opening = _(
                "经比对监督抽查结果，你单位产品符合奖励条件（第十六条），经核实，决定如下："
            )
        else:
            opening = _("你单位于%(filed)s提出的信用奖励申请，经核实，决定如下：", filed=filed)
    facts.append((_("申请或立案日期"), filed))
    facts.append((_("决定"), _(label)))
    reasons = _reasons(case)
    if reasons:
        facts.append((_("理由"), reasons))
    entries = _case_entries(case)
    facts.append(
        (_("记分调整"), "；".join(_entry_line(e) for e in entries) if entries else _("无"))
    )
    if obj is not None:
        s = score_of(obj, decided)
        facts.append(
            (
                _("决定后累计分数"),
                _("%(score)s分", score=pts(s.points)) if s.points is not None else _("未记分"),
            )
        )
        facts.append((_("对应信用等级"), class_label(class_for(s.points))))
    facts.append((_("作出决定的部门"), bureau.name))
    facts.append((_("决定日期"), day(decided)))
    title_key = "objection_not_accepted" if case.outcome == "not_accepted" else case.process_id
    rights = _rights_section(case, bureau, decided, ctx)
    if rights is not None and rights[0] is not None:
        facts.append((_("异议期限"), day(rights[0])))
    sections = (
        *_pause_sections(case),
        *((rights[1],) if rights is not None else ()),
        Section(_("查询"), (query_note(),)),
    )
    return Letter(
        kind="decision",
        title=_(TITLES[title_key]),
        reference=f"{PREFIXES['decision']}〔{decided.year}〕{bureau.code}-{case.id}号",
        issuer=bureau.name,
        issuer_code=bureau.code,
        recipient=operator.name,
        recipient_uscc=operator.uscc,
        issued_on=decided,
        opening=opening,
        facts=tuple(facts),
        sections=sections,
    )
