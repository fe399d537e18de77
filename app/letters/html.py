"""A letter as a printable web page (the same `Letter` the PDF is drawn from)."""

from __future__ import annotations

from flask import render_template

from .letter import Letter


def render_html(letter: Letter, *, pdf_url: str) -> str:
    return render_template("letters/letter.html", letter=letter, pdf_url=pdf_url)
