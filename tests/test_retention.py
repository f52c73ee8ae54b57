"""The message log is kept `MESSAGE_LOG_RETENTION_DAYS` days, and the background job applies it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import FrontDesk
from bot.channels import jobs
from bot.storage.models import MessageLog, User


async def _log_at(app: FrontDesk, *ages_in_days: int) -> None:
    now = app.clock.now()
    async with app.db.transaction() as s:
        user = User(channel="telegram", external_id="777", created_at=now)
        s.add(user)
        await s.flush()
        for i, age in enumerate(ages_in_days):
            s.add(MessageLog(user_id=user.id, channel="telegram", direction="in", kind="text",
                             text=f"pesan {i}", at=now - timedelta(days=age)))


async def _ages(app: FrontDesk) -> list[int]:
    now = app.clock.now()
    async with app.db.transaction() as s:
        ats = (await s.scalars(select(MessageLog.at).order_by(MessageLog.at))).all()
    return sorted(round((now - at).total_seconds() / 86400) for at in ats)


async def test_the_job_deletes_the_message_log_past_its_retention(app: FrontDesk) -> None:
    await _log_at(app, 400, 366, 364, 10, 0)
    assert app.settings.message_log_retention_days == 365
    await jobs.tick(app)
    assert await _ages(app) == [0, 10, 364]
    assert await jobs.apply_retention(app) == 0


async def test_retention_zero_keeps_the_message_log(app: FrontDesk) -> None:
    await _log_at(app, 4000, 1)
    app.settings.message_log_retention_days = 0
    assert await jobs.apply_retention(app) == 0
    assert await _ages(app) == [1, 4000]
