"""What each letter says, as plain data (`Letter`): the HTML page and the PDF both render it.

Letters are built inside a request (or app) context: their words go through gettext, so a page
shown in English prints an English PDF with the same facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.clock import CST
from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import can_see_case, can_see_operator_records
from app.queries.cases import case_pauses
from app.queries.scores import score_of
from app.scoring import class_for
from app.scoring.table import ScoringTable
from app.services.applications import OBJECTION_DAYS, latest_notice, objection_window_closes
from app.services.cases import Ctx
from app.services.scoring_tables import load_tables
from app.web.labels import DEADLINE_LABELS
from forms.base import N_
from models import (
    Bureau,
    Case,
    CaseTask,
    ClassificationResult,
    ClassificationRun,
    LedgerEntry,
    Matter,
    Notice,
    Operator,
    ScoringObject,
    User,
)

SPEC = N_("《广东省产品质量信用分类监管规范》（粤市监规字〔2021〕5号）")

# Art. 26-27 and rules §10: how each class is supervised, and the measures that go with it.
CLASS_REGIMES = {
    "A": N_("一般监管"),
    "B": N_("跟踪监管"),
    "C": N_("重点监管"),
    "D": N_("特别监管"),
    "O": N_("反应式监管"),
}
CLASS_MEASURES: dict[str, tuple[str, ...]] = {
    "A": (
        N_("按照“双随机、一公开”监管要求实施产品质量监督抽查或检查。"),
        N_("连续两次以上未发现不合格或其他违法行为的，可合理降低监督抽查、检查随机系数等级。"),
    ),
    "B": (
        N_("向经营者发出黄色监管提示。"),
        N_("责令经营者对出现的质量问题进行整改，并跟踪检查落实情况。"),
        N_("原则上每年实施1次以上监督抽查或检查。"),
    ),
    "C": (
        N_("向经营者发出橙色监管警示。"),
        N_("责令经营者对出现的质量问题进行整改，并跟踪检查落实情况。"),
        N_("原则上每年实施2次以上监督抽查或检查。"),
        N_("对经营者质量负责人进行行政约谈和培训，督促其履行产品质量主体责任。"),
    ),
    "D": (
        N_("向经营者发出红色监管警示。"),
        N_("责令经营者对出现的质量问题进行整改，并跟踪检查落实情况。"),
        N_("原则上每年实施4次以上监督抽查或检查。"),
        N_("对经营者法定代表人及质量负责人进行行政约谈。"),
        N_("再发生质量违法行为的，可依法适用“情节严重”的情形处理（第三十条）。"),
    ),
    "O": (
        N_("指导经营者在产品监管系统建立产品质量管理档案。"),
        N_("加强产品质量安全监测，并根据监测情况及时采取对应监管措施。"),
        N_("发现存在产品质量信用记分情形的，按照规范实施记分及分类管理。"),
    ),
}

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
TITLES = {
    "notice": N_("质量信用记分告知书"),
    "repair": N_("信用修复核实结果告知书"),
    "objection": N_("异议处理结果告知书"),
    "objection_not_accepted": N_("异议不予受理告知书"),
    "correction": N_("信用记分更正告知书"),
    "reward": N_("信用奖励核实结果告知书"),
    "class": N_("质量信用分类及监管措施告知书"),
}
# Reference-number prefixes (文号): one series per kind of letter.
PREFIXES = {"notice": "信告", "decision": "信决", "class": "信类"}


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Letter:
    """One letter: who issues it to whom, when, under which number, and what it says."""

    kind: str  # notice | decision | class
    title: str
    reference: str
    issuer: str
    issuer_code: str
    recipient: str
    recipient_uscc: str
    issued_on: date
    opening: str
    facts: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]

    @property
    def salutation(self) -> str:
        return _(
            "%(name)s（统一社会信用代码：%(uscc)s）：",
            name=self.recipient,
            uscc=self.recipient_uscc,
        )

    @property
    def dated(self) -> str:
        return day(self.issued_on)

    def fact(self, label: str) -> str | None:
        return next((v for k, v in self.facts if k == label), None)

    def filename(self, ext: str) -> str:
        """An ASCII file name from the reference number: notice-2026_440100-12.pdf."""
        number = re.sub(r"[^0-9A-Za-z-]+", "_", self.reference).strip("_")
        return f"{self.kind}-{number}.{ext}"


# ---- formatting --------------------------------------------------------------------------


def day(d: date | None) -> str:
    if d is None:
        return ""
    return _("%(year)d年%(month)d月%(day)d日", year=d.year, month=d.month, day=d.day)


def pts(value: Decimal | str | None) -> str:
    """Points as people write them: 12, 10.5, 4 (no sign)."""
    if value is None:
        return ""
    return format(abs(Decimal(str(value))).normalize(), "f")


def _cst_day(at: datetime | None) -> date | None:
    return at.astimezone(CST).date() if at is not None else None


def _bureau(code: str) -> Bureau:
    return db.session.get(Bureau, code)  # a foreign key: it exists


def describe_object(obj: ScoringObject, operator: Operator | None = None) -> str:
    op = operator or obj.operator
    if obj.kind == "product":
        return _(
            "产品：%(brand)s / 尼斯分类第%(nice)d类（生产者 %(name)s）",
            brand=obj.brand,
            nice=obj.nice_class,
            name=op.name,
        )
    return _("经营者：%(name)s（%(uscc)s）", name=op.name, uscc=op.uscc)


def class_label(klass: str | None) -> str:
    if not klass:
        return ""
    return _("%(klass)s类（%(regime)s）", klass=klass, regime=_(CLASS_REGIMES[klass]))


def _table(version: str) -> ScoringTable | None:
    return next((t for t in load_tables() if t.version == version), None)


def _item_title(table: ScoringTable | None, code: str | None) -> str:
    if not code:
        return ""
    if table is not None and code in table.items:
        return f"{code} {table.items[code].title}"
    if table is not None and code in table.rewards:
        return f"{code} {table.rewards[code].title}"
    return code


def _query_note() -> str:
    return _("可登录“粤品通”微信小程序或“粤商通”平台查询本企业质量信用记录详情（第二十三条）。")


# ---- who may read which letter -----------------------------------------------------------


def find_notice(notice_id: int, user: User) -> Notice:
    """A notice the user may read: the enterprise its own once delivered or announced; staff
    of the deciding bureau or the operator's bureau, or above them. Others: 404."""
    row = db.session.execute(
        select(Notice, Matter.bureau_code, Operator.bureau_code)
        .join(Matter, Matter.id == Notice.matter_id)
        .join(Operator, Operator.id == Notice.operator_id)
        .where(Notice.id == notice_id)
    ).first()
    if row is None:
        raise NotFound("no notice %(notice)s", notice=notice_id)
    notice, matter_bureau, operator_bureau = row
    if not can_see_operator_records(user, notice.operator_id, (matter_bureau, operator_bureau)):
        raise NotFound("no notice %(notice)s", notice=notice_id)
    if user.role == "enterprise" and notice.received_on is None:
        raise NotFound("no notice %(notice)s", notice=notice_id)
    return notice


def find_case(case_id: int, user: User) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_see_case(user, case):
        raise NotFound("no case %(case)s", case=case_id)
    return case


def find_object(object_id: int, user: User) -> ScoringObject:
    obj = db.session.get(ScoringObject, object_id)
    if obj is None or not can_see_operator_records(
        user, obj.operator_id, (obj.operator.bureau_code,)
    ):
        raise NotFound("no scoring object %(object)s", object=object_id)
    return obj


# ---- (a) the notice of a scoring (Art. 23) ---------------------------------------------


def operator_objects(operator_id: int) -> dict[int, ScoringObject]:
    """The operator's scoring objects by id (itself and its products), in one query."""
    return {
        o.id: o
        for o in db.session.scalars(
            select(ScoringObject).where(ScoringObject.operator_id == operator_id)
        )
    }


def notice_objects(
    notice: Notice, operator: Operator, objects: dict[int, ScoringObject] | None = None
) -> list[dict]:
    """The per-object figures of a notice (R-NOTICE), as stored when it was issued. A page
    listing many notices passes the operator's `objects` once (`operator_objects`).

    Notices issued before the figures were kept per object carry one total: shown as it was.
    """
    if objects is None:
        objects = operator_objects(operator.id)
    content = notice.content or {}
    if "objects" in content:
        return [{**f, "object": objects.get(f["object_id"])} for f in content["objects"]]
    own = next((o for o in objects.values() if o.kind == "operator"), None)
    return [
        {
            "object": own,
            "points": content.get("points") or "0",
            "merged": False,
            "score": content.get("score"),
            "class": content.get("class"),
            "official_class": None,
        }
    ]


def points_text(figures: dict) -> str:
    """What a notice says one object lost: 扣3分, or 0 with the R-180 reason."""
    if figures.get("merged"):
        return _("0分（180日内同一产品监督抽查不合格，合并计分，不重复扣分，第九条）")
    value = Decimal(str(figures.get("points") or "0"))
    if value > 0:
        return _("加%(points)s分", points=pts(value))
    return _("扣%(points)s分", points=pts(value))


def _object_facts(figures: dict, operator: Operator) -> list[tuple[str, str]]:
    obj = figures.get("object")
    score = figures.get("score")
    facts = [
        (_("记分对象"), describe_object(obj, operator) if obj is not None else operator.name),
        (_("所记分值"), points_text(figures)),
        (_("累计分数"), _("%(score)s分", score=pts(score)) if score is not None else _("未记分")),
        (_("划分信用等级"), class_label(figures.get("class"))),
    ]
    official = figures.get("official_class")
    if official and official["class"] != figures.get("class"):
        run_on = date.fromisoformat(official["run_on"])
        if official.get("locked_until"):
            text = _(
                "%(klass)s，%(date)s分类确定，锁定至%(until)s（第三十四条）",
                klass=class_label(official["class"]),
                date=day(run_on),
                until=day(date.fromisoformat(official["locked_until"])),
            )
        else:
            text = _(
                "%(klass)s，%(date)s分类确定，至下次分类前有效",
                klass=class_label(official["class"]),
                date=day(run_on),
            )
        facts.append((_("现行监管等级"), text))
    return facts


def notice_letter(notice: Notice, *, ctx: Ctx) -> Letter:
    """记分告知书: the matter, items, points, cumulative score, class, and the rights with their
    deadlines (objection within 15 days of receipt, repair where eligible)."""
    matter = db.session.get(Matter, notice.matter_id)
    operator = db.session.get(Operator, notice.operator_id)
    bureau = _bureau(matter.bureau_code)
    table = _table(matter.table_version)
    content = notice.content or {}
    facts = [
        (_("信用事项（认定文书）"), matter.ref),
        (_("事项内容"), content.get("summary") or matter.summary or ""),
        (
            _("记分项目"),
            "；".join(_item_title(table, c) for c in content.get("items") or matter.items),
        ),
        (_("事项生效日期"), day(matter.effective_on)),
    ]
    # R-NOTICE: each object the matter scored, with its own points, score and class.
    for figures in notice_objects(notice, operator):
        facts.extend(_object_facts(figures, operator))
    facts.append((_("作出记分决定的部门"), bureau.name))
    if notice.received_on is not None:
        how = {
            "portal": _("企业端送达"),
            "email": _("电子邮件送达"),
            "sms": _("短信送达"),
            "letter": _("信件送达"),
        }.get(notice.channel, _("通告"))
        facts.append((_("告知方式及日期"), _("，").join((how, day(notice.received_on)))))

    # Rights: objection (Art. 24) and repair (Art. 14, 15).
    if notice.received_on is not None:
        closes = objection_window_closes(notice.matter_id, notice.operator_id, ctx)
        objection = _(
            "如对信用事项或记分情况有异议，可于收到本告知之日起%(days)d日内（即%(closes)s前）"
            "向%(bureau)s提出异议，并提交相关证明材料（第二十四条）。",
            days=OBJECTION_DAYS,
            closes=day(closes),
            bureau=bureau.name,
        )
        facts.append((_("异议期限"), day(closes)))
    else:
        objection = _(
            "如对信用事项或记分情况有异议，可于收到本告知之日起%(days)d日内向%(bureau)s"
            "提出异议，并提交相关证明材料（第二十四条）。",
            days=OBJECTION_DAYS,
            bureau=bureau.name,
        )
    repairable = not matter.major_impact and all(
        table is None or c not in table.items or table.items[c].repairable for c in matter.items
    )
    if repairable:
        repair = (
            _("同时符合下列条件的，可向%(bureau)s申请信用修复（第十四条）：", bureau=bureau.name),
            _("（一）能够证明失信行为或后果非主观故意；"),
            _("（二）已整改到位并承诺不再发生，经市场监管部门确认；"),
            _("（三）企业信息填报完整，无隐瞒。"),
            _(
                "在36个月内首次扣分的，修复后恢复全部扣分；其后的扣分恢复50%；"
                "36个月内至多修复2次（第十五条）。"
            ),
        )
    else:
        repair = (_("本事项造成重大社会影响或其他不良影响，不适用信用修复（第十四条）。"),)
    sections = (
        Section(_("异议"), (objection,)),
        Section(_("信用修复"), repair),
        Section(_("查询"), (_query_note(),)),
    )
    issued = _cst_day(notice.created_at) or ctx.today
    return Letter(
        kind="notice",
        title=_(TITLES["notice"]),
        reference=f"{PREFIXES['notice']}〔{issued.year}〕{bureau.code}-{notice.id}号",
        issuer=bureau.name,
        issuer_code=bureau.code,
        recipient=operator.name,
        recipient_uscc=operator.uscc,
        issued_on=issued,
        opening=_("依据%(spec)s第二十三条，现将你单位质量信用记分情况告知如下：", spec=_(SPEC)),
        facts=tuple(facts),
        sections=sections,
    )


# ---- (b) the decision of a case ------------------------------------------------------------


def _reasons(case: Case) -> str:
    """The reasons of the deciding task (the last staff task done on the case)."""
    form = db.session.scalar(
        select(CaseTask.form_data)
        .where(CaseTask.case_id == case.id, CaseTask.state == "done", CaseTask.lane != "enterprise")
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
        name = _(DEADLINE_LABELS.get(p["deadline"], p["deadline"]))
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
    bureau = _bureau(case.deciding_bureau)
    matter = db.session.get(Matter, case.matter_id) if case.matter_id else None
    obj = db.session.get(ScoringObject, case.object_id) if case.object_id else None
    decided = _cst_day(case.completed_at) or ctx.today
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
        table = _table_on(decided)
        facts.append((_("奖励项目"), _item_title(table, subject.get("code"))))
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
        Section(_("查询"), (_query_note(),)),
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


def _table_on(on: date) -> ScoringTable | None:
    tables = [t for t in load_tables() if t.applies_from <= on]
    return max(tables, key=lambda t: t.applies_from) if tables else None


# ---- (c) the notice of a class and its measures (Art. 26, 27) ---------------------------


@dataclass(frozen=True)
class Classified:
    """The official class of one object, as the latest classification run set it."""

    run_id: int
    run_on: date
    klass: str
    score: Decimal | None
    locked_until: date | None
    previous: str | None


def latest_class(obj: ScoringObject, as_of: date) -> Classified:
    row = db.session.execute(
        select(ClassificationRun, ClassificationResult)
        .join(ClassificationResult, ClassificationResult.run_id == ClassificationRun.id)
        .where(
            ClassificationResult.object_id == obj.id,
            ClassificationRun.run_on <= as_of,
            ClassificationRun.finished_at.is_not(None),
        )
        .order_by(ClassificationRun.run_on.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound("this scoring object has not been classified by a run yet")
    run, result = row
    return Classified(
        run.id, run.run_on, result.klass, result.score, result.locked_until, result.previous_klass
    )


def default_measures(klass: str) -> list[str]:
    """The measures of Art. 27 (rules §10) for a class, in the page's language."""
    return [_(m) for m in CLASS_MEASURES[klass]]


# What Art. 27 says for each class beyond the measures recorded one by one (`Measure` rows):
# how often it is inspected, and what follows from it.
CLASS_GENERAL = {
    "A": CLASS_MEASURES["A"],
    "B": CLASS_MEASURES["B"][2:3],
    "C": CLASS_MEASURES["C"][2:3],
    "D": (CLASS_MEASURES["D"][2], CLASS_MEASURES["D"][4]),
    "O": CLASS_MEASURES["O"][1:],
}


def measures_for(obj: ScoringObject, classified: Classified) -> list[str]:
    """The measures the run set for this object (`Measure` rows: notices, rectification with
    its report date, interviews), then what Art. 27 adds for the class. A run without measure
    rows (older runs, class A) states the Art. 27 measures of the class."""
    from app.services.measures import KIND_LABELS
    from models import Measure

    rows = db.session.scalars(
        select(Measure).where(
            Measure.run_id == classified.run_id,
            Measure.object_id == obj.id,
            Measure.state != "cancelled",
        )
    ).all()
    if not rows:
        return default_measures(classified.klass)
    # The notice first, then the order, then the interviews (the order of KIND_LABELS); bulk
    # inserts leave ids in no particular order between databases.
    kinds = list(KIND_LABELS)
    rows = sorted(rows, key=lambda m: (kinds.index(m.kind) if m.kind in kinds else 99, m.id))
    lines = []
    for m in rows:
        label = _(KIND_LABELS.get(m.kind, m.kind))
        if m.kind == "rectification" and m.due_on is not None:
            label = _("%(label)s，请于%(due)s前报告整改情况", label=label, due=day(m.due_on))
        if m.state == "done":
            label = _("%(label)s（已完成）", label=label)
        lines.append(label)
    return lines + [_(text) for text in CLASS_GENERAL[classified.klass]]


def class_letter(
    obj: ScoringObject, classified: Classified, measures: Sequence[str], *, ctx: Ctx
) -> Letter:
    """分类及监管措施告知书: the class a run set and the measures that follow from it."""
    klass = classified.klass
    if klass not in CLASS_REGIMES:
        raise DomainError("unknown class %(klass)s", klass=klass)
    operator = obj.operator
    bureau = _bureau(operator.bureau_code)
    facts = [
        (_("记分对象"), describe_object(obj, operator)),
        (_("分类评定日期"), day(classified.run_on)),
        (
            _("评定时累计分数"),
            _("%(score)s分", score=pts(classified.score))
            if classified.score is not None
            else _("未记分"),
        ),
        (_("信用类别"), class_label(klass)),
    ]
    if classified.previous:
        facts.append((_("上次类别"), class_label(classified.previous)))
    if classified.locked_until is not None:
        facts.append((_("D类锁定至"), day(classified.locked_until)))
    notes = [
        _("信用分类每半年调整一次；划为D类的，分类锁定3年，3年后按实际记分分类（第二十六条）。"),
        _(
            "经营者或其他利益相关方不得将质量信用监管类别划分结果印制于产品标识，不得用于商业用途（第二十八条）。"
        ),
    ]
    if klass == "A":
        notes.insert(0, _("A类分类情况可依法予以公示（第二十九条）。"))
    sections = (
        Section(
            _("监管措施（%(regime)s）", regime=_(CLASS_REGIMES[klass])),
            tuple(f"{i}. {m}" for i, m in enumerate(measures, 1)) or (_("无"),),
        ),
        Section(_("说明"), tuple(notes)),
        Section(_("查询"), (_query_note(),)),
    )
    return Letter(
        kind="class",
        title=_(TITLES["class"]),
        reference=(
            f"{PREFIXES['class']}〔{classified.run_on.year}〕{bureau.code}-"
            f"{classified.run_id}-{obj.id}号"
        ),
        issuer=bureau.name,
        issuer_code=bureau.code,
        recipient=operator.name,
        recipient_uscc=operator.uscc,
        issued_on=classified.run_on,
        opening=_(
            "依据%(spec)s第二十六条、第二十七条，现将%(object)s的质量信用分类结果及相应监管措施告知如下：",
            spec=_(SPEC),
            object=describe_object(obj, operator),
        ),
        facts=tuple(facts),
        sections=sections,
    )
