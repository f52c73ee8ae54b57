"""Settings from environment variables (and an optional `.env`), validated at start."""

from __future__ import annotations

import logging
import re
import sys
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.zones import DEFAULT_ZONE

ROOT = Path(__file__).resolve().parent.parent
"""The checkout (or installed tree) that holds `flows/`, `nlu/`, `locales/`, `data/`."""


_TELEGRAM_TOKEN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


def _url(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    if not re.match(r"^https?://[^\s/]+", v):
        raise ValueError("must be an http:// or https:// URL")
    return v.rstrip("/")


class ConfigError(Exception):
    """A setting has a value the program cannot run with; the message names the variable."""


class Settings(BaseSettings):
    """Every setting of the program, read once (environment, then `.env`) and validated at
    start. A channel is *configured* when its token is set."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    database_url: str = Field(default="sqlite+aiosqlite:///frontdesk.db", alias="DATABASE_URL")
    default_language: Literal["id", "en"] = Field(default="id", alias="FRONTDESK_DEFAULT_LANGUAGE")
    now: datetime | None = Field(default=None, alias="FRONTDESK_NOW")
    content_dir: Path = Field(default=ROOT, alias="FRONTDESK_CONTENT_DIR")
    demo_seed: bool = Field(default=True, alias="FRONTDESK_DEMO_SEED")
    log_level: str = Field(default="INFO", alias="FRONTDESK_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field(default="text", alias="FRONTDESK_LOG_FORMAT")
    db_pool_size: int = Field(default=20, ge=1, le=200, alias="FRONTDESK_DB_POOL_SIZE")

    # --- understanding text (docs/nlu.md) ---
    nlu_backend: Literal["embedded", "rasa"] = Field(default="embedded", alias="NLU_BACKEND")
    rasa_url: AnyHttpUrl | None = Field(default=None, alias="RASA_URL")
    rasa_timeout: float = Field(default=3.0, gt=0, alias="RASA_TIMEOUT")
    nlu_threshold: float = Field(default=0.5, ge=0, le=1, alias="NLU_THRESHOLD")
    nlu_cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "plut-frontdesk" / "nlu",
                                alias="NLU_CACHE_DIR")
    nlu_timezone: str = Field(default=DEFAULT_ZONE, alias="NLU_TIMEZONE")

    # --- channels and the handoff (docs/channels.md) ---
    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_secret: str | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_BASE")
    telegram_rate: float = Field(default=30.0, gt=0, alias="TELEGRAM_RATE_PER_SECOND")
    telegram_chat_rate: float = Field(default=1.0, gt=0, alias="TELEGRAM_CHAT_RATE_PER_SECOND")
    telegram_chat_burst: int = Field(default=3, ge=1, alias="TELEGRAM_CHAT_BURST")
    public_url: str | None = Field(default=None, alias="PUBLIC_URL")

    whatsapp_token: str | None = Field(default=None, alias="WHATSAPP_TOKEN")
    whatsapp_phone_id: str | None = Field(default=None, alias="WHATSAPP_PHONE_ID")
    whatsapp_api_base: str = Field(default="https://graph.facebook.com", alias="WHATSAPP_API_BASE")
    whatsapp_api_version: str = Field(default="22.0", alias="WHATSAPP_API_VERSION")
    whatsapp_verify_token: str | None = Field(default=None, alias="WHATSAPP_VERIFY_TOKEN")
    whatsapp_app_secret: str | None = Field(default=None, alias="WHATSAPP_APP_SECRET")
    whatsapp_reminder_template: str | None = Field(default=None, alias="WHATSAPP_REMINDER_TEMPLATE")
    whatsapp_rate: float = Field(default=80.0, gt=0, alias="WHATSAPP_RATE_PER_SECOND")

    web_chat_secret: str | None = Field(default=None, alias="WEB_CHAT_SECRET")
    web_chat_origins: str = Field(default="*", alias="WEB_CHAT_ORIGINS")

    send_timeout: float = Field(default=10.0, gt=0, alias="CHANNEL_SEND_TIMEOUT")
    message_log_retention_days: int = Field(default=365, ge=0, alias="MESSAGE_LOG_RETENTION_DAYS")
    outbox_lease_seconds: float = Field(default=5.0, ge=1, le=600, alias="OUTBOX_LEASE_SECONDS")
    handoff_escalate_minutes: int = Field(default=15, ge=1, alias="HANDOFF_ESCALATE_MINUTES")
    handoff_expire_hours: int = Field(default=24, ge=1, alias="HANDOFF_EXPIRE_HOURS")
    invite_valid_hours: int = Field(default=72, ge=1, alias="CONSULTANT_INVITE_VALID_HOURS")
    agenda_hour: int = Field(default=7, ge=0, le=23, alias="CONSULTANT_AGENDA_HOUR")

    # --- the per-user flood limit (docs/deploy.md, bot/engine/flood.py) ---
    # A person writes at most a message every few seconds for long; a fast booking taps a
    # dozen buttons in ten to twenty seconds. 20 a minute with 12 at once lets both through
    # untouched, and holds a flood of 1,000 messages to the first 12 and one every 3 s.
    inbound_rate: float = Field(default=20.0, ge=0, le=600, alias="INBOUND_RATE_PER_MINUTE")
    """Messages a minute one account may keep sending; 0 turns the limit off. Off by default
    under FRONTDESK_NOW: a frozen clock lets no time pass between messages, so a scripted
    conversation (tests, demos) would read as a flood; give the variable to have it anyway."""
    inbound_burst: int = Field(default=12, ge=1, le=1000, alias="INBOUND_BURST")
    """Messages one account may send at once before the rate applies."""

    @field_validator("telegram_bot_token")
    @classmethod
    def _tg_token(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not _TELEGRAM_TOKEN.match(v):
            raise ValueError("looks wrong; BotFather gives a token like 123456789:AAH...")
        return v

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _tg_secret(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if not _SECRET.match(v):
            raise ValueError("use 1-256 characters A-Z, a-z, 0-9, _ and -")
        return v

    @field_validator("telegram_api_base", "whatsapp_api_base")
    @classmethod
    def _base(cls, v: str) -> str:
        out = _url(v)
        if out is None:
            raise ValueError("must not be empty")
        return out

    @field_validator("public_url")
    @classmethod
    def _public(cls, v: str | None) -> str | None:
        return _url(v)

    @field_validator("whatsapp_token", "whatsapp_phone_id", "whatsapp_verify_token", "whatsapp_app_secret",
                     "whatsapp_reminder_template")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _no_flood_limit_on_a_frozen_clock(self) -> Settings:
        if self.now is not None and "inbound_rate" not in self.model_fields_set:
            self.inbound_rate = 0.0
        return self

    @property
    def telegram_configured(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def whatsapp_configured(self) -> bool:
        return self.whatsapp_token is not None

    def check(self) -> None:
        """Combinations that cannot work; raises `ConfigError` naming the variable."""
        if self.nlu_backend == "rasa" and self.rasa_url is None:
            raise ConfigError("RASA_URL: required when NLU_BACKEND=rasa, e.g. http://localhost:5005")
        if 0 < self.inbound_rate < 1:
            raise ConfigError(f"INBOUND_RATE_PER_MINUTE: use 0 (no limit) or 1 to 600 messages a minute "
                              f"(got {self.inbound_rate:g})")
        # TELEGRAM_WEBHOOK_SECRET may be empty for long polling; the webhook then refuses every
        # request and `frontdesk telegram set-webhook` asks for it.
        if self.whatsapp_configured:
            for name in ("whatsapp_phone_id", "whatsapp_app_secret", "whatsapp_verify_token"):
                if not getattr(self, name):
                    alias = Settings.model_fields[name].alias
                    raise ConfigError(f"{alias}: required when WHATSAPP_TOKEN is set")

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

    def mask(self, text: str) -> str:
        """`text` with every secret of these settings replaced by `***`."""
        return mask_secrets(text, secrets_of(self))


SECRET_NAMES = ("TOKEN", "SECRET", "PASSWORD")
"""A variable whose name holds one of these is never shown, in messages or logs."""


def masked_url(url: str) -> str:
    """`scheme://user:***@host/db`: a URL with its password taken out."""
    m = re.match(r"^([a-z0-9+.-]+://)([^/@]*?):([^/@]*)@", url, re.I)
    return f"{m.group(1)}{m.group(2)}:***@{url[m.end():]}" if m else url


def _shown(name: str, value: object) -> str:
    if any(word in name for word in SECRET_NAMES):
        return "***"
    if isinstance(value, str) and "://" in value:
        return repr(masked_url(value))
    return repr(value)


def _explain(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        field = err["loc"][0] if err["loc"] else "?"
        info = Settings.model_fields.get(str(field))
        name = info.alias if info is not None and info.alias else str(field)
        lines.append(f"{name}: {err['msg']} (got {_shown(name, err.get('input'))})")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise `ConfigError` naming the bad variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None
    settings.check()
    return settings


def secrets_of(settings: Settings) -> list[str]:
    """The secret values in force: tokens, app secrets and the database password."""
    values = [getattr(settings, name) for name, info in Settings.model_fields.items()
              if info.alias and any(word in info.alias for word in SECRET_NAMES)]
    m = re.match(r"^[a-z0-9+.-]+://[^/@]*?:([^/@]*)@", settings.database_url, re.I)
    if m and m.group(1):
        values.append(m.group(1))
    return [v for v in values if isinstance(v, str) and len(v) >= 4]


def mask_secrets(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def install_secret_mask(settings: Settings, logger: logging.Logger | None = None) -> MaskSecrets:
    """Mask the secrets of `settings` in every line the handlers of `logger` (default: the
    root logger) write."""
    mask = MaskSecrets(secrets_of(settings))
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskSecrets) for f in handler.filters):
            handler.addFilter(mask)
    return mask


class MaskSecrets(logging.Filter):
    """Takes secret values out of every log line that passes the handler it sits on
    (an exception's text may quote a URL with its password, or a request with a token)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        # The template and its values are masked apart, so a formatter that leaves values
        # out (the JSON lines) still can.
        if isinstance(record.msg, str):
            record.msg = mask_secrets(record.msg, self.secrets)
        if isinstance(record.args, tuple):
            record.args = tuple(self._masked(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._masked(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, self.secrets)
        return True

    def _masked(self, value: object) -> object:
        text = value if isinstance(value, str) else str(value)
        masked = mask_secrets(text, self.secrets)
        return masked if masked != text or isinstance(value, str) else value


@lru_cache(maxsize=1)
def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
