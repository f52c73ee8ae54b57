"""The conversation tests (`tests/conversations/*.yml`, `bot/testing/conversations.py`): one
test per conversation, played against the in-process engine on its own SQLite copy.

A conversation marked `status: pending` describes behaviour that is not built yet: it is
expected to fail (xfail, strict), so the day it passes this run fails until the marker goes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.testing.conversations import ConversationRunner, ConversationSpec, load_conversations

FOLDER = Path(__file__).resolve().parent / "conversations"
SPECS = load_conversations(FOLDER)


@pytest.fixture(scope="module")
def runner() -> Iterator[ConversationRunner]:
    with ConversationRunner() as r:
        yield r


def _param(spec: ConversationSpec) -> object:
    marks = [pytest.mark.xfail(strict=True, reason="status: pending (behaviour not built yet)")] if spec.pending else []
    return pytest.param(spec, id=spec.name, marks=marks)


@pytest.mark.parametrize("spec", [_param(s) for s in SPECS])
def test_conversation(runner: ConversationRunner, spec: ConversationSpec) -> None:
    result = runner.run(spec)
    assert result.passed, "\n" + result.explain()


def test_half_of_the_conversations_are_held_out() -> None:
    held = sum(s.heldout for s in SPECS)
    assert abs(2 * held - len(SPECS)) <= 2, f"{held} of {len(SPECS)} held out; keep the halves even"
