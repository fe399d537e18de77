"""A letter as plain data (`Letter`), and the words and formats every kind of letter uses.

Letters are built inside a request (or app) context: their words go through gettext, so a page
shown in English prints an English PDF with the same facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _

from app.clock import CST
from app.extensions import db
from app.queries.tables import load_tables
from app.scoring.table import ScoringTable
from forms.base import N_
from models import (
    Bureau,
    Operator,
    ScoringObject,
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


def cst_day(at: datetime | None) -> date | None:
    """The calendar day in China of a stored instant."""
    return at.astimezone(CST).date() if at is not None else None


def bureau_of(code: str) -> Bureau:
    """The issuing bureau of a letter."""
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


def table_of(version: str) -> ScoringTable | None:
    """The scoring-table version a matter was scored under."""
    return next((t for t in load_tables() if t.version == version), None)


def item_title(table: ScoringTable | None, code: str | None) -> str:
    """An item or reward as a letter names it: its code and title."""
    if not code:
        return ""
    if table is not None and code in table.items:
        return f"{code} {table.items[code].title}"
    if table is not None and code in table.rewards:
        return f"{code} {table.rewards[code].title}"
    return code


def query_note() -> str:
    """Where the operator can look up its record (Art. 23): the last section of every letter."""
    return _("可登录“粤品通”微信小程序或“粤商通”平台查询本企业质量信用记录详情（第二十三条）。")
