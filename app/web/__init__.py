"""The server-rendered web application: sign-in, the enterprise portal (粤品通), the officer
inbox, the supervisor dashboard, public disclosure pages and administration.

Pages speak Simplified Chinese first; English is switchable (Flask-Babel; the catalogues'
message ids are the Chinese texts of the pages and the English texts of the domain's errors).
Every form is CSRF-protected; the JSON API (bearer tokens, no cookies) is exempt."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session

from app.extensions import babel, csrf, db, login_manager


def select_locale() -> str:
    if not has_request_context():
        return "zh"  # letters composed by the scheduler (e-mailed notices) are in Chinese
    lang = session.get("lang")
    if lang in ("zh", "en"):
        return lang
    return request.accept_languages.best_match(("zh", "en"), default="zh") or "zh"


def init_web(app: Flask, api_blueprints) -> None:
    from models import User

    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _bound_uploads() -> None:
        """A page form with files is read only up to the files it may carry (and 1 MiB of
        fields), before CSRF protection reads it: a larger body is refused with 413."""
        if request.mimetype == "multipart/form-data" and not request.path.startswith("/api/"):
            cfg = app.config
            request.max_content_length = (
                cfg["ATTACHMENTS_PER_UPLOAD"] * cfg["ATTACHMENT_MAX_BYTES"] + 1024 * 1024
            )

    csrf.init_app(app)  # after the bound above: its check reads the form
    for blp in api_blueprints:
        csrf.exempt(blp)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the sign-in page says why on its own
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(session_id: str):
        """The session's user while the session is of the user's current generation (see
        `User.end_sessions`) and the account is active."""
        user_id, _, generation = session_id.partition(":")
        if not (user_id.isdigit() and generation.isdigit()):
            return None  # also sessions signed in before generations existed
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_generation != int(generation):
            return None
        return user

    from . import (
        admin,
        attachments,
        auth_views,
        dashboard,
        inbox,
        letters,
        measures,
        portal,
        public,
        run_progress,
        statistics,
        whatif,
    )
    from .layout import register_layout

    for module in (
        auth_views,
        public,
        portal,
        inbox,
        dashboard,
        admin,
        letters,
        attachments,
        statistics,
        measures,
        run_progress,
        whatif,
    ):
        app.register_blueprint(module.bp)
    register_layout(app)
