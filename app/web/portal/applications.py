"""Applications the enterprise files from its scoring objects: repair, objection, reward."""

from __future__ import annotations

import uuid

from flask import render_template, request
from flask_babel import gettext as _

from app.codes import EntryKind, Role
from app.context import today
from app.errors import Conflict, DomainError, NotFound
from app.queries import portal as q
from app.queries.scores import object_view
from app.services.applications import (
    OBJECTION_DAYS,
    apply_reward,
    entry_window_closes,
    file_objection,
    file_repair,
)
from app.services.attachments import read_uploads
from app.services.scoring_tables import load_tables, table_for
from forms.cases import ObjectionFiling, RepairApplication, RewardApplication

from ..forms import field_specs, load
from ..guards import case_ctx, roles
from .base import (
    bp,
    file_case,
    idempotency_key,
    key_for_form,
    my_operator,
    refused,
    started,
    with_files,
)

# ---- applications: repair, objection, reward --------------------------------------------------


def _reasons(refusal: str | None) -> tuple[str | None, list[str]]:
    """A refusal that lists several failed conditions ("…: a；b") as a heading and a list."""
    if not refusal or "；" not in refusal:
        return refusal, []
    # The heading ends at the first colon, full-width (Chinese) or not (English).
    cut = min((i for i in (refusal.find("："), refusal.find(": ")) if i >= 0), default=-1)
    if cut < 0:
        head, rest = "", refusal
    else:
        head, rest = refusal[:cut], refusal[cut + 1 :].lstrip()
    return head, [r.strip() for r in rest.split("；") if r.strip()]


def _apply_page(
    kind: str, context: dict, specs: list, *, refusal=None, status=200, files_error=None
):
    head, reasons = _reasons(refusal)
    return (
        render_template(
            "portal/apply.html",
            kind=kind,
            specs=specs,
            key=key_for_form() if request.method == "POST" else str(uuid.uuid4()),
            refusal=head,
            reasons=reasons,
            files_error=files_error,
            **context,
        ),
        status,
    )


def _int_arg(name: str) -> int:
    value = request.args.get(name, type=int)
    if value is None:
        raise DomainError("say which record: the address lacks its %(name)s", status=400, name=name)
    return value


def _refuse_settled(entry) -> None:
    """No application form for a deduction already revoked, repaired or being handled."""
    why = q.settled_deduction(my_operator(), entry, case_ctx().today)
    if why:
        raise Conflict(why)


def _repair_context(entry_id: int) -> dict:
    entry, obj, matter = q.own_deduction(my_operator(), entry_id)
    return {"entry": entry, "obj": obj, "matter": matter}


@bp.get("/apply/repair")
@roles(Role.ENTERPRISE)
def repair():
    entry_id = _int_arg("entry")
    context = _repair_context(entry_id)
    _refuse_settled(context["entry"])
    specs = field_specs(RepairApplication, {"entry_id": entry_id}, hidden=("entry_id",))
    return _apply_page("repair", context, specs)


@bp.post("/apply/repair")
@roles(Role.ENTERPRISE)
def repair_post():
    key = idempotency_key()
    data, raw, errors = load(RepairApplication, request.form)
    entry_id = data["entry_id"] if data else _posted_int("entry_id")
    context = _repair_context(entry_id)
    if data is None:
        specs = field_specs(RepairApplication, raw, errors, hidden=("entry_id",))
        return _apply_page("repair", context, specs, status=422)
    application = {k: v for k, v in data.items() if k != "entry_id"}
    ctx = case_ctx()
    try:
        uploads = read_uploads(request.files.getlist("files"))
        case = file_case(
            key,
            lambda: with_files(
                file_repair(entry_id, application, ctx=ctx, idempotency_key=key), uploads, ctx
            ),
        )
    except NotFound:
        raise
    except DomainError as err:
        specs = field_specs(RepairApplication, raw, hidden=("entry_id",))
        return _apply_page("repair", context, specs, status=err.status, **refused(err))
    return started(case, _("修复申请已提交"))


def _posted_int(name: str) -> int:
    """An id the schema refused (not a number): the form was tampered with."""
    value = request.form.get(name, type=int)
    if value is None:
        raise DomainError("the form names no valid %(name)s", status=400, name=name)
    return value


def _objection_context(entry_ids: list[int]) -> dict:
    mine = my_operator()
    found = [q.own_scoring(mine, i) for i in entry_ids]
    entry, obj, matter = found[0]
    notice = q.notices_by_matter(mine, {matter.id}).get(matter.id) if matter else None
    closes = None
    if entry.kind != EntryKind.DEDUCTION or (notice is not None and notice.received_on is not None):
        closes = entry_window_closes(entry, mine, case_ctx())
    return {
        "entry": entry,
        "entries": [f[0] for f in found],
        "obj": obj,
        "matter": matter,
        "notice": notice,
        "window_closes": closes,
        "objection_days": OBJECTION_DAYS,
    }


def _objection_specs(entry_ids: list[int], values=None, errors=None) -> list[dict]:
    specs = field_specs(ObjectionFiling, values, errors, hidden=("entry_ids",))
    for s in specs:
        if s["name"] == "entry_ids":
            s["kind"] = "hidden_list"
            s["value"] = entry_ids
    return specs


@bp.get("/apply/objection")
@roles(Role.ENTERPRISE)
def objection():
    entry_id = _int_arg("entry")
    context = _objection_context([entry_id])
    _refuse_settled(context["entry"])
    return _apply_page("objection", context, _objection_specs([entry_id]))


@bp.post("/apply/objection")
@roles(Role.ENTERPRISE)
def objection_post():
    key = idempotency_key()
    data, raw, errors = load(ObjectionFiling, request.form)
    if data is not None:
        entry_ids = data["entry_ids"]
    else:
        try:
            entry_ids = [int(v) for v in request.form.getlist("entry_ids")]
        except ValueError:
            entry_ids = []
        if not entry_ids:
            raise DomainError("the form names no valid %(name)s", status=400, name="entry_ids")
    context = _objection_context(entry_ids)
    if data is None:
        specs = _objection_specs(entry_ids, raw, errors)
        return _apply_page("objection", context, specs, status=422)
    ctx = case_ctx()
    try:
        uploads = read_uploads(request.files.getlist("files"))
        case = file_case(
            key,
            lambda: with_files(
                file_objection(entry_ids, data["evidence"], ctx=ctx, idempotency_key=key),
                uploads,
                ctx,
            ),
        )
    except NotFound:
        raise
    except DomainError as err:
        specs = _objection_specs(entry_ids, raw)
        return _apply_page("objection", context, specs, status=err.status, **refused(err))
    return started(case, _("异议已提交"))


def _reward_context(object_id: int) -> dict:
    mine = my_operator()
    obj = q.own_object(mine, object_id)
    role = object_view(obj)["kind"]  # product, producer or seller
    table = table_for(load_tables(), today())
    rewards = [r for r in table.rewards.values() if role in r.objects]
    return {"obj": obj, "role": role, "rewards": rewards, "table": table}


def _reward_specs(context: dict, values=None, errors=None) -> list[dict]:
    specs = field_specs(RewardApplication, values, errors, hidden=("object_id",))
    for s in specs:
        if s["name"] == "code":
            s["kind"] = "radio"
            s["choices"] = [
                (r.code, f"{r.code} · {_(r.title)}（+{r.points.normalize():f}）")
                for r in context["rewards"]
            ]
    return specs


@bp.get("/apply/reward")
@roles(Role.ENTERPRISE)
def reward():
    object_id = _int_arg("object")
    context = _reward_context(object_id)
    return _apply_page("reward", context, _reward_specs(context, {"object_id": object_id}))


@bp.post("/apply/reward")
@roles(Role.ENTERPRISE)
def reward_post():
    key = idempotency_key()
    data, raw, errors = load(RewardApplication, request.form)
    object_id = data["object_id"] if data else _posted_int("object_id")
    context = _reward_context(object_id)
    if data is None:
        return _apply_page("reward", context, _reward_specs(context, raw, errors), status=422)
    ctx = case_ctx()
    try:
        uploads = read_uploads(request.files.getlist("files"))
        case = file_case(
            key,
            lambda: with_files(
                apply_reward(
                    object_id, data["code"], data["statement"], ctx=ctx, idempotency_key=key
                ),
                uploads,
                ctx,
            ),
        )
    except NotFound:
        raise
    except DomainError as err:
        specs = _reward_specs(context, raw)
        return _apply_page("reward", context, specs, status=err.status, **refused(err))
    return started(case, _("奖励申请已提交"))
