"""`frontdesk whatsapp …`: check the configuration and send a test message."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

app = typer.Typer(help="WhatsApp Cloud API: configuration check and a test message.", no_args_is_help=True)


def _settings():  # type: ignore[no-untyped-def]
    from bot.channels.settings import settings_for_command

    return settings_for_command("whatsapp")


@app.command()
def check() -> None:
    """Show what the webhook needs to be configured in Meta's app dashboard."""
    cs = _settings()
    url = f"{cs.public_url}/whatsapp/webhook" if cs.public_url else "<PUBLIC_URL>/whatsapp/webhook"
    typer.echo(f"callback URL: {url}\nverify token: set\napp secret: set\nphone number id: {cs.whatsapp_phone_id}\n"
               f"reminder template: {cs.whatsapp_reminder_template or '(not set: reminders outside the 24-hour window fail)'}")


@app.command("send-test")
def send_test(
    to: Annotated[str, typer.Argument(help="Recipient number in international form, e.g. 6281234567890.")],
    text: Annotated[str, typer.Argument(help="Message text.")] = "Tes dari PLUT Front Desk",
) -> None:
    """Send one text message now (not through the outbox), to check the token and number."""
    from bot.channels.whatsapp import close_client, make_client

    cs = _settings()

    async def main() -> str:
        wa = make_client(cs)
        try:
            sent = await wa.send_message(to, text)
        finally:
            await close_client(wa)
        return sent.id

    typer.echo(f"sent: {asyncio.run(main())}")
