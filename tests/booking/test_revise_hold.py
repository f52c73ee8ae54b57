"""A change of day or time at a later question ("eh jam 10 aja deh" at the name or the phone,
"eh kamis aja deh" at the kind of business) moves the hold in the database: the time held
before is free for others again, the new one is held, and what was answered is not asked again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.app import FrontDesk
from bot.engine.events import Event
from bot.services import booking as svc
from bot.storage.models import SlotHold, User

NINE = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 WITA (Maros); the clock says Monday 09:00 WIB
TEN = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


async def _say(app: FrontDesk, text: str, user: str = "u1") -> str:
    replies = await app.engine.handle(Event(channel="cli", user_id=user, text=text))
    return "\n".join(r.text or "" for r in replies)


async def _holds(app: FrontDesk, user: str = "u1") -> list[datetime]:
    async with app.db.transaction() as session:
        rows = (await session.execute(select(SlotHold.starts_at).join(User, User.id == SlotHold.user_id)
                                      .where(User.external_id == user))).scalars().all()
    return [r.replace(tzinfo=UTC) if r.tzinfo is None else r.astimezone(UTC) for r in rows]


async def _start(app: FrontDesk) -> None:
    said = await _say(app, "sy mau booking konsul keuangan di maros besok jam 9")
    assert "09.00" in said
    assert await _holds(app) == [NINE]


async def test_a_new_time_at_the_name_question_moves_the_hold(frontdesk: FrontDesk) -> None:
    await _start(frontdesk)
    said = await _say(frontdesk, "eh jam 10 aja deh")
    assert "10.00" in said and "nama" in said
    assert await _holds(frontdesk) == [TEN]


async def test_a_new_day_at_the_kind_question_lets_the_held_time_go_and_keeps_the_answers(frontdesk: FrontDesk) -> None:
    await _start(frontdesk)
    await _say(frontdesk, "Budi")
    await _say(frontdesk, "Toko Budi")
    said = await _say(frontdesk, "eh kamis aja deh")
    assert "Kamis" in said
    assert await _holds(frontdesk) == []  # Tuesday 09:00 is free for others while Thursday's time is chosen
    said = await _say(frontdesk, "jam 10")
    assert await _holds(frontdesk) == [datetime(2026, 11, 26, 2, 0, tzinfo=UTC)]
    assert "nama usaha" not in said  # the business name was given already
    assert "bidang apa" in said  # the kind of business was not


async def test_a_new_time_at_the_phone_question_moves_the_hold(frontdesk: FrontDesk) -> None:
    await _start(frontdesk)
    for answer in ("Budi", "Toko Budi", "keripik"):
        await _say(frontdesk, answer)
    said = await _say(frontdesk, "eh jam 10 aja deh")
    assert "bukan nomor HP" not in said and "10.00" in said and "Nomor HP berapa" in said
    assert await _holds(frontdesk) == [TEN]


async def test_a_change_to_a_taken_time_keeps_the_time_held(frontdesk: FrontDesk) -> None:
    await _start(frontdesk)
    async with frontdesk.db.transaction() as session:  # another owner holds 10:00 with every finance consultant
        other = User(channel="cli", external_id="u2", created_at=NINE, language_locked=False)
        session.add(other)
        await session.flush()
        for _ in range(5):
            try:
                await svc.hold_slot(session, user_id=other.id, center_code="plut-maros", area="financing",
                                    starts_at=TEN, now=frontdesk.clock.now())
            except svc.SlotTaken:
                break
            other = User(channel="cli", external_id=f"u2-{_}", created_at=NINE, language_locked=False)
            session.add(other)
            await session.flush()
    said = await _say(frontdesk, "eh jam 10 aja deh")
    assert "10.00" in said
    assert await _holds(frontdesk) == [NINE]
