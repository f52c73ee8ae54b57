"""Users, their conversations, the inbound ids already processed, and the message log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class User(Base):
    """A person who writes to the bot on one channel."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(2))
    language_locked: Mapped[bool] = mapped_column(default=False)
    display_name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_inbound_at: Mapped[datetime | None]


class Conversation(Base):
    """Where a user is in the dialogue. One row per user; locked while an event runs."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    flow: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class InboundMessage(Base):
    """A platform message id already processed: a webhook retry is answered once."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime]


class MessageLog(Base):
    """Every message in and out, for the admins' dashboard and for support."""

    __tablename__ = "message_log"
    __table_args__ = (Index("ix_message_log_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None]
    language: Mapped[str | None] = mapped_column(String(2))
    flow: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]


class InboundRate(Base):
    """How fast one account (channel + platform user id) has been writing: the state of its
    flood limit (`bot/engine/flood.py`), one row per account, changed by one atomic upsert
    per batch. Times are milliseconds since the epoch, not datetimes, so the statement can
    do the arithmetic itself, the same way on SQLite and PostgreSQL."""

    __tablename__ = "inbound_rates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    full_at_ms: Mapped[int] = mapped_column(BigInteger)
    """When the account's allowance is whole again (at or before now: it is whole)."""
    seen_ms: Mapped[int] = mapped_column(BigInteger)
    """When its last batch of messages arrived."""
    passed: Mapped[int]
    """How many messages of that batch were let through."""
    dropped: Mapped[int]
    """Messages dropped in the current flood (0 when none is going on)."""
