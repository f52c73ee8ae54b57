"""The channels the outbox can deliver to, registered by the composition root (`FrontDesk`).

Each platform channel brings its transport (the API calls), its renderer (the one place a
`Reply` becomes the platform's parts) and its button-payload limit. The terminal, the
try-it page and consultants without a linked account cannot be reached after the
conversation: what would be pushed to them is written to the delivery log."""

from __future__ import annotations

from bot.channels import telegram, whatsapp
from bot.channels.transports import telegram_factory, whatsapp_factory
from bot.outbox import ChannelSpec, register_channel, register_transport
from bot.outbox.worker import LogTransport


def register_channels() -> None:
    register_channel(telegram.CHANNEL, ChannelSpec(transport=telegram_factory, render=telegram.reply_parts,
                                                   payload_fits=telegram.payload_fits))
    register_channel(whatsapp.CHANNEL, ChannelSpec(transport=whatsapp_factory, render=whatsapp.reply_parts,
                                                   payload_fits=whatsapp.payload_fits))
    for name in ("log", "cli", "web"):
        register_transport(name, lambda app: LogTransport())
