"""Quality-credit scoring (信用记分): pure rules of the Spec, no Flask, no SQL."""

from .classes import CLASSES, OfficialClass, class_for, official_class
from .dates import add_months, add_years, window_end
from .engine import (
    REWARD_CAP,
    FamilyScores,
    Line,
    Score,
    live_entries,
    order_key,
    product_key,
    r180_merged,
    score_family,
    score_object,
    score_operator,
)
from .ledger import BASE_POINTS, ZERO, Entry, EntryKind
from .notices import MatterEffect, matter_effect
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
    "REWARD_CAP",
    "ZERO",
    "Entry",
    "EntryKind",
    "FamilyScores",
    "Item",
    "Line",
    "MatterEffect",
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
    "matter_effect",
    "official_class",
    "order_key",
    "overlapping",
    "parse_table",
    "product_key",
    "r180_merged",
    "score_family",
    "score_object",
    "score_operator",
    "table_in_force",
    "window_end",
]
