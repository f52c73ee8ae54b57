"""Consultation requests: an owner asks a center that takes no bookings here to contact them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base

NEW = "new"


class ConsultationRequest(Base):
    """One request, routed to the center's consultants and admins (their notices are in the
    outbox). `status` starts `new`; the people who follow it up change it."""

    __tablename__ = "consultation_requests"
    __table_args__ = (Index("ix_consultation_requests_center", "center_code", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    center_code: Mapped[str] = mapped_column(String(64))
    service_area: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(12), default=NEW)
    notified: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
