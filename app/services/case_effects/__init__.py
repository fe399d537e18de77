"""What a process's script tasks ask for (`effect("NAME")`), done in the case's transaction.

One module per process registers its handlers (`registry.effect`); importing this package
imports them all, so `EFFECTS` is the whole table. The scoring change of a case is written
here, in the same transaction that completes it; a case that ends without a change writes none.
"""

from . import (  # noqa: F401  (each module registers its process's effects)
    case_end,
    correction,
    deduction_notice,
    objection,
    rectification,
    repair,
    reward,
)
from .common import latest_form, notify_operator
from .registry import EFFECTS, apply_effect, effect, effect_names
from .repair import (
    acted_intentionally,
    matter_deductions,
    matter_repairable,
    operator_repair_dates,
)
from .reward import REPORT_REWARDS, operator_report, operator_role, refuse_reward_role

__all__ = [
    "EFFECTS",
    "REPORT_REWARDS",
    "acted_intentionally",
    "apply_effect",
    "effect",
    "effect_names",
    "latest_form",
    "matter_deductions",
    "matter_repairable",
    "notify_operator",
    "operator_repair_dates",
    "operator_report",
    "operator_role",
    "refuse_reward_role",
]
