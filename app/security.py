"""What every response and every start of the app must hold, whatever the page:

- a real `SECRET_KEY` outside development, demo and testing (a known key lets anyone sign a
  session cookie for any user);
- security headers on every response: the pages may not be framed (clickjacking of the admin
  forms), scripts come from this site only, no MIME sniffing, no referrer to other sites;
- the client's address from `X-Forwarded-For` when, and only when, `TRUSTED_PROXIES` says how
  many reverse proxies stand in front (sign-in throttling counts failures per address)."""

from __future__ import annotations

import os

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from forms.base import MAX_ID

# Environments that may run on the development key: CREDIT_ENV names the environment.
RELAXED_ENVIRONMENTS = ("development", "demo", "testing")
DEV_SECRET = "dev-only-not-secret"
MIN_SECRET = 32

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # style attributes in the templates and the BPMN viewer's SVG
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class InsecureConfiguration(RuntimeError):
    pass


def environment(app: Flask) -> str:
    return app.config.get("ENVIRONMENT") or os.environ.get("CREDIT_ENV") or "production"


def check_secret_key(app: Flask) -> None:
    """Refuse to start with no secret, the development one, or a short one, unless testing or
    in a development or demo environment (which get the development key if they set none)."""
    key = app.config.get("SECRET_KEY")
    if app.testing or environment(app) in RELAXED_ENVIRONMENTS:
        if not key:
            app.config["SECRET_KEY"] = DEV_SECRET
        return
    if not key or key == DEV_SECRET or len(key) < MIN_SECRET:
        raise InsecureConfiguration(
            f"SECRET_KEY must be a random secret of at least {MIN_SECRET} characters "
            f"(environment {environment(app)!r}); make one with "
            "python -c 'import secrets; print(secrets.token_hex(32))', or set "
            "CREDIT_ENV=development for a development machine"
        )


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class RowIdConverter(IntegerConverter):
    """`<int:…>` in a URL: a number above the largest row id matches no page (404) instead of
    reaching the database driver, which cannot pass it (500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_security(app: Flask) -> None:
    """Called before any route is added (the `int` converter is replaced for all of them)."""
    check_secret_key(app)
    app.url_map.converters["int"] = RowIdConverter
    app.after_request(_headers)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
