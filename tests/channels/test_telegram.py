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


async def test_callback_button_location_and_contact_reach_the_engine(harness: Harness) -> None:
    await harness.telegram(fakes.tg_message(UID, text="/start"))
    r = await harness.telegram(fakes.tg_callback(UID, "lang:en"))
    assert r.status_code == 200
    await harness.deliver()
    # the spinner is stopped, and the language switch is answered in English
    assert harness.tg.of("answerCallbackQuery")
    texts = [c.params.get("text", "") for c in harness.tg.sent()]
    assert any("English" in t for t in texts)
    for upd in (fakes.tg_location(UID, -6.2, 106.8), fakes.tg_contact(UID, "+6281234567890")):
        assert (await harness.telegram(upd)).status_code == 200
    from bot.storage.models import MessageLog

    kinds = {m.kind for m in await harness.rows(MessageLog, MessageLog.direction == "in")}
    assert {"command", "button", "location", "contact"} <= kinds


async def test_sticker_gets_a_polite_answer_and_edits_channel_posts_are_ignored(harness: Harness) -> None:
    assert (await harness.telegram(fakes.tg_sticker(UID))).status_code == 200
    assert (await harness.telegram(fakes.tg_edited(UID, "edited"))).status_code == 200
    channel_post = {"update_id": 99, "channel_post": {"message_id": 1, "date": 1795000000,
                                                       "chat": {"id": -100123, "type": "channel", "title": "News"}, "text": "hi"}}
    assert (await harness.telegram(channel_post)).status_code == 200
    reaction = {"update_id": 100, "message_reaction": {"chat": {"id": UID, "type": "private"}, "message_id": 5,
                                                        "date": 1795000000, "old_reaction": [],
                                                        "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                                                        "user": fakes.tg_user(UID)}}
    assert (await harness.telegram(reaction)).status_code == 200
    poll = {"update_id": 101, "poll": {"id": "p1", "question": "?", "options": [{"text": "a", "voter_count": 0}],
                                       "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
                                       "type": "regular", "allows_multiple_answers": False}}
    assert (await harness.telegram(poll)).status_code == 200
    await harness.deliver()
    texts = [c.params["text"] for c in harness.tg.sent()]
    assert len(texts) == 1 and "teks" in texts[0].lower()  # Indonesian by default


async def test_malformed_bodies_get_a_clean_4xx_and_change_nothing(harness: Harness) -> None:
    for body in (b"{not json", b"[]", b'{"update_id": "x"}', "😀".encode() * 3):
        r = await harness.telegram(body)
        assert r.status_code == 400, body
    assert await harness.rows(InboundMessage) == []


async def test_a_ten_thousand_character_message_is_answered_politely(harness: Harness) -> None:
    r = await harness.telegram(fakes.tg_message(UID, text="a" * 10_000))
    assert r.status_code == 200
    await harness.deliver()
    assert harness.tg.sent()
    assert all(len(c.params["text"]) <= 4096 for c in harness.tg.sent())


async def test_long_button_payloads_are_stored_and_resolved(harness: Harness) -> None:
    from bot.engine.events import Button, Reply
    from bot.outbox import Message, post

    payload = "lang:en" + "?" + "x" * 100
    async with harness.app.db.transaction() as s:
        await post(s, [Message("telegram", str(UID), Reply(text="pick", buttons=[Button("English", payload)]).to_dict(),
                               key="t:long", lang="id")], now=harness.app.clock.now())
    await harness.deliver()
    data = harness.tg.sent()[-1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("h:") and len(data.encode()) <= 64
    await harness.telegram(fakes.tg_callback(UID, data))
    await harness.deliver()
    assert "English" in harness.tg.sent()[-1].params["text"] or any("English" in c.params.get("text", "") for c in harness.tg.sent()[1:])


async def test_long_polling_fetches_processes_and_confirms_updates(harness: Harness) -> None:
    import asyncio

    from bot.channels.telegram import poll

    harness.tg.updates = [fakes.tg_message(UID, text="/help", update_id=4242), fakes.tg_sticker(UID, update_id=4243)]
    harness.app.telegram_polling = True
    stop = asyncio.Event()
    task = asyncio.create_task(poll(harness.app, stop))
    for _ in range(500):
        if len(await harness.rows(InboundMessage)) == 2 and len(harness.tg.of("getUpdates")) >= 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await task
    assert harness.tg.of("deleteWebhook")
    offsets = [c.params.get("offset") for c in harness.tg.of("getUpdates")]
    assert "4244" in [str(o) for o in offsets]  # the next call confirms both updates
    await harness.deliver()
    assert len(harness.tg.sent()) >= 2


async def test_concurrent_webhooks_share_transactions_and_each_is_answered_once(harness: Harness) -> None:
    """Telegram opens up to 40 connections per bot: updates that arrive together are stored
    in shared transactions (`Engine.intake`), and a repeat among them is still answered once."""
    import asyncio

    users = [UID + 100 + i for i in range(24)]
    updates = [fakes.tg_message(u, text="/start", update_id=50_000 + i) for i, u in enumerate(users)]
    updates += [fakes.tg_callback(users[0], "lang:en", update_id=60_000), updates[3]]  # a button and a repeat
    responses = await asyncio.gather(*(harness.telegram(u) for u in updates))
    assert [r.status_code for r in responses] == [200] * len(updates)
    intake = harness.app.engine.intake
    assert intake.events == len(updates) and intake.batches < len(updates)
    assert len(await harness.rows(InboundMessage)) == len(users) + 1
    await harness.deliver()
    for u in users:
        texts = [c for c in harness.tg.sent() if str(c.params["chat_id"]) == str(u)]
        assert texts, f"user {u} got no answer"
    again = [c for c in harness.tg.sent() if str(c.params["chat_id"]) == str(users[3])]
    alone = [c for c in harness.tg.sent() if str(c.params["chat_id"]) == str(users[4])]
    assert len(again) == len(alone), "the repeated update was answered twice"
    assert harness.tg.of("answerCallbackQuery")
