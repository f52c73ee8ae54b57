"""Human handoff: a user's request to talk to a consultant, and the messages relayed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base

OPEN, CONNECTED, CLOSED, EXPIRED = "open", "connected", "closed", "expired"
ACTIVE = (OPEN, CONNECTED)


class HandoffRequest(Base):
    """One request to talk to a person. At most one open or connected request per user
    (a partial unique index), and at most one consultant takes it (`taken` is a
    compare-and-set on `status`)."""

    __tablename__ = "handoff_requests"
    __table_args__ = (
        Index(
            "uq_handoff_requests_active_user", "user_id", unique=True,
            postgresql_where=text("status IN ('open', 'connected')"),
            sqlite_where=text("status IN ('open', 'connected')"),
        ),
        Index("ix_handoff_requests_consultant", "consultant_channel", "consultant_external_id", "status"),
        Index("ix_handoff_requests_due", "status", "next_escalation_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    center_code: Mapped[str | None] = mapped_column(String(64))
    service_area: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=OPEN)
    consultant_id: Mapped[int | None]
    consultant_channel: Mapped[str | None] = mapped_column(String(16))
    consultant_external_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    taken_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(16))
    escalations: Mapped[int] = mapped_column(default=0)
    next_escalation_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None]


class HandoffMessage(Base):
    """A message relayed during a handoff, for the record (support, quality review)."""

    __tablename__ = "handoff_messages"
    __table_args__ = (Index("ix_handoff_messages_request", "request_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("handoff_requests.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(16))  # "to_consultant" | "to_user"
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
