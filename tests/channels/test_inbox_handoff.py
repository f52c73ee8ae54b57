"""A Telegram user's handoff answered from the consultant inbox in /admin: the consultant
has no linked Telegram or WhatsApp, takes the request in the inbox, the answer reaches the
user on Telegram through the outbox, the user's reply shows in the inbox, and ending it
asks the user for a rating."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.admin import auth
from bot.storage.models import AuditEntry, Consultant, HandoffRequest, OutboxMessage
from tests.channels import fakes
from tests.channels.conftest import Harness, tg_button, tg_texts

OWNER = 770101
PASSWORD = "correct horse battery"


async def _step(h: Harness, update: dict) -> None:  # type: ignore[type-arg]
    r = await h.telegram(update)
    assert r.status_code == 200, r.text
    await h.deliver()


async def _consultant_account(h: Harness, center: str, username: str) -> int:
    async with h.app.db.transaction() as s:
        consultant = (await s.execute(select(Consultant).where(Consultant.center_code == center, Consultant.channel.is_(None))
                                      .order_by(Consultant.id))).scalars().first()
        assert consultant is not None
        await auth.create_user(s, username=username, password=PASSWORD, role="consultant", now=h.app.clock.now(),
                               center_code=center, consultant_id=consultant.id)
        return consultant.id


async def _sign_in(h: Harness, username: str) -> str:
    page = await h.http.get("/admin/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    res = await h.http.post("/admin/login", data={"csrf": token, "username": username, "password": PASSWORD, "next": "/admin/"})
    assert res.status_code == 303, res.text
    inbox = await h.http.get("/admin/inbox")
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', inbox.text).group(1)  # type: ignore[union-attr]


async def test_a_telegram_handoff_is_taken_answered_and_ended_in_the_inbox(seeded: Harness) -> None:
    h = seeded
    await _consultant_account(h, "plut-sleman", "rina")
    await _step(h, fakes.tg_message(OWNER, text="/start", first="Siti"))
    await _step(h, fakes.tg_callback(OWNER, "flow:talk_to_consultant?center=plut-sleman"))
    await _step(h, fakes.tg_callback(OWNER, tg_button(h.tg, OWNER, "Perizinan")))
    await _step(h, fakes.tg_message(OWNER, text="Bagaimana cara daftar merek dagang?", first="Siti"))
    await _step(h, fakes.tg_message(OWNER, text="apakah ada biayanya?"))

    csrf = await _sign_in(h, "rina")
    page = (await h.http.get("/admin/inbox")).text
    assert "Bagaimana cara daftar merek dagang?" in page and "apakah ada biayanya?" in page
    req = (await h.rows(HandoffRequest))[0]
    take = await h.http.post(f"/admin/inbox/handoffs/{req.id}/take", data={"csrf": csrf})
    assert take.status_code == 303 and "done=taken" in take.headers["location"]
    await h.deliver()
    assert "bergabung" in tg_texts(h.tg, OWNER)[-1]

    page = (await h.http.get("/admin/inbox")).text
    key = re.search(rf'action="/admin/inbox/handoffs/{req.id}/answer".*?name="key" value="([^"]+)"', page, re.S).group(1)  # type: ignore[union-attr]
    form = {"csrf": csrf, "key": key, "text": "Silakan siapkan NIB dan logo."}
    assert (await h.http.post(f"/admin/inbox/handoffs/{req.id}/answer", data=form)).status_code == 303
    again = await h.http.post(f"/admin/inbox/handoffs/{req.id}/answer", data=form)  # the same form sent twice
    assert "sent_already" in again.headers["location"]
    await h.deliver()
    answers = [t for t in tg_texts(h.tg, OWNER) if t.endswith("Silakan siapkan NIB dan logo.")]
    assert len(answers) == 1

    # The user's reply goes to the inbox, not to any platform.
    await _step(h, fakes.tg_message(OWNER, text="Baik, terima kasih"))
    assert "Baik, terima kasih" in (await h.http.get("/admin/inbox")).text
    inbox_rows = await h.rows(OutboxMessage, OutboxMessage.channel == "inbox")
    assert inbox_rows and all(r.status == "sent" for r in inbox_rows)

    too_long = await h.http.post(f"/admin/inbox/handoffs/{req.id}/answer", data=form | {"key": "m99", "text": "x" * 10_000})
    assert "too_long" in too_long.headers["location"]
    assert await h.rows(OutboxMessage, OutboxMessage.idempotency_key.like("%:inbox:m99")) == []

    ended = await h.http.post(f"/admin/inbox/handoffs/{req.id}/end", data={"csrf": csrf})
    assert ended.status_code == 303
    await h.deliver()
    assert "5" in tg_texts(h.tg, OWNER)[-1]
    assert (await h.rows(HandoffRequest))[0].status == "closed"
    actions = [a.action for a in await h.rows(AuditEntry, AuditEntry.action.like("handoff.%"))]
    assert actions == ["handoff.take", "handoff.answer", "handoff.end"]


async def test_a_consultant_cannot_take_another_centers_request(seeded: Harness) -> None:
    h = seeded
    await _consultant_account(h, "plut-maros", "budi")
    await _step(h, fakes.tg_message(OWNER, text="/start", first="Siti"))
    await _step(h, fakes.tg_callback(OWNER, "flow:talk_to_consultant?center=plut-sleman"))
    await _step(h, fakes.tg_callback(OWNER, tg_button(h.tg, OWNER, "Perizinan")))
    await _step(h, fakes.tg_message(OWNER, text="Pertanyaan rahasia Sleman", first="Siti"))
    csrf = await _sign_in(h, "budi")
    assert "Pertanyaan rahasia Sleman" not in (await h.http.get("/admin/inbox")).text
    assert "Pertanyaan rahasia Sleman" not in (await h.http.get("/admin/inbox/events")).text
    req = (await h.rows(HandoffRequest))[0]
    assert (await h.http.post(f"/admin/inbox/handoffs/{req.id}/take", data={"csrf": csrf})).status_code == 404
    assert (await h.http.post(f"/admin/inbox/handoffs/{req.id}/take", data={"csrf": "wrong"})).status_code == 403
    assert (await h.rows(HandoffRequest))[0].status == "open"
