"""`frontdesk telegram …`: register the webhook and the command menu, show the webhook state."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

app = typer.Typer(help="Telegram bot: webhook and command menu.", no_args_is_help=True)


def _settings():  # type: ignore[no-untyped-def]
    from bot.channels.settings import settings_for_command

    return settings_for_command("telegram")


@app.command("set-webhook")
def set_webhook(
    drop_pending: Annotated[bool, typer.Option(help="Drop updates Telegram holds for the bot.")] = False,
) -> None:
    """Register PUBLIC_URL/telegram/webhook with the secret, and the commands of both languages."""
    from bot.channels.telegram import register_webhook

    cs = _settings()
    if not cs.telegram_webhook_secret:
        typer.echo("frontdesk: TELEGRAM_WEBHOOK_SECRET is not set (the webhook refuses requests without it)", err=True)
        raise typer.Exit(2)
    if not cs.public_url:
        typer.echo("frontdesk: PUBLIC_URL is not set (the https address Telegram can reach)", err=True)
        raise typer.Exit(2)
    url = f"{cs.public_url}/telegram/webhook"

    asyncio.run(register_webhook(cs, url, drop_pending=drop_pending))
    typer.echo(f"webhook set to {url}; commands set for id and en")


@app.command("delete-webhook")
def delete_webhook() -> None:
    """Remove the webhook (for `frontdesk run --telegram-polling`)."""
    from bot.channels.telegram import make_bot

    cs = _settings()

    async def main() -> None:
        bot = make_bot(cs)
        try:
            await bot.delete_webhook()
        finally:
            await bot.session.close()

    asyncio.run(main())
    typer.echo("webhook removed")


@app.command("webhook-info")
def webhook_info() -> None:
    """What Telegram knows about our webhook (URL, pending updates, last error)."""
    from bot.channels.telegram import make_bot

    cs = _settings()

    async def main() -> None:
        bot = make_bot(cs)
        try:
            info = await bot.get_webhook_info()
        finally:
            await bot.session.close()
        typer.echo(f"url: {info.url or '-'}\npending updates: {info.pending_update_count}\n"
                   f"last error: {info.last_error_message or '-'}")

    asyncio.run(main())
