"""Distances on the Earth and the k nearest points: pure, no I/O.

Straight-line (great-circle) distance is what we can honestly tell a user without a
routing service; it is shown as such ("±12,5 km in a straight line").
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG)."""

K = TypeVar("K", bound=Hashable)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def valid_point(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


@dataclass(frozen=True, slots=True)
class Hit(Generic[K]):
    key: K
    km: float


class PointIndex(Generic[K]):
    """The k nearest of a fixed set of points, by great-circle distance.

    A vectorised scan: for the few hundred PLUT centers it takes tens of microseconds,
    which is simpler and faster than a tree at this size (see bench/geo_bench.py)."""

    def __init__(self, points: Sequence[tuple[K, float, float]]) -> None:
        self.keys: list[K] = [p[0] for p in points]
        lat = np.radians(np.array([p[1] for p in points], dtype=np.float64))
        self._lat = lat
        self._lon = np.radians(np.array([p[2] for p in points], dtype=np.float64))
        self._cos_lat = np.cos(lat)

    def __len__(self) -> int:
        return len(self.keys)

    def nearest(self, lat: float, lon: float, k: int = 3) -> list[Hit[K]]:
        """The `k` nearest points to (lat, lon), nearest first, with their distance in km."""
        n = len(self.keys)
        if n == 0 or k <= 0:
            return []
        if not valid_point(lat, lon):
            raise ValueError(f"not a point on the Earth: {lat!r}, {lon!r}")
        plat, plon = math.radians(lat), math.radians(lon)
        a = np.sin((self._lat - plat) / 2) ** 2 + math.cos(plat) * self._cos_lat * np.sin((self._lon - plon) / 2) ** 2
        if k < n:
            idx = np.argpartition(a, k - 1)[:k]
            idx = idx[np.argsort(a[idx], kind="stable")]
        else:
            idx = np.argsort(a, kind="stable")
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a[idx], 1.0)))
        return [Hit(self.keys[i], float(d)) for i, d in zip(idx.tolist(), km.tolist(), strict=True)]


def maps_link(lat: float, lon: float) -> str:
    """A link that opens directions to the point in the user's maps app or browser."""
    return f"https://www.google.com/maps/dir/?api=1&destination={lat:.6f},{lon:.6f}"
