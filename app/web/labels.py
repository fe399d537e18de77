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
