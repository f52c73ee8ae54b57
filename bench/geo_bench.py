"""Nearest-center and typed-place lookup speed with 500 centers.

    python bench/geo_bench.py            # prints p50/p99/max per lookup kind

The 28 real centers of data/centers.csv plus synthetic ones at jittered regency seats make 500;
lookups are what the flow does per message after the directory is loaded (no database trip).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import ROOT  # noqa: E402
from bot.domain.centers import Center  # noqa: E402
from bot.services.centers import CenterDirectory, nearest_centers, read_centers_csv  # noqa: E402
from bot.services.gazetteer import Gazetteer  # noqa: E402

QUERIES = [
    "plut terdekat dari Maros", "PLUT di Jogja", "where is the center in Kendari", "Smarang", "kab semarang",
    "Kab. Malang", "kota malang", "Solo", "Ujung Pandang", "makasar", "Singaraja", "labuan bajo",
    "South Jakarta", "Surabya", "Kendary", "biak", "gunung kidul", "Sidrap", "Atlantis", "malang jawa timur",
    "saya tinggal di kabupaten lombok tengah", "Bandung", "Pangkep", "Toba Samosir", "Palangka Raya",
]


def percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    s = sorted(samples_ns)
    p = lambda q: s[min(len(s) - 1, int(q * len(s)))] / 1e6  # noqa: E731
    return p(0.50), p(0.99), s[-1] / 1e6


def main(n: int = 20000) -> None:
    rng = random.Random(42)
    gaz = Gazetteer.default()
    real, errors = read_centers_csv((ROOT / "data" / "centers.csv").read_text(encoding="utf-8"), gaz)
    assert not errors
    seats = [r for r in gaz.regions.values() if r.coords == "seat"]
    synthetic = []
    for i in range(500 - len(real)):
        r = rng.choice(seats)
        synthetic.append(
            Center(
                code=f"bench-{i}", name=f"Bench {i}", level="regency", province=r.province,
                latitude=r.latitude + rng.uniform(-0.05, 0.05), longitude=r.longitude + rng.uniform(-0.05, 0.05),  # type: ignore[operator]
                coord_precision="building", timezone=r.timezone, regency_code=r.code,
            )
        )
    directory = CenterDirectory(real + synthetic)
    assert len(directory.centers) == 500
    points = [(rng.uniform(-11, 6), rng.uniform(95, 141)) for _ in range(n)]

    for lat, lon in points[:200]:  # warm up
        nearest_centers(directory, lat, lon, gazetteer=gaz)
        gaz.resolve(QUERIES[int(lat * 100) % len(QUERIES)])

    near: list[int] = []
    for lat, lon in points:
        t0 = time.perf_counter_ns()
        nearest_centers(directory, lat, lon, gazetteer=gaz)
        near.append(time.perf_counter_ns() - t0)
    typed: list[int] = []
    for i in range(n):
        q = QUERIES[i % len(QUERIES)]
        t0 = time.perf_counter_ns()
        gaz.resolve(q)
        typed.append(time.perf_counter_ns() - t0)
    typed_then_nearest: list[int] = []
    for i in range(n):
        q = QUERIES[i % len(QUERIES)]
        t0 = time.perf_counter_ns()
        res = gaz.resolve(q)
        if res.place is not None:
            directory.nearest(res.place.latitude, res.place.longitude, 3)  # type: ignore[arg-type]
        typed_then_nearest.append(time.perf_counter_ns() - t0)

    print(f"500 centers, {n} lookups each (ms)")
    for name, samples in (("nearest center (3, with at-sea check)", near), ("typed place resolve", typed), ("typed place + nearest", typed_then_nearest)):
        p50, p99, worst = percentiles(samples)
        print(f"  {name:40} p50 {p50:.4f}  p99 {p99:.4f}  max {worst:.3f}  mean {statistics.fmean(samples) / 1e6:.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
