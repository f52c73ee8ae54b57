"""A running Rasa server as the NLU backend (`NLU_BACKEND=rasa`, `RASA_URL`).

The bot asks Rasa's `POST /model/parse`. Rasa answers retrieval intents as `faq`
with the full `faq/<topic>` in its response selector; we put the full name back
so FAQ answers work the same. Entities come from our own extractors (city with the
gazetteer, datetime against the bot's clock, service area, booking reference), so
flows see the same entities whichever backend runs. If Rasa cannot be reached the
parse is a fallback (the bot offers choices), never an exception.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bot.nlu.base import empty_parse
from bot.nlu.data import load_training_data
from bot.nlu.entities import DEFAULT_TZ, EntityExtractor
from bot.nlu.faq import FaqStore

log = logging.getLogger(__name__)


class RasaHTTPNLU:
    def __init__(
        self,
        url: str,
        nlu_dir: Path,
        *,
        faq_dir: Path | None = None,
        regions_csv: Path | None = None,
        threshold: float = 0.5,
        timeout: float = 3.0,
        timezone: str = DEFAULT_TZ,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.nlu_dir = Path(nlu_dir)
        self.regions_csv = regions_csv
        self.threshold = threshold
        self.timezone = timezone
        self.faq = FaqStore(faq_dir)
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._entities = self._build_entities()

    def _build_entities(self) -> EntityExtractor:
        return EntityExtractor.build(load_training_data(self.nlu_dir), self.regions_csv)

    async def reload(self) -> None:
        self._entities = self._build_entities()
        self.faq.reload()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def parse(self, text: str, *, now: datetime, lang: str | None = None, tz: str | None = None) -> dict[str, Any]:
        text = text if isinstance(text, str) else ""
        try:
            response = await self._client.post(f"{self.url}/model/parse", json={"text": text[:4000]})
            response.raise_for_status()
            raw = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("Rasa at %s did not answer /model/parse: %s", self.url, exc)
            out = empty_parse(text, lang)
            out["entities"] = self._entities.extract(text, now, tz or self.timezone)
            return out
        return self.convert(raw, text, now=now, lang=lang, tz=tz)

    def convert(self, raw: dict[str, Any], text: str, *, now: datetime, lang: str | None, tz: str | None = None) -> dict[str, Any]:
        intent = dict(raw.get("intent") or {"name": "nlu_fallback", "confidence": 0.0})
        ranking = [dict(r) for r in raw.get("intent_ranking") or []]
        base = intent.get("name")
        full = _retrieval_name(raw, base)
        if full:
            for r in [intent, *ranking]:
                if r.get("name") == base:
                    r["name"] = full
        return {
            "text": text,
            "intent": {"name": intent.get("name"), "confidence": float(intent.get("confidence") or 0.0)},
            "intent_ranking": [{"name": r.get("name"), "confidence": float(r.get("confidence") or 0.0)} for r in ranking],
            "entities": self._entities.extract(text, now, tz or self.timezone),
            "language": lang,
        }


def _retrieval_name(raw: dict[str, Any], base: str | None) -> str | None:
    """`faq` + response selector -> `faq/opening_hours` (Rasa 3 puts it in `intent_response_key`)."""
    if not base or "/" in base:
        return None
    selector = (raw.get("response_selector") or {}).get(base) or (raw.get("response_selector") or {}).get("default")
    if not selector:
        return None
    resp = selector.get("response") or {}
    key = resp.get("intent_response_key") or resp.get("full_retrieval_intent_name")
    if isinstance(key, str) and key.startswith(base + "/"):
        return key
    return None
