"""Who is calling. Web pages: a password and a session (Flask-Login). JSON API and exports:
scoped API tokens (Authorization: Bearer …), of which only the sha256 is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import g, request
from flask_login import current_user as session_user
from sqlalchemy import bindparam, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.codes import Role
from app.errors import DomainError
from app.extensions import db
from models import ApiToken, LoginAttempt, User

# What a token may be used for. A token carries some of these; an endpoint names the one it needs.
SCOPES = {
    "cases": "start cases, work task queues, read case files (案件办理)",
    "read": "read scores, classes and reference data (查询)",
    "export": "export classes and matters for sharing (数据共享导出)",
}
DEFAULT_SCOPES = {
    Role.ENTERPRISE: ("cases", "read"),
    Role.OFFICER: ("cases", "read"),
    Role.SUPERVISOR: ("cases", "read", "export"),
    Role.ADMIN: ("cases", "read", "export"),
}

# Sign-in throttling: this many failures within the window lock the name (or the address).
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
MIN_PASSWORD = 8


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    user: User,
    scopes: tuple[str, ...] | None = None,
    *,
    name: str = "default",
    at: datetime | None = None,
) -> str:
    """A new API token for the user; only its hash is kept, so it is shown once."""
    from app.context import now

    scopes = scopes or DEFAULT_SCOPES[user.role]
    unknown = set(scopes) - SCOPES.keys()
    if unknown:
        raise DomainError("unknown scope %(scopes)s", status=400, scopes=", ".join(sorted(unknown)))
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user=user,
            name=name,
            token_hash=token_hash(token),
            scopes=" ".join(sorted(set(scopes))),
            created_at=at or now(),
        )
    )
    return token


# Built once: every API request runs it, and building a statement costs more than running it.
_TOKEN_BY_HASH = select(ApiToken).where(
    ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None)
)


def _bearer() -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    digest = token_hash(header.removeprefix("Bearer ").strip())
    return db.session.scalar(_TOKEN_BY_HASH, {"token_hash": digest})


def current_user(required: bool = True, scope: str = "cases") -> User | None:
    """The caller of an API request, by its token, which must carry `scope`."""
    if "user" in g:
        return g.user
    token = _bearer()
    user = token.user if token is not None and token.user.active else None
    if user is None and required:
        raise DomainError(
            "sign in first: send your API token as Authorization: Bearer …", status=401
        )
    if user is not None and scope not in token.scope_set:
        raise DomainError(
            "this API token does not carry the '%(scope)s' scope", status=403, scope=scope
        )
    g.user = user
    return user


def web_user() -> User | None:
    """The signed-in user of a web page, or None."""
    return session_user if session_user.is_authenticated else None


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            "a password needs at least %(n)s characters",
            field="password",
            status=400,
            n=MIN_PASSWORD,
        )
    if user.password_hash is not None:
        user.end_sessions()  # a new password ends the sessions the old one opened
    user.password_hash = generate_password_hash(password)


def throttled(username: str, ip: str, at: datetime) -> bool:
    since = at - LOGIN_WINDOW
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    )
    by_user = db.session.scalar(failures.where(LoginAttempt.username == username)) or 0
    by_ip = db.session.scalar(failures.where(LoginAttempt.ip == ip)) or 0
    return by_user >= MAX_FAILURES_PER_USER or by_ip >= MAX_FAILURES_PER_IP


def authenticate(username: str, password: str, ip: str, at: datetime) -> User | None:
    """The user if the password matches; every attempt is recorded for throttling.
    Raises a 429 DomainError while the name or the address is throttled."""
    username = username.strip()[:60]
    if throttled(username, ip, at):
        raise DomainError("too many failed sign-ins: wait 15 minutes and try again", status=429)
    user = db.session.scalar(select(User).where(User.username == username))
    ok = bool(
        user is not None
        and user.active
        and user.password_hash
        and check_password_hash(user.password_hash, password)
    )
    db.session.add(LoginAttempt(username=username, ip=ip[:45], at=at, succeeded=ok))
    return user if ok else None


def create_user(
    username: str,
    role: str,
    *,
    display_name: str,
    at: datetime,
    bureau_code: str | None = None,
    operator_id: int | None = None,
    password: str | None = None,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        bureau_code=bureau_code,
        operator_id=operator_id,
        created_at=at,
    )
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    return user
