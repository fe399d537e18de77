"""Sign-in, sign-out, the language switch, and the user's own API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import DEFAULT_SCOPES, SCOPES
from app.codes import Role
from app.context import now
from app.errors import DomainError, NotFound
from app.queries.administration import user_tokens
from app.services import accounts
from app.unit_of_work import keep_writes

bp = Blueprint("auth", __name__)

HOME = {
    Role.ENTERPRISE: "portal.home",
    Role.OFFICER: "inbox.queue",
    Role.SUPERVISOR: "dashboard.overview",
    Role.ADMIN: "admin.home",
}


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: a sign-in link must not send people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_url() -> str:
    if current_user.is_authenticated:
        return url_for(HOME[current_user.role])
    return url_for("public.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_url())
    error, status = None, 200
    username = request.form.get("username", "")
    if request.method == "POST":
        try:
            user = accounts.sign_in(
                username,
                request.form.get("password", ""),
                ip=request.remote_addr or "-",
                at=now(),
            )
        except DomainError as err:
            user, error, status = None, _(err.message), err.status
        else:
            if user is None:
                error, status = _("用户名或密码不正确"), 401
        if user is not None:
            login_user(user)
            session.permanent = True
            return redirect(safe_next(request.args.get("next")) or home_url())
        keep_writes()  # the failed attempt counts towards the throttle
    return (
        render_template("web/login.html", error=error, username=username),
        status,
    )


@bp.post("/logout")
def logout():
    """Ends every session of the user, not only this cookie: a copy of the cookie (another
    browser, a stolen one) opens nothing after sign-out."""
    if current_user.is_authenticated:
        accounts.sign_out(current_user, at=now())
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("public.index"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in ("zh", "en"):
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("public.index"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """The user's API tokens: for the JSON API and the exports, each with its scopes."""
    allowed = DEFAULT_SCOPES[current_user.role]
    # A new token is shown once, on the page the form redirects to (post/redirect/get: going
    # back or reloading never posts again).
    shown = session.pop("new_token", None)
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        scopes = tuple(request.form.getlist("scopes"))
        shown = accounts.issue_api_token(current_user, scopes, name=name, at=now())
        session["new_token"] = shown
        return redirect(url_for("auth.tokens"), 303)
    mine = user_tokens(current_user.id)
    return render_template(
        "web/tokens.html", tokens=mine, shown=shown, scopes=SCOPES, allowed=allowed
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    try:
        accounts.revoke_api_token(current_user, token_id, at=now())
    except NotFound:
        abort(404)
    flash(_("令牌已作废"), "info")
    return redirect(url_for("auth.tokens"))
