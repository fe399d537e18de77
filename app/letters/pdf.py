"""A letter as a PDF (A4), drawn with reportlab from the same `Letter` as the web page.

The font is reportlab's built-in CJK font STSong-Light (a CID font every PDF reader supplies),
so no font file is shipped or embedded."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .letter import Letter

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    return {
        "body": body,
        "title": ParagraphStyle(
            "title", parent=body, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4
        ),
        "issuer": ParagraphStyle("issuer", parent=body, fontSize=13, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
        "heading": ParagraphStyle(
            "heading", parent=body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=2
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=10.5, leading=15),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def render_pdf(letter: Letter) -> bytes:
    """The PDF bytes (page streams compressed)."""
    return render_batch([(letter, None)])


def render_batch(letters: list[tuple[Letter, str | None]]) -> bytes:
    """Letters for posting, one after another, each from a new page and, where an address is
    given, with the address block (recipient's address and name) at its head: a batch printed
    by the deciding bureau (R-CHANNEL)."""
    st = _styles()
    buf = io.BytesIO()
    first = letters[0][0]
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=first.title,
        author=first.issuer,
        subject=first.reference,
        pageCompression=1,
    )
    story: list = []
    for i, (letter, address) in enumerate(letters):
        if i:
            story.append(PageBreak())
        if address:
            story += [
                _p(address, st["body"]),
                _p(f"{letter.recipient}（{letter.recipient_uscc}） 收", st["body"]),
                Spacer(1, 10 * mm),
            ]
        story += _story(letter, st)
    doc.build(story)
    return buf.getvalue()


def _story(letter: Letter, st: dict) -> list:
    story: list = [
        _p(letter.issuer, st["issuer"]),
        _p(letter.title, st["title"]),
        _p(letter.reference, st["right"]),
        Spacer(1, 4 * mm),
        _p(letter.salutation, st["body"]),
        _p(letter.opening, st["body"]),
        Spacer(1, 3 * mm),
    ]
    width = A4[0] - 44 * mm
    table = Table(
        [[_p(label, st["cell"]), _p(value, st["cell"])] for label, value in letter.facts],
        colWidths=[40 * mm, width - 40 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#98a2ad")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f4f6f8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    for section in letter.sections:
        story.append(_p(section.heading, st["heading"]))
        story.extend(_p(text, st["body"]) for text in section.paragraphs)
    story += [
        Spacer(1, 12 * mm),
        _p(letter.issuer, st["right"]),
        _p(letter.dated, st["right"]),
    ]
    return story
