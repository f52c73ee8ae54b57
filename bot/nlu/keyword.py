"""A minimal NLU used until a trained model is available: it recognises nothing,
so every free text goes to the fallback and the menu. Kept for tests of the engine
that must not depend on a classifier."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.nlu.base import empty_parse


class NullNLU:
    threshold = 0.5

    async def parse(self, text: str, *, now: datetime, lang: str | None = None) -> dict[str, Any]:
        return empty_parse(text, lang)

    async def reload(self) -> None:
        return None
