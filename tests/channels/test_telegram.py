"""Telegram over HTTP: webhook secret, updates → engine → outbox → fake Bot API."""

from __future__ import annotations

from bot.storage.models import InboundMessage, OutboxMessage
from tests.channels import fakes
from tests.channels.conftest import Harness

UID = 777001


async def test_start_command_gets_the_menu_with_an_inline_keyboard(harness: Harness) -> None:
    r = await harness.telegram(fakes.tg_message(UID, text="/start"))
    assert r.status_code == 200
    await harness.deliver()
    sent = harness.tg.sent()
    assert sent, "no reply reached the Bot API"
    assert all(c.method == "sendMessage" and str(c.params["chat_id"]) == str(UID) for c in sent)
    keyboards = [c.params["reply_markup"] for c in sent if c.params.get("reply_markup")]
    assert keyboards and keyboards[-1]["inline_keyboard"]
    payloads = [b["callback_data"] for row in keyboards[-1]["inline_keyboard"] for b in row]
    assert all(len(p.encode()) <= 64 for p in payloads)


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_stored(harness: Harness) -> None:
    for secret in ("wrong", None):
        r = await harness.telegram(fakes.tg_message(UID, text="halo"), secret=secret)
        assert r.status_code == 401
    assert await harness.rows(InboundMessage) == []
    assert await harness.rows(OutboxMessage) == []


async def test_a_repeated_update_id_is_answered_once(harness: Harness) -> None:
    upd = fakes.tg_message(UID, text="/menu", update_id=9001)
    assert (await harness.telegram(upd)).status_code == 200
    first = len(await harness.rows(OutboxMessage))
    assert first > 0
    assert (await harness.telegram(upd)).status_code == 200
    assert len(await harness.rows(OutboxMessage)) == first
