"""The interface every NLU backend offers to the engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class NLUBackend(Protocol):
    threshold: float
    """Below this confidence the bot does not act on the intent (it offers choices instead)."""

    async def parse(self, text: str, *, now: datetime, lang: str | None = None) -> dict[str, Any]:
        """Rasa `/model/parse` shape. Never raises on odd input (empty, emoji, very long)."""
        ...

    async def reload(self) -> None:
        """Pick up changed training data or FAQ content (admins edit them at run time)."""
        ...


def empty_parse(text: str, lang: str | None = None) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.0},
        "intent_ranking": [],
        "entities": [],
        "language": lang,
    }
