"""Group commit (`Engine.intake`): events that arrive together share one transaction, keep
each user's order, are deduplicated, and one bad event does not fail the others."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from bot.app import FrontDesk
from bot.engine.actions import Turn, action
from bot.engine.events import Event
from bot.storage.models import InboundMessage, MessageLog, User
from tests.conftest import ROOT, make_settings

BOOM_FLOW = """
flow: test_boom
triggers: {commands: [boom]}
steps:
  - action: test.boom
"""


@action("test.boom")
async def _boom(turn: Turn) -> None:
    raise RuntimeError("a bug in one turn")


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for part in ("flows", "locales", "nlu", "data"):
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, root / part)
    (root / "flows" / "test_boom.yml").write_text(BOOM_FLOW)
    return root


@pytest.fixture
async def app(db_url: str, content: Path) -> FrontDesk:
    app = FrontDesk(make_settings(db_url, FRONTDESK_CONTENT_DIR=str(content)))
    await app.start(migrate=False)
    yield app
    await app.close()


def _ev(user: str, mid: str, **kw: object) -> Event:
    return Event(channel="test", user_id=user, message_id=mid, **kw)  # type: ignore[arg-type]


async def _inbound_texts(app: FrontDesk, user: str) -> list[str | None]:
    async with app.db.transaction() as s:
        uid = (await s.execute(select(User.id).where(User.external_id == user))).scalar_one()
        rows = await s.execute(
            select(MessageLog.text).where(MessageLog.user_id == uid, MessageLog.direction == "in").order_by(MessageLog.id)
        )
        return list(rows.scalars())


async def test_events_arriving_together_share_transactions_and_keep_each_users_order(app: FrontDesk) -> None:
    commits = 0

    def count(*_: object) -> None:
        nonlocal commits
        commits += 1

    sa_event.listen(app.db.engine.sync_engine, "commit", count)
    script = [{"command": "start"}, {"button": "lang:en"}, {"text": "menu"}]
    users = [f"w{i}" for i in range(10)]
    events = [_ev(u, f"{u}-{n}", **step) for n, step in enumerate(script) for u in users]
    results = await asyncio.gather(*(app.engine.intake.submit(e) for e in events))
    assert all(results), "every event is answered"
    assert commits < len(events) / 3, f"{commits} commits for {len(events)} events: they were not grouped"
    assert app.engine.intake.events == len(events)
    for u in users:
        assert await _inbound_texts(app, u) == ["start", "lang:en", "menu"]
    # The language switch (second event) was in force for the third one.
    first, third = results[0], results[2 * len(users)]
    assert "selamat datang" in (first[0].text or "").lower() and "welcome" in (third[0].text or "").lower()


async def test_a_message_repeated_in_one_batch_or_seen_before_is_turned_once(app: FrontDesk) -> None:
    await app.engine.handle(_ev("rani", "old", command="start"))
    results = await asyncio.gather(*(app.engine.intake.submit(e) for e in [
        _ev("rani", "new", text="menu"), _ev("rani", "new", text="menu"), _ev("rani", "old", command="start"),
        _ev("tono", "t1", command="start"),
    ]))
    assert [bool(r) for r in results] == [True, False, False, True]
    assert await _inbound_texts(app, "rani") == ["start", "menu"]
    async with app.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(InboundMessage))).scalar_one() == 3


async def test_one_failing_event_fails_alone_and_changes_nothing(app: FrontDesk) -> None:
    events = [_ev(f"ok{i}", f"ok{i}", command="start") for i in range(4)]
    events.insert(2, _ev("bad", "bad1", command="boom"))
    results = await asyncio.gather(*(app.engine.intake.submit(e) for e in events), return_exceptions=True)
    assert isinstance(results[2], RuntimeError)
    assert all(isinstance(r, list) and r for i, r in enumerate(results) if i != 2)
    async with app.db.transaction() as s:
        ids = set((await s.execute(select(InboundMessage.message_id))).scalars())
    assert ids == {"ok0", "ok1", "ok2", "ok3"}, "the failed event's id is not stored, so a retry is turned"
    # The platform's retry of the good events is a repeat; the bad one is turned again (and fails again).
    assert await app.engine.intake.submit(events[0]) == []
    with pytest.raises(RuntimeError):
        await app.engine.intake.submit(events[2])
