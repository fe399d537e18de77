"""A plan as an XLSX workbook: how it was drawn, the objects to inspect, the A objects drawn."""

from __future__ import annotations

import itertools
from decimal import Decimal

from models import (
    InspectionPlan,
)

from .draw import weight_text
from .plan import PlanData, PlanRow


def _product(row: PlanRow) -> str | None:
    """A product object as 商标·第N类; empty for an operator's own object."""
    return f"{row.brand}·第{row.nice_class}类" if row.kind == "product" else None


def to_xlsx(plan: InspectionPlan, data: PlanData, *, bureau_name: str) -> bytes:
    """The plan as an XLSX workbook, rows streamed (a province plan has ~3 million cells)."""
    from ..xlsx import workbook

    info = (
        ("年度", plan.year),
        ("市场监管部门", f"{plan.bureau_code} {bureau_name}"),
        ("分类评定日期", plan.run_on.isoformat()),
        ("计划基准日", plan.plan_on.isoformat()),
        ("随机种子", str(plan.seed)),
        ("A类随机抽取比例", str(plan.ratio)),
        ("连续两次以上未发现问题的抽取权重", str(plan.clean_weight)),
        ("A类候选对象数", plan.candidates),
        ("候选名单摘要 (SHA-256)", plan.candidates_digest),
        ("抽中对象数", plan.selected),
        ("抽取结果摘要 (SHA-256)", plan.selection_digest),
        (
            "抽取方法",
            "候选对象按编号排序，random.Random(种子) 依次生成 u，取 u^(1/权重) 最大的 "
            "ceil(候选数×比例) 个（加权不放回抽样）",
        ),
        ("检查频次", "B类每年1次以上，C类2次以上，D类4次以上（第二十七条）"),
    )
    required_head = (
        ("对象编号", "类别", "统一社会信用代码", "经营者名称", "产品（商标·尼斯分类）",
         "所在地监管部门", "全年应检次数", "已检次数", "尚需次数")
    )  # fmt: skip
    required = (
            (r.object_id, r.klass, r.uscc, r.name, _product(r), r.bureau, r.needed, r.done,
             r.remaining)
            for r in data.required
    )  # fmt: skip
    chosen_head = (
        ("对象编号", "统一社会信用代码", "经营者名称", "产品（商标·尼斯分类）", "所在地监管部门",
         "抽取权重")
    )  # fmt: skip
    chosen = (
            (r.object_id, r.uscc, r.name, _product(r), r.bureau,
             weight_text(r.weight or Decimal(1)))
            for r in data.selected
    )  # fmt: skip
    return workbook(
        [
            ("计划说明", info),
            ("重点检查对象", itertools.chain([required_head], required)),
            ("A类随机抽取", itertools.chain([chosen_head], chosen)),
        ]
    )
