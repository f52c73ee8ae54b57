"""How long what people wrote is kept: the message log is cut to `MESSAGE_LOG_RETENTION_DAYS`
(UU PDP: personal data kept no longer than its purpose needs)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import MessageLog

BATCH = 5000
"""Rows deleted per statement, so a first run on a large log holds no long lock."""


async def purge_message_log(session: AsyncSession, *, now: datetime, days: int) -> int:
    """Delete one batch of message-log rows older than `days` days; returns how many
    (the job calls again while a batch comes back full). `days` 0 keeps everything."""
    if days <= 0:
        return 0
    cutoff = now - timedelta(days=days)
    old = select(MessageLog.id).where(MessageLog.at < cutoff).order_by(MessageLog.id).limit(BATCH)
    result = await session.execute(delete(MessageLog).where(MessageLog.id.in_(old.scalar_subquery())))
    return int(getattr(result, "rowcount", 0) or 0)
