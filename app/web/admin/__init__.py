"""Administration: holiday schedules, scoring-table versions, users and bureaus,
classification runs.

Every POST is one transaction (app/unit_of_work.py): the services flush and audit; a refusal
undoes the service call at once and shows the same page again with the reason (HTTP 4xx)."""

from . import calendar, overview, runs, tables, users  # noqa: F401  (register the pages)
from .base import bp

__all__ = ["bp"]
