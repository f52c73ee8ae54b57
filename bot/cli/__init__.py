"""The `frontdesk` command."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.config import install_secret_mask, masked_url, settings_or_exit

app = typer.Typer(help="PLUT Front Desk: the bilingual chat-bot front desk of PLUT-KUMKM centers.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
flows_app = typer.Typer(help="Dialogue flows.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(flows_app, name="flows")


def _add_subcommands() -> None:
    # Imported here, after `app` exists: the sub-apps import `make_app` from this module.
    from bot.cli import admin, bookings, centers, consultants, knowledge, nlu, outbox, telegram, testing, whatsapp

    for name, module in (("nlu", nlu), ("knowledge", knowledge), ("centers", centers), ("consultants", consultants),
                         ("bookings", bookings), ("outbox", outbox), ("telegram", telegram), ("whatsapp", whatsapp),
                         ("admin", admin), ("test", testing)):
        app.add_typer(module.app, name=name)



def _setup_logging() -> None:
    settings = settings_or_exit()
    level = settings.log_level.upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_secret_mask(settings)  # tokens and the database password never reach a log line
    # Alembic narrates every plugin it loads at INFO; the upgrade itself is what matters.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


def make_app():  # type: ignore[no-untyped-def]
    """The `FrontDesk` for a command; a broken flow or setting stops it with the reason."""
    from bot.app import FrontDesk
    from bot.engine.flows import FlowsInvalid

    settings = settings_or_exit()
    try:
        return FrontDesk(settings)
    except FlowsInvalid as exc:
        typer.echo(f"frontdesk: the flows have errors:\n{exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def run(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    telegram_polling: Annotated[bool, typer.Option("--telegram-polling", help="Fetch Telegram updates by long polling instead of a webhook.")] = False,
    worker: Annotated[bool, typer.Option(help="Also deliver outbox messages from this process.")] = True,
) -> None:
    """Run the bot: HTTP server (try-it page at /, /healthz, configured channels)."""
    import uvicorn

    from bot.web.app import create_app

    _setup_logging()
    frontdesk = make_app()
    frontdesk.telegram_polling = telegram_polling
    web = create_app(frontdesk, background=worker, settle_heap=True)
    typer.echo(f"PLUT Front Desk on http://{host}:{port}/  (database: {masked_url(frontdesk.settings.database_url)})")
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False)


@app.command()
def chat(
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Read JSON lines, print one JSON line per input (for scripts).")] = False,
    user: Annotated[str, typer.Option(help="User id for the interactive chat.")] = "local",
) -> None:
    """Talk to the bot in the terminal (channel `cli`), on the same engine and database."""
    from bot.channels.cli import run_interactive, run_jsonl

    frontdesk = make_app()

    async def main() -> None:
        await frontdesk.start()
        try:
            if jsonl:
                await run_jsonl(frontdesk, sys.stdin, sys.stdout)
            else:
                await run_interactive(frontdesk, user)
        finally:
            await frontdesk.close()

    asyncio.run(main())


@app.command()
def worker() -> None:
    """Deliver outbox messages (notifications, replies, reminders) until stopped."""
    import signal

    from bot.outbox.worker import Worker

    _setup_logging()
    frontdesk = make_app()

    async def main() -> None:
        await frontdesk.start(seed=False)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await Worker(frontdesk).run(stop)
        finally:
            await frontdesk.close()

    asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from bot.storage.db import upgrade_schema

    settings = settings_or_exit()
    upgrade_schema(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration."""
    from alembic import command

    from bot.storage.db import alembic_config

    command.current(alembic_config(settings_or_exit().database_url))


@flows_app.command("check")
def flows_check(
    directory: Annotated[Path | None, typer.Argument(help="Folder of flow files (default: flows/ of the content).")] = None,
) -> None:
    """Validate every flow file; print each error as FILE:LINE: message."""
    from bot.dialogue import register_actions
    from bot.engine.actions import action_names
    from bot.engine.flows import FlowsInvalid, load_flows

    register_actions()
    folder = directory or settings_or_exit().content_dir / "flows"
    try:
        registry = load_flows(folder, action_names())
    except FlowsInvalid as exc:
        for err in exc.errors:
            typer.echo(str(err), err=True)
        typer.echo(f"{len(exc.errors)} error(s)", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{len(registry.flows)} flows OK")


@flows_app.command("list")
def flows_list() -> None:
    """List the flows with their triggers."""
    frontdesk = make_app()
    for name, flow in sorted(frontdesk.flows.flows.items()):
        trig = ", ".join(flow.triggers.intents + [f"/{c}" for c in flow.triggers.commands])
        typer.echo(f"{name:24} {trig}")


_add_subcommands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
