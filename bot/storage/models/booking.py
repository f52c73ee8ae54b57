"""Consultants, their weekly hours and closures, slot holds and bookings.

The invariant "one active booking per consultant slot" lives here as a partial unique
index (`uq_bookings_active_slot`), so two processes racing for a slot cannot both win.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.booking import ACTIVE_STATUSES
from bot.storage.models.base import Base

_ACTIVE = text("status IN (" + ", ".join(f"'{s}'" for s in ACTIVE_STATUSES) + ")")


class Consultant(Base):
    """A konsultan pendamping of one center, covering one or more service areas."""

    __tablename__ = "consultants"
    __table_args__ = (UniqueConstraint("center_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128))
    areas: Mapped[list[Any]] = mapped_column(default=list)
    """Service area codes: hr, production, financing, marketing, institutional, it, partnership."""
    active: Mapped[bool] = mapped_column(default=True)
    demo: Mapped[bool] = mapped_column(default=False)
    channel: Mapped[str | None] = mapped_column(String(16))
    """Where notifications go once the consultant links an account (telegram|whatsapp); None → the log."""
    external_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class WeeklyAvailability(Base):
    """One working window of a consultant, in the center's local time; gaps are breaks."""

    __tablename__ = "consultant_availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    start_time: Mapped[str] = mapped_column(String(5))  # "08:00"
    end_time: Mapped[str] = mapped_column(String(5))


class Closure(Base):
    """Days without consultations: a center holiday (no consultant) or a consultant's leave."""

    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_code: Mapped[str] = mapped_column(String(64), index=True)
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("consultants.id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))


class SlotHold(Base):
    """A slot kept for one user for a few minutes while they confirm."""

    __tablename__ = "slot_holds"
    __table_args__ = (UniqueConstraint("consultant_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime]


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        Index(
            "uq_bookings_active_slot",
            "consultant_id",
            "starts_at",
            unique=True,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        ),
        Index("ix_bookings_center_starts", "center_code", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("consultants.id"))
    center_code: Mapped[str] = mapped_column(String(64))
    service_area: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    business_name: Mapped[str | None] = mapped_column(String(200))
    business_kind: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2), default="id")
    consent_at: Mapped[datetime]
    """When the user agreed that these personal data are kept for this consultation (UU PDP)."""
    version: Mapped[int] = mapped_column(default=1)
    """Goes up with every change; part of the outbox idempotency keys and the .ics SEQUENCE."""
    declined_by: Mapped[list[Any]] = mapped_column(default=list)
    """Consultant ids who declined, so a reassignment never goes back to them."""
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
