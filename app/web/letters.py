"""Printable letters, each as a web page (.html) and a PDF (.pdf) of the same content: the
notice of a scoring, the decision of a case, the notice of a class and its measures.

The enterprise concerned sees its own; staff see those of the bureaus they cover; anyone else
gets 404, so ids do not tell what exists."""

from __future__ import annotations

from flask import Blueprint, Response, url_for
from flask_login import current_user

from app.codes import Role
from app.context import today
from app.letters import content
from app.letters.html import render_html
from app.letters.pdf import render_pdf

from .guards import case_ctx, roles

bp = Blueprint("letters", __name__, url_prefix="/letters")

EVERYONE = tuple(Role)


def _answer(letter: content.Letter, fmt: str, endpoint: str, **ids) -> Response | str:
    if fmt == "pdf":
        return Response(
            render_pdf(letter),
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{letter.filename("pdf")}"',
                "Cache-Control": "private, no-store",
            },
        )
    return render_html(letter, pdf_url=url_for(endpoint, fmt="pdf", **ids))


@bp.get("/notices/<int:notice_id>.<any(html, pdf):fmt>")
@roles(*EVERYONE)
def notice(notice_id: int, fmt: str):
    """记分告知书 (Art. 23)."""
    row = content.find_notice(notice_id, current_user)
    letter = content.notice_letter(row, ctx=case_ctx())
    return _answer(letter, fmt, "letters.notice", notice_id=notice_id)


@bp.get("/cases/<int:case_id>.<any(html, pdf):fmt>")
@roles(*EVERYONE)
def case(case_id: int, fmt: str):
    """The decision of a repair, objection, correction or reward case."""
    row = content.find_case(case_id, current_user)
    letter = content.case_letter(row, ctx=case_ctx())
    return _answer(letter, fmt, "letters.case", case_id=case_id)


@bp.get("/classes/<int:object_id>.<any(html, pdf):fmt>")
@roles(*EVERYONE)
def klass(object_id: int, fmt: str):
    """The class the latest run set for an object, and its measures (Art. 26, 27)."""
    obj = content.find_object(object_id, current_user)
    classified = content.latest_class(obj, today())
    measures = content.measures_for(obj, classified)
    letter = content.class_letter(obj, classified, measures, ctx=case_ctx())
    return _answer(letter, fmt, "letters.klass", object_id=object_id)


@bp.get("/post/<bureau_code>.pdf")
@roles(Role.OFFICER, Role.SUPERVISOR)
def post_batch(bureau_code: str):
    """The letters a bureau has to post (记分告知书 to operators no 数据电文 reached), each
    with its address block, in one PDF to print (R-CHANNEL). Staff of that bureau and the
    supervisors over it; anyone else gets 404."""
    from app.errors import NotFound
    from app.letters.pdf import render_batch
    from app.queries.letters import letters_to_post

    rows = letters_to_post(current_user, bureau_code)
    if rows is None:
        raise NotFound("no bureau %(code)s in your area", code=bureau_code)
    if not rows:
        raise NotFound("there are no letters to post")
    ctx = case_ctx()
    batch = [(content.notice_letter(n, ctx=ctx), d.address) for n, d in rows]
    return Response(
        render_batch(batch),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="letters-{bureau_code}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
