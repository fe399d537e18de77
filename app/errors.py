"""Errors a person can act on, and how the HTTP layer shows them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException


class Reasons(tuple):
    """Several refusal reasons in one message: each an English template of the catalogues,
    joined in the reader's language."""

    def __str__(self) -> str:
        return "; ".join(self)


class DomainError(Exception):
    """A request the rules refuse. `status` is the HTTP status the API answers with.

    The message is an English template with %(name)s placeholders filled from `params`: the
    API answers in English, the web pages show the template's catalogue translation (Chinese
    first) filled with the same values."""

    status = 422

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        **params: object,
    ):
        self.template = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)
        self.field = field
        if status is not None:
            self.status = status

    def translated(self) -> str:
        """The message in the page's language (inside a request)."""
        from flask_babel import gettext

        if not self.params:
            return gettext(self.template)
        params = {
            k: "；".join(gettext(r) for r in v) if isinstance(v, Reasons) else v
            for k, v in self.params.items()
        }
        return gettext(self.template, **params)


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


# Renders an error as a web page: (status, message, whether the message is still to be
# translated) → a response. The web layer hands it in, so this module knows nothing of pages.
ErrorPage = Callable[..., object]


def is_page_request() -> bool:
    """Web pages answer errors with a page; the API (and its documents) with JSON."""
    return not request.path.startswith("/api/")


def register_error_handlers(app: Flask, page: ErrorPage | None = None) -> None:
    """Refusals and HTTP errors answer JSON on the API; on web pages, `page` renders them
    (without it, JSON everywhere)."""

    def is_page() -> bool:
        return page is not None and is_page_request()

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        if is_page():
            return page(err.status, err.translated(), translate=False)
        body = {"code": err.status, "status": "error", "message": err.message}
        if err.field:
            body["field"] = err.field
        return jsonify(body), err.status

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if is_page():
            return page(err.code or 500, err.description or "")
        # flask-smorest puts marshmallow messages in err.data; keep them so the caller sees
        # which field is wrong.
        body = {"code": err.code, "status": err.name, "message": err.description}
        data = getattr(err, "data", None)
        if isinstance(data, dict) and "messages" in data:
            body["errors"] = data["messages"]
        # Keep the exception's own headers (Allow on a 405, Retry-After …), not its type.
        headers = [(k, v) for k, v in err.get_headers() if k.lower() != "content-type"]
        return jsonify(body), err.code, headers
