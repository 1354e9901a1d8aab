"""People who run the page, and the API keys that act on their behalf."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .columns import UTCDateTime, utcnow

ROLES = ("admin", "manager", "viewer")


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Per-account lockout: consecutive failed sign-ins, and until when the account refuses passwords.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Part of every session and remember-me cookie (``get_id``): bumping it ends them all (password, role,
    # deactivation).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Someone else chose the password (the printed first-admin one, an admin's reset): the next sign-in must
    # replace it before the console opens.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session and the remember-me cookie hold
        return f"{self.id}:{self.session_generation or 0}"

    def holds_session(self, session_id: str) -> bool:
        """Whether ``session_id`` (from a session or remember-me cookie) is a current one of this user.

        A bare "<id>" (sessions from before generations existed) counts as generation 0, so an upgrade signs
        nobody out; the first password or role change ends those too."""
        _, _, generation = str(session_id).partition(":")
        return (generation or "0") == str(self.session_generation or 0)

    def end_sessions(self) -> None:
        """End every session and remember-me cookie of this user (the caller commits)."""
        self.session_generation = (self.session_generation or 0) + 1

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def can(self, permission: str) -> bool:
        """``read`` for everyone, ``manage`` for managers and admins, ``admin`` for admins."""
        allowed = {"read": ROLES, "manage": ("admin", "manager"), "admin": ("admin",)}
        return self.role in allowed.get(permission, ())


class ApiToken(db.Model):
    """An API key: only its SHA-256 is stored; the key itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")
