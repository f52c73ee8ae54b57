"""Settings from environment variables (and an optional `.env`), validated at start."""

from __future__ import annotations

import sys
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
"""The checkout (or installed tree) that holds `flows/`, `nlu/`, `locales/`, `data/`."""


class ConfigError(Exception):
    """A setting has a value the program cannot run with; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="sqlite+aiosqlite:///frontdesk.db", alias="DATABASE_URL")
    default_language: Literal["id", "en"] = Field(default="id", alias="FRONTDESK_DEFAULT_LANGUAGE")
    now: datetime | None = Field(default=None, alias="FRONTDESK_NOW")
    content_dir: Path = Field(default=ROOT, alias="FRONTDESK_CONTENT_DIR")
    demo_seed: bool = Field(default=True, alias="FRONTDESK_DEMO_SEED")
    log_level: str = Field(default="INFO", alias="FRONTDESK_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(default="text", alias="FRONTDESK_LOG_FORMAT")
    db_pool_size: int = Field(default=20, ge=1, le=200, alias="FRONTDESK_DB_POOL_SIZE")

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, v: str) -> str:
        if v.startswith("sqlite:///"):
            v = "sqlite+aiosqlite:///" + v[len("sqlite:///") :]
        if v.startswith(("postgres://", "postgresql://")):
            v = "postgresql+asyncpg://" + v.split("://", 1)[1]
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return v

    @field_validator("now")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("give an ISO-8601 datetime with an offset, e.g. 2026-11-23T09:00:00+07:00")
        return v

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _explain(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        field = err["loc"][0] if err["loc"] else "?"
        info = Settings.model_fields.get(str(field))
        name = info.alias if info is not None and info.alias else str(field)
        lines.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise `ConfigError` naming the bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


@lru_cache(maxsize=1)
def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
