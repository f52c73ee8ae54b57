"""Settings of the Telegram and WhatsApp channels and of the human handoff.

Kept apart from `bot.config.Settings` so the core runs without any channel. A channel
is *configured* when its token is set; a bad value stops the program with a message
naming the variable (`ConfigError`, like the core settings).
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import ConfigError

if TYPE_CHECKING:
    from bot.app import FrontDesk

_TELEGRAM_TOKEN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


def _url(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    if not re.match(r"^https?://[^\s/]+", v):
        raise ValueError("must be an http:// or https:// URL")
    return v.rstrip("/")


class ChannelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

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

    send_timeout: float = Field(default=10.0, gt=0, alias="CHANNEL_SEND_TIMEOUT")
    handoff_escalate_minutes: int = Field(default=15, ge=1, alias="HANDOFF_ESCALATE_MINUTES")
    handoff_expire_hours: int = Field(default=24, ge=1, alias="HANDOFF_EXPIRE_HOURS")
    invite_valid_hours: int = Field(default=72, ge=1, alias="CONSULTANT_INVITE_VALID_HOURS")
    agenda_hour: int = Field(default=7, ge=0, le=23, alias="CONSULTANT_AGENDA_HOUR")

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

    @property
    def telegram_configured(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def whatsapp_configured(self) -> bool:
        return self.whatsapp_token is not None

    def check(self) -> None:
        """Combinations that cannot work; raises `ConfigError` naming the variable."""
        # TELEGRAM_WEBHOOK_SECRET may be empty for long polling; the webhook then refuses every
        # request and `frontdesk telegram set-webhook` asks for it.
        if self.whatsapp_configured:
            for name in ("whatsapp_phone_id", "whatsapp_app_secret", "whatsapp_verify_token"):
                if not getattr(self, name):
                    alias = ChannelSettings.model_fields[name].alias
                    raise ConfigError(f"{alias}: required when WHATSAPP_TOKEN is set")


def load_channel_settings(**overrides: Any) -> ChannelSettings:
    try:
        cs = ChannelSettings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            info = ChannelSettings.model_fields.get(field)
            name = info.alias if info is not None and info.alias else field
            shown = "***" if "TOKEN" in name or "SECRET" in name else repr(err.get("input"))
            lines.append(f"{name}: {err['msg']} (got {shown})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    cs.check()
    return cs


def channel_settings(app: FrontDesk) -> ChannelSettings:
    """The channel settings of a running front desk (read once from the environment).
    Tests set `app.channel_settings` directly."""
    cs = getattr(app, "channel_settings", None)
    if cs is None:
        try:
            cs = load_channel_settings()
        except ConfigError as exc:
            print(f"frontdesk: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        app.channel_settings = cs  # type: ignore[attr-defined]
    return cs


def settings_for_command(channel: str) -> ChannelSettings:
    """The channel settings for a `frontdesk telegram|whatsapp …` command, or exit 2 with the
    reason (a bad value, or the channel's token not set)."""
    import typer

    try:
        cs = load_channel_settings()
    except ConfigError as exc:
        typer.echo(f"frontdesk: {exc}", err=True)
        raise typer.Exit(2) from None
    configured, token = {
        "telegram": (cs.telegram_configured, "TELEGRAM_BOT_TOKEN"),
        "whatsapp": (cs.whatsapp_configured, "WHATSAPP_TOKEN"),
    }[channel]
    if not configured:
        typer.echo(f"frontdesk: {token} is not set", err=True)
        raise typer.Exit(2)
    return cs
