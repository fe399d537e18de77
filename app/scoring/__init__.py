"""Quality-credit scoring (信用记分): pure rules of the Spec, no Flask, no SQL."""

from .classes import CLASSES, OfficialClass, class_for, official_class
from .dates import add_months, add_years, window_end
from .engine import Line, Score, live_entries, r180_merged, score_object, score_operator
from .ledger import BASE_POINTS, ZERO, Entry, EntryKind
from .table import (
    Item,
    Regulation,
    Reward,
    ScoringTable,
    TableError,
    ending_soon,
    latest_started,
    overlapping,
    parse_table,
    table_in_force,
)

__all__ = [
    "BASE_POINTS",
    "CLASSES",
    "ZERO",
    "Entry",
    "EntryKind",
    "Item",
    "Line",
    "OfficialClass",
    "Regulation",
    "Reward",
    "Score",
    "ScoringTable",
    "TableError",
    "add_months",
    "add_years",
    "class_for",
    "ending_soon",
    "latest_started",
    "live_entries",
    "official_class",
    "overlapping",
    "parse_table",
    "r180_merged",
    "score_object",
    "score_operator",
    "table_in_force",
    "window_end",
]
