"""`frontdesk consultants add/list/availability/closure`: the people who take the bookings."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Annotated

import typer

from bot.domain.zones import DEFAULT_ZONE

app = typer.Typer(help="Consultants, their weekly hours and their closures.", no_args_is_help=True)


def _run(fn) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import make_app

    frontdesk = make_app()

    async def main() -> None:
        await frontdesk.start(seed=False)
        try:
            async with frontdesk.db.transaction() as session:
                await fn(session, frontdesk)
        finally:
            await frontdesk.close()

    asyncio.run(main())


def _windows(text: str):  # type: ignore[no-untyped-def]
    from bot.domain.slots import AvailabilityError, parse_availability

    try:
        return parse_availability(text)
    except AvailabilityError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("add")
def add(
    center: Annotated[str, typer.Option(help="Center code, e.g. plut-maros.")],
    name: Annotated[str, typer.Option(help="The consultant's name.")],
    areas: Annotated[str, typer.Option(help="Service areas, comma separated: hr, production, financing, marketing, institutional, it, partnership.")],
    hours: Annotated[str, typer.Option(help="Weekly hours in the center's local time; gaps are breaks.")] = "Mon-Thu 08:00-12:00, 13:00-15:00; Fri 08:00-11:00, 13:30-15:00",
) -> None:
    """Add a consultant with their service areas and weekly hours."""
    windows = _windows(hours)
    area_list = [a.strip() for a in areas.replace(" ", ",").split(",") if a.strip()]

    async def go(session, frontdesk) -> None:  # type: ignore[no-untyped-def]
        from bot.services.booking import add_consultant, center_info

        if await center_info(session, center) is None:
            typer.echo(f"frontdesk: no center with code {center!r}", err=True)
            raise typer.Exit(1)
        try:
            c = await add_consultant(session, center_code=center, name=name, areas=area_list, windows=windows, now=frontdesk.clock.now())
        except ValueError as exc:
            typer.echo(f"frontdesk: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"added consultant {c.id}: {c.name} ({', '.join(c.areas)}) at {center}")

    _run(go)


@app.command("list")
def list_(
    center: Annotated[str | None, typer.Option(help="Only this center.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List consultants with their areas and weekly hours."""

    async def go(session, frontdesk) -> None:  # type: ignore[no-untyped-def]
        from sqlalchemy import select

        from bot.domain.slots import format_availability
        from bot.services.booking import schedules_for
        from bot.storage.models import Consultant

        q = select(Consultant).order_by(Consultant.center_code, Consultant.id)
        if center:
            q = q.where(Consultant.center_code == center)
        rows = list((await session.execute(q)).scalars())
        hours: dict[int, str] = {}
        for code in sorted({r.center_code for r in rows}):
            schedules, _ = await schedules_for(session, code)
            hours.update({s.consultant_id: format_availability(s.windows) for s in schedules})
        for r in rows:
            linked = f"{r.channel}:{r.external_id}" if r.channel and r.external_id else "inbox"
            if as_json:
                typer.echo(json.dumps({"id": r.id, "center": r.center_code, "name": r.name, "areas": r.areas, "active": r.active,
                                       "demo": r.demo, "hours": hours.get(r.id, ""), "notify": linked}, ensure_ascii=False))
            else:
                typer.echo(f"{r.id:>4} {r.center_code:18} {r.name:36} {','.join(r.areas):24} {hours.get(r.id, '-')}  [{linked}]")

    _run(go)


@app.command("availability")
def availability(
    consultant_id: Annotated[int, typer.Argument(help="The consultant's id (see `consultants list`).")],
    hours: Annotated[str | None, typer.Option(help="New weekly hours, e.g. 'Mon-Fri 08:00-12:00, 13:00-15:00'.")] = None,
    days: Annotated[int, typer.Option(help="Show free slots for this many days ahead.")] = 7,
) -> None:
    """Show (or with --hours replace) a consultant's weekly hours, and their free slots."""
    windows = _windows(hours) if hours else None

    async def go(session, frontdesk) -> None:  # type: ignore[no-untyped-def]
        from datetime import timedelta

        from bot.domain.slots import SlotPolicy, format_availability
        from bot.i18n import format_datetime
        from bot.services.booking import center_info, free_slots, schedules_for, set_availability
        from bot.storage.models import Consultant

        c = await session.get(Consultant, consultant_id)
        if c is None:
            typer.echo(f"frontdesk: no consultant {consultant_id}", err=True)
            raise typer.Exit(1)
        if windows is not None:
            await set_availability(session, c.id, windows)
        schedules, closures = await schedules_for(session, c.center_code)
        mine = next((s for s in schedules if s.consultant_id == c.id), None)
        typer.echo(f"{c.name} — {c.center_code}: {format_availability(mine.windows) if mine else '-'}")
        for cl in closures:
            if cl.consultant_id in (None, c.id):
                typer.echo(f"  closed {cl.first_day} .. {cl.last_day}{' (center)' if cl.consultant_id is None else ' (leave)'}")
        info = await center_info(session, c.center_code)
        tz = info.tz if info else DEFAULT_ZONE
        policy = SlotPolicy(horizon=timedelta(days=days))
        slots = [s for s in await free_slots(session, center_code=c.center_code, area=None, now=frontdesk.clock.now(), policy=policy)
                 if s.consultant_id == c.id]
        typer.echo(f"  {len(slots)} free slots in the next {days} days")
        for s in slots[:40]:
            typer.echo(f"  {format_datetime(s.starts_at, 'en', tz)}")

    _run(go)


@app.command("closure")
def closure(
    center: Annotated[str, typer.Option(help="Center code.")],
    first_day: Annotated[str, typer.Option("--from", help="First closed day, YYYY-MM-DD.")],
    last_day: Annotated[str | None, typer.Option("--to", help="Last closed day (default: the first).")] = None,
    consultant: Annotated[int | None, typer.Option(help="Only this consultant (leave); default: the whole center.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why, for the admins.")] = None,
) -> None:
    """Close a center (holiday) or mark a consultant's leave; no slots are offered then."""
    try:
        a = date.fromisoformat(first_day)
        b = date.fromisoformat(last_day) if last_day else a
    except ValueError:
        raise typer.BadParameter("give dates as YYYY-MM-DD") from None

    async def go(session, frontdesk) -> None:  # type: ignore[no-untyped-def]
        from bot.services.booking import add_closure

        try:
            await add_closure(session, center_code=center, first_day=a, last_day=b, consultant_id=consultant, reason=reason)
        except ValueError as exc:
            typer.echo(f"frontdesk: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"closed {center}{f' consultant {consultant}' if consultant else ''} {a} .. {b}")

    _run(go)


# A one-time code to link Telegram or WhatsApp (the use case: bot/services/consultant_link.py).
@app.command("invite")
def invite(
    consultant_id: Annotated[int, typer.Argument(help="The consultant's id (see `frontdesk consultants list`).")],
    hours: Annotated[int | None, typer.Option(help="Hours the code stays valid (default: CONSULTANT_INVITE_VALID_HOURS).")] = None,
) -> None:
    """Create a one-time link code for a consultant (`frontdesk consultants invite ID`)."""
    from bot.channels.settings import channel_settings
    from bot.cli import make_app
    from bot.services.consultant_link import InviteError, create_invite, telegram_deep_link

    frontdesk = make_app()
    cs = channel_settings(frontdesk)
    valid = hours or cs.invite_valid_hours

    async def main() -> tuple[str, str | None]:
        await frontdesk.start(seed=False)
        try:
            async with frontdesk.db.transaction() as session:
                code = await create_invite(session, consultant_id, now=frontdesk.clock.now(), valid_hours=valid)
        finally:
            await frontdesk.close()
        username = None
        if cs.telegram_configured:
            from bot.channels.telegram import make_bot

            bot = make_bot(cs)
            try:
                username = (await bot.get_me()).username
            except Exception:  # the code works without the link
                username = None
            finally:
                await bot.session.close()
        return code, username

    try:
        code, username = asyncio.run(main())
    except InviteError as exc:
        typer.echo(f"frontdesk: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"code: {code}  (valid {valid} hours, works once)")
    link = telegram_deep_link(username, code)
    if link:
        typer.echo(f"Telegram: open {link}")
    typer.echo(f"WhatsApp: send \"LINK {code}\" to the PLUT number")
