"""Messages the bot could not answer with confidence, for the admins to review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class UnansweredMessage(Base):
    """A free-text message below the NLU threshold: what was asked, what the bot guessed.

    Admins read these (`frontdesk nlu unanswered`) to add training examples or FAQ answers."""

    __tablename__ = "nlu_unanswered"
    __table_args__ = (Index("ix_nlu_unanswered_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(2))
    intent: Mapped[str | None] = mapped_column(String(64))
    """The best guess, below the threshold."""
    confidence: Mapped[float | None]
    ranking: Mapped[list[Any]] = mapped_column(default=list)
    at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
