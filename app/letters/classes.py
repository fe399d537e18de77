"""(c) The notice of a class and its measures (质量信用分类及监管措施告知书, Art. 26, 27)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import DomainError, NotFound
from app.extensions import db
from app.services.cases import Ctx
from forms.base import N_
from models import (
    ClassificationResult,
    ClassificationRun,
    ScoringObject,
)

from .letter import (
    CLASS_REGIMES,
    PREFIXES,
    SPEC,
    TITLES,
    Letter,
    Section,
    bureau_of,
    class_label,
    day,
    describe_object,
    pts,
    query_note,
)

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
    bureau = bureau_of(operator.bureau_code)
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
        Section(_("查询"), (query_note(),)),
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
