"""NLU settings from the environment: which backend, where Rasa is, the threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.zones import DEFAULT_ZONE


def _default_cache() -> Path:
    return Path.home() / ".cache" / "plut-frontdesk" / "nlu"


class NLUSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    backend: Literal["embedded", "rasa"] = Field(default="embedded", alias="NLU_BACKEND")
    rasa_url: AnyHttpUrl | None = Field(default=None, alias="RASA_URL")
    rasa_timeout: float = Field(default=3.0, gt=0, alias="RASA_TIMEOUT")
    threshold: float = Field(default=0.5, ge=0, le=1, alias="NLU_THRESHOLD")
    cache_dir: Path = Field(default_factory=_default_cache, alias="NLU_CACHE_DIR")
    timezone: str = Field(default=DEFAULT_ZONE, alias="NLU_TIMEZONE")

    @model_validator(mode="after")
    def _rasa_needs_url(self) -> NLUSettings:
        if self.backend == "rasa" and self.rasa_url is None:
            raise ValueError("NLU_BACKEND=rasa needs RASA_URL, e.g. http://localhost:5005")
        return self
