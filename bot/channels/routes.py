"""The platform webhooks: marked for the web server's direct lane (`bot/web/hot.py`), and
added only for the channels that are configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from bot.app import FrontDesk


def hot(route: Route) -> Route:
    """Mark `route` (a plain path, no parameters, an async endpoint that handles its own
    errors) to be served directly by `HotStarlette`."""
    if route.param_convertors:
        raise ValueError(f"a hot route has a fixed path: {route.path}")
    route.hot = True  # type: ignore[attr-defined]
    return route


# The platform modules import their client library (aiogram, pywa: seconds of import);
# they are imported only when their channel is configured (`ChannelSettings`).


def telegram_routes(app: FrontDesk) -> list[BaseRoute]:
    """The Telegram webhook, when Telegram is configured."""
    from bot.channels.settings import channel_settings

    if not channel_settings(app).telegram_configured:
        return []
    from bot.channels import telegram

    return telegram.routes(app)


def whatsapp_routes(app: FrontDesk) -> list[BaseRoute]:
    """The WhatsApp webhook, when WhatsApp is configured."""
    from bot.channels.settings import channel_settings

    if not channel_settings(app).whatsapp_configured:
        return []
    from bot.channels import whatsapp

    return whatsapp.routes(app)
