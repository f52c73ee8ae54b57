"""PLUT centers: the CSV they come from, the repository, and the use cases.

- `read_centers_csv` validates a CSV and reports every bad row with its line number;
  `import_centers` upserts a valid file by `code` (a file with errors changes nothing);
- `CenterDirectory` is an in-memory snapshot with a point index, reloaded when the table
  changes, so "nearest center" needs no query per lookup;
- `nearest_centers`, `centers_for_place`, `center_card` are the use cases the flow actions
  (`bot/dialogue/centers.py`) and the CLI call.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.domain.centers import COLUMNS, Center
from bot.domain.geo import Hit, PointIndex, haversine_km, valid_point
from bot.domain.opening_hours import OpeningHoursError, parse_opening_hours
from bot.domain.zones import WIB, WIT, WITA, ZONES
from bot.services.gazetteer import Gazetteer, Place
from bot.storage.models import Center as CenterRow

REQUIRED = ("code", "name", "level", "province", "latitude", "longitude", "coord_precision", "timezone")
LEVELS = ("province", "regency")
PRECISIONS = ("building", "regency_seat")
_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)

OUTSIDE_KM = 150.0
"""A point farther than this from every region seat is treated as outside Indonesia or at sea."""


# --- the CSV -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def read_centers_csv(text: str, gazetteer: Gazetteer | None = None) -> tuple[list[Center], list[RowError]]:
    """Validate a centers CSV. Returns the records, and every problem with its line number.

    Line numbers count the header as line 1, as a spreadsheet shows them."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowError(1, f"missing column(s): {', '.join(missing)}")]
    unknown = [c for c in header if c not in COLUMNS]
    errors: list[RowError] = [RowError(1, f"unknown column(s): {', '.join(unknown)}")] if unknown else []
    records: list[Center] = []
    seen: dict[str, int] = {}
    line = 1
    for raw in reader:
        start = line + 1
        line = reader.line_num
        if raw.get(None):  # type: ignore[call-overload,unused-ignore]
            errors.append(RowError(start, "more values than columns"))
            continue
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        record, problems = _record(row, gazetteer)
        errors += [RowError(start, p) for p in problems]
        if record is None:
            continue
        if record.code in seen:
            errors.append(RowError(start, f"code {record.code!r} is also on line {seen[record.code]}"))
            continue
        seen[record.code] = start
        records.append(record)
    return records, errors


def _record(row: dict[str, str], gazetteer: Gazetteer | None) -> tuple[Center | None, list[str]]:
    problems: list[str] = []
    for col in REQUIRED:
        if not row.get(col):
            problems.append(f"{col} is empty")
    code = row.get("code", "")
    if code and not _CODE.match(code):
        problems.append(f"code {code!r}: use lower-case letters, digits and dashes, e.g. plut-maros")
    if row.get("level") and row["level"] not in LEVELS:
        problems.append(f"level {row['level']!r}: use province or regency")
    if row.get("coord_precision") and row["coord_precision"] not in PRECISIONS:
        problems.append(f"coord_precision {row['coord_precision']!r}: use building or regency_seat")
    if row.get("timezone") and row["timezone"] not in ZONES:
        problems.append(f"timezone {row['timezone']!r}: use {WIB} (WIB), {WITA} (WITA) or {WIT} (WIT)")
    lat = lon = 0.0
    try:
        if row.get("latitude") and row.get("longitude"):
            lat, lon = float(row["latitude"].replace(",", ".")), float(row["longitude"].replace(",", "."))
            if not valid_point(lat, lon):
                problems.append(f"latitude/longitude {lat}, {lon} is not a point on the Earth")
    except ValueError:
        problems.append(f"latitude/longitude {row.get('latitude')!r}, {row.get('longitude')!r} are not numbers")
    for col in ("phone", "whatsapp"):
        if row.get(col) and not _PHONE.match(row[col]):
            problems.append(f"{col} {row[col]!r} is not a phone number")
    if row.get("email") and not _EMAIL.match(row["email"]):
        problems.append(f"email {row['email']!r} is not an e-mail address")
    if row.get("opening_hours"):
        try:
            parse_opening_hours(row["opening_hours"])
        except OpeningHoursError as exc:
            problems.append(f"opening_hours: {exc}")
    if row.get("regency_code") and gazetteer is not None and gazetteer.get(row["regency_code"]) is None:
        problems.append(f"regency_code {row['regency_code']!r} is not a Kemendagri region code (see data/regions.csv)")
    if problems:
        return None, problems

    def opt(col: str) -> str | None:
        return row.get(col) or None

    def many(col: str) -> tuple[str, ...]:
        return tuple(p.strip() for p in (row.get(col) or "").split("|") if p.strip())

    hours = row.get("opening_hours")
    return (
        Center(
            code=code, name=row["name"], level=row["level"], province=row["province"], latitude=lat, longitude=lon,
            coord_precision=row["coord_precision"], timezone=row["timezone"], regency_code=opt("regency_code"),
            regency=opt("regency"), address=opt("address"), phone=opt("phone"), whatsapp=opt("whatsapp"),
            email=opt("email"), opening_hours=parse_opening_hours(hours).to_text() if hours else None,
            service_areas=many("service_areas"), services=many("services"), source=opt("source"), notes=opt("notes"),
        ),
        [],
    )


def write_centers_csv(records: Iterable[Center]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow(r.as_row())
    return out.getvalue()


# --- repository ----------------------------------------------------------------------------


class CentersInvalid(Exception):
    """The CSV has bad rows; nothing was imported. `errors` lists them by line."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ImportResult:
    inserted: int
    updated: int


async def list_centers(session: AsyncSession, *, include_inactive: bool = False) -> list[Center]:
    stmt = select(CenterRow).order_by(CenterRow.province, CenterRow.code)
    if not include_inactive:
        stmt = stmt.where(CenterRow.active.is_(True))
    return [Center.from_model(c) for c in (await session.execute(stmt)).scalars()]


async def get_center(session: AsyncSession, code: str) -> Center | None:
    row = (await session.execute(select(CenterRow).where(CenterRow.code == code))).scalar_one_or_none()
    return Center.from_model(row) if row is not None else None


async def import_centers(session: AsyncSession, text: str, *, now: datetime | None = None, gazetteer: Gazetteer | None = None) -> ImportResult:
    """Validate the CSV `text` and upsert every center by `code`, inside the caller's transaction.

    Raises `CentersInvalid` (before writing anything) when any row is bad."""
    records, errors = read_centers_csv(text, gazetteer or Gazetteer.default())
    if errors:
        raise CentersInvalid(errors)
    now = now or datetime.now(UTC)
    existing = {c.code: c for c in (await session.execute(select(CenterRow))).scalars()}
    inserted = updated = 0
    for rec in records:
        values = rec.model_values()
        row = existing.get(rec.code)
        if row is None:
            session.add(CenterRow(**values, active=True, updated_at=now))
            inserted += 1
        else:
            changed = any(getattr(row, k) != v for k, v in values.items()) or not row.active
            for k, v in values.items():
                setattr(row, k, v)
            row.active = True
            if changed:
                row.updated_at = now
                updated += 1
    await session.flush()
    _DIRECTORIES.clear()
    return ImportResult(inserted, updated)


async def seed_centers(session: AsyncSession, content_dir: Path) -> int:
    """Load `data/centers.csv` into an empty centers table (the embedded demo). Returns rows added."""
    count = (await session.execute(select(func.count()).select_from(CenterRow))).scalar_one()
    path = Path(content_dir) / "data" / "centers.csv"
    if count or not path.exists():
        return 0
    gaz = Gazetteer.default(Path(content_dir) / "data") if (Path(content_dir) / "data" / "regions.csv").exists() else None
    result = await import_centers(session, path.read_text(encoding="utf-8"), gazetteer=gaz)
    return result.inserted


# --- the in-memory directory ----------------------------------------------------------------


@dataclass
class CenterDirectory:
    """All active centers with a point index; built from the table, rebuilt when it changes."""

    centers: list[Center]
    index: PointIndex[int] = field(init=False)
    by_code: dict[str, Center] = field(init=False)

    def __post_init__(self) -> None:
        self.index = PointIndex([(i, c.latitude, c.longitude) for i, c in enumerate(self.centers)])
        self.by_code = {c.code: c for c in self.centers}

    def nearest(self, lat: float, lon: float, k: int = 3) -> list[tuple[Center, float]]:
        return [(self.centers[h.key], h.km) for h in self.index.nearest(lat, lon, k)]

    def in_region(self, code: str) -> list[Center]:
        """Centers in a regency (its code) or a province (a two-digit code)."""
        if "." in code:
            return [c for c in self.centers if c.regency_code == code]
        return [c for c in self.centers if (c.regency_code or "").split(".")[0] == code]


_DIRECTORIES: dict[str, tuple[tuple[Any, ...], CenterDirectory]] = {}


async def center_directory(session: AsyncSession) -> CenterDirectory:
    """The directory for this database, reloaded when a center was added, changed or removed."""
    stamp_row = (
        await session.execute(select(func.count(), func.max(CenterRow.updated_at), func.max(CenterRow.id)).where(CenterRow.active.is_(True)))
    ).one()
    stamp = tuple(stamp_row)
    bind = session.bind
    key = str(bind.url) if isinstance(bind, AsyncEngine) else ""
    cached = _DIRECTORIES.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    directory = CenterDirectory(await list_centers(session))
    _DIRECTORIES[key] = (stamp, directory)
    return directory


# --- use cases ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Nearby:
    """The nearest centers to a point, and whether the point looks outside Indonesia or at sea."""

    results: list[tuple[Center, float]]
    outside: bool


def nearest_centers(directory: CenterDirectory, lat: float, lon: float, *, k: int = 3, gazetteer: Gazetteer | None = None) -> Nearby:
    results = directory.nearest(lat, lon, k)
    gaz = gazetteer or Gazetteer.default()
    outside = _far_from_land(gaz, lat, lon)
    return Nearby(results, outside)


_SEAT_INDEX: dict[int, PointIndex[str]] = {}


def _far_from_land(gaz: Gazetteer, lat: float, lon: float) -> bool:
    index = _SEAT_INDEX.get(id(gaz))
    if index is None:
        pts = [(r.code, r.latitude, r.longitude) for r in gaz.regions.values() if r.coords == "seat" and r.latitude is not None]
        index = PointIndex(pts)  # type: ignore[arg-type]
        _SEAT_INDEX[id(gaz)] = index
    hit = index.nearest(lat, lon, 1)
    return not hit or hit[0].km > OUTSIDE_KM


def centers_for_place(directory: CenterDirectory, place: Place, *, k: int = 3) -> Nearby:
    """Centers for a typed place: those nearest to its seat (or capital)."""
    if place.latitude is None or place.longitude is None:
        return Nearby([], False)
    return Nearby(directory.nearest(place.latitude, place.longitude, k), False)


def distance_km(a: Center, lat: float, lon: float) -> float:
    return haversine_km(a.latitude, a.longitude, lat, lon)


def search_link(query: str) -> str:
    return "https://www.google.com/maps/search/?api=1&query=" + quote(query)


__all__ = [
    "CenterDirectory", "Center", "CentersInvalid", "ImportResult", "Nearby", "RowError",
    "center_directory", "centers_for_place", "get_center", "import_centers", "list_centers",
    "nearest_centers", "read_centers_csv", "seed_centers", "write_centers_csv", "Hit",
]
