"""When the update cannot be stored the webhook answers 5xx (the platform retries), and the
retry is then processed exactly once."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.models import InboundMessage, OutboxMessage
from tests.channels import fakes
from tests.channels.conftest import WA_PHONE, Harness


async def _rename(url: str, a: str, b: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'ALTER TABLE "{a}" RENAME TO "{b}"'))
    finally:
        await engine.dispose()


async def test_a_failing_database_gives_503_and_the_retry_is_processed_once(harness: Harness) -> None:
    tg = fakes.tg_message(4001, text="/help", update_id=777)
    wa = fakes.wa_text(WA_PHONE, "6281200000001", "halo", msg_id="wamid.STORE1")
    await harness.telegram(fakes.tg_message(4001, text="/menu"))  # warm: the user exists
    await harness.app.db.engine.dispose()  # new connections see the renamed table
    await _rename(harness.app.settings.database_url, "outbox", "outbox_away")
    try:
        assert (await harness.telegram(tg)).status_code == 503
        assert (await harness.whatsapp(wa)).status_code == 503
    finally:
        await _rename(harness.app.settings.database_url, "outbox_away", "outbox")
        await harness.app.db.engine.dispose()
    ids = {m.message_id for m in await harness.rows(InboundMessage)}
    assert "u777" not in ids and "wamid.STORE1" not in ids  # rolled back with the replies
    for _ in range(2):  # the platform retries (twice, even)
        assert (await harness.telegram(tg)).status_code == 200
        assert (await harness.whatsapp(wa)).status_code == 200
    keys = [r.idempotency_key for r in await harness.rows(OutboxMessage)]
    assert sum(k.startswith("reply:telegram:u777:") for k in keys) >= 1
    assert sum(k.startswith("reply:whatsapp:wamid.STORE1:") for k in keys) >= 1
    assert len(keys) == len(set(keys))
    await harness.deliver()
    helps = [c for c in harness.tg.sent() if str(c.params["chat_id"]) == "4001"]
    assert len(helps) == len([k for k in keys if k.startswith("reply:telegram:")])


async def test_connections_the_server_closed_are_replaced_without_an_error(harness: Harness) -> None:
    """PostgreSQL restarted (here: every session of the app ended by the server): the next
    webhook is answered 200 at once, not 503, because a closed pooled connection is replaced."""
    import asyncio

    for n in range(3):  # several pooled connections
        assert (await harness.telegram(fakes.tg_message(4100 + n, text="/menu"))).status_code == 200
    url = harness.app.settings.database_url
    admin = create_async_engine(url)
    try:
        async with admin.connect() as conn:
            ended = (await conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ))).scalar_one()
    finally:
        await admin.dispose()
    assert ended >= 1
    await asyncio.sleep(0.2)  # the server's close reaches the pooled sockets
    r = await harness.telegram(fakes.tg_message(4200, text="/start", update_id=88_001))
    assert r.status_code == 200, r.text
    assert "u88001" in {m.message_id for m in await harness.rows(InboundMessage)}
