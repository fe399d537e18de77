"""Users and bureaus: find, create, deactivate, reset a password; the bureau tree."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.codes import Role
from app.context import now
from app.errors import DomainError
from app.extensions import db
from app.queries.catalogue import bureau_tree
from app.services import accounts, bureaus
from app.unit_of_work import attempt
from forms.base import N_
from models import (
    Bureau,
    Operator,
)

from ..guards import roles
from .base import (
    actor,
    bp,
    page_arg,
)

# -- users ------------------------------------------------------------------------------------


@bp.get("/users")
@roles(Role.ADMIN)
def users():
    role = request.args.get("role") or None
    bureau = request.args.get("bureau") or None
    text = request.args.get("q", "").strip() or None
    if role is not None and role not in accounts.ROLES:
        raise DomainError(N_("unknown role %(role)s"), status=400, role=role)
    if bureau is not None:
        bureaus.get_bureau(bureau)
    page = accounts.list_users(role=role, bureau=bureau, text=text, page=page_arg())
    return render_template(
        "admin/users.html",
        page=page,
        role=role,
        bureau=bureau,
        q=text or "",
        roles=accounts.ROLES,
        bureau_options=bureau_tree(),
    )


def _new_user_page(values: dict, errors: dict | None = None, refusal=None, status: int = 200):
    return render_template(
        "admin/user_new.html",
        values=values,
        errors=errors or {},
        roles=accounts.ROLES,
        bureau_options=bureau_tree(),
        refusal=refusal,
    ), status


@bp.get("/users/new")
@roles(Role.ADMIN)
def user_new():
    return _new_user_page({"role": request.args.get("role", Role.OFFICER)})


@bp.post("/users/new")
@roles(Role.ADMIN)
def user_create():
    form = request.form
    values = {k: form.get(k, "") for k in ("username", "display_name", "role", "bureau_code")}
    values["uscc"] = form.get("uscc", "")
    try:
        with attempt():
            user = accounts.create_account(
                username=values["username"],
                display_name=values["display_name"],
                role=values["role"],
                bureau_code=values["bureau_code"],
                uscc=values["uscc"],
                password=form.get("password", ""),
                actor=actor(),
                at=now(),
            )
    except accounts.InvalidAccount as err:
        errors = {f: _(t, **p) if p else _(t) for f, (t, p) in err.errors.items()}
        return _new_user_page(values, errors, _("请更正标出的各项。"), err.status)
    except DomainError as err:
        return _new_user_page(values, {}, err.translated(), err.status)
    flash(_("用户 %(name)s 已创建，可以用初始密码登录。", name=user.username), "success")
    return redirect(url_for("admin.user", user_id=user.id))


def _user_page(user_id: int, refusal: str | None = None, status: int = 200):
    user = accounts.get_user(user_id)
    operator = db.session.get(Operator, user.operator_id) if user.operator_id else None
    bureau = db.session.get(Bureau, user.bureau_code) if user.bureau_code else None
    return render_template(
        "admin/user.html",
        user=user,
        operator=operator,
        bureau=bureau,
        is_self=user.id == current_user.id,
        refusal=refusal,
    ), status


@bp.get("/users/<int:user_id>")
@roles(Role.ADMIN)
def user(user_id: int):
    return _user_page(user_id)


@bp.post("/users/<int:user_id>/active")
@roles(Role.ADMIN)
def user_active(user_id: int):
    target = accounts.get_user(user_id)
    active = request.form.get("active") == "1"
    try:
        with attempt():
            changed = accounts.set_active(target, active, acting=current_user, at=now())
    except DomainError as err:
        return _user_page(user_id, err.translated(), err.status)
    if changed:
        flash(
            _("账号已启用。") if active else _("账号已停用，不能再登录或使用接口令牌。"), "success"
        )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@roles(Role.ADMIN)
def user_password(user_id: int):
    target = accounts.get_user(user_id)
    try:
        with attempt():
            accounts.reset_password(
                target, request.form.get("password", ""), acting=current_user, at=now()
            )
    except DomainError as err:
        return _user_page(user_id, err.translated(), err.status)
    flash(_("密码已重置，请将新密码告知用户本人。"), "success")
    return redirect(url_for("admin.user", user_id=user_id))


# -- bureaus ----------------------------------------------------------------------------------


def _bureaus_page(values: dict | None = None, refusal: str | None = None, status: int = 200):
    rows = bureaus.tree()
    return render_template(
        "admin/bureaus.html",
        rows=rows,
        parents=[r for r in rows if r["level"] != "county"],
        values=values or {"parent": request.args.get("parent", "")},
        refusal=refusal,
    ), status


@bp.get("/bureaus", endpoint="bureaus")
@roles(Role.ADMIN)
def bureau_tree_page():
    return _bureaus_page()


@bp.post("/bureaus")
@roles(Role.ADMIN)
def bureau_add():
    values = {k: request.form.get(k, "") for k in ("parent", "code", "name")}
    try:
        with attempt():
            added = bureaus.add_bureau(
                code=values["code"],
                name=values["name"],
                parent_code=values["parent"],
                actor=actor(),
                at=now(),
            )
    except DomainError as err:
        return _bureaus_page(values, err.translated(), err.status)
    flash(_("已添加 %(code)s %(name)s。", code=added.code, name=added.name), "success")
    return redirect(url_for("admin.bureau", code=added.code))


def _bureau_page(code: str, name: str | None = None, refusal=None, status: int = 200):
    bureau = bureaus.get_bureau(code)
    rows = bureaus.tree()
    row = next(r for r in rows if r["code"] == code)
    parent = db.session.get(Bureau, bureau.parent_code) if bureau.parent_code else None
    return render_template(
        "admin/bureau.html",
        bureau=bureau,
        row=row,
        parent=parent,
        children=[r for r in rows if r["parent"] == code],
        name=bureau.name if name is None else name,
        refusal=refusal,
    ), status


@bp.get("/bureaus/<code>")
@roles(Role.ADMIN)
def bureau(code: str):
    return _bureau_page(code)


@bp.post("/bureaus/<code>")
@roles(Role.ADMIN)
def bureau_rename(code: str):
    target = bureaus.get_bureau(code)
    name = request.form.get("name", "")
    try:
        with attempt():
            changed = bureaus.rename_bureau(target, name, actor=actor(), at=now())
    except DomainError as err:
        return _bureau_page(code, name, err.translated(), err.status)
    if changed:
        flash(_("名称已改为 %(name)s。", name=target.name), "success")
    return redirect(url_for("admin.bureau", code=code))
