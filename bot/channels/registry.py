"""The channels the outbox can deliver to, registered by the composition root (`FrontDesk`).

Each platform channel brings its transport (the API calls), its renderer (the one place a
`Reply` becomes the platform's parts) and its button-payload limit. The terminal, the
try-it page cannot be reached after the conversation: what would be pushed to them is
written to the delivery log. Consultants without a linked account read theirs in the
inbox of `/admin` (channel `inbox`).

The platform modules are imported when first used, not here: aiogram's and pywa's models
take seconds to import and leave a large heap, which `frontdesk chat`, the CLI and a
process that never posts to a platform do not need."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bot.channels.transports import telegram_factory, whatsapp_factory
from bot.outbox import ChannelSpec, register_channel, register_transport
from bot.outbox.worker import InboxTransport, LogTransport
from bot.services.consultant_link import INBOX_CHANNEL


def _telegram() -> ModuleType:
    from bot.channels import telegram

    return telegram


def _whatsapp() -> ModuleType:
    from bot.channels import whatsapp

    return whatsapp


def _telegram_parts(reply: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = _telegram().reply_parts(reply)
    return parts


def _whatsapp_parts(reply: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = _whatsapp().reply_parts(reply)
    return parts


def _telegram_fits(payload: str) -> bool:
    return bool(_telegram().payload_fits(payload))


def _whatsapp_fits(payload: str) -> bool:
    return bool(_whatsapp().payload_fits(payload))


def register_channels() -> None:
    register_channel("telegram", ChannelSpec(transport=telegram_factory, render=_telegram_parts,
                                             payload_fits=_telegram_fits))
    register_channel("whatsapp", ChannelSpec(transport=whatsapp_factory, render=_whatsapp_parts,
                                             payload_fits=_whatsapp_fits))
    for name in ("log", "cli", "web"):
        register_transport(name, lambda app: LogTransport())
    register_transport(INBOX_CHANNEL, lambda app: InboxTransport())
