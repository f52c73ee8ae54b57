"""Delivery through the outbox to the fake APIs: 429 honoured, 5xx and hangs retried,
permanent failures recorded and not retried — no message lost, none duplicated."""

from __future__ import annotations

from bot.channels.transports import RateLimiter, TokenBucket
from bot.storage.models import OutboxMessage
from tests.channels import fakes
from tests.channels.conftest import WA_PHONE, Harness

UID = 555001
WA_USER = "6281234500001"


async def _texts_in_outbox(h: Harness, channel: str) -> list[str]:
    rows = await h.rows(OutboxMessage, OutboxMessage.channel == channel)
    return [r.payload.get("text") for r in sorted(rows, key=lambda r: r.id) if "text" in r.payload]


async def test_telegram_429_is_honoured_then_everything_arrives_once(harness: Harness) -> None:
    harness.tg.too_many(retry_after=7, method="sendMessage")
    await harness.telegram(fakes.tg_message(UID, text="/start"))
    await harness.deliver()
    assert harness.tg.sent() == []  # the first part was refused; the later ones wait behind it (order)
    row = min(await harness.rows(OutboxMessage, OutboxMessage.channel == "telegram"), key=lambda r: r.id)
    assert row.status == "pending" and (row.next_attempt_at - harness.app.clock.now()).total_seconds() == 7
    harness.advance(seconds=6)
    await harness.deliver()
    assert harness.tg.sent() == []  # not before retry_after
    harness.advance(seconds=1)
    await harness.deliver()
    assert [c.params["text"] for c in harness.tg.sent()] == await _texts_in_outbox(harness, "telegram")


async def test_telegram_5xx_and_a_hang_are_retried_with_backoff(harness: Harness) -> None:
    harness.tg.server_error(times=2, method="sendMessage")
    await harness.telegram(fakes.tg_message(UID, text="/help"))
    await harness.deliver()
    for _ in range(3):
        harness.advance(seconds=30)
        await harness.deliver()
    harness.tg.hang(method="sendMessage")
    await harness.telegram(fakes.tg_message(UID, text="/menu"))
    await harness.deliver()  # the hung call times out (CHANNEL_SEND_TIMEOUT=2) and is retried later
    harness.tg.hang_event.set()
    harness.advance(seconds=30)
    await harness.deliver()
    rows = await harness.rows(OutboxMessage, OutboxMessage.kind == "reply")
    assert rows and all(r.status == "sent" for r in rows)
    sent = [c.params["text"] for c in harness.tg.sent()]
    expected = await _texts_in_outbox(harness, "telegram")
    # A hung request may have reached the server; everything else arrived exactly once, in order.
    assert [t for i, t in enumerate(sent) if t not in sent[:i]] == [t for i, t in enumerate(expected) if t not in expected[:i]]
    assert len(sent) <= len(expected) + 1


async def test_telegram_blocked_user_is_a_permanent_failure(harness: Harness) -> None:
    harness.tg.blocked(times=100, method="sendMessage")
    await harness.telegram(fakes.tg_message(UID, text="/help"))
    await harness.deliver()
    rows = await harness.rows(OutboxMessage, OutboxMessage.kind == "reply")
    assert rows[0].status == "failed" and "blocked" in (rows[0].last_error or "")
    assert rows[0].attempts == 1


async def test_whatsapp_429_5xx_and_invalid_number(harness: Harness) -> None:
    harness.wa.too_many(retry_after=4)
    harness.wa.server_error()
    await harness.whatsapp(fakes.wa_text(WA_PHONE, WA_USER, "halo"))
    await harness.deliver()
    row = min(await harness.rows(OutboxMessage, OutboxMessage.channel == "whatsapp"), key=lambda r: r.id)
    assert row.status == "pending" and (row.next_attempt_at - harness.app.clock.now()).total_seconds() == 4
    for _ in range(4):
        harness.advance(seconds=30)
        await harness.deliver()
    rows = await harness.rows(OutboxMessage, OutboxMessage.channel == "whatsapp")
    assert all(r.status == "sent" for r in rows)
    assert len(harness.wa.sent()) == len(rows)
    assert len({r.provider_message_id for r in rows}) == len(rows)
    harness.wa.invalid_number(times=1)
    await harness.whatsapp(fakes.wa_text(WA_PHONE, "6200000000000", "halo"))
    await harness.deliver()
    failed = await harness.rows(OutboxMessage, OutboxMessage.status == "failed")
    assert len(failed) == 1 and "131026" in (failed[0].last_error or "")


def test_token_bucket_allows_a_burst_then_spaces_sends() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=1.0, burst=3, clock=lambda: now[0])
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve() == 1.0
    now[0] = 10.0
    assert bucket.reserve() == 0.0


def test_rate_limiter_has_a_global_and_a_per_chat_limit() -> None:
    now = [0.0]
    limiter = RateLimiter(30, per_chat=1, chat_burst=1, clock=lambda: now[0])
    assert limiter.delay("a") == 0.0
    assert limiter.delay("a") == 1.0  # about one per second in one chat
    waits = [limiter.delay(f"chat{i}") for i in range(40)]
    assert max(waits) > 0  # about 30 per second overall
    assert sum(1 for w in waits if w == 0) <= 29
