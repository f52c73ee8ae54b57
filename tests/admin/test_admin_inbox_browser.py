"""The consultant inbox in headless Chromium, on a phone and on a desktop: a chat that
arrives while the page is open shows by itself (server-sent events), the consultant takes
and answers it, and what they are typing survives the next live update.
Screenshots: artifacts/admin-inbox-phone.png, artifacts/admin-inbox.png."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services import handoff as handoff_svc
from bot.storage.models import HandoffRequest, OutboxMessage, User

from .conftest import make_frontdesk
from .test_admin_browser import ARTIFACTS, page, server, sign_in  # noqa: F401  (fixtures)
from .test_admin_inbox import world  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def _elsewhere(database_url: str, fn):
    """Run `fn(session, now)` in a front desk of its own, as another process would."""

    async def run():
        fd = make_frontdesk(database_url)
        try:
            async with fd.db.transaction() as session:
                return await fn(session, fd.clock.now())
        finally:
            await fd.db.dispose()

    # Playwright's sync API holds an event loop in this thread: run ours in another
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _no_sideways_scroll(pg) -> None:
    assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), pg.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")


def test_a_chat_arrives_live_is_taken_and_answered(world, database_url, page) -> None:  # noqa: F811
    from playwright.sync_api import expect

    sign_in(page, "consultant")
    expect(page).to_have_url(re.compile(r"/admin/inbox$"))
    expect(page.locator("#inbox-live")).to_have_class(re.compile(r"\bon\b"))

    async def ask(session, now):
        user = User(channel="telegram", external_id="880001", created_at=now, language="id", language_locked=False,
                    display_name="Ibu Sari")
        session.add(user)
        await session.flush()
        req = await handoff_svc.open_request(session, user_id=user.id, center="plut-sumbar", area="financing",
                                             question="Apakah ada pinjaman modal untuk warung?", now=now,
                                             escalate_after=timedelta(minutes=10))
        return req.id

    req_id = _elsewhere(database_url, ask)
    card = page.locator(f"#h{req_id}")
    expect(card).to_contain_text("Apakah ada pinjaman modal untuk warung?", timeout=8000)  # no reload
    card.get_by_role("button", name="Ambil obrolan ini").click()
    expect(page.locator("p.ok")).to_be_visible()
    card = page.locator(f"#h{req_id}")
    box = card.get_by_label("Jawaban Anda")
    box.fill("Ada, Ibu. Silakan bawa KTP dan NIB.")
    card.get_by_role("button", name="Kirim").click()
    expect(page.locator(f"#h{req_id} .thread")).to_contain_text("Ada, Ibu. Silakan bawa KTP dan NIB.")

    # the user writes back while the consultant is typing: the reply shows, the draft stays
    page.locator(f"#h{req_id}").get_by_label("Jawaban Anda").fill("Jam buka kami")

    async def reply(session, now):
        req = await session.get(HandoffRequest, req_id)
        handoff_svc.record_message(session, req, "to_consultant", "text", "Terima kasih, besok saya datang", now)

    _elsewhere(database_url, reply)
    expect(page.locator(f"#h{req_id} .thread")).to_contain_text("Terima kasih, besok saya datang", timeout=8000)
    expect(page.locator(f"#h{req_id}").get_by_label("Jawaban Anda")).to_have_value("Jam buka kami")
    _no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "admin-inbox-phone.png"), full_page=True)

    async def sent(session, now):
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.channel == "telegram",
                                                                   OutboxMessage.recipient == "880001"))).scalars()
        return [r.payload.get("text", "") for r in rows]

    texts = _elsewhere(database_url, sent)
    assert any(t.endswith("Ada, Ibu. Silakan bawa KTP dan NIB.") for t in texts), texts

    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    expect(page.locator("#inbox-bookings")).to_be_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "admin-inbox.png"), full_page=True)
