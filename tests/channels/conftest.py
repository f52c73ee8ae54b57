"""Fixtures for the channel tests: the fake Bot API and Graph API servers, a PostgreSQL
database, and a real `frontdesk run` HTTP server (uvicorn on 127.0.0.1) in the test's loop.

Delivery is driven explicitly (`deliver()` runs outbox rounds until nothing is due), so no
test waits on a timer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from bot.app import FrontDesk
from bot.config import load_settings
from tests.channels import fakes
from tests.conftest import _truncate_all

FROZEN_NOW = "2026-11-23T09:00:00+07:00"  # a Monday morning in WIB
TG_TOKEN = "123456789:AAHfakeTokenForTests_abcdefghij"
TG_SECRET = "s3cret-webhook_token"
WA_TOKEN = "EAAGfakewhatsapptoken"
WA_PHONE = "106540352242922"
WA_SECRET = "app-secret-for-tests"
WA_VERIFY = "verify-me"


# `pg_url` (the test session's own PostgreSQL database) comes from tests/conftest.py.


@pytest.fixture(scope="session")
def fake_tg_server() -> Iterator[fakes.FakeBotAPI]:
    server = fakes.FakeBotAPI(TG_TOKEN)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_wa_server() -> Iterator[fakes.FakeGraphAPI]:
    server = fakes.FakeGraphAPI(WA_TOKEN, WA_PHONE)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_tg(fake_tg_server: fakes.FakeBotAPI) -> fakes.FakeBotAPI:
    fake_tg_server.reset()
    return fake_tg_server


@pytest.fixture
def fake_wa(fake_wa_server: fakes.FakeGraphAPI) -> fakes.FakeGraphAPI:
    fake_wa_server.reset()
    return fake_wa_server


def channel_env(tg: fakes.FakeBotAPI, wa: fakes.FakeGraphAPI, **extra: Any) -> dict[str, Any]:
    return {
        "TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TG_SECRET, "TELEGRAM_API_BASE": tg.url,
        "PUBLIC_URL": "https://frontdesk.example.id",
        "WHATSAPP_TOKEN": WA_TOKEN, "WHATSAPP_PHONE_ID": WA_PHONE, "WHATSAPP_API_BASE": wa.url,
        "WHATSAPP_VERIFY_TOKEN": WA_VERIFY, "WHATSAPP_APP_SECRET": WA_SECRET,
        "WHATSAPP_REMINDER_TEMPLATE": "booking_reminder", "CHANNEL_SEND_TIMEOUT": "2",
        "TELEGRAM_CHAT_BURST": "20",  # the per-chat limit has its own test; conversations here are quick
        **extra,
    }


class Harness:
    """A running front desk: its HTTP address, the fakes, and helpers to post updates
    and to deliver the outbox."""

    def __init__(self, app: FrontDesk, base: str, tg: fakes.FakeBotAPI, wa: fakes.FakeGraphAPI) -> None:
        from bot.outbox.worker import Worker

        self.app = app
        self.base = base
        self.tg = tg
        self.wa = wa
        self.http = httpx.AsyncClient(base_url=base, timeout=30)
        self.worker = Worker(app)

    async def telegram(self, update: dict[str, Any] | bytes, *, secret: str | None = TG_SECRET) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if secret is not None:
            headers["x-telegram-bot-api-secret-token"] = secret
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        return await self.http.post("/telegram/webhook", content=body, headers=headers)

    async def whatsapp(self, payload: dict[str, Any] | bytes, *, secret: str | None = WA_SECRET,
                       signature: str | None = None) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"content-type": "application/json"}
        if signature is not None:
            headers["x-hub-signature-256"] = signature
        elif secret is not None:
            headers["x-hub-signature-256"] = fakes.sign(secret, body)
        return await self.http.post("/whatsapp/webhook", content=body, headers=headers)

    def advance(self, **delta: float) -> datetime:
        self.app.clock._frozen = self.app.clock.now() + timedelta(**delta)  # noqa: SLF001
        return self.app.clock.now()

    async def deliver(self, rounds: int = 20) -> int:
        """Outbox rounds until nothing is due now. Returns the messages tried."""
        total = 0
        for _ in range(rounds):
            n = await self.worker.deliver_once()
            total += n
            if n == 0:
                break
        return total

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        from sqlalchemy import select

        async with self.app.db.transaction() as s:
            return list((await s.execute(select(model).where(*where))).scalars())


@asynccontextmanager
async def _running(pg_url: str, tg: fakes.FakeBotAPI, wa: fakes.FakeGraphAPI, *, seed: bool,
                   **env: Any) -> AsyncIterator[Harness]:
    await _truncate_all(pg_url)
    settings = load_settings(DATABASE_URL=pg_url, FRONTDESK_NOW=FROZEN_NOW, FRONTDESK_DEMO_SEED="true" if seed else "false",
                             **channel_env(tg, wa, **env))
    app = FrontDesk(settings)
    from bot.web.app import create_app

    web = create_app(app, background=False)
    port = fakes._free_port()
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="error", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    h = Harness(app, f"http://127.0.0.1:{port}", tg, wa)
    try:
        yield h
    finally:
        await h.http.aclose()
        for t in h.worker._transports.values():  # noqa: SLF001
            if t is not None and hasattr(t, "close"):
                await t.close()
        server.should_exit = True
        await task


@pytest.fixture
async def harness(pg_url: str, fake_tg: fakes.FakeBotAPI, fake_wa: fakes.FakeGraphAPI) -> AsyncIterator[Harness]:
    async with _running(pg_url, fake_tg, fake_wa, seed=False) as h:
        yield h


@pytest.fixture
async def seeded(pg_url: str, fake_tg: fakes.FakeBotAPI, fake_wa: fakes.FakeGraphAPI) -> AsyncIterator[Harness]:
    """A harness whose database has the demo centers and consultants."""
    async with _running(pg_url, fake_tg, fake_wa, seed=True) as h:
        yield h


# --- reading what the fakes received -----------------------------------------------------------


def tg_texts(fake: fakes.FakeBotAPI, chat: int | str, since: int = 0) -> list[str]:
    return [c.params.get("text") or c.params.get("caption") or "" for c in fake.calls[since:]
            if c.method.startswith("send") and str(c.params.get("chat_id")) == str(chat)]


def tg_button(fake: fakes.FakeBotAPI, chat: int | str, title_part: str) -> str:
    """The callback data of the newest inline button to `chat` whose title contains `title_part`."""
    for c in reversed(fake.calls):
        if not c.method.startswith("send") or str(c.params.get("chat_id")) != str(chat):
            continue
        markup = c.params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard") or []:
            for b in row:
                if title_part.lower() in b["text"].lower():
                    return b["callback_data"]
    raise AssertionError(f"no button {title_part!r} for {chat}: {tg_texts(fake, chat)}")


def wa_texts(fake: fakes.FakeGraphAPI, to: str, since: int = 0) -> list[str]:
    out = []
    for c in fake.calls[since:]:
        if c.method != "messages" or c.params.get("to") != to:
            continue
        p = c.params
        if p.get("type") == "text":
            out.append(p["text"]["body"])
        elif p.get("type") == "interactive":
            out.append(p["interactive"]["body"]["text"])
        elif p.get("type") == "template":
            out.append(json.dumps(p["template"]))
        else:
            out.append(json.dumps(p.get(p.get("type", ""), {})))
    return out


def wa_choice(fake: fakes.FakeGraphAPI, to: str, title_part: str) -> tuple[str, str]:
    """(payload, kind) of the newest reply button or list row to `to` containing `title_part`."""
    for c in reversed(fake.calls):
        if c.method != "messages" or c.params.get("to") != to or c.params.get("type") != "interactive":
            continue
        inter = c.params["interactive"]
        if inter["type"] == "button":
            for b in inter["action"]["buttons"]:
                if title_part.lower() in b["reply"]["title"].lower():
                    return b["reply"]["id"], "button"
        if inter["type"] == "list":
            for section in inter["action"]["sections"]:
                for r in section["rows"]:
                    if title_part.lower() in (r["title"] + " " + r.get("description", "")).lower():
                        return r["id"], "list"
    raise AssertionError(f"no choice {title_part!r} for {to}: {wa_texts(fake, to)}")
