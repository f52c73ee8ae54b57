"""The channels the outbox can deliver to, registered by the composition root (`FrontDesk`).

Each platform channel brings its transport (the API calls), its renderer (the one place a
`Reply` becomes the platform's parts) and its button-payload limit. The terminal, the
try-it page and consultants without a linked account cannot be reached after the
conversation: what would be pushed to them is written to the delivery log."""

from __future__ import annotations

from typing import Any

from bot.channels import whatsapp
from bot.channels.transports import telegram_factory, whatsapp_factory
from bot.outbox import ChannelSpec, register_channel, register_transport
from bot.outbox.worker import LogTransport


TELEGRAM = "telegram"
"""`bot.channels.telegram.CHANNEL`, named here so a start without Telegram does not import aiogram."""


def _telegram_parts(reply: dict[str, Any]) -> list[dict[str, Any]]:
    from bot.channels import telegram  # aiogram: imported once something goes to Telegram

    return telegram.reply_parts(reply)


def _telegram_payload_fits(payload: str) -> bool:
    from bot.channels import telegram

    return telegram.payload_fits(payload)


def register_channels() -> None:
    register_channel(TELEGRAM, ChannelSpec(transport=telegram_factory, render=_telegram_parts,
                                           payload_fits=_telegram_payload_fits))
    register_channel(whatsapp.CHANNEL, ChannelSpec(transport=whatsapp_factory, render=whatsapp.reply_parts,
                                                   payload_fits=whatsapp.payload_fits))
    for name in ("log", "cli", "web"):
        register_transport(name, lambda app: LogTransport())
