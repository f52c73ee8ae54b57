"""`/metrics`, `/readyz` and the JSON logs, on a real front desk and database."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.app import FrontDesk
from bot.observability.logging import JsonFormatter, set_event
from bot.outbox import Message, post
from bot.services import booking as svc
from bot.storage.models import HandoffRequest, User
from bot.web.app import create_app
from bot.web.hot import HotStarlette
from tests.booking.conftest import NOW, make_frontdesk
from tests.booking.test_booking_service import at, request as booking_request
from tests.channels import fakes
from tests.channels.conftest import Harness

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(body: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(s: Samples, name: str, **labels: str) -> float:
    return s.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[tuple[FrontDesk, httpx.AsyncClient]]:
    app = await make_frontdesk(f"sqlite+aiosqlite:///{tmp_path / 'fd.db'}")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(app, background=False)), base_url="http://fd")
    try:
        yield app, client
    finally:
        await client.aclose()
        await app.close()


async def scrape(client: httpx.AsyncClient) -> Samples:
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return samples(r.text)


async def test_metrics_count_messages_fallbacks_latencies_and_bookings(web: tuple[FrontDesk, httpx.AsyncClient]) -> None:
    app, client = web
    before = await scrape(client)
    for words in ("halo", "mau urus NIB", "qwpoeiruty zxmcnvb"):
        r = await client.post("/api/try", json={"user": "m1", "text": words})
        assert r.status_code == 200 and r.json()["replies"]
    after = await scrape(client)
    assert value(after, "frontdesk_messages_in_total", channel="web") - value(before, "frontdesk_messages_in_total", channel="web") == 3
    assert value(after, "frontdesk_messages_out_total", channel="web") - value(before, "frontdesk_messages_out_total", channel="web") >= 3
    assert value(after, "frontdesk_fallbacks_total", channel="web") - value(before, "frontdesk_fallbacks_total", channel="web") >= 1
    assert value(after, "frontdesk_turn_seconds_count") - value(before, "frontdesk_turn_seconds_count") == 3
    assert value(after, "frontdesk_nlu_seconds_count") - value(before, "frontdesk_nlu_seconds_count") >= 2

    async with app.db.transaction() as s:
        user = User(channel="cli", external_id="b1", created_at=NOW, language="id", language_locked=False)
        s.add(user)
        await s.flush()
        booking = await svc.book(s, booking_request(user.id, at(25, 10)), now=NOW)
        uid, ref = user.id, booking.ref
    async with app.db.transaction() as s:
        await svc.cancel_booking(s, user_id=uid, ref=ref, now=NOW)
    booked = await scrape(client)
    for event in ("made", "cancelled"):
        assert value(booked, "frontdesk_bookings_total", event=event) - value(after, "frontdesk_bookings_total", event=event) == 1


async def test_metrics_read_outbox_depth_its_oldest_row_and_waiting_handoffs(web: tuple[FrontDesk, httpx.AsyncClient]) -> None:
    app, client = web
    async with app.db.transaction() as s:
        await s.execute(text("DELETE FROM outbox"))
        user = User(channel="telegram", external_id="77", created_at=NOW, language="id", language_locked=False)
        s.add(user)
        await s.flush()
        s.add(HandoffRequest(user_id=user.id, status="open", created_at=NOW))
        await post(s, [Message("telegram", "77", {"text": "a"}, key="k1")], now=NOW - timedelta(seconds=90))
        await post(s, [Message("telegram", "77", {"text": "b"}, key="k2")], now=NOW - timedelta(seconds=30))
        await post(s, [Message("telegram", "77", {"text": "later"}, key="k3", not_before=NOW + timedelta(days=1))], now=NOW)
    got = await scrape(client)
    assert value(got, "frontdesk_outbox_depth") == 2  # the reminder of tomorrow is not due
    assert value(got, "frontdesk_outbox_oldest_seconds") == pytest.approx(90, abs=1)
    assert value(got, "frontdesk_handoffs_waiting") == 1
    assert value(got, "frontdesk_database_up") == 1


async def test_readyz_says_ready_and_names_an_outdated_schema(web: tuple[FrontDesk, httpx.AsyncClient]) -> None:
    app, client = web
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "database": "ok", "schema": "ok", "content": "ok"}
    async with app.db.transaction() as s:
        await s.execute(text("UPDATE alembic_version SET version_num = '0001_core'"))
    r = await client.get("/readyz")
    assert r.status_code == 503
    assert "frontdesk db upgrade" in r.json()["schema"]
    assert (await client.get("/healthz")).status_code == 200  # alive, only not ready


async def test_sends_and_their_failures_are_counted_by_channel_and_kind(harness: Harness) -> None:
    from prometheus_client import generate_latest

    def now() -> Samples:
        return samples(generate_latest().decode())

    before = now()
    r = await harness.telegram(fakes.tg_message(4242, text="/start"))
    assert r.status_code == 200
    assert await harness.deliver() >= 1
    middle = now()
    assert value(middle, "frontdesk_outbox_sent_total", channel="telegram") > value(before, "frontdesk_outbox_sent_total", channel="telegram")
    harness.tg.blocked(times=5)
    r = await harness.telegram(fakes.tg_message(4243, text="/start"))
    assert r.status_code == 200
    await harness.deliver()
    after = now()
    key = {"channel": "telegram", "kind": "permanent"}
    assert value(after, "frontdesk_send_failures_total", **key) > value(middle, "frontdesk_send_failures_total", **key)


def test_json_log_lines_carry_ids_and_no_personal_data() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.deploy.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        set_event("whatsapp", "wamid.HBgM123")
        logger.info("booking for %s at %s", "Siti Aminah", "+6281234567890", extra={"count": 3, "customer": "Siti"})
        logger.info("seeded %d demo consultants for %s", 12, "Siti")
        logger.info("seeded %d demo consultants for %s (chat %d)", 12, "Siti", 6281234567890)
        try:
            raise ValueError("duplicate key (phone)=(+6281234567890) text 'saya mau pinjam modal'")
        except ValueError:
            logger.exception("could not store %s", "saya mau pinjam modal")
    finally:
        set_event("whatsapp", None)
        logger.removeHandler(handler)
    out = stream.getvalue()
    for private in ("Siti", "6281234567890", "pinjam modal"):
        assert private not in out
    first, counted, big, second = (json.loads(line) for line in out.splitlines())
    assert first["message"] == "booking for <…> at <…>" and first["event_id"] == "whatsapp:wamid.HBgM123"
    assert counted["message"] == "seeded 12 demo consultants for <…>"
    assert big["message"] == "seeded %d demo consultants for %s (chat %d)"  # a %d left out: the template alone
    assert first["count"] == 3 and first["level"] == "INFO"
    assert second["exc_type"] == "builtins.ValueError" and second["exc_where"]


async def test_each_request_gets_a_request_id_in_its_log_lines() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.deploy.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    async def endpoint(request: Request) -> JSONResponse:
        logger.info("handled")
        return JSONResponse({})

    app = HotStarlette(routes=[Route("/x", endpoint)])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            await client.get("/x", headers={"x-request-id": "lb-7f3a"})
            await client.get("/x")
            await client.get("/x")
    finally:
        logger.removeHandler(handler)
    ids = [json.loads(line)["request_id"] for line in stream.getvalue().splitlines()]
    assert ids[0] == "lb-7f3a" and ids[1] != ids[2] and all(ids)
