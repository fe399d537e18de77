"""Statistics for supervisors and administrators (统计分析): classes per city over successive
runs, matters per item of the scoring table, outcomes of repairs, objections, corrections and
rewards. Each is a chart and a table, and downloads as CSV or XLSX with the same numbers.
A supervisor sees their bureau tree only."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from marshmallow import ValidationError
from openpyxl import Workbook
from sqlalchemy import select

from app.codes import Process, Role
from app.context import now, today
from app.errors import DomainError, NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes, export_bureaus
from app.queries import statistics as q
from app.scoring import CLASSES
from app.services.cells import csv_text, xlsx_cell
from app.services.statistics import record_download
from forms.base import N_
from forms.exports import StatisticsQuery
from models import Bureau

from .charts import CLASS_COLOURS, bar_chart
from .guards import roles

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

PROCESS_LABELS = {
    "repair": N_("信用修复"),
    "objection": N_("异议"),
    "correction": N_("纠错"),
    "reward": N_("奖励"),
}
OUTCOME_LABELS = {
    "approved": N_("准予"),
    "rejected": N_("不予"),
    "not_accepted": N_("不予受理"),
    "upheld": N_("维持"),
    "amended": N_("变更"),
    "revoked": N_("撤销"),
    "corrected": N_("更正"),
    "no_error": N_("无误"),
    "granted": N_("奖励"),
    "open": N_("办理中"),
    "withdrawn": N_("撤回"),
}
COLUMNS = {
    "classes": [
        ("run_on", N_("分类日期")),
        ("city", N_("地市代码")),
        ("city_name", N_("地市")),
        *[(k, f"{k}") for k in CLASSES],
        ("total", N_("合计")),
    ],
    "items": [
        ("item", N_("记分项目")),
        ("title", N_("项目名称")),
        ("matters", N_("事项数")),
        ("deductions", N_("记分对象数")),
        ("points", N_("扣分合计")),
    ],
    "outcomes": [
        ("process", N_("案件类型")),
        ("outcome", N_("结果")),
        ("cases", N_("案件数")),
        ("overdue", N_("曾超期")),
    ],
}
TITLES = {
    "classes": N_("各地市信用分类分布"),
    "items": N_("各记分项目的事项数"),
    "outcomes": N_("修复、异议、纠错、奖励办理结果"),
}
NUMERIC = {"A", "B", "C", "D", "O", "total", "matters", "deductions", "points", "cases", "overdue"}


@dataclass
class Dataset:
    name: str
    title: str
    columns: list[tuple[str, str]]  # (key, label shown)
    rows: list[dict]  # values as shown (labels translated, dates ISO)
    charts: list[Markup]


def _filters() -> tuple[dict, frozenset[str] | None]:
    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    try:
        args = StatisticsQuery().load(raw)
    except ValidationError as exc:
        fields = ", ".join(sorted(exc.messages))
        raise DomainError("check the filters: %(fields)s", status=400, fields=fields) from None
    if args["since"] and args["until"] and args["since"] > args["until"]:
        raise DomainError("the start date is after the end date", status=400)
    allowed = export_bureaus(current_user)
    bureau = args["bureau"]
    if not bureau:
        return args, allowed
    if db.session.get(Bureau, bureau) is None:
        raise NotFound("no bureau with code %(code)s", code=bureau)
    if allowed is not None and bureau not in allowed:
        raise DomainError("this bureau is outside your area", status=403)
    return args, bureau_tree_codes(bureau)


def _shown(value) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _classes(codes) -> Dataset:
    rows = q.class_distribution(codes)
    runs = sorted({r["run_on"] for r in rows})
    totals = {
        k: [float(sum(r[k] for r in rows if r["run_on"] == run)) for run in runs] for k in CLASSES
    }
    charts = []
    if rows:
        charts.append(
            bar_chart(
                _("各次分类的类别分布"),
                [run.isoformat() for run in runs],
                [(_("%(klass)s类", klass=k), totals[k]) for k in CLASSES],
                counts=True,
                colours=[CLASS_COLOURS[k] for k in CLASSES],
            )
        )
        latest = [r for r in rows if r["run_on"] == runs[-1]]
        charts.append(
            bar_chart(
                _("最近一次分类（%(day)s）各地市分布", day=runs[-1].isoformat()),
                [r["city_name"].removesuffix("市场监督管理局") for r in latest],
                [(_("%(klass)s类", klass=k), [float(r[k]) for r in latest]) for k in CLASSES],
                counts=True,
                colours=[CLASS_COLOURS[k] for k in CLASSES],
            )
        )
    shown = [{k: _shown(v) for k, v in r.items()} for r in rows]
    return Dataset("classes", _(TITLES["classes"]), _cols("classes"), shown, charts)


def _items(codes, args) -> Dataset:
    rows = q.matters_per_item(codes, since=args["since"], until=args["until"], today=today())
    used = [r for r in rows if r["matters"]]
    charts = []
    if used:
        charts.append(
            bar_chart(
                _("各记分项目的事项数"),
                [r["item"] for r in used],
                [(_("事项数"), [float(r["matters"]) for r in used])],
                counts=True,
            )
        )
    return Dataset("items", _(TITLES["items"]), _cols("items"), rows, charts)


def _outcomes(codes, args) -> Dataset:
    rows = q.case_outcomes(codes, since=args["since"], until=args["until"])
    charts = []
    for process in (Process.REPAIR, Process.OBJECTION):
        mine = [r for r in rows if r["process"] == process]
        charts.append(
            bar_chart(
                _("%(process)s办理结果", process=_(PROCESS_LABELS[process])),
                [_(OUTCOME_LABELS.get(r["outcome"], r["outcome"])) for r in mine],
                [(_("案件数"), [float(r["cases"]) for r in mine])],
                counts=True,
            )
        )
    shown = [
        r
        | {
            "process": _(PROCESS_LABELS.get(r["process"], r["process"])),
            "outcome": _(OUTCOME_LABELS.get(r["outcome"], r["outcome"])),
        }
        for r in rows
    ]
    return Dataset("outcomes", _(TITLES["outcomes"]), _cols("outcomes"), shown, charts)


def _cols(name: str) -> list[tuple[str, str]]:
    return [
        (k, _(label) if label not in CLASSES else _("%(klass)s类", klass=label))
        for k, label in COLUMNS[name]
    ]


def _dataset(name: str, args, codes) -> Dataset:
    if name == "classes":
        return _classes(codes)
    if name == "items":
        return _items(codes, args)
    return _outcomes(codes, args)


@bp.get("/")
@roles(Role.SUPERVISOR, Role.ADMIN)
def index():
    args, codes = _filters()
    allowed = export_bureaus(current_user)
    bureaus = db.session.execute(
        select(Bureau.code, Bureau.name)
        .where(*([] if allowed is None else [Bureau.code.in_(sorted(allowed))]))
        .order_by(Bureau.code)
    ).all()
    query = request.query_string.decode()
    return render_template(
        "statistics/index.html",
        datasets=[_dataset(name, args, codes) for name in COLUMNS],
        args=args,
        bureaus=bureaus,
        query=f"?{query}" if query else "",
        numeric=NUMERIC,
    )


@bp.get("/<any(classes, items, outcomes):name>.<any(csv, xlsx):fmt>")
@roles(Role.SUPERVISOR, Role.ADMIN)
def download(name: str, fmt: str):
    args, codes = _filters()
    data = _dataset(name, args, codes)
    header = [label for _k, label in data.columns]
    rows = [[r.get(k) for k, _label in data.columns] for r in data.rows]
    stamp = today().isoformat()
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([csv_text(v) for v in row] for row in rows)
        body = ("\ufeff" + buf.getvalue()).encode("utf-8")
        mimetype = "text/csv"
    else:
        wb = Workbook()
        ws = wb.active
        ws.title = name
        ws.append(header)
        for row in rows:
            ws.append(
                [
                    float(v) if k == "points" else xlsx_cell(ws, v)
                    for (k, _l), v in zip(data.columns, row, strict=True)
                ]
            )
        out = io.BytesIO()
        wb.save(out)
        body = out.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # Statistics leave the system like exports do: who took which figures (Art. 31, 32).
    record_download(
        name,
        user=current_user,
        at=now(),
        filters={k: _shown(v) for k, v in args.items() if v},
        fmt=fmt,
        rows=len(rows),
    )
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="statistics-{name}-{stamp}.{fmt}"'},
    )
