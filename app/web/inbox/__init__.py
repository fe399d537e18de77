"""The officer inbox (承办人待办): the queue of a bureau (a supervisor's: the whole tree below),
the case file beside the task form, the case's BPMN diagram, the staff view of a scoring object
with the error report (纠错), and recording a matter (登记事项).

Every write goes through the same services as the API; a matter typed into the form becomes one
interchange record and passes through the import service, so it meets exactly the checks of a
bulk-imported one. What a user may see is narrowed by `app.permissions`; ids outside answer 404.

One blueprint, `inbox`, split by what the pages are about: the queue (`tasks`), the case list
(`case_list`), the case page and its task actions (`cases`), scoring objects and concealment
(`objects`), error reports (`corrections`) and matters (`matters`).
"""

from __future__ import annotations

from . import case_list, cases, corrections, matters, objects, tasks  # noqa: F401  (routes)
from .common import bp

__all__ = ["bp"]
