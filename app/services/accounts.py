"""User accounts as administrators manage them: create, deactivate and reactivate, reset a
password. Every change is audited; nothing here commits (one transaction per request)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from app.auth import (
    DEFAULT_SCOPES,
    MIN_PASSWORD,
    authenticate,
    create_user,
    issue_token,
    set_password,
)
from app.codes import Role
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.permissions import bureau_tree_codes
from forms.base import N_
from models import ApiToken, Bureau, Operator, User

from .audit import record_event

ROLES = tuple(Role)
STAFF_ROLES = (Role.OFFICER, Role.SUPERVISOR)
_USERNAME = re.compile(r"[^\s]{2,60}")


class InvalidAccount(DomainError):
    """A new account the form describes cannot be created; `errors` says what, per field, so
    every problem is shown at once rather than one per attempt."""

    status = 400

    def __init__(self, errors: dict[str, tuple[str, dict]]):
        self.errors = errors
        field, (template, params) = next(iter(errors.items()))
        super().__init__(template, field=field, **params)


@dataclass
class UserPage:
    users: list[tuple[User, Operator | None]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_users(
    *, role: str | None, bureau: str | None, text: str | None, page: int, per_page: int = 50
) -> UserPage:
    """Users by role, bureau (with the bureaus below it) and a piece of the username, the
    display name, or the enterprise's credit code or name."""
    query = select(User, Operator).outerjoin(Operator, Operator.id == User.operator_id)
    if role:
        query = query.where(User.role == role)
    if bureau:
        query = query.where(
            or_(
                User.bureau_code.in_(bureau_tree_codes(bureau)),
                Operator.bureau_code.in_(bureau_tree_codes(bureau)),
            )
        )
    if text:
        like = f"%{text.strip()}%"
        query = query.where(
            or_(
                User.username.like(like),
                User.display_name.like(like),
                Operator.uscc == text.strip().upper(),
                Operator.name.like(like),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = (
        db.session.execute(
            query.order_by(User.username).offset((page - 1) * per_page).limit(per_page)
        )
        .tuples()
        .all()
    )
    return UserPage(list(rows), total, page, per_page)


def counts_by_role() -> dict[str, int]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role)).tuples().all()
    found = dict(rows)
    return {r: found.get(r, 0) for r in ROLES}


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no user has the id %(id)s"), id=user_id)
    return user


def create_account(
    *,
    username: str,
    display_name: str,
    role: str,
    bureau_code: str | None,
    uscc: str | None,
    password: str,
    actor: str,
    at: datetime,
) -> User:
    """A new user who can sign in on the web at once. Officers and supervisors belong to a
    bureau, enterprise users to one registered operator (by its USCC)."""
    errors: dict[str, tuple[str, dict]] = {}
    username = username.strip()
    display_name = display_name.strip() or username
    if not _USERNAME.fullmatch(username):
        errors["username"] = (N_("a username has 2 to 60 characters and no spaces"), {})
    elif db.session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = (N_("the username %(name)s is already taken"), {"name": username})
    if len(display_name) > 100:
        errors["display_name"] = (N_("a display name has at most 100 characters"), {})
    if role not in ROLES:
        errors["role"] = (N_("choose a role"), {})
    bureau_code = (bureau_code or "").strip() or None
    operator = None
    if role in STAFF_ROLES:
        if bureau_code is None:
            errors["bureau_code"] = (N_("officers and supervisors belong to a bureau"), {})
        elif db.session.get(Bureau, bureau_code) is None:
            errors["bureau_code"] = (N_("no bureau has the code %(code)s"), {"code": bureau_code})
    uscc = (uscc or "").strip().upper() or None
    if role == Role.ENTERPRISE:
        if uscc is None:
            errors["uscc"] = (N_("an enterprise user needs the credit code of its operator"), {})
        else:
            operator = db.session.scalar(select(Operator).where(Operator.uscc == uscc))
            if operator is None:
                errors["uscc"] = (
                    N_("no registered operator has the credit code %(uscc)s"),
                    {"uscc": uscc},
                )
    if len(password) < MIN_PASSWORD:
        errors["password"] = (
            N_("a password needs at least %(n)s characters"),
            {"n": MIN_PASSWORD},
        )
    if errors:
        raise InvalidAccount(errors)
    user = create_user(
        username,
        role,
        display_name=display_name,
        at=at,
        bureau_code=bureau_code if role in STAFF_ROLES else None,
        operator_id=operator.id if operator is not None else None,
        password=password,
    )
    db.session.flush()
    record_event(
        at,
        actor,
        "user.create",
        "user",
        str(user.id),
        {
            "username": username,
            "role": role,
            "bureau": user.bureau_code,
            "operator": operator.uscc if operator is not None else None,
        },
    )
    return user


def set_active(user: User, active: bool, *, acting: User, at: datetime) -> bool:
    """Deactivate (no sign-in, no API token) or reactivate an account; returns whether it
    changed. Administrators cannot lock themselves out."""
    if user.id == acting.id and not active:
        raise Conflict(N_("you cannot deactivate your own account"))
    if user.active == active:
        return False
    user.active = active
    if not active:
        user.end_sessions()  # reactivating later does not bring old sessions back
    record_event(
        at,
        acting.username,
        "user.reactivate" if active else "user.deactivate",
        "user",
        str(user.id),
        {"username": user.username},
    )
    db.session.flush()
    return True


def reset_password(user: User, password: str, *, acting: User, at: datetime) -> None:
    """A new password set by an administrator (the old one stops working)."""
    set_password(user, password)
    record_event(
        at,
        acting.username,
        "user.password_reset",
        "user",
        str(user.id),
        {"username": user.username},
    )
    db.session.flush()


# -- the user's own sign-in and API tokens ---------------------------------------------------


def sign_in(username: str, password: str, *, ip: str, at: datetime) -> User | None:
    """The user if the password matches (audited), else None; every attempt counts towards
    the throttle, so the caller keeps a failed attempt although it refuses the sign-in."""
    user = authenticate(username, password, ip, at)
    if user is not None:
        record_event(at, user.username, "user.sign_in", "user", str(user.id))
    return user


def sign_out(user: User, *, at: datetime) -> None:
    """Ends every session of the user, not only the one signing out."""
    user.end_sessions()
    record_event(at, user.username, "user.sign_out", "user", str(user.id))


def issue_api_token(user: User, scopes: tuple[str, ...], *, name: str, at: datetime) -> str:
    """A new token of the user's own, with scopes the role may use; shown once."""
    if not name or len(name) > 100:
        raise DomainError("give the token a name (1 to 100 characters)", status=400)
    if not scopes or not set(scopes) <= set(DEFAULT_SCOPES[user.role]):
        raise DomainError("choose at least one of the scopes your role may use", status=400)
    token = issue_token(user, scopes, name=name, at=at)
    record_event(
        at,
        user.username,
        "token.issue",
        "user",
        str(user.id),
        {"name": name, "scopes": list(scopes)},
    )
    return token


def revoke_api_token(user: User, token_id: int, *, at: datetime) -> None:
    """Revoke one of the user's own tokens (another's is not found); revoking twice is a
    no-op."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("no token %(id)s", id=token_id)
    if token.revoked_at is None:
        token.revoked_at = at
        record_event(at, user.username, "token.revoke", "api_token", str(token.id))
