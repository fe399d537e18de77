"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from .audit import AuditEvent
from .bureau import Bureau
from .classification import ClassificationResult, ClassificationRun
from .holiday import HolidaySchedule
from .ledger import LedgerEntry
from .matter import Matter, SpotCheck
from .operator import Operator
from .scoring_object import ScoringObject
from .scoring_table import ScoringTableVersion

__all__ = [
    "AuditEvent",
    "Bureau",
    "ClassificationResult",
    "ClassificationRun",
    "HolidaySchedule",
    "LedgerEntry",
    "Matter",
    "Operator",
    "ScoringObject",
    "ScoringTableVersion",
    "SpotCheck",
]
