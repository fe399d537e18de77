"""Who is calling: API tokens (Authorization: Bearer …) map to users. Sign-in with passwords
and sessions for the web pages builds on the same users."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import g, request
from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db
from models import User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """A new API token for the user; only its hash is kept, so it is shown once."""
    token = secrets.token_urlsafe(32)
    user.token_hash = token_hash(token)
    return token


def current_user(required: bool = True) -> User | None:
    if "user" in g:
        return g.user
    header = request.headers.get("Authorization", "")
    user = None
    if header.startswith("Bearer "):
        user = db.session.scalar(
            select(User).where(
                User.token_hash == token_hash(header.removeprefix("Bearer ").strip())
            )
        )
    if user is None and required:
        raise DomainError(
            "sign in first: send your API token as Authorization: Bearer …", status=401
        )
    g.user = user
    return user


def create_user(
    username: str,
    role: str,
    *,
    display_name: str,
    at: datetime,
    bureau_code: str | None = None,
    operator_id: int | None = None,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        bureau_code=bureau_code,
        operator_id=operator_id,
        created_at=at,
    )
    db.session.add(user)
    return user
