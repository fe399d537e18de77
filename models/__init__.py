"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from .attachment import Attachment
from .audit import AuditEvent, SchedulerHeartbeat
from .bureau import Bureau
from .case import (
    Case,
    CaseEvent,
    CaseTask,
    Deadline,
    Notice,
    NoticeDelivery,
    Notification,
    WorkflowSpec,
)
from .classification import ClassificationRequest, ClassificationResult, ClassificationRun
from .filing import ConcealmentFinding, FilingItem
from .holiday import HolidaySchedule
from .ledger import LedgerEntry
from .matter import Matter, SpotCheck
from .measure import InspectionPlan, Measure
from .operator import Operator
from .scoring_object import ScoringObject
from .scoring_table import ScoringTableVersion
from .user import ApiToken, LoginAttempt, User

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Bureau",
    "Case",
    "CaseEvent",
    "CaseTask",
    "ClassificationRequest",
    "ClassificationResult",
    "ClassificationRun",
    "ConcealmentFinding",
    "Deadline",
    "FilingItem",
    "HolidaySchedule",
    "InspectionPlan",
    "LedgerEntry",
    "LoginAttempt",
    "Matter",
    "Measure",
    "Notice",
    "NoticeDelivery",
    "Notification",
    "Operator",
    "SchedulerHeartbeat",
    "ScoringObject",
    "ScoringTableVersion",
    "SpotCheck",
    "User",
    "WorkflowSpec",
]
