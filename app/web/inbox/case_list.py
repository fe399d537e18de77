"""The list of cases a bureau decides (a supervisor's: the tree), paged with its total,
filtered by bureau, process and state, searchable, and downloadable as CSV or XLSX."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _

from app.codes import Role
from app.context import now, today
from app.errors import DomainError
from app.permissions import bureau_tree_codes
from app.queries import supervision as sq
from app.services.downloads import MIMETYPES, record_download, table_file
from forms.base import N_

from ..guards import roles
from ..layout import bureau_name
from .common import OUTCOME_LABELS, PROCESS_LABELS, STAFF, STATUS_LABELS, bp, user

PER_PAGE = 50
COLUMNS = (
    N_("案件号"),
    N_("类型"),
    N_("经营者"),
    N_("统一社会信用代码"),
    N_("事项"),
    N_("立案日期"),
    N_("承办部门"),
    N_("状态"),
    N_("结果"),
    N_("超期"),
)


def _filters() -> dict[str, Any]:
    """Bureau, process, state, search and page from the query string; a bad value is a 400 and
    a bureau outside the user's tree a 404."""
    args = request.args
    me = user()
    bureau = args.get("bureau") or ""
    if bureau and me.role == Role.SUPERVISOR:
        sq.bureau_in_scope(me, bureau)
    elif bureau and bureau != me.bureau_code:
        raise DomainError("no bureau %(code)s in your area", status=404, code=bureau)
    process = args.get("process") or ""
    if process and process not in PROCESS_LABELS:
        raise DomainError("unknown process %(p)s: choose one from the list", status=400, p=process)
    status = args.get("status") or ""
    if status and status not in STATUS_LABELS:
        raise DomainError("unknown state %(s)s: choose one from the list", status=400, s=status)
    page = args.get("page") or "1"
    if not page.isdigit() or int(page) < 1:
        raise DomainError("page must be a whole number from 1", status=400)
    search = (args.get("q") or "").strip()[:100]
    return {"bureau": bureau, "process": process, "status": status, "q": search, "page": int(page)}


def _codes(f: dict[str, Any]) -> frozenset[str]:
    me = user()
    if me.role == Role.SUPERVISOR:
        return bureau_tree_codes(f["bureau"] or me.bureau_code)
    return frozenset({me.bureau_code})


def _found(f: dict[str, Any], *, per_page: int | None) -> dict:
    return sq.case_list(
        _codes(f),
        process=f["process"] or None,
        status=f["status"] or None,
        search=f["q"],
        page=f["page"],
        per_page=per_page,
    )


def _query(f: dict[str, Any], **change) -> dict[str, Any]:
    out = {**f, **change}
    return {k: v for k, v in out.items() if v and not (k == "page" and v == 1)}


@bp.get("/cases")
@roles(*STAFF)
def cases():
    """Cases decided by my bureau (a supervisor's: the tree), newest first."""
    f = _filters()
    found = _found(f, per_page=PER_PAGE)
    me = user()
    return render_template(
        "inbox/cases.html",
        cases=found["cases"],
        total=found["total"],
        pages=found["pages"],
        f=f,
        bureaus=sq.tree_bureaus(me.bureau_code) if me.role == Role.SUPERVISOR else [],
        page_url=lambda n: url_for("inbox.cases", **_query(f, page=n)),
        download_url=lambda fmt: url_for("inbox.cases_download", fmt=fmt, **_query(f, page=None)),
    )


def _subject(subject: dict) -> str:
    return str(subject.get("matter") or subject.get("object") or subject.get("code") or "")


@bp.get("/cases.<any(csv, xlsx):fmt>")
@roles(*STAFF)
def cases_download(fmt: str):
    """Every case of the list as filtered (not only the page shown), as CSV or XLSX."""
    f = _filters()
    found = _found(f, per_page=None)
    rows = [
        [
            c["id"],
            _(PROCESS_LABELS[c["process"]]) if c["process"] in PROCESS_LABELS else c["process"],
            c["operator"],
            c["uscc"],
            _subject(c["subject"]),
            c["filed_on"],
            bureau_name(c["bureau"]),
            _(STATUS_LABELS[c["status"]]) if c["status"] in STATUS_LABELS else c["status"],
            _(OUTCOME_LABELS[c["outcome"]]) if c["outcome"] in OUTCOME_LABELS else c["outcome"],
            _("是") if c["overdue"] else _("否"),
        ]
        for c in found["cases"]
    ]
    body = table_file(fmt, _("案件"), [_(h) for h in COLUMNS], rows)
    record_download(now(), user().username, "cases", fmt, len(rows), _query(f, page=None))
    return Response(
        body,
        mimetype=MIMETYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="cases-{today().isoformat()}.{fmt}"'
        },
    )
