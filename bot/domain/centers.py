"""A PLUT center as the rest of the bot sees it: one plain, immutable value.

The same type is a validated row of `data/centers.csv`, a snapshot of a database row,
what the directory's point index returns, and what booking and the admin pages show.
Unknown facts stay None: the bot says so instead of guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain.geo import maps_link
from bot.domain.opening_hours import OpeningHours, parse_opening_hours
from bot.domain.zones import DEFAULT_ZONE

COLUMNS: tuple[str, ...] = (
    "code", "name", "level", "province", "regency_code", "regency", "address", "latitude", "longitude",
    "coord_precision", "phone", "whatsapp", "email", "opening_hours", "timezone", "service_areas",
    "services", "source", "notes",
)
"""The fields of a center, in the order of `data/centers.csv`."""


class CenterFields(Protocol):
    """What `Center.from_model` reads: the database row (`bot.storage.models.Center`) has these."""

    id: int
    code: str
    name: str
    level: str
    province: str
    regency_code: str | None
    regency: str | None
    address: str | None
    latitude: float
    longitude: float
    coord_precision: str
    phone: str | None
    whatsapp: str | None
    email: str | None
    opening_hours: str | None
    timezone: str
    service_areas: list[Any]
    services: list[Any]
    source: str | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class Center:
    """One PLUT center. `code` is the stable slug other tables and button payloads use."""

    code: str
    name: str
    level: str
    province: str
    latitude: float
    longitude: float
    coord_precision: str
    timezone: str
    regency_code: str | None = None
    regency: str | None = None
    address: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    email: str | None = None
    opening_hours: str | None = None
    service_areas: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    source: str | None = None
    notes: str | None = None
    id: int | None = None

    @classmethod
    def missing(cls, code: str) -> Center:
        """Stands in for a center whose row is gone (a booking outlives it): only the code
        is known, shown as its name, in the default zone, with no point (NaN)."""
        return cls(code=code, name=code, level="regency", province="", latitude=math.nan, longitude=math.nan,
                   coord_precision="regency_seat", timezone=DEFAULT_ZONE)

    @property
    def tz(self) -> str:
        """The IANA zone times at this center are shown in."""
        return self.timezone

    @property
    def place(self) -> str:
        """Regency and province, for matching what users type ("Maros", "Biak")."""
        return " ".join(x for x in (self.regency, self.province) if x)

    @property
    def has_point(self) -> bool:
        return math.isfinite(self.latitude) and math.isfinite(self.longitude)

    @property
    def hours(self) -> OpeningHours:
        return parse_opening_hours(self.opening_hours)

    @property
    def has_contact(self) -> bool:
        return bool(self.phone or self.whatsapp or self.email)

    @property
    def maps_url(self) -> str:
        return maps_link(self.latitude, self.longitude)

    def as_row(self) -> dict[str, str]:
        """The center as a CSV row (lists joined with `|`)."""

        def s(v: Any) -> str:
            if v is None:
                return ""
            if isinstance(v, tuple):
                return "|".join(v)
            if isinstance(v, float):
                return f"{v:.6f}".rstrip("0").rstrip(".")
            return str(v)

        return {c: s(getattr(self, c)) for c in COLUMNS}

    def model_values(self) -> dict[str, Any]:
        """The column values for the database row."""
        return {
            "code": self.code, "name": self.name, "level": self.level, "province": self.province,
            "regency_code": self.regency_code, "regency": self.regency, "address": self.address,
            "latitude": self.latitude, "longitude": self.longitude, "coord_precision": self.coord_precision,
            "phone": self.phone, "whatsapp": self.whatsapp, "email": self.email, "opening_hours": self.opening_hours,
            "timezone": self.timezone, "service_areas": list(self.service_areas), "services": list(self.services),
            "source": self.source, "notes": self.notes,
        }

    @classmethod
    def from_model(cls, c: CenterFields) -> Center:
        """A snapshot of a database row."""
        return cls(
            id=c.id, code=c.code, name=c.name, level=c.level, province=c.province, latitude=c.latitude,
            longitude=c.longitude, coord_precision=c.coord_precision, timezone=c.timezone,
            regency_code=c.regency_code, regency=c.regency, address=c.address, phone=c.phone,
            whatsapp=c.whatsapp, email=c.email, opening_hours=c.opening_hours,
            service_areas=tuple(c.service_areas or ()), services=tuple(c.services or ()),
            source=c.source, notes=c.notes,
        )
