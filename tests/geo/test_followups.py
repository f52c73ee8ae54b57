"""Short follow-ups read against the conversation's context, through the real engine and
database: a day's hours of the center shown, the place the user is in, the consultant of the
last booking."""

from __future__ import annotations

import itertools

from bot.app import FrontDesk
from bot.engine.events import Event, Location, Reply

from .test_centers import HEADER

_ids = itertools.count()


async def say(app: FrontDesk, user: str, **kw: object) -> list[Reply]:
    return await app.engine.handle(Event(channel="cli", user_id=user, message_id=f"f{next(_ids)}", **kw))  # type: ignore[arg-type]


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text or "" for r in replies)


async def _center_with_hours(app: FrontDesk) -> None:
    from bot.services.centers import import_centers

    row = ("plut-test-biak,PLUT Test Biak,regency,Papua,91.06,Kabupaten Biak Numfor,,-1.18,136.08,building,,,,"
           "Mon-Fri 08:00-16:00; Sat 08:00-12:00,Asia/Jayapura,,,test,")
    async with app.db.transaction() as session:
        await import_centers(session, f"{HEADER}\n{row}\n")


async def test_a_day_asked_after_a_center_gets_that_days_hours(frontdesk: FrontDesk) -> None:
    await _center_with_hours(frontdesk)
    await say(frontdesk, "h1", button="act:centers.details?center=plut-test-biak")
    saturday = texts(await say(frontdesk, "h1", text="sabtu buka ga?"))
    assert "Sabtu: PLUT Test Biak buka 08.00–12.00 WIT." in saturday
    assert "Sen–Jum" not in saturday  # that day, not the week again
    sunday = texts(await say(frontdesk, "h1", text="kalo minggu?"))
    assert "Minggu: PLUT Test Biak tutup." in sunday


async def test_english_and_javanese_day_questions(frontdesk: FrontDesk) -> None:
    await _center_with_hours(frontdesk)
    await say(frontdesk, "h2", text="/lang en")
    await say(frontdesk, "h2", button="act:centers.details?center=plut-test-biak")
    body = texts(await say(frontdesk, "h2", text="is it open on Saturday?"))
    assert "Saturday: PLUT Test Biak is open 08:00–12:00 WIT." in body
    await say(frontdesk, "h3", button="act:centers.details?center=plut-test-biak")
    assert "Sabtu: PLUT Test Biak buka" in texts(await say(frontdesk, "h3", text="dinten setu bukak mboten?"))


async def test_unknown_hours_are_said_plainly(frontdesk: FrontDesk) -> None:
    await say(frontdesk, "h4", button="act:centers.details?center=plut-buleleng")
    body = texts(await say(frontdesk, "h4", text="sabtu buka ga?"))
    assert "Jam buka PLUT-KUMKM Kabupaten Buleleng belum tercatat" in body and "hari Sabtu" in body


async def test_the_place_shared_is_remembered_for_the_nearest_and_the_next(frontdesk: FrontDesk) -> None:
    first = texts(await say(frontdesk, "p1", location=Location(-8.1150, 115.0900)))  # Singaraja
    assert "Buleleng" in first
    nearest = await say(frontdesk, "p1", text="yg paling deket yg mana ya")
    assert "PLUT terdekat dari lokasi Bapak/Ibu adalah PLUT-KUMKM Kabupaten Buleleng" in texts(nearest)
    assert "Bapak/Ibu berada di mana" not in texts(nearest)
    others = texts(await say(frontdesk, "p1", text="ada yg lain?"))
    assert "PLUT terdekat berikutnya dari lokasi Bapak/Ibu" in others
    assert "1. PLUT-KUMKM Kabupaten Buleleng" not in others


def test_the_days_a_message_asks_about() -> None:
    from datetime import date

    from bot.dialogue.followups import days_asked

    tue = date(2026, 11, 24)
    assert days_asked("sabtu min buka ga?", tue).weekdays == (5,)  # "min" is the admin, not Sunday
    assert days_asked("dinten setu bukak mboten?", tue).weekdays == (5,)
    assert days_asked("is it open on Saturday?", tue).weekdays == (5,)
    assert days_asked("kalo weekend?", tue).weekdays == (5, 6)
    assert days_asked("hari libur buka?", tue).holiday
    assert days_asked("besok buka ga", tue).dates == (date(2026, 11, 25),)
    assert days_asked("minggu depan buka ga", tue).empty  # next week, not Sunday
    assert days_asked("biayanya brp", tue).empty
