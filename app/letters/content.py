"""What each letter says, as plain data (`Letter`): the HTML page and the PDF both render it.

One module per kind of letter: `notice` (the notice of a scoring, Art. 23), `decision` (the
decision of a case), `classes` (the notice of a class and its measures, Art. 26, 27); `letter`
holds the Letter and the words they share, `access` who may read which. This module gathers
them under the names the views use.
"""

from .access import find_case, find_notice, find_object
from .classes import (
    CLASS_GENERAL,
    CLASS_MEASURES,
    Classified,
    class_letter,
    default_measures,
    latest_class,
    measures_for,
)
from .decision import OUTCOMES, case_letter
from .letter import (
    CLASS_REGIMES,
    PREFIXES,
    SPEC,
    TITLES,
    Letter,
    Section,
    class_label,
    day,
    describe_object,
    pts,
)
from .notice import notice_letter, notice_objects, operator_objects, points_text

__all__ = [
    "CLASS_GENERAL",
    "CLASS_MEASURES",
    "CLASS_REGIMES",
    "OUTCOMES",
    "PREFIXES",
    "SPEC",
    "TITLES",
    "Classified",
    "Letter",
    "Section",
    "case_letter",
    "class_label",
    "class_letter",
    "day",
    "default_measures",
    "describe_object",
    "find_case",
    "find_notice",
    "find_object",
    "latest_class",
    "measures_for",
    "notice_letter",
    "notice_objects",
    "operator_objects",
    "points_text",
    "pts",
]
