"""Names of processes, case states, outcomes and entry kinds for the portal and the inbox: the
titles kept in app/codes.py under the names the views use (catalogue ids; templates translate
them)."""

from app.codes import (
    DEADLINE_TITLES as DEADLINE_LABELS,
)
from app.codes import (
    EFFECT_TITLES as EFFECT_LABELS,
)
from app.codes import (
    ENTRY_KIND_TITLES as ENTRY_KINDS,
)
from app.codes import (
    OUTCOME_TITLES as OUTCOME_LABELS,
)
from app.codes import (
    PROCESS_TITLES as PROCESS_LABELS,
)
from app.codes import (
    STATUS_TITLES as STATUS_LABELS,
)
from forms.base import N_

__all__ = [
    "DEADLINE_LABELS",
    "EFFECT_LABELS",
    "ENTRY_KINDS",
    "OUTCOME_LABELS",
    "PAUSE_ACTIONS",
    "PROCESS_LABELS",
    "STATUS_LABELS",
    "history_actions",
]

# A deadline's clock stopped for supplementing material and went on again (R-PAUSE).
PAUSE_ACTIONS = {
    "deadline_paused": N_("期限暂停（补正材料）"),
    "deadline_resumed": N_("期限恢复计算"),
    "attachment_added": N_("上传证据材料"),
    # R-CHANNEL: each try to reach the recipient of a notice.
    "notice_delivered": N_("告知书已送达"),
    "notice_refused": N_("告知书未能送达（改用下一方式）"),
    "notice_queued": N_("告知书待邮寄"),
    "notice_returned": N_("信件被退回"),
}


def history_actions(actions: dict[str, str]) -> dict[str, str]:
    """A page's labels of case-history actions, with every process step's."""
    return {**actions, **PAUSE_ACTIONS, **{f"effect:{k}": v for k, v in EFFECT_LABELS.items()}}
