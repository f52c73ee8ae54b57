"""`frontdesk admin ...`: accounts for the admin pages."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

app = typer.Typer(help="Admin pages: accounts.", no_args_is_help=True)


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Sign-in name (lower case).")],
    role: Annotated[str, typer.Option(help="admin (all centers), center_admin (own center) or consultant (own bookings).")] = "admin",
    center: Annotated[str | None, typer.Option(help="Center code (e.g. plut-maros), for center_admin and consultant.")] = None,
    consultant: Annotated[int | None, typer.Option(help="Consultant id, for a consultant's own bookings and handoffs.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    language: Annotated[str, typer.Option(help="Language of the pages: id or en.")] = "id",
    password: Annotated[str | None, typer.Option(help="Password (asked for when left out; prefer that).", envvar="FRONTDESK_ADMIN_PASSWORD")] = None,
) -> None:
    """Create a user for /admin. The password is stored as an argon2 hash."""
    from bot.admin import audit
    from bot.admin.auth import InvalidAccount
    from bot.admin.auth import create_user as create
    from bot.cli import make_app

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    frontdesk = make_app()

    async def main() -> int:
        await frontdesk.start(seed=False)
        try:
            async with frontdesk.db.transaction() as session:
                if center is not None and not await _center_exists(session, center):
                    raise InvalidAccount(f"no center with the code {center!r} (see `frontdesk centers list`)")
                user = await create(session, username=username, password=password, role=role, now=frontdesk.clock.now(),
                                    center_code=center, consultant_id=consultant, display_name=name, language=language)
                audit.record(session, None, "admin_user.create", "admin_user", user.id, frontdesk.clock.now(),
                             username="cli", center_code=center, role=role, new_user=user.username)
                return user.id
        finally:
            await frontdesk.close()

    try:
        user_id = asyncio.run(main())
    except InvalidAccount as exc:
        typer.echo(f"frontdesk: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"user {username.strip().lower()} ({role}) created with id {user_id}")


async def _center_exists(session, code: str) -> bool:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.storage.models import Center

    return (await session.execute(select(Center.id).where(Center.code == code))).first() is not None
