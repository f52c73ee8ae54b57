"""The per-user flood limit (`bot/engine/flood.py`): a flood from one account gets one notice
and is not read beyond the limit; other users, a fast booking and consultants are untouched;
two processes on one PostgreSQL count one flood together; the window ends with time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import FrontDesk
from bot.config import ConfigError, load_settings
from bot.engine.actions import Turn
from bot.engine.events import Contact, Event, Reply
from bot.observability import metrics
from bot.storage.models import Consultant, InboundRate, MessageLog
from tests.booking.conftest import NOW
from tests.conftest import make_settings

NOTICE_ID = "Pesan Bapak/Ibu masuk cepat sekali"
NOTICE_EN = "Your messages are arriving very fast"


class Counted:
    """The app, with the turns the engine actually read (NLU, flows) counted per user."""

    def __init__(self, app: FrontDesk) -> None:
        self.app = app
        self.turns: dict[str, int] = {}
        app.engine.observe(self._seen)

    def _seen(self, turn: Turn) -> None:
        self.turns[turn.event.user_id] = self.turns.get(turn.event.user_id, 0) + 1

    def tick(self, seconds: float) -> None:
        clock = self.app.clock
        clock._frozen = clock.now() + timedelta(seconds=seconds)  # noqa: SLF001


LIMITED = {"INBOUND_RATE_PER_MINUTE": "20"}
"""The default rate, given: under a frozen clock (FRONTDESK_NOW, as in every test) it is off unless given."""


async def _started(url: str, **env: str) -> FrontDesk:
    app = FrontDesk(make_settings(url, **{**LIMITED, **env}))
    await app.start(migrate=False)
    return app


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[FrontDesk]:
    frontdesk = await _started(db_url)
    try:
        yield frontdesk
    finally:
        await frontdesk.close()


def _ev(user: str, mid: str, text: str = "halo min, mau tanya soal NIB dong", channel: str = "telegram") -> Event:
    return Event(channel=channel, user_id=user, message_id=mid, text=text)


def _notices(results: list[list[Reply]], marker: str = NOTICE_ID) -> int:
    return sum(1 for replies in results for r in replies if marker in (r.text or ""))


async def _flood(app: FrontDesk, user: str, n: int, *, prefix: str = "f", text: str = "halo min, mau tanya soal NIB dong") -> list[list[Reply]]:
    """`n` messages of one user at once, through the webhooks' intake (batched as under load)."""
    return list(await asyncio.gather(*(app.engine.intake.submit(_ev(user, f"{prefix}{i}", text)) for i in range(n))))


async def _count(app: FrontDesk, *where: object) -> int:
    async with app.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(MessageLog).where(*where))).scalar_one())


async def test_a_flood_gets_one_notice_and_the_rest_is_not_read(app: FrontDesk) -> None:
    seen = Counted(app)
    burst = app.settings.inbound_burst
    before = metrics.THROTTLED.labels("telegram", "dropped")._value.get()  # noqa: SLF001
    results = await _flood(app, "flooder", 200)
    assert seen.turns["flooder"] == burst, "only the burst is read (NLU, flows); the rest costs no turn"
    assert _notices(results) == 1, "exactly one notice to slow down"
    notice_at = next(i for i, r in enumerate(results) if _notices([r]))
    assert all(r for r in results[:notice_at]), "the messages within the burst are answered"
    assert not any(results[notice_at + 1:]), "after the notice: silence, nothing answered"
    # Stored: the burst's messages, one row saying a flood was cut (no text), the replies.
    assert await _count(app, MessageLog.direction == "in", MessageLog.kind == "text") == burst
    assert await _count(app, MessageLog.direction == "in", MessageLog.kind == "throttled", MessageLog.text.is_(None)) == 1
    async with app.db.transaction() as s:
        rate = (await s.execute(select(InboundRate))).scalar_one()
    assert rate.dropped == 200 - burst
    assert metrics.THROTTLED.labels("telegram", "dropped")._value.get() - before == 200 - burst - 1  # noqa: SLF001

    # The flood goes on (same instant): no second notice, nothing read.
    more = await _flood(app, "flooder", 50, prefix="g")
    assert _notices(more) == 0 and not any(more)
    assert seen.turns["flooder"] == burst


async def test_the_notice_is_in_the_users_language(app: FrontDesk) -> None:
    results = await _flood(app, "john", 30, text="hello, how do I get a halal certificate for my snacks")
    assert _notices(results, NOTICE_EN) == 1 and _notices(results, NOTICE_ID) == 0


async def test_other_users_are_answered_as_usual_during_a_flood(app: FrontDesk) -> None:
    seen = Counted(app)
    flood = [_ev("flooder", f"f{i}") for i in range(300)]
    others = [_ev(f"u{u}", f"u{u}-{k}", "berapa biaya sertifikasi halal?") for k in range(3) for u in range(20)]
    mixed = [e for pair in zip(flood[:60], others) for e in pair] + flood[60:]
    results = await asyncio.gather(*(app.engine.intake.submit(e) for e in mixed))
    answered = {e.user_id: 0 for e in others}
    for e, replies in zip(mixed, results):
        if e.user_id != "flooder":
            assert replies and _notices([replies]) == 0, f"{e.user_id} got {replies}"
            answered[e.user_id] += 1
    assert set(answered.values()) == {3}
    assert all(seen.turns[f"u{u}"] == 3 for u in range(20))
    assert seen.turns["flooder"] == app.settings.inbound_burst


async def test_the_flood_window_ends_and_the_user_is_served_again(app: FrontDesk) -> None:
    seen = Counted(app)
    burst = app.settings.inbound_burst
    interval = 60 / app.settings.inbound_rate
    assert _notices(await _flood(app, "f", 40)) == 1
    seen.tick(interval)  # during the flood one message per interval is read, with no second notice
    again = await _flood(app, "f", 10, prefix="b")
    assert _notices(again) == 0 and sum(1 for r in again if r) == 1
    seen.tick(burst * interval)  # the allowance is whole again: the flood is over
    after = await app.engine.handle(_ev("f", "after", "mau booking konsultasi"))
    assert after and _notices([after]) == 0
    assert seen.turns["f"] == burst + 2
    # A new flood later is a new flood: one new notice.
    seen.tick(burst * interval)
    assert _notices(await _flood(app, "f", 40, prefix="c")) == 1


async def test_a_fast_booking_by_buttons_is_never_throttled(tmp_path: object) -> None:
    app = FrontDesk(load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/fd.db", FRONTDESK_NOW=NOW.isoformat(),
                                  FRONTDESK_DEMO_SEED="true", **LIMITED))  # the default limit, the demo centers
    await app.start(migrate=True, seed=True)
    try:
        seen = Counted(app)
        steps: list[dict[str, object]] = [
            {"command": "start"}, {"button": "goto:book_consultation"}, {"button": "center:plut-maros"},
            {"button": "area:institutional"}, {"button": "day:2026-11-24"}, {"pick": "time:"},
            {"text": "Siti Aminah"}, {"text": "Keripik Siti"}, {"text": "makanan ringan"},
            {"contact": Contact(phone="0812-3456-7890")}, {"button": "yes"}, {"button": "yes"},
        ]
        after = [{"button": "flow:my_bookings"}, {"pick": "op=reschedule"}, {"button": "day:2026-11-25"},
                 {"pick": "time:"}, {"button": "yes"}, {"text": "makasih min"}]
        replies: list[Reply] = []
        texts = []
        for n, step in enumerate(steps + after):
            seen.tick(1.0 if n < len(steps) else 2.0)  # a tap a second: faster than people read
            if "pick" in step:
                payload = next(b.payload for r in replies for b in (r.buttons or []) + (r.options or [])
                               if str(step["pick"]) in b.payload)
                step = {"button": payload}
            replies = await app.engine.handle(Event(channel="telegram", user_id="fast", message_id=f"m{n}", **step))  # type: ignore[arg-type]
            assert replies and _notices([replies]) == 0, f"step {n} {step}: {replies}"
            texts.append("\n".join(r.text or "" for r in replies))
        assert any("tercatat dengan kode PLUT-" in t for t in texts)
        assert seen.turns["fast"] == len(steps) + len(after)
    finally:
        await app.close()


async def test_two_processes_on_one_postgresql_count_one_flood(postgres_url: str) -> None:
    one, two = await _started(postgres_url), await _started(postgres_url)
    try:
        seen_one, seen_two = Counted(one), Counted(two)
        events = [_ev("flooder", f"f{i}") for i in range(120)]
        results = await asyncio.gather(*((one if i % 2 else two).engine.intake.submit(e) for i, e in enumerate(events)))
        assert seen_one.turns.get("flooder", 0) + seen_two.turns.get("flooder", 0) == one.settings.inbound_burst
        assert _notices(list(results)) == 1
    finally:
        await one.close()
        await two.close()


async def test_a_consultant_is_not_throttled(app: FrontDesk) -> None:
    seen = Counted(app)
    async with app.db.transaction() as s:
        s.add(Consultant(center_code="plut-maros", name="Bu Rina", areas=["marketing"], channel="telegram",
                         external_id="rina", created_at=app.clock.now()))
    results = await _flood(app, "rina", 30, text="baik pak, saya cek dulu ya")
    assert _notices(results) == 0
    assert seen.turns["rina"] == 30


async def test_a_platform_retry_is_not_counted_twice(app: FrontDesk) -> None:
    burst = app.settings.inbound_burst
    for _ in range(3):  # the same messages delivered three times
        await asyncio.gather(*(app.engine.intake.submit(_ev("r", f"m{i}")) for i in range(burst)))
    async with app.db.transaction() as s:
        rate = (await s.execute(select(InboundRate))).scalar_one()
    assert rate.dropped == 0


async def test_off_when_the_rate_is_zero(db_url: str) -> None:
    app = await _started(db_url, INBOUND_RATE_PER_MINUTE="0")
    try:
        seen = Counted(app)
        assert _notices(await _flood(app, "f", 40)) == 0
        assert seen.turns["f"] == 40
    finally:
        await app.close()


@pytest.mark.parametrize("env", [
    {"INBOUND_RATE_PER_MINUTE": "-1"}, {"INBOUND_RATE_PER_MINUTE": "0.5"}, {"INBOUND_RATE_PER_MINUTE": "5000"},
    {"INBOUND_RATE_PER_MINUTE": "lots"}, {"INBOUND_BURST": "0"}, {"INBOUND_BURST": "100000"},
])
def test_bad_settings_are_refused_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(env))):
        load_settings(DATABASE_URL="sqlite+aiosqlite:///x.db", **env)


def test_the_defaults_and_a_frozen_clock() -> None:
    settings = load_settings(DATABASE_URL="sqlite+aiosqlite:///x.db")
    assert (settings.inbound_rate, settings.inbound_burst) == (20.0, 12)
    frozen = load_settings(DATABASE_URL="sqlite+aiosqlite:///x.db", FRONTDESK_NOW="2026-11-23T09:00:00+07:00")
    assert frozen.inbound_rate == 0, "no time passes on a frozen clock: a scripted conversation is no flood"
    given = load_settings(DATABASE_URL="sqlite+aiosqlite:///x.db", FRONTDESK_NOW="2026-11-23T09:00:00+07:00", **LIMITED)
    assert given.inbound_rate == 20



async def test_a_flood_of_stickers_gets_one_notice_too(app: FrontDesk) -> None:
    from bot.channels.common import handle_media
    from bot.engine.events import Media
    from bot.storage.models import OutboxMessage

    for i in range(40):
        await handle_media(app, Media(channel="telegram", user_id="stickers", message_id=f"s{i}", kind="unsupported", ref=None))
    async with app.db.transaction() as s:
        bodies = [str(p) for p in (await s.execute(
            select(OutboxMessage.payload).where(OutboxMessage.recipient == "stickers"))).scalars()]
    assert sum(NOTICE_ID in b for b in bodies) == 1
    assert sum("Saya bisa membaca teks" in b for b in bodies) == app.settings.inbound_burst
    assert len(bodies) == app.settings.inbound_burst + 1
