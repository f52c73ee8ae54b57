"""PLUT-KUMKM centers: where they are, how to reach them, and where the facts come from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base


class Center(Base):
    """One PLUT center. Unknown facts stay NULL: the bot says so instead of guessing.

    `code` is the stable slug other tables and button payloads use (`plut-maros`)."""

    __tablename__ = "centers"
    __table_args__ = (
        CheckConstraint("level IN ('province', 'regency')", name="level"),
        CheckConstraint("coord_precision IN ('building', 'regency_seat')", name="coord_precision"),
        CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    province: Mapped[str] = mapped_column(String(100))
    regency_code: Mapped[str | None] = mapped_column(String(8), index=True)
    regency: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float]
    longitude: Mapped[float]
    coord_precision: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    whatsapp: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(32))
    service_areas: Mapped[list[Any]] = mapped_column(default=list)
    services: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime]
