from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    """What came of one send: accepted for delivery, or refused with the reason."""

    ok: bool
    detail: str = ""
    reference: str = ""


def letter_text(letter) -> str:
    """A letter (app.letters.content.Letter) as plain text, for an e-mail body."""
    lines = [letter.issuer, letter.title, letter.reference, "", letter.salutation, letter.opening]
    lines += [""] + [f"{label}：{value}" for label, value in letter.facts]
    for section in letter.sections:
        lines += ["", f"【{section.heading}】", *section.paragraphs]
    lines += ["", letter.issuer, letter.dated]
    return "\n".join(lines) + "\n"
