"""`frontdesk centers import|export|list`: the centers table from and to CSV."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="PLUT centers: import, export and list.", no_args_is_help=True)


def _db():  # type: ignore[no-untyped-def]
    from bot.config import settings_or_exit
    from bot.storage.db import Database

    return Database(settings_or_exit().database_url)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV file with the columns of data/centers.csv.", exists=True, dir_okay=False)],
) -> None:
    """Validate FILE and upsert its centers by code. A file with any bad row changes nothing."""
    from bot.services.centers import CentersInvalid, import_centers

    text = file.read_text(encoding="utf-8-sig")

    async def run() -> None:
        db = _db()
        try:
            async with db.transaction() as session:
                result = await import_centers(session, text)
        finally:
            await db.dispose()
        typer.echo(f"{result.inserted} added, {result.updated} updated")

    try:
        asyncio.run(run())
    except CentersInvalid as exc:
        for err in exc.errors:
            typer.echo(f"{file}:{err.line}: {err.message}", err=True)
        typer.echo(f"{len(exc.errors)} error(s); nothing was imported", err=True)
        raise typer.Exit(1) from None


@app.command("export")
def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")] = None,
) -> None:
    """Write every active center as CSV (the import format)."""
    from bot.services.centers import list_centers, write_centers_csv

    async def run() -> str:
        db = _db()
        try:
            async with db.transaction() as session:
                return write_centers_csv(await list_centers(session))
        finally:
            await db.dispose()

    text = asyncio.run(run())
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command("list")
def list_() -> None:
    """One line per center: code, time zone, place, and which facts are still missing."""
    from bot.domain.zones import zone_abbreviation
    from bot.services.centers import list_centers

    async def run() -> None:
        db = _db()
        try:
            async with db.transaction() as session:
                records = await list_centers(session)
        finally:
            await db.dispose()
        for r in records:
            missing = [name for name, v in (("address", r.address), ("hours", r.opening_hours), ("contact", r.has_contact)) if not v]
            where = r.regency or r.province
            typer.echo(f"{r.code:28} {zone_abbreviation(r.timezone):4} {where:34} missing: {', '.join(missing) or '-'}")
        typer.echo(f"{len(records)} centers")

    asyncio.run(run())
