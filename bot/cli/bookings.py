"""`frontdesk bookings list`: what is booked, per center and day, in the center's own time."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Annotated

import typer

from bot.domain.zones import DEFAULT_ZONE

app = typer.Typer(help="Consultation bookings.", no_args_is_help=True)


@app.command("list")
def list_(
    center: Annotated[str | None, typer.Option(help="Only this center (code, e.g. plut-maros).")] = None,
    day: Annotated[str | None, typer.Option("--date", help="Only this day (YYYY-MM-DD, the center's local date).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include cancelled and declined bookings.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List bookings by start time."""
    try:
        the_day = date.fromisoformat(day) if day else None
    except ValueError:
        raise typer.BadParameter("give --date as YYYY-MM-DD") from None
    from bot.cli import make_app

    frontdesk = make_app()

    async def main() -> None:
        from bot.i18n import format_datetime
        from bot.services.booking import center_info, list_bookings
        from bot.storage.models import Consultant

        await frontdesk.start(seed=False)
        try:
            async with frontdesk.db.transaction() as session:
                rows = await list_bookings(session, center_code=center, day=the_day, include_inactive=all_)
                for b in rows:
                    info = await center_info(session, b.center_code)
                    tz = info.tz if info else DEFAULT_ZONE
                    consultant = await session.get(Consultant, b.consultant_id)
                    if as_json:
                        typer.echo(json.dumps({
                            "ref": b.ref, "center": b.center_code, "timezone": tz, "starts_at": b.starts_at.isoformat(),
                            "ends_at": b.ends_at.isoformat(), "local": format_datetime(b.starts_at, "en", tz),
                            "status": b.status, "area": b.service_area, "consultant_id": b.consultant_id,
                            "consultant": consultant.name if consultant else None, "name": b.name,
                            "business_name": b.business_name, "business_kind": b.business_kind, "phone": b.phone,
                        }, ensure_ascii=False))
                    else:
                        typer.echo(f"{b.ref:10} {b.status:9} {b.center_code:16} {format_datetime(b.starts_at, 'en', tz):42} "
                                   f"{b.service_area:13} {(consultant.name if consultant else '-'):32} {b.name}")
                if not as_json:
                    typer.echo(f"{len(rows)} booking(s)")
        finally:
            await frontdesk.close()

    asyncio.run(main())
