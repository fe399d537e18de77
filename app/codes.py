"""The codes the application stores and exchanges, and the title people read for each.

Roles, processes, user-task keys, decisions, case states, outcomes, ledger entry kinds, legal
deadlines, notice channels and rule notes are codes in the database, the API and the BPMN files;
a page never shows a code, it shows the code's title. Each title is written once, here: the
Chinese title is the catalogue id (``N_``), the English one comes from the catalogue. Pages
translate a title when they show it (``_(title(...))``).

Stored messages (notifications) are a message id and its parameters (`message`), rendered in
the reader's language when shown (`render_message`); rows written before keep their text.

Standard library only (and the catalogue marker), so services, queries, views and forms can all
import it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from enum import StrEnum

from forms.base import N_


class Role(StrEnum):
    ENTERPRISE = "enterprise"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Process(StrEnum):
    DEDUCTION_NOTICE = "deduction_notice"
    REPAIR = "repair"
    OBJECTION = "objection"
    CORRECTION = "correction"
    REWARD = "reward"
    RECTIFICATION = "rectification"


class CaseStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    DELIVERED = "delivered"
    ANNOUNCED = "announced"
    APPROVED = "approved"
    REJECTED = "rejected"
    NOT_ACCEPTED = "not_accepted"
    UPHELD = "upheld"
    AMENDED = "amended"
    REVOKED = "revoked"
    CORRECTED = "corrected"
    NO_ERROR = "no_error"
    GRANTED = "granted"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"


class EntryKind(StrEnum):
    START = "START"
    DEDUCTION = "DEDUCTION"
    REPAIR = "REPAIR"
    REWARD = "REWARD"
    VOID = "VOID"


class TaskKey(StrEnum):
    """The user tasks of the BPMN processes (their element ids)."""

    PUBLISH_ANNOUNCEMENT = "publish_announcement"
    ACCEPT_OBJECTION = "accept_objection"
    RESOLVE_OBJECTION = "resolve_objection"
    VERIFY_CORRECTION = "verify_correction"
    VERIFY_REPAIR = "verify_repair"
    SUPPLEMENT_MATERIAL = "supplement_material"
    VERIFY_REWARD = "verify_reward"
    REPORT_RECTIFICATION = "report_rectification"
    VERIFY_RECTIFICATION = "verify_rectification"
    POST_LETTER = "post_letter"
    LETTER_RESULT = "letter_result"


class Decision(StrEnum):
    """What an officer decides in a task form (the `decision` field)."""

    APPROVE = "approve"
    REJECT = "reject"
    NEED_MORE = "need_more"
    ACCEPT = "accept"
    CORRECT = "correct"
    NO_ERROR = "no_error"


class DeadlineName(StrEnum):
    """The legal deadlines, by the name the processes give them (rules §6)."""

    NOTIFY = "notify"
    ACCEPT_OBJECTION = "accept_objection"
    RESOLVE_OBJECTION = "resolve_objection"
    VERIFY_CORRECTION = "verify_correction"
    VERIFY_REPAIR = "verify_repair"
    VERIFY_REWARD = "verify_reward"
    VERIFY_RECTIFICATION = "verify_rectification"


class Channel(StrEnum):
    """How a notice reached the operator (Art. 23)."""

    PORTAL = "portal"
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"
    ANNOUNCEMENT = "announcement"


ROLE_TITLES = {
    Role.ENTERPRISE: N_("企业用户"),
    Role.OFFICER: N_("承办人"),
    Role.SUPERVISOR: N_("监督人员"),
    Role.ADMIN: N_("管理员"),
}
PROCESS_TITLES = {
    Process.DEDUCTION_NOTICE: N_("记分告知"),
    Process.REPAIR: N_("信用修复"),
    Process.OBJECTION: N_("异议"),
    Process.CORRECTION: N_("纠错"),
    Process.REWARD: N_("奖励申请"),
    Process.RECTIFICATION: N_("责令整改"),
}
STATUS_TITLES = {
    CaseStatus.OPEN: N_("办理中"),
    CaseStatus.COMPLETED: N_("已办结"),
    CaseStatus.WITHDRAWN: N_("已撤回"),
}
OUTCOME_TITLES = {
    Outcome.DELIVERED: N_("已送达"),
    Outcome.ANNOUNCED: N_("已公告"),
    Outcome.APPROVED: N_("准予修复"),
    Outcome.REJECTED: N_("不予通过"),
    Outcome.NOT_ACCEPTED: N_("不予受理"),
    Outcome.UPHELD: N_("维持原记分"),
    Outcome.AMENDED: N_("变更记分"),
    Outcome.REVOKED: N_("撤销记分"),
    Outcome.CORRECTED: N_("予以更正"),
    Outcome.NO_ERROR: N_("无误"),
    Outcome.GRANTED: N_("予以奖励"),
    Outcome.ACCEPTED: N_("整改到位"),
    Outcome.WITHDRAWN: N_("已撤回"),
}
ENTRY_KIND_TITLES = {
    EntryKind.START: N_("起始分"),
    EntryKind.DEDUCTION: N_("扣分"),
    EntryKind.REPAIR: N_("修复"),
    EntryKind.REWARD: N_("奖励"),
    EntryKind.VOID: N_("撤销"),
}
# The BPMN files name tasks in Chinese for analysts; pages show these titles in the reader's
# language (the app refuses to start if a user task has none, app/workflow/links.py).
TASK_TITLES = {
    TaskKey.PUBLISH_ANNOUNCEMENT: N_("发布通告"),
    TaskKey.ACCEPT_OBJECTION: N_("审查是否受理"),
    TaskKey.RESOLVE_OBJECTION: N_("核实处理"),
    TaskKey.VERIFY_CORRECTION: N_("核实纠错"),
    TaskKey.VERIFY_REPAIR: N_("核实修复申请"),
    TaskKey.SUPPLEMENT_MATERIAL: N_("补充材料"),
    TaskKey.VERIFY_REWARD: N_("核实奖励申请"),
    TaskKey.REPORT_RECTIFICATION: N_("报告整改情况"),
    TaskKey.VERIFY_RECTIFICATION: N_("核查整改情况"),
    TaskKey.POST_LETTER: N_("邮寄告知书"),
    TaskKey.LETTER_RESULT: N_("登记投递结果"),
}
# A decision reads differently in each task: "approve" a repair, "approve" a reward.
DECISION_TITLES: dict[str, dict[str, str]] = {
    "RepairVerification": {
        Decision.APPROVE: N_("准予修复"),
        Decision.REJECT: N_("不予修复"),
        Decision.NEED_MORE: N_("要求补充材料"),
    },
    "ObjectionAcceptance": {Decision.ACCEPT: N_("受理"), Decision.REJECT: N_("不予受理")},
    "ObjectionResolution": {
        Outcome.UPHELD: N_("维持原记分"),
        Outcome.AMENDED: N_("变更记分"),
        Outcome.REVOKED: N_("撤销记分"),
    },
    "CorrectionDecision": {Decision.CORRECT: N_("予以更正"), Decision.NO_ERROR: N_("经核实无误")},
    "RewardVerification": {Decision.APPROVE: N_("予以奖励"), Decision.REJECT: N_("不予奖励")},
    "RectificationVerification": {
        Decision.ACCEPT: N_("整改到位"),
        Decision.REJECT: N_("未到位，退回整改"),
    },
}
DEADLINE_TITLES = {
    DeadlineName.NOTIFY: N_("记分告知"),
    DeadlineName.ACCEPT_OBJECTION: N_("异议受理"),
    DeadlineName.RESOLVE_OBJECTION: N_("异议核查决定"),
    DeadlineName.VERIFY_CORRECTION: N_("纠错核实"),
    DeadlineName.VERIFY_REPAIR: N_("修复核查"),
    DeadlineName.VERIFY_REWARD: N_("奖励核查"),
    DeadlineName.VERIFY_RECTIFICATION: N_("整改核查"),
}
CHANNEL_TITLES = {
    Channel.PORTAL: N_("企业端送达"),
    Channel.EMAIL: N_("电子邮件送达"),
    Channel.SMS: N_("短信送达"),
    Channel.LETTER: N_("信件送达"),
    Channel.ANNOUNCEMENT: N_("公告送达"),
}
# Notes that rules leave on the lines of a score (app/scoring/engine.py NOTE_*), as the pages
# state them (article cited).
RULE_NOTES = {
    "merged under R-180": N_("180日内同一产品监督抽查不合格合并计分，不另扣分（第九条）"),
    "counted once under R-ONCE": N_("同一事项对同一对象只记分一次（第九条）"),
    "over the reward cap (R-REWARD-CAP)": N_("超出奖励加分上限（2分），不计分（第十八条）"),
}
# What each process step (`effect:NAME` in a case's history) did.
EFFECT_TITLES = {
    "announce": N_("公告送达"),
    "deliver_notice": N_("告知书送达"),
    "repair_approved": N_("修复生效"),
    "repair_rejected": N_("修复不予通过"),
    "objection_not_accepted": N_("异议不予受理"),
    "objection_resolved": N_("异议处理结果生效"),
    "objection_upheld": N_("异议处理结果生效：维持"),
    "objection_amended": N_("异议处理结果生效：变更"),
    "objection_revoked": N_("异议处理结果生效：撤销"),
    "correction_applied": N_("更正记分"),
    "correction_rejected": N_("经核实无误"),
    "reward_granted": N_("奖励记分生效"),
    "reward_rejected": N_("奖励不予通过"),
    "rectification_accepted": N_("整改验收通过"),
    "rectification_returned": N_("整改退回"),
    "overdue": N_("超过法定期限，已告知监督人员"),
    "withdrawn": N_("撤回"),
    "letter_delivered": N_("信件已签收"),
}
# What an API token may be used for (its scopes, app/auth.py).
SCOPE_TITLES = {
    "cases": N_("办理案件：发起案件、处理待办任务、查阅案卷"),
    "read": N_("查询：记分、分类和基础数据"),
    "export": N_("数据共享导出：分类结果和事项"),
}
YES_NO = {True: N_("是"), False: N_("否")}
# What a class means for the operator (Art. 27), as its class notice says it.
CLASS_MEASURES = {
    "B": N_(
        "被划为B类，实施跟踪监管：发出黄色监管提示，责令对出现的质量问题进行整改并跟踪检查落实"
        "情况，原则上每年实施1次以上监督抽查或检查。"
    ),
    "C": N_(
        "被划为C类，实施重点监管：发出橙色监管警示，责令对出现的质量问题进行整改并跟踪检查落实"
        "情况，对质量负责人进行行政约谈和培训，原则上每年实施2次以上监督抽查或检查。"
    ),
    "D": N_(
        "被划为D类，实施特别监管：发出红色监管警示，责令对出现的质量问题进行整改并跟踪检查落实"
        "情况，对法定代表人及质量负责人进行行政约谈，原则上每年实施4次以上监督抽查或检查；"
        "发生质量违法行为的，可依法适用“情节严重”的情形处理（第三十条）。"
    ),
    "O": N_(
        "被划为O类（未获得质量信用分），实施反应式监管：请在产品监管系统建立产品质量管理档案；"
        "监管部门将加强对其质量安全监测。"
    ),
}

_BY_KIND: dict[str, Mapping[str, str]] = {
    "role": ROLE_TITLES,
    "process": PROCESS_TITLES,
    "status": STATUS_TITLES,
    "outcome": OUTCOME_TITLES,
    "entry_kind": ENTRY_KIND_TITLES,
    "task": TASK_TITLES,
    "deadline": DEADLINE_TITLES,
    "channel": CHANNEL_TITLES,
    "rule_note": RULE_NOTES,
    "effect": EFFECT_TITLES,
    "class_measures": CLASS_MEASURES,
    "scope": SCOPE_TITLES,
}


def title(kind: str, code: str | None, default: str | None = None) -> str:
    """The catalogue id of a code's title (translate it to show it): `title("process",
    "repair")` is 信用修复. A code without a title gives `default` (the code if none)."""
    if code is None:
        return default or ""
    found = _BY_KIND[kind].get(code)
    if found is not None:
        return found
    return code if default is None else default


# ---- stored messages ------------------------------------------------------------------------

# Messages kept in notifications: an English catalogue id with %(name)s parameters, as the
# refusals (app/errors.py). Parameters whose name is in MESSAGE_CODES are codes of that kind,
# shown by their title.
MESSAGE_CODES = {
    "process": "process",
    "deadlines": "deadline",
    "outcome": "outcome",
    "measures": "class_measures",
}
MESSAGES = {
    "overdue": N_("Case %(case)s (%(process)s) has passed its legal deadline: %(deadlines)s."),
    "notice_delivered": N_("A new notice of a credit scoring has been delivered; please read it."),
    "repair_approved": N_("Your credit repair was approved: %(share)s of the deduction repaired."),
    "repair_rejected": N_("Your credit repair was not approved: %(reasons)s"),
    "objection_not_accepted": N_("Your objection was not accepted: %(reasons)s"),
    "objection_resolved": N_("Your objection was decided: %(outcome)s. %(reasons)s"),
    "correction_applied": N_("A credit scoring was corrected: %(reasons)s"),
    "reward_granted": N_("Your reward application was verified and the points granted."),
    "reward_rejected": N_("Your reward application was not granted: %(reasons)s"),
    "class_notice": N_(
        "Credit classification of %(run_on)s: you (or your products) are in class %(klass)s. "
        "%(measures)s See Measures for what each scoring object must do, sign for this notice "
        "and report the rectification in time."
    ),
}


def message(key: str, **params: object) -> str:
    """A notification's stored text: the message's key and parameters (JSON)."""
    if key not in MESSAGES:
        raise KeyError(f"no message {key!r} in app.codes.MESSAGES")
    return json.dumps({"key": key, "params": params}, ensure_ascii=False, sort_keys=True)


def render_message(stored: str, translate: Callable[..., str]) -> str:
    """A stored notification in the reader's language (`translate` is gettext; the API calls it
    with English forced). Rows written as plain text before messages were stored by key are
    shown as they are."""
    try:
        data = json.loads(stored)
    except (TypeError, ValueError):
        return stored
    if not isinstance(data, dict) or data.get("key") not in MESSAGES:
        return stored
    params: dict[str, object] = {}
    for name, value in (data.get("params") or {}).items():
        kind = MESSAGE_CODES.get(name)
        if kind and isinstance(value, list):
            value = translate(N_("、")).join(translate(title(kind, v)) for v in value)
        elif kind:
            value = translate(title(kind, value))
        params[name] = value
    return translate(MESSAGES[data["key"]], **params)
