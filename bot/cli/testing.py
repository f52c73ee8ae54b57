"""`frontdesk test conversations`: play the conversation tests and report them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Check the bot as users meet it.", no_args_is_help=True)

DEFAULT_FOLDER = Path("tests/conversations")


@app.command("conversations")
def conversations(
    report: Annotated[Path | None, typer.Option(help="Write a per-turn Markdown report (conversations.md) into this folder.")] = None,
    folder: Annotated[Path, typer.Option(help="Folder of conversation files (*.yml).")] = DEFAULT_FOLDER,
    only: Annotated[str | None, typer.Option("-k", help="Only conversations whose file name contains this.")] = None,
) -> None:
    """Play every conversation in FOLDER against the bot (an in-process engine on a throwaway
    SQLite database) and print the pass rates per half (tuned / held-out), the wrong-language
    and repeated-reply counts and the fallback rate on on-topic turns. Exits 1 when a
    conversation fails, or when one marked `status: pending` passes."""
    from bot.testing.conversations import ConversationInvalid, run_suite, write_report

    try:
        suite = run_suite(folder, only)
    except ConversationInvalid as exc:
        typer.echo(f"frontdesk: {exc}", err=True)
        raise typer.Exit(2) from None
    for result in suite.failed:
        typer.echo(result.explain() + "\n")
    for line in suite.summary_lines():
        typer.echo(line)
    if suite.pending_passing:
        typer.echo("pending but passing (remove `status: pending`): " + ", ".join(r.spec.name for r in suite.pending_passing))
    if report is not None:
        typer.echo(f"report: {write_report(suite, report)}")
    if suite.failed or suite.pending_passing:
        raise typer.Exit(1)
