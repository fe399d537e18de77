"""Who may open a page: a role check in front of the views; what they see inside is narrowed by
the named predicates of `app.permissions`, the same ones the API and the queries use."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import redirect, request, url_for
from flask_login import current_user

from app.context import now, today
from app.errors import DomainError
from app.services.cases import Ctx


def roles(*allowed: str) -> Callable:
    """Signed-in users of these roles only: others get 403, anonymous users the sign-in page."""

    def wrap(view: Callable) -> Callable:
        @wraps(view)
        def inner(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if current_user.role not in allowed:
                raise DomainError("this page is not for your role", status=403)
            return view(*args, **kwargs)

        return inner

    return wrap


def case_ctx() -> Ctx:
    """The acting user and the clock, for the case services."""
    user = current_user._get_current_object()
    return Ctx(actor=user.username, today=today(), now=now(), user=user)
