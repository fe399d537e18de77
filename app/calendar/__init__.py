"""Working days and deadlines under the PRC holiday calendar (R-CAL); see ``workdays``."""

from .schedule_file import dump_schedule, parse_schedule
from .workdays import (
    Deadline,
    ScheduleError,
    Source,
    WorkCalendar,
    YearSchedule,
    package_covers,
    schedule_from_package,
)

__all__ = [
    "Deadline",
    "ScheduleError",
    "Source",
    "WorkCalendar",
    "YearSchedule",
    "dump_schedule",
    "package_covers",
    "parse_schedule",
    "schedule_from_package",
]
