"""Names of processes, case states, outcomes and ledger entry kinds as the pages show them
(catalogue ids; templates translate them)."""

from forms.base import N_

PROCESS_LABELS = {
    "deduction_notice": N_("记分告知"),
    "repair": N_("信用修复"),
    "objection": N_("异议"),
    "correction": N_("纠错"),
    "reward": N_("奖励申请"),
    "rectification": N_("责令整改"),
}
STATUS_LABELS = {"open": N_("办理中"), "completed": N_("已办结"), "withdrawn": N_("已撤回")}
OUTCOME_LABELS = {
    "delivered": N_("已送达"),
    "announced": N_("已公告"),
    "approved": N_("准予修复"),
    "rejected": N_("不予通过"),
    "not_accepted": N_("不予受理"),
    "upheld": N_("维持原记分"),
    "amended": N_("变更记分"),
    "revoked": N_("撤销记分"),
    "corrected": N_("予以更正"),
    "no_error": N_("无误"),
    "granted": N_("予以奖励"),
    "accepted": N_("整改到位"),
    "withdrawn": N_("已撤回"),
}
ENTRY_KINDS = {
    "START": N_("起始分"),
    "DEDUCTION": N_("扣分"),
    "REPAIR": N_("修复"),
    "REWARD": N_("奖励"),
    "VOID": N_("撤销"),
}
# What each process step (`effect:NAME` in a case's history) did.
EFFECT_LABELS = {
    "announce": N_("公告送达"),
    "deliver_notice": N_("告知书送达"),
    "repair_approved": N_("修复生效"),
    "repair_rejected": N_("修复不予通过"),
    "objection_not_accepted": N_("异议不予受理"),
    "objection_resolved": N_("异议处理结果生效"),
    "correction_applied": N_("更正记分"),
    "correction_rejected": N_("经核实无误"),
    "reward_granted": N_("奖励记分生效"),
    "reward_rejected": N_("奖励不予通过"),
    "rectification_accepted": N_("整改验收通过"),
    "rectification_returned": N_("整改退回"),
    "overdue": N_("超过法定期限，已告知监督人员"),
    "withdrawn": N_("撤回"),
}
# The legal deadlines, by the name the processes give them (rules §6).
DEADLINE_LABELS = {
    "notify": N_("记分告知"),
    "accept_objection": N_("异议受理"),
    "resolve_objection": N_("异议核查决定"),
    "verify_correction": N_("纠错核实"),
    "verify_repair": N_("修复核查"),
    "verify_reward": N_("奖励核查"),
    "verify_rectification": N_("整改核查"),
}


# A deadline's clock stopped for supplementing material and went on again (R-PAUSE).
PAUSE_ACTIONS = {
    "deadline_paused": N_("期限暂停（补正材料）"),
    "deadline_resumed": N_("期限恢复计算"),
}


def history_actions(actions: dict[str, str]) -> dict[str, str]:
    """A page's labels of case-history actions, with every process step's."""
    return {**actions, **PAUSE_ACTIONS, **{f"effect:{k}": v for k, v in EFFECT_LABELS.items()}}
