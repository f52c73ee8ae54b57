"""How well the date grammar reads owners' date and time phrases (tests/dates/phrases.yml).

    .venv/bin/python bench/dates_corpus.py            # figures
    .venv/bin/python bench/dates_corpus.py --misses   # and every phrase not read exactly

A phrase is read exactly when day, time, part of day, the days to ask about, the week flag
and the problem all match. It is read wrongly when the grammar gives one definite day and
that is not the intended day (nor one of the days to ask about): a booking on a day the
user did not say. A question where a day was meant is inexact, never wrong.
"""

from __future__ import annotations

import argparse
import sys
import time as clock
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.when import When, parse_when  # noqa: E402

CORPUS = ROOT / "tests" / "dates" / "phrases.yml"


@dataclass
class Figures:
    total: int = 0
    exact: int = 0
    wrong: list[tuple[str, When, dict[str, Any]]] = field(default_factory=list)
    misses: list[tuple[str, When, dict[str, Any]]] = field(default_factory=list)

    @property
    def exact_share(self) -> float:
        return self.exact / self.total if self.total else 0.0


def _day(value: Any) -> date | None:
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


def expected_when(entry: dict[str, Any]) -> When:
    at = entry.get("time")
    return When(
        day=_day(entry.get("day")), time=time.fromisoformat(at) if at else None, period=entry.get("part"),
        problem=entry.get("problem") or ("ask" if entry.get("ask") else None),
        choices=tuple(_day(d) for d in entry.get("ask") or ()), week=bool(entry.get("week")),
    )


def matches(got: When, want: When) -> bool:
    problem = "ask" if got.asks else got.problem
    return (got.day, got.time, got.period, problem, got.choices, got.week) == \
        (want.day, want.time, want.period, want.problem, want.choices, want.week)


def wrong_day(got: When, want: When) -> bool:
    """A definite day (or clock time) that is not what was meant; asking is never wrong."""
    if got.time is not None and want.time is not None and got.time != want.time:
        return True
    if got.asks or got.day is None:
        return False
    return got.day != want.day and got.day not in want.choices


def score(path: Path = CORPUS) -> Figures:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    today = _day(data["today"])
    assert today is not None
    figures = Figures()
    for entry in data["phrases"]:
        got = parse_when(entry["say"], today)
        want = expected_when(entry)
        figures.total += 1
        if matches(got, want):
            figures.exact += 1
        else:
            figures.misses.append((entry["say"], got, entry))
            if wrong_day(got, want):
                figures.wrong.append((entry["say"], got, entry))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every phrase not read exactly")
    args = parser.parse_args()
    started = clock.perf_counter()
    f = score()
    elapsed = clock.perf_counter() - started
    print(f"phrases: {f.total}")
    print(f"read exactly: {f.exact} ({f.exact_share:.1%})")
    print(f"read as another day or time without asking: {len(f.wrong)}")
    print(f"time: {elapsed * 1000 / max(f.total, 1):.2f} ms per phrase")
    for say, got, entry in (f.misses if args.misses else f.wrong):
        print(f"  {say!r}: got {got}, want {entry}")


if __name__ == "__main__":
    main()
