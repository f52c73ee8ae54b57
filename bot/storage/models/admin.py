"""Admin accounts, their sessions and login attempts, the audit log, and versioned content.

Content (flows, FAQ entries) is versioned per item: every save is a row; at most one
row per item is `published`. Rolling back publishes a copy of an older version, so the
history only grows and every change keeps its author and time.
`content_state` is one row whose `version` grows on each publish: every process reads
it (cheaply, at most once a second) to know when to reload.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base

ROLES = ("admin", "center_admin", "consultant")


class AdminUser(Base):
    """A person who signs in to /admin. `center_code` (the center's stable code, as bookings use it) scopes a center admin or consultant."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    center_code: Mapped[str | None] = mapped_column(String(64), index=True)
    consultant_id: Mapped[int | None]
    display_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(2), default="id")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class AdminSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """Every sign-in attempt, for throttling guessed passwords (by user name and by address)."""

    __tablename__ = "admin_login_attempts"
    __table_args__ = (
        Index("ix_admin_login_attempts_username_at", "username", "at"),
        Index("ix_admin_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool]
    at: Mapped[datetime]


class AuditEntry(Base):
    """Who changed what, when. Written in the same transaction as the change."""

    __tablename__ = "admin_audit_log"
    __table_args__ = (Index("ix_admin_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(128))
    center_code: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ContentVersion(Base):
    """One saved version of a flow (YAML text) or an FAQ entry (YAML text)."""

    __tablename__ = "content_versions"
    __table_args__ = (
        UniqueConstraint("kind", "name", "number"),
        Index("ix_content_versions_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "flow" | "faq"
    name: Mapped[str] = mapped_column(String(128))
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # "draft" | "published" | "retired"
    note: Mapped[str | None] = mapped_column(String(256))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("admin_users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class ContentState(Base):
    """One row: grows on every publish, so each process knows when to reload content."""

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]
