"""The engine on both databases: one conversation at a time, replays, asks and re-asks."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import FrontDesk
from bot.engine.actions import Turn, action
from bot.engine.events import Contact, Event, Location
from bot.storage.models import Conversation, MessageLog, User
from tests.conftest import ROOT, make_settings

SPANS: list[tuple[str, float, float]] = []


@action("test.slow_step")
async def _slow_step(turn: Turn) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.sleep(0.5)
    SPANS.append((turn.event.message_id or "", start, loop.time()))
    turn.say(f"done {turn.event.message_id}")


TEST_FLOW = """
flow: test_profile
triggers: {commands: [profile]}
steps:
  - id: ask_age
    ask:
      slot: age
      type: integer
      min: 1
      max: 120
      text: {id: "Berapa umur usaha Bapak/Ibu (tahun)?", en: "How old is your business (years)?"}
      error: {id: "Mohon tulis angka saja.", en: "Please write a number."}
  - id: ask_phone
    ask:
      slot: phone
      type: contact
      text: {id: "Nomor HP?", en: "Phone number?"}
  - say: {id: "Terima kasih, {age} tahun, {phone}.", en: "Thanks, {age} years, {phone}."}
"""

SLOW_FLOW = """
flow: test_slow
triggers: {commands: [slow]}
steps:
  - action: test.slow_step
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """The real content plus two test flows."""
    root = tmp_path / "content"
    shutil.copytree(ROOT / "flows", root / "flows")
    shutil.copytree(ROOT / "locales", root / "locales")
    if (ROOT / "nlu").exists():
        shutil.copytree(ROOT / "nlu", root / "nlu")
    if (ROOT / "data").exists():
        shutil.copytree(ROOT / "data", root / "data")
    (root / "flows" / "test_profile.yml").write_text(TEST_FLOW)
    (root / "flows" / "test_slow.yml").write_text(SLOW_FLOW)
    return root


async def _app(db_url: str, content: Path) -> FrontDesk:
    app = FrontDesk(make_settings(db_url, FRONTDESK_CONTENT_DIR=str(content)))
    await app.start(migrate=False)
    return app


async def _state(app: FrontDesk, user: str) -> tuple[str | None, str | None, dict, str | None]:
    async with app.db.transaction() as s:
        u = (await s.execute(select(User).where(User.external_id == user))).scalar_one()
        c = (await s.execute(select(Conversation).where(Conversation.user_id == u.id))).scalar_one()
        return c.flow, c.step, dict(c.values), u.language


async def _log_count(app: FrontDesk) -> int:
    async with app.db.transaction() as s:
        return int((await s.execute(select(func.count()).select_from(MessageLog))).scalar_one())


async def test_ask_validates_and_reasks_without_losing_state(db_url: str, content: Path) -> None:
    app = await _app(db_url, content)
    try:
        ev = lambda **kw: Event(channel="test", user_id="eka", **kw)  # noqa: E731
        await app.engine.handle(ev(command="profile"))
        before = await _state(app, "eka")
        for bad in ("", "😀😀", "seratus ribu", "x" * 10_000, "999"):
            replies = await app.engine.handle(ev(text=bad))
            assert any("angka" in (r.text or "") for r in replies) or any("ulai lagi" in (r.text or "") for r in replies)
            if any("ulai lagi" in (r.text or "") for r in replies):
                break
            flow, step, values, lang = await _state(app, "eka")
            assert (flow, step) == ("test_profile", "ask_age") and "age" not in values and lang == before[3]
        await app.engine.handle(ev(command="profile"))
        replies = await app.engine.handle(ev(text="12"))
        assert replies[0].request_contact
        replies = await app.engine.handle(ev(contact=Contact(phone="0812-3456-7890")))
        assert replies[0].text == "Terima kasih, 12 tahun, +6281234567890."
        assert (await _state(app, "eka"))[:2] == (None, None)
    finally:
        await app.close()


async def test_repeated_message_id_changes_nothing(db_url: str, content: Path) -> None:
    app = await _app(db_url, content)
    try:
        first = await app.engine.handle(Event(channel="telegram", user_id="42", message_id="u-1", command="profile"))
        state, logs = await _state(app, "42"), await _log_count(app)
        again = await app.engine.handle(Event(channel="telegram", user_id="42", message_id="u-1", text="12"))
        assert first and again == []
        assert await _state(app, "42") == state
        assert await _log_count(app) == logs
        # The same id on another channel is another message.
        assert await app.engine.handle(Event(channel="whatsapp", user_id="42", message_id="u-1", command="start"))
    finally:
        await app.close()


async def test_a_user_row_without_a_conversation_gets_one(db_url: str, content: Path) -> None:
    """New users arriving together with one whose row exists but has no conversation yet
    (another process created it and has not committed its conversation): all are answered."""
    app = await _app(db_url, content)
    try:
        async with app.db.transaction() as s:
            s.add(User(channel="test", external_id="early", created_at=app.clock.now()))
        results = await app.engine.handle_batch(
            [(Event(channel="test", user_id=u, message_id=f"m-{u}", command="start"), None) for u in ("new1", "early", "new2")]
        )
        assert all(results)
        for u in ("new1", "early", "new2"):
            assert (await _state(app, u))[0] is not None
    finally:
        await app.close()


async def test_two_events_of_one_user_run_one_after_the_other(db_url: str, content: Path) -> None:
    """Two app instances (as two processes would) get two events of one user at once."""
    first, second = await _app(db_url, content), await _app(db_url, content)
    SPANS.clear()
    try:
        await first.engine.handle(Event(channel="test", user_id="fajar", command="start"))
        r1, r2 = await asyncio.gather(
            first.engine.handle(Event(channel="test", user_id="fajar", message_id="a", command="slow")),
            second.engine.handle(Event(channel="test", user_id="fajar", message_id="b", command="slow")),
        )
        assert r1 and r2
        (_, s1, e1), (_, s2, e2) = sorted(SPANS, key=lambda s: s[1])
        assert e1 <= s2, f"the two events overlapped: {SPANS}"
    finally:
        await first.close()
        await second.close()


async def test_events_of_different_users_do_not_wait_for_each_other_on_postgres(postgres_url: str, content: Path) -> None:
    # SQLite has one writer at a time by design: the embedded default serialises all conversations.
    first, second = await _app(postgres_url, content), await _app(postgres_url, content)
    SPANS.clear()
    try:
        await asyncio.gather(
            first.engine.handle(Event(channel="test", user_id="g1", command="slow")),
            second.engine.handle(Event(channel="test", user_id="g2", command="slow")),
        )
        (_, s1, e1), (_, s2, e2) = sorted(SPANS, key=lambda s: s[1])
        assert s2 < e1, "different users should be handled in parallel on PostgreSQL"
    finally:
        await first.close()
        await second.close()


async def test_location_without_a_waiting_step_is_understood(db_url: str, content: Path) -> None:
    app = await _app(db_url, content)
    try:
        replies = await app.engine.handle(Event(channel="test", user_id="h", location=Location(-6.99, 110.42)))
        assert replies, "a shared location always gets an answer"
    finally:
        await app.close()


async def test_language_is_detected_remembered_and_switchable(db_url: str, content: Path) -> None:
    app = await _app(db_url, content)
    try:
        ev = lambda text: Event(channel="test", user_id="ira", text=text)  # noqa: E731
        await app.engine.handle(ev("Good morning, I need some help with my business"))
        assert (await _state(app, "ira"))[3] == "en"
        await app.engine.handle(ev("ok"))
        assert (await _state(app, "ira"))[3] == "en", "a neutral short word keeps the language"
        replies = await app.engine.handle(ev("ganti bahasa"))
        assert [b.title for r in replies for b in r.buttons + r.options] == ["Bahasa Indonesia", "English"]
        replies = await app.engine.handle(Event(channel="test", user_id="ira", button="lang:id"))
        assert "Bahasa Indonesia" in (replies[0].text or "")
        await app.engine.handle(ev("Could you tell me more please, thank you very much"))
        assert (await _state(app, "ira"))[3] == "id", "an explicit choice is kept even when the user writes English"
    finally:
        await app.close()


@pytest.mark.parametrize("word", ["menu", "batal", "Cancel", "/menu"])
async def test_menu_words_leave_any_step(db_url: str, content: Path, word: str) -> None:
    app = await _app(db_url, content)
    try:
        await app.engine.handle(Event(channel="test", user_id="joko", command="profile"))
        assert (await _state(app, "joko"))[:2] == ("test_profile", "ask_age")
        replies = await app.engine.handle(Event(channel="test", user_id="joko", text=word))
        assert any(len(r.options) == 6 for r in replies), "the main menu is shown"
        flow, step, values, _ = await _state(app, "joko")
        assert (flow, step) == ("main_menu", "menu") and "age" not in values
    finally:
        await app.close()


async def test_a_question_at_the_menu_is_not_taken_for_a_menu_title(db_url: str, content: Path) -> None:
    app = await _app(db_url, content)
    try:
        ev = lambda **kw: Event(channel="test", user_id="kiki", **kw)  # noqa: E731
        await app.engine.handle(ev(command="start"))
        await app.engine.handle(ev(text="apakah konsultasi di plut bayar?"))
        assert (await _state(app, "kiki"))[0] != "find_center"
        await app.engine.handle(ev(command="start"))
        await app.engine.handle(ev(text="cari plut terdekatt"))
        assert (await _state(app, "kiki"))[0] == "find_center", "a typo in a menu title still chooses it"
    finally:
        await app.close()


async def test_typed_commands_and_menu_words_skip_the_nlu_and_the_language_vote(db_url: str, content: Path) -> None:
    """On WhatsApp `/start` and `menu` arrive as text: the engine handles them before any
    step or intent, and a command tells nothing about the user's language."""
    app = await _app(db_url, content)
    try:
        await app.engine.handle(Event(channel="test", user_id="wati", text="/start"))
        _, _, values, _ = await _state(app, "wati")
        assert "_lang_told" not in values, "a command is not a vote on the language"
        await app.engine.handle(Event(channel="test", user_id="wati", text="menu"))
        await app.engine.handle(Event(channel="test", user_id="wati", text="berapa biaya konsultasi?"))
        async with app.db.transaction() as s:
            rows = (await s.execute(
                select(MessageLog.text, MessageLog.intent).where(MessageLog.direction == "in").order_by(MessageLog.id)
            )).all()
        assert [(t, i is not None) for t, i in rows] == [("/start", False), ("menu", False), ("berapa biaya konsultasi?", True)]
    finally:
        await app.close()
