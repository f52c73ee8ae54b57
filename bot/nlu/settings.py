"""The NLU's part of the settings (`bot.config.Settings`, read and validated once):
which backend, where Rasa is, the threshold, the model cache, the default zone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings


@dataclass(frozen=True, slots=True)
class NLUSettings:
    backend: str
    rasa_url: str | None
    rasa_timeout: float
    threshold: float
    cache_dir: Path
    timezone: str

    @classmethod
    def of(cls, settings: Settings) -> NLUSettings:
        return cls(backend=settings.nlu_backend, rasa_url=str(settings.rasa_url) if settings.rasa_url else None,
                   rasa_timeout=settings.rasa_timeout, threshold=settings.nlu_threshold, cache_dir=settings.nlu_cache_dir,
                   timezone=settings.nlu_timezone)
