"""`frontdesk outbox …`: see what waits for delivery and what failed."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from sqlalchemy import select

app = typer.Typer(help="Outbound messages and their delivery.", no_args_is_help=True)


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="pending, sending, sent, failed or cancelled.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List outbox messages, newest first."""
    from bot.cli import make_app
    from bot.storage.models.outbox import OutboxMessage

    frontdesk = make_app()

    async def main() -> None:
        await frontdesk.start(seed=False)
        try:
            stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
            if status:
                stmt = stmt.where(OutboxMessage.status == status)
            async with frontdesk.db.transaction() as session:
                rows = list((await session.execute(stmt)).scalars())
            for r in rows:
                if as_json:
                    typer.echo(json.dumps({
                        "id": r.id, "channel": r.channel, "recipient": r.recipient, "kind": r.kind, "status": r.status,
                        "attempts": r.attempts, "ref": r.ref, "text": (r.payload or {}).get("text"),
                        "next_attempt_at": r.next_attempt_at.isoformat(), "last_error": r.last_error,
                    }, ensure_ascii=False))
                else:
                    text = ((r.payload or {}).get("text") or "").replace("\n", " ")[:60]
                    typer.echo(f"{r.id:>6} {r.status:9} {r.channel:9} {r.recipient:16} {r.kind:18} {r.attempts:>2}× {text}")
        finally:
            await frontdesk.close()

    asyncio.run(main())
