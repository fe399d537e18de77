"""(a) The notice of a scoring (记分告知书, Art. 23): the matter, each object's points, score and
class (R-NOTICE), and the rights with their deadlines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.services.applications import OBJECTION_DAYS, objection_window_closes
from app.services.cases import Ctx
from models import (
    Matter,
    Notice,
    Operator,
    ScoringObject,
)

from .letter import (
    PREFIXES,
    SPEC,
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
    table_of,
)


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
    bureau = bureau_of(matter.bureau_code)
    table = table_of(matter.table_version)
    content = notice.content or {}
    facts = [
        (_("信用事项（认定文书）"), matter.ref),
        (_("事项内容"), content.get("summary") or matter.summary or ""),
        (
            _("记分项目"),
            "；".join(item_title(table, c) for c in content.get("items") or matter.items),
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
        Section(_("查询"), (query_note(),)),
    )
    issued = cst_day(notice.created_at) or ctx.today
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
