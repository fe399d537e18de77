"""The information filing (信息填报): items, contacts, the declaration."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.codes import Role
from app.errors import DomainError, NotFound
from app.extensions import db
from app.services import filing as filing_service
from app.unit_of_work import attempt
from forms.filing import ContactForm, FilingDeclaration, FilingItemForm
from models import Operator

from ..forms import field_specs, load
from ..guards import case_ctx, roles
from .base import (
    FILING_KINDS,
    bp,
    my_operator,
)

# ---- information filing ---------------------------------------------------------------------


def _filing_page(
    *, refusal=None, values=None, errors=None, status=200, contact_values=None, contact_errors=None
):
    mine = my_operator()
    items = filing_service.items(mine)
    grouped = {k: [i for i in items if i.kind == k] for k in FILING_KINDS}
    operator = db.session.get(Operator, mine)
    if contact_values is None:
        contact_values = {
            "email": operator.email or "",
            "mobile": operator.mobile or "",
            "postal_address": operator.postal_address or "",
        }
    return (
        render_template(
            "portal/filing.html",
            operator=operator,
            contact_specs=field_specs(ContactForm, contact_values, contact_errors),
            grouped=grouped,
            missing=filing_service.missing(mine),
            item_specs=field_specs(FilingItemForm, values or {"kind": "product"}, errors),
            declaration_specs=field_specs(FilingDeclaration),
            finding=filing_service.active_finding(mine),
            refusal=refusal,
        ),
        status,
    )


@bp.get("/filing")
@roles(Role.ENTERPRISE)
def filing():
    return _filing_page()


def _filing_write(action, message: str, **page):
    try:
        with attempt():
            action()
    except NotFound:
        raise
    except DomainError as err:
        return _filing_page(refusal=err.translated(), status=err.status, **page)
    flash(message, "success")
    return redirect(url_for("portal.filing"))


@bp.post("/filing/items")
@roles(Role.ENTERPRISE)
def filing_add():
    data, raw, errors = load(FilingItemForm, request.form)
    if data is None:
        return _filing_page(values=raw, errors=errors, status=422)
    mine = my_operator()
    return _filing_write(
        lambda: filing_service.add_item(mine, data, ctx=case_ctx()),
        _("已添加"),
        values=raw,
    )


@bp.post("/filing/items/<int:item_id>/delete")
@roles(Role.ENTERPRISE)
def filing_remove(item_id: int):
    mine = my_operator()
    return _filing_write(
        lambda: filing_service.remove_item(mine, item_id, ctx=case_ctx()), _("已删除")
    )


@bp.post("/filing/contacts")
@roles(Role.ENTERPRISE)
def filing_contacts():
    data, raw, errors = load(ContactForm, request.form)
    if data is None:
        return _filing_page(contact_values=raw, contact_errors=errors, status=422)
    mine = my_operator()
    return _filing_write(
        lambda: filing_service.set_contacts(mine, data, ctx=case_ctx()),
        _("联系方式已保存"),
        contact_values=raw,
    )


@bp.post("/filing/declare")
@roles(Role.ENTERPRISE)
def filing_declare():
    data, _raw, _errors = load(FilingDeclaration, request.form)
    if data is None:
        return _filing_page(refusal=_("请勾选承诺如实填报"), status=422)
    mine = my_operator()
    return _filing_write(
        lambda: filing_service.declare(mine, ctx=case_ctx()), _("信息填报已确认完成")
    )
