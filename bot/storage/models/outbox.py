"""Outbound messages waiting for delivery, written in the transaction that caused them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"
WAITING_SQL = "status IN ('pending', 'sending')"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # Both of the worker's lookups touch only waiting rows (pending, or sending under a
        # lease), a handful among all the sent ones: partial indexes keep them that small.
        # The worker's claim names the statuses as literals, so PostgreSQL's cached (generic)
        # plan of the prepared statement can still prove it may use them; with the statuses
        # as parameters the generic plan fell back to scanning the whole table.
        Index("ix_outbox_due", "next_attempt_at", postgresql_where=text(WAITING_SQL), sqlite_where=text(WAITING_SQL)),
        # "An earlier message to this recipient is still waiting", checked for every candidate.
        Index("ix_outbox_waiting", "channel", "recipient", "id",
              postgresql_where=text(WAITING_SQL), sqlite_where=text(WAITING_SQL)),
        Index("ix_outbox_ref", "ref"),
        # The web chat reads one browser's messages (`bot/channels/web.py`).
        Index("ix_outbox_recipient", "recipient", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), default="message")
    payload: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    ordered: Mapped[bool] = mapped_column(default=True)
    """Delivered only after every earlier ordered message to the same recipient."""
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
