"""Which language a first message is in (`bot.nlu.language.detect_language`)."""

from __future__ import annotations

import pytest

from bot.nlu.language import detect_language


@pytest.mark.parametrize(("text", "lang"), [
    ("mo booking konsul min", "id"),      # lingua alone reads "booking" as English
    ("mw konsul dong", "id"),
    ("pengen booking", "id"),
    ("saya di bantul", "id"),
    ("I am in Garut", "en"),
    ("book a consultation please", "en"),
    ("Is there a PLUT in Jayapura?", "en"),
])
def test_short_chat_messages(text: str, lang: str) -> None:
    assert detect_language(text) == lang
