"""Recording a matter (登记事项): the officer's form becomes interchange records that pass
through the import service, so a typed matter meets the checks of a bulk-imported one; and the
page of a recorded matter with the ledger entries it wrote."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.codes import Role
from app.context import now
from app.errors import NotFound
from app.permissions import can_see_matter
from app.queries import inbox as q
from app.queries.measures import serious_flag
from app.services.imports import Refusal, import_records
from app.services.scoring_tables import load_tables, table_for
from app.unit_of_work import attempt
from forms.matters import OBJECT_KINDS, MatterForm

from ..forms import field_specs, load
from ..guards import case_ctx, roles
from .common import STAFF, bp, user

# Where an import refusal points (a path in the interchange record) → the form field.
_REFUSAL_FIELDS = (
    (re.compile(r"objects\.\d+\.(uscc|producer)"), "uscc"),
    (re.compile(r"objects\.\d+\.brand"), "brand"),
    (re.compile(r"objects\.\d+\.nice_class"), "nice_class"),
    (re.compile(r"objects\.\d+\.kind"), "kind"),
    (re.compile(r"objects(\.\d+)?(\._schema)?"), "brand"),
    (re.compile(r"items(\.\d+)?"), "item"),
    (
        re.compile(
            r"(ref|uscc|name|intentional|major_impact|effective_on|model|standard|summary"
            r"|category)"
        ),
        None,
    ),
)
_REASON = re.compile(r"([a-z_][\w.]*): (.+)", re.S)


def _refusal_fields(reason: str) -> tuple[dict[str, list[str]], list[str]]:
    """An import refusal ("path: reason; path: reason") as errors per form field, and the
    reasons that belong to no field (e.g. the bureau may not score this matter)."""
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    for part in re.split(r"; (?=[a-z_][\w.]*: )", reason):
        found = _REASON.fullmatch(part.strip())
        target = None
        if found:
            path, text = found.groups()
            for pattern, name in _REFUSAL_FIELDS:
                if pattern.fullmatch(path):
                    target = name or path
                    break
            if target is not None:
                errors.setdefault(target, []).append(text)
                continue
        general.append(part.strip())
    return errors, general


def _item_choices(on) -> tuple[Any, list[tuple[str, str]]]:
    table = table_for(load_tables(), on)
    choices = []
    for item in table.items.values():
        label = _(
            "%(code)s · %(title)s（扣%(points)s分，故意%(intentional)s分）",
            code=item.code,
            title=_(item.title),
            points=f"{item.points.normalize():f}",
            intentional=f"{item.intentional_points.normalize():f}",
        )
        choices.append((item.code, label))
    return table, choices


def _product_item_choices(table, choices) -> list[tuple[str, str]]:
    """The items a product may be scored under (Art. 11), for `related_item` (Art. 12(1))."""
    return [(code, label) for code, label in choices if "product" in table.items[code].objects]


def _matter_page(*, values=None, errors=None, refusal=None, status=200, whatif=None):
    """The form; the operator named by its USCC (when registered) is shown with its
    "情节严重" flag, so the officer sees a D-class record before scoring it; `whatif`, the
    preview of what recording it would do (app/web/whatif.py)."""
    ctx = case_ctx()
    table, choices = _item_choices(ctx.today)
    values = values or {"kind": "seller"}
    uscc = (values.get("uscc") or "").strip().upper()
    operator = q.operator_by_uscc(uscc)
    specs = field_specs(MatterForm, values, errors)
    return (
        render_template(
            "inbox/matter_new.html",
            specs=specs,
            choices=choices,
            product_choices=_product_item_choices(table, choices),
            table=table,
            refusal=refusal,
            bureau=user().bureau_code,
            uscc=uscc,
            operator=operator,
            flag=serious_flag(operator.id, ctx.today) if operator else None,
            whatif=whatif,
        ),
        status,
    )


matter_page = _matter_page  # the what-if preview shows the same page


@bp.get("/matters/new")
@roles(Role.OFFICER)
def matter_new():
    """The form; `?uscc=` (the look-up step) fills in the registered operator."""
    uscc = (request.args.get("uscc") or "").strip().upper()
    kind = request.args.get("kind")
    values: dict[str, Any] = {"kind": kind if kind in OBJECT_KINDS else "seller"}
    if uscc:
        values["uscc"] = uscc
        found = q.operator_by_uscc(uscc)
        if found:
            values["name"] = found.name
    return _matter_page(values=values)


def _matter_records(d: dict, bureau: str) -> tuple[list[dict], dict[str, list[str]]]:
    """The interchange records for the form, or errors a person fixes before importing."""
    uscc = d["uscc"].strip().upper()
    errors: dict[str, list[str]] = {}
    records: list[dict] = []
    registered = q.operator_by_uscc(uscc)
    if registered is None:
        if d["kind"] == "product":
            errors["uscc"] = [_("该生产者尚未登记，其产品也未登记，无法对产品记分")]
        elif not d.get("name"):
            errors["name"] = [_("该经营者尚未登记：请填写其名称，将一并登记到本局")]
        else:
            records.append(
                {
                    "type": "operator",
                    "uscc": uscc,
                    "name": d["name"],
                    "bureau": bureau,
                    "filing_complete": False,
                }
            )
    elif d.get("name") and d["name"] != registered.name:
        errors["name"] = [_("登记的名称为“%(name)s”，与填写的不一致", name=registered.name)]
    obj: dict[str, Any] = {"kind": d["kind"], "intentional": d["intentional"]}
    if d["kind"] == "product":
        obj["producer"] = uscc
        for key in ("brand", "nice_class"):
            if d.get(key) is not None:
                obj[key] = d[key]
    else:
        obj["uscc"] = uscc
    records.append(
        {
            "type": "matter",
            "ref": d["ref"],
            "items": [d["related_item"], d["item"]] if d.get("related_item") else [d["item"]],
            "intentional": False,
            "effective_on": d["effective_on"].isoformat(),
            "bureau": bureau,
            "major_impact": d["major_impact"],
            # R-INTENT (Art. 13): the intent of the object this form scores, its own.
            "objects": [obj],
            "model": d.get("model"),
            "standard": d.get("standard"),
            "summary": d["summary"],
        }
    )
    if d.get("category"):
        records[-1]["category"] = d["category"].strip()
    return records, errors


@bp.post("/matters/new")
@roles(Role.OFFICER)
def matter_create():
    """Record one matter through the import service (same checks as a bulk import); the
    bureau is the officer's own. Refused: nothing is written, the reasons are shown."""
    data, raw, errors = load(MatterForm, request.form)
    if data is None:
        return _matter_page(values=raw, errors=errors, status=422)
    me = user()
    records, errors = _matter_records(data, me.bureau_code)
    if errors:
        return _matter_page(values=raw, errors=errors, status=422)
    try:
        # Undone at once when refused, so the form is drawn again from the data as it was.
        with attempt():
            report = import_records(
                [json.dumps(r, ensure_ascii=False).encode("utf-8") for r in records],
                today=case_ctx().today,
                actor=me.username,
                at=now(),
            )
            if report.refusals:  # an operator planned with a refused matter is not kept either
                raise _Refused
    except IntegrityError:  # the same ref (or operator) recorded by someone at this moment
        return _matter_page(values=raw, refusal=_concurrent(), status=409)
    except _Refused:
        errors, general = {}, []
        for refusal in report.refusals:
            e, g = _refusal_fields(_refusal_text(refusal))
            for k, v in e.items():
                errors.setdefault(k, []).extend(v)
            general += g
        message = _("未能登记，请按提示修改：") + ("\n" + "\n".join(general) if general else "")
        return _matter_page(values=raw, errors=errors, refusal=message, status=422)
    matter_id = q.matter_by_ref(data["ref"]).id
    if report.created:
        flash(_("事项已登记，记分已记入信用档案"), "success")
    else:
        flash(_("该事项此前已按相同内容登记，未重复记分"), "success")
    return redirect(url_for("inbox.matter", matter_id=matter_id))


class _Refused(Exception):
    """The import refused a record: its writes are undone by the savepoint."""


def _refusal_text(refusal: Refusal) -> str:
    """An import refusal in the page's language where it was raised from a template (e.g.
    R-SCOPE, Art. 2); the others as the import wrote them."""
    if refusal.template is None:
        return refusal.reason
    text = _(refusal.template, **refusal.params)
    return f"{refusal.fieldname}: {text}" if refusal.fieldname else text


def _concurrent() -> str:
    return _("同一事项或经营者刚由他人登记，未作任何更改；请刷新后核对再提交。")


@bp.get("/matters/<int:matter_id>")
@roles(*STAFF)
def matter(matter_id: int):
    """A recorded matter and the ledger entries it wrote, each linked to its object."""
    row = q.matter(matter_id)
    if row is None or not can_see_matter(user(), row.bureau_code):
        raise NotFound("no matter %(id)s", id=matter_id)
    entries = q.matter_entries(matter_id)
    today = case_ctx().today
    flags = []
    for operator in {obj.operator_id: obj.operator for _e, obj in entries}.values():
        flag = serious_flag(operator.id, today)
        if flag:
            flags.append((operator.name, flag))
    return render_template("inbox/matter.html", m=row, entries=entries, flags=flags)
