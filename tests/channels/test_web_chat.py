"""The web chat as a channel, over HTTP against the real server and PostgreSQL: a signed
browser id, messages in by POST, everything the browser shows read back from the outbox
(long polling), bad input refused without a trace, and a web user's handoff answered
from the consultant inbox in /admin."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from bot.admin import auth
from bot.channels import web
from bot.storage.models import Consultant, HandoffRequest, InboundMessage, OutboxMessage, User
from tests.channels.conftest import Harness
from tests.channels.test_inbox_handoff import PASSWORD, _sign_in


async def _session(h: Harness, **body: Any) -> str:
    r = await h.http.post("/web/session", content=_json(body), headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def _json(obj: Any) -> bytes:
    import json

    return json.dumps(obj).encode()


async def _say(h: Harness, wid: str, **body: Any) -> None:
    r = await h.http.post("/web/message", content=_json({"id": wid, "message_id": uuid.uuid4().hex, **body}))
    assert r.status_code == 202, r.text


async def _read(h: Harness, wid: str, after: int = 0) -> list[dict[str, Any]]:
    r = await h.http.get("/web/messages", params={"id": wid, "after": after, "wait": 0})
    assert r.status_code == 200, r.text
    return list(r.json()["messages"])


async def _stored(h: Harness) -> tuple[int, int, int]:
    async with h.app.db.transaction() as s:
        return tuple([(await s.execute(select(func.count()).select_from(m))).scalar_one()  # type: ignore[return-value]
                      for m in (User, InboundMessage, OutboxMessage)])


async def test_a_browser_talks_to_the_bot_and_reads_its_conversation_again(seeded: Harness) -> None:
    h = seeded
    wid = await _session(h, lang="en-GB", center="plut-sleman")
    assert await _session(h, id=wid) == wid  # a kept id is kept
    rand = wid.split(".")[0]
    async with h.app.db.transaction() as s:
        user = (await s.execute(select(User).where(User.channel == "web", User.external_id == rand))).scalar_one()
        assert user.language == "en" and "." not in user.external_id
    await _say(h, wid, command="start")
    first = await _read(h, wid)
    assert first and "welcome to PLUT-KUMKM" in first[0]["text"] and first[-1]["buttons"]
    await _say(h, wid, text="Where is the nearest PLUT?")
    later = await _read(h, wid, after=first[-1]["n"])
    assert later[0] == {"n": later[0]["n"], "at": later[0]["at"], "echo": "Where is the nearest PLUT?"}
    # a reload reads the whole conversation again, in order
    again = await _read(h, wid)
    assert [m["n"] for m in again] == sorted(m["n"] for m in first + later)


async def test_replies_are_rendered_for_the_widget() -> None:
    part = web.reply_parts({"text": "Nomor Bapak/Ibu?", "request_contact": True})[0]
    assert part == {"text": "Nomor Bapak/Ibu?", "input": "phone"}
    card = web.reply_parts({"venue": {"latitude": -7.7, "longitude": 110.3, "title": "PLUT Sleman", "address": "Jl. Magelang",
                                      "url": "https://www.google.com/maps/dir/?api=1&destination=-7.7,110.3"}})[0]
    assert card == {"card": {"title": "PLUT Sleman", "address": "Jl. Magelang",
                             "map_url": "https://www.google.com/maps/dir/?api=1&destination=-7.7,110.3"}}
    menu = web.reply_parts({"text": "Pilih", "options": [{"title": "A", "payload": "p:a"}], "options_title": "Layanan"})[0]
    assert menu["buttons"] == [{"title": "A", "payload": "p:a"}] and menu["options_title"] == "Layanan"


async def test_forged_missing_and_malformed_input_is_refused_and_changes_nothing(seeded: Harness) -> None:
    h = seeded
    wid = await _session(h, lang="id")
    rand, sig = wid.split(".")
    before = await _stored(h)
    forged = [f"{rand}.{sig[:-1]}{'A' if sig[-1] != 'A' else 'B'}", f"{rand[:-1]}x.{sig}", rand, "", None, 5, "a.b.c"]
    for bad in forged:
        r = await h.http.post("/web/message", content=_json({"id": bad, "message_id": "m1", "text": "halo"}))
        assert r.status_code == 401, (bad, r.text)
        assert (await h.http.get("/web/messages", params={"id": str(bad)})).status_code == 401
    for body, status in ((b"{not json", 400), (b"[1, 2]", 400), (b"\xff\xfe", 400), (b"x" * 70_000, 413),
                         (_json({"id": wid, "message_id": "m2"}), 422),
                         (_json({"id": wid, "message_id": "m3", "text": 5}), 422),
                         (_json({"id": wid, "message_id": "m4", "location": {"latitude": 95, "longitude": 0}}), 422),
                         (_json({"id": wid, "text": "halo"}), 422)):
        r = await h.http.post("/web/message", content=body)
        assert r.status_code == status, (body[:40], r.text)
        assert "error" in r.json()
    assert (await h.http.get("/web/messages", params={"id": wid, "after": "x"})).status_code == 400
    assert await _stored(h) == before


async def test_long_and_emoji_only_messages_get_a_polite_answer(seeded: Harness) -> None:
    h = seeded
    wid = await _session(h, lang="id")
    await _say(h, wid, command="start")
    seen = (await _read(h, wid))[-1]["n"]
    await _say(h, wid, text="a" * 10_000)
    long = [m for m in await _read(h, wid, seen) if "text" in m]
    said = " ".join(m["text"] for m in long)
    assert "very long" in said or "panjang" in said, said
    seen = max(m["n"] for m in await _read(h, wid))
    await _say(h, wid, text="🙏🙏🙏")
    emoji = [m for m in await _read(h, wid, seen) if "text" in m]
    assert emoji and all(m["text"].strip() for m in emoji)


async def test_a_web_handoff_is_answered_from_the_inbox(seeded: Harness) -> None:
    h = seeded
    async with h.app.db.transaction() as s:
        consultant = (await s.execute(select(Consultant).where(Consultant.center_code == "plut-sleman",
                                                               Consultant.channel.is_(None)).order_by(Consultant.id))).scalars().first()
        assert consultant is not None
        await auth.create_user(s, username="rina", password=PASSWORD, role="consultant", now=h.app.clock.now(),
                               center_code="plut-sleman", consultant_id=consultant.id)
    wid = await _session(h, lang="id", center="plut-sleman")
    await _say(h, wid, command="start")
    await _say(h, wid, button="flow:talk_to_consultant?center=plut-sleman")
    area = next(b for m in await _read(h, wid) for b in m.get("buttons", []) if "perizinan" in b["title"].lower())
    await _say(h, wid, button=area["payload"], shown=area["title"])
    await _say(h, wid, text="Bagaimana cara daftar merek dagang?")
    [req] = await h.rows(HandoffRequest)
    assert req.status == "open"
    seen = max(m["n"] for m in await _read(h, wid))

    csrf = await _sign_in(h, "rina")
    assert "Bagaimana cara daftar merek dagang?" in (await h.http.get("/admin/inbox")).text
    assert (await h.http.post(f"/admin/inbox/handoffs/{req.id}/take", data={"csrf": csrf})).status_code == 303
    answer = await h.http.post(f"/admin/inbox/handoffs/{req.id}/answer",
                               data={"csrf": csrf, "text": "Bisa lewat PLUT, Ibu.", "key": "k1"})
    assert answer.status_code == 303, answer.text
    texts = [m.get("text", "") for m in await _read(h, wid, seen)]
    assert any("bergabung" in t for t in texts), texts
    assert any(t.endswith("Bisa lewat PLUT, Ibu.") for t in texts), texts

    await _say(h, wid, text="Terima kasih, saya datang besok")
    assert "Terima kasih, saya datang besok" in (await h.http.get("/admin/inbox")).text
    await _say(h, wid, text="/selesai")
    rating = [b for m in await _read(h, wid, seen) for b in m.get("buttons", [])]
    assert any("⭐" in b["title"] or "5" in b["title"] for b in rating), rating
