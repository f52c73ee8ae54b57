"""Background work of the channels inside `frontdesk run`: handoff escalation and expiry,
the consultants' morning agenda, and Telegram long polling when asked for."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.zones import WIB
from bot.outbox import post

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)
TICK = 30.0
AGENDA_TZ = WIB


async def run(app: FrontDesk, stop: asyncio.Event) -> None:
    """Background job of `frontdesk run` (`bot/web/app.py`)."""

    poller = None
    if app.telegram_polling:  # aiogram is imported only when it is used
        from bot.channels import telegram

        poller = asyncio.create_task(telegram.poll(app, stop), name="telegram-polling")
    try:
        while not stop.is_set():
            try:
                await tick(app)
            except Exception:
                log.exception("channel jobs round failed; trying again")
            try:
                await asyncio.wait_for(stop.wait(), timeout=TICK)
            except TimeoutError:
                pass
    finally:
        if poller is not None:
            await poller


async def tick(app: FrontDesk) -> None:
    from bot.dialogue import handoff

    await handoff.escalate_due(app)
    await send_agendas(app)
    await apply_retention(app)


async def apply_retention(app: FrontDesk, *, rounds: int = 20) -> int:
    """Delete message-log rows older than `MESSAGE_LOG_RETENTION_DAYS`, a batch per
    transaction (a first run on a large log holds no long lock); the rest on the next tick."""
    from bot.services.retention import BATCH, purge_message_log

    total = 0
    for _ in range(rounds):
        async with app.db.transaction() as s:
            n = await purge_message_log(s, now=app.clock.now(), days=app.settings.message_log_retention_days)
        total += n
        if n < BATCH:
            break
    if total:
        log.info("message log: %d rows past the retention period deleted", total)
    return total


async def send_agendas(app: FrontDesk, *, force: bool = False) -> int:
    """Each linked consultant's bookings of the day, once a day from `CONSULTANT_AGENDA_HOUR`
    (local time of the consultant's center). The outbox key makes it once per day."""
    from bot.channels import common
    from bot.channels.settings import channel_settings
    from bot.engine.events import Reply
    from bot.services import consultant_link

    try:
        from bot.storage.models.booking import Booking
    except ImportError:
        return 0
    cs = channel_settings(app)
    now = app.clock.now()
    sent = 0
    async with app.db.transaction() as session:
        for c in await consultant_link.linked_consultants(session):
            tz = await _center_tz(session, c.center_code)
            local = now.astimezone(ZoneInfo(tz))
            if not force and local.hour < cs.agenda_hour:
                continue
            start = datetime.combine(local.date(), datetime.min.time(), tzinfo=ZoneInfo(tz))
            rows = list((await session.execute(
                select(Booking).where(Booking.consultant_id == c.id, Booking.starts_at >= start,
                                      Booking.starts_at < start + timedelta(days=1))
                .order_by(Booking.starts_at)
            )).scalars())
            rows = [b for b in rows if str(getattr(b, "status", "")).split(".")[-1].lower() in ("pending", "confirmed", "booked")]
            day = local.strftime("%d-%m-%Y")
            if rows:
                lines = [app.i18n.gettext("id", "Your agenda for today ({day}):", day=day)]
                for b in rows:
                    at = b.starts_at.astimezone(ZoneInfo(tz)).strftime("%H:%M")
                    lines.append(f"• {at} {b.ref} — {b.name}" + (f" ({b.business_name})" if getattr(b, "business_name", None) else ""))
            else:
                lines = [app.i18n.gettext("id", "You have no consultations today ({day}).", day=day)]
            assert c.channel and c.external_id
            sent += await post(session, common.reply_messages(
                c.channel, c.external_id, [Reply(text="\n".join(lines))],
                key=f"agenda:{c.id}:{local.date().isoformat()}", lang="id", kind="agenda"), now=app.clock.now())
    return sent


async def _center_tz(session: Any, code: str | None) -> str:
    if not code:
        return AGENDA_TZ
    from bot.storage.models import Center

    tz = (await session.execute(select(Center.timezone).where(Center.code == code))).scalar_one_or_none()
    return tz or AGENDA_TZ
