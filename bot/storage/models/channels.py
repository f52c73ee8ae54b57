"""Tables of the Telegram and WhatsApp channels: delivery statuses, long button payloads,
and consultant invite codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class WhatsAppStatus(Base):
    """A delivery status WhatsApp reported for one of our messages (sent, delivered, read, failed).
    One row per (message, status): a repeated webhook changes nothing."""

    __tablename__ = "whatsapp_statuses"
    __table_args__ = (UniqueConstraint("message_id", "status"), Index("ix_whatsapp_statuses_recipient", "recipient"))

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128))
    recipient: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(Text)


class CallbackPayload(Base):
    """Telegram allows 64 bytes of callback data; longer button payloads are stored here
    and the button carries `h:<key>`."""

    __tablename__ = "telegram_callback_payloads"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ConsultantInvite(Base):
    """A one-time code a consultant sends to the bot to link their Telegram or WhatsApp
    account. Only the code's hash is kept."""

    __tablename__ = "consultant_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    consultant_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_channel: Mapped[str | None] = mapped_column(String(16))
    used_external_id: Mapped[str | None] = mapped_column(String(64))
