"""The `frontdesk` command."""

from __future__ import annotations

import asyncio
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
    from bot.observability.logging import setup

    settings = settings_or_exit()
    setup(settings.log_level, settings.log_format)
    install_secret_mask(settings)  # tokens and the database password never reach a log line


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
    worker: Annotated[bool, typer.Option(help="Also deliver outbox messages and run the periodic jobs in this process (--no-worker when `frontdesk worker` processes do).")] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Web processes sharing the port (PostgreSQL only; see docs/deploy.md).")] = 1,
) -> None:
    """Run the bot: HTTP server (try-it page at /, /healthz, /readyz, /metrics, configured channels)."""
    import uvicorn

    _setup_logging()
    settings = settings_or_exit()
    if workers > 1:
        if settings.is_sqlite:
            typer.echo("frontdesk: --workers needs PostgreSQL (DATABASE_URL); SQLite has one writer", err=True)
            raise typer.Exit(2)
        if telegram_polling:
            typer.echo("frontdesk: --telegram-polling fetches updates from one process only; drop --workers", err=True)
            raise typer.Exit(2)
        from bot.cli.serve import run_workers

        typer.echo(f"PLUT Front Desk on http://{host}:{port}/  ({workers} processes; database: {masked_url(settings.database_url)})")
        run_workers(host, port, workers, background=worker)
        return
    from bot.cli.serve import first_start_notes

    for note in first_start_notes(settings):
        typer.echo(note, err=True)
    frontdesk = make_app()
    frontdesk.telegram_polling = telegram_polling
    from bot.web.app import create_app

    web = create_app(frontdesk, background=worker, settle_heap=True)
    typer.echo(f"PLUT Front Desk on http://{host}:{port}/  (database: {masked_url(frontdesk.settings.database_url)})")
    # log_config=None: uvicorn's own lines go through our handler too (JSON when asked for).
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False, log_config=None)


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
def worker(
    metrics_port: Annotated[int, typer.Option(min=0, max=65535, help="Serve this process's Prometheus metrics on this port (0: none).")] = 0,
    metrics_host: Annotated[str, typer.Option(help="Address for --metrics-port.")] = "0.0.0.0",
) -> None:
    """Deliver outbox messages (notifications, replies, reminders) and run the periodic jobs until stopped."""
    import signal

    from bot.outbox.worker import Worker

    _setup_logging()
    frontdesk = make_app()
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)

    async def main() -> None:
        await frontdesk.start(seed=False)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # The periodic jobs (handoff escalation, consultants' agenda) run here too, so web
        # processes started with `--no-worker` leave all background work to this one.
        from bot.channels import jobs

        try:
            await asyncio.gather(Worker(frontdesk).run(stop), jobs.run(frontdesk, stop))
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
