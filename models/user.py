from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

from .types import UTCDateTime


class User(db.Model):
    """A person who signs in: an enterprise user (bound to one operator), an officer (one bureau),
    a supervisor (a bureau and all below it) or an administrator."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role IN ('enterprise', 'officer', 'supervisor', 'admin')", name="role"),
        CheckConstraint(
            "(role = 'enterprise') = (operator_id IS NOT NULL)", name="enterprise_operator"
        ),
        CheckConstraint(
            "role IN ('enterprise', 'admin') OR bureau_code IS NOT NULL", name="staff_bureau"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(12))
    bureau_code: Mapped[str | None] = mapped_column(ForeignKey("bureau.code"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operator.id"))
    # werkzeug's salted scrypt hash; NULL means the account cannot sign in on the web.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Carried by every signed-in session (in its id); sign-out, a password change or reset and
    # deactivation raise it (`end_sessions`), which ends every earlier session of the user.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", lazy="raise")

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session keeps: the id and the session generation, "id:generation"."""
        return f"{self.id}:{self.session_generation}"

    def end_sessions(self) -> None:
        """Every session signed in before now stops opening pages (the next request of each
        is anonymous)."""
        self.session_generation = (self.session_generation or 0) + 1


class ApiToken(db.Model):
    """An API token with scopes (what it may call); only the sha256 of the token is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated scope names (app.auth.SCOPES).
    scopes: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens", lazy="joined")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class LoginAttempt(db.Model):
    """Each sign-in attempt, so repeated failures are throttled across all web workers."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    succeeded: Mapped[bool]
