"""Printable letters to an operator: the notice of a scoring (记分告知书, Art. 23), the decision
of each case (repair, objection, correction, reward), and the notice of a supervision class and
its measures (Art. 27).

`content` builds a letter as plain data; `html` and `pdf` render that same data, so the page and
the PDF can never say different things."""

from .content import Letter, Section, case_letter, class_letter, notice_letter

__all__ = ["Letter", "Section", "case_letter", "class_letter", "notice_letter"]
