"""The channel settings are part of the one `bot.config.Settings` (read and validated once,
at start); these helpers keep the channel code's names for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.app import FrontDesk

ChannelSettings = Settings


def load_channel_settings(**overrides: Any) -> Settings:
    return load_settings(**overrides)


def channel_settings(app: FrontDesk) -> Settings:
    """The settings of a running front desk."""
    return app.settings


def settings_for_command(channel: str) -> ChannelSettings:
    """The channel settings for a `frontdesk telegram|whatsapp …` command, or exit 2 with the
    reason (a bad value, or the channel's token not set)."""
    import typer

    try:
        cs = load_settings()
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
