"""Owners' date and time phrases (tests/dates/phrases.yml) against the grammar."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("dates_corpus", Path(__file__).resolve().parents[2] / "bench" / "dates_corpus.py")
assert _spec and _spec.loader
corpus = importlib.util.module_from_spec(_spec)
sys.modules["dates_corpus"] = corpus  # dataclasses look their module up
_spec.loader.exec_module(corpus)


def test_the_corpus_is_large_and_read_right() -> None:
    figures = corpus.score()
    assert figures.total >= 400
    assert not figures.wrong, figures.wrong  # never another day or time without asking
    assert figures.exact_share >= 0.98, figures.misses


def test_the_scoring_counts_a_wrong_day_and_forgives_a_question() -> None:
    from datetime import date, time

    from bot.domain.when import When

    want = corpus.expected_when({"say": "x", "day": "2026-12-14", "time": "10:00"})
    assert corpus.matches(When(day=date(2026, 12, 14), time=time(10)), want)
    assert corpus.wrong_day(When(day=date(2026, 11, 30), time=time(10)), want)
    assert corpus.wrong_day(When(day=date(2026, 12, 14), time=time(22)), want)
    asked = When(problem="conflict", choices=(date(2026, 12, 14), date(2026, 12, 15)))
    assert not corpus.wrong_day(asked, want) and not corpus.matches(asked, want)



def test_a_long_message_is_read_only_as_far_as_an_answer_goes() -> None:
    """10,000 characters of "besok jam 10" took 0.4 s to join part by part; an answer is short."""
    from bot.domain.when import MAX_ANSWER_CHARS, parse_when

    today = corpus._day("2026-11-24")
    assert parse_when("x" * (MAX_ANSWER_CHARS - 6) + " besok", today).day is not None
    assert parse_when("x" * MAX_ANSWER_CHARS + " besok", today).empty
