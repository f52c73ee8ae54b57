"""The consultant's inbox: bookings to accept or decline, handoff requests to take and
answer, the notices of consultants without a linked Telegram or WhatsApp, and today's
agenda — one page, kept current by server-sent events.

Scope: a consultant sees their own bookings and notices, and the handoff requests of their
center that nobody took yet (or that they hold); a center admin their center's; an admin
every center's. Only a consultant acts (accepts, declines, takes, answers): a booking or a
conversation is theirs. Another center's id in a URL is "not found".

Live: `/inbox/events` renders the inbox body every `POLL_SECONDS` and sends it when it
changed, so changes made by any process (another consultant, the bot, a Telegram tap) show
without a reload. A stream lasts `STREAM_SECONDS` and the browser reconnects, so a signed-out
session stops being served within that time.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from starlette.responses import HTMLResponse, Response, StreamingResponse

from bot.admin import audit
from bot.admin.authz import ADMIN, BOOKING_STAFF, CENTER_ADMIN, CONSULTANT, CONSULTANTS, Forbidden, NotFound, Principal, scope_to_consultant
from bot.admin.web import Ctx, page, redirect
from bot.dialogue import inbox as consultant_inbox
from bot.domain.areas import area_name
from bot.domain.booking import ACTIVE_STATUSES, BookingError, BookingStatus
from bot.domain.zones import DEFAULT_ZONE, zone_abbreviation
from bot.services import booking as booking_svc
from bot.services.consultant_link import INBOX_CHANNEL, inbox_address
from bot.services.handoff import ACTIVE, OPEN
from bot.storage.models import Booking, Center, Consultant, HandoffMessage, HandoffRequest, User
from bot.storage.models.outbox import OutboxMessage

POLL_SECONDS = 2.0
STREAM_SECONDS = 50.0
NOTICE_DAYS = 14
LIMIT = 50


def _int(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise NotFound()
    return int(value)


def _handoffs_query(me: Principal) -> Any:
    """Active requests this person may see."""
    stmt = select(HandoffRequest).where(HandoffRequest.status.in_(ACTIVE)).order_by(HandoffRequest.created_at)
    if me.role == ADMIN:
        return stmt
    if me.center_code is None:
        return stmt.where(HandoffRequest.id.is_(None))
    if me.role == CENTER_ADMIN:
        return stmt.where(HandoffRequest.center_code == me.center_code)
    # a consultant: the open ones of their center (and, once escalated to everyone of the
    # field, those of no center), and the ones they hold
    of_center = or_(HandoffRequest.center_code == me.center_code,
                    HandoffRequest.center_code.is_(None) & (HandoffRequest.escalations >= 2))
    return stmt.where(of_center & ((HandoffRequest.status == OPEN) | (HandoffRequest.consultant_id == me.consultant_id)))


def _notice_recipients(me: Principal, consultants: list[Consultant]) -> list[str] | None:
    """The inbox addresses whose notices this person reads (None: every one, for admins)."""
    if me.role == ADMIN:
        return None
    if me.role == CONSULTANT:
        return [inbox_address(me.consultant_id)] if me.consultant_id is not None else []
    return [inbox_address(c.id) for c in consultants if c.center_code == me.center_code]


async def _gather(ctx: Ctx) -> dict[str, Any]:
    me, now = ctx.me, ctx.app.clock.now()
    async with ctx.app.db.sessions() as session:
        zones = {c: z or DEFAULT_ZONE for c, z in await session.execute(select(Center.code, Center.timezone))}
        consultants = list((await session.execute(select(Consultant))).scalars())
        names = {c.id: c.name for c in consultants}
        bookings = scope_to_consultant(me, select(Booking), Booking.center_code, Booking.consultant_id)
        to_decide = list((await session.execute(
            bookings.where(Booking.status == BookingStatus.PENDING.value, Booking.starts_at >= now)
            .order_by(Booking.starts_at).limit(LIMIT))).scalars())
        # today in each center's own zone: fetch a day and a half around now, keep the local date
        around = list((await session.execute(
            bookings.where(Booking.status.in_(ACTIVE_STATUSES), Booking.starts_at >= now - timedelta(hours=16),
                           Booking.starts_at < now + timedelta(hours=40)).order_by(Booking.starts_at))).scalars())
        agenda = [b for b in around if b.starts_at.astimezone(ZoneInfo(zones.get(b.center_code, DEFAULT_ZONE))).date()
                  == now.astimezone(ZoneInfo(zones.get(b.center_code, DEFAULT_ZONE))).date()][:LIMIT]
        handoffs = list((await session.execute(_handoffs_query(me).limit(LIMIT))).scalars())
        handoffs.sort(key=lambda h: not consultant_inbox.held_by(h, me.consultant_id))  # the chats they hold first
        ids = [h.id for h in handoffs]
        messages: dict[int, list[HandoffMessage]] = {}
        if ids:
            for m in (await session.execute(select(HandoffMessage).where(HandoffMessage.request_id.in_(ids))
                                            .order_by(HandoffMessage.id))).scalars():
                messages.setdefault(m.request_id, []).append(m)
        users = {u.id: u for u in (await session.execute(
            select(User).where(User.id.in_([h.user_id for h in handoffs] or [-1])))).scalars()}
        recipients = _notice_recipients(me, consultants)
        notices: list[OutboxMessage] = []
        if recipients is None or recipients:
            stmt = select(OutboxMessage).where(OutboxMessage.channel == INBOX_CHANNEL,
                                               OutboxMessage.created_at >= now - timedelta(days=NOTICE_DAYS))
            if recipients is not None:
                stmt = stmt.where(OutboxMessage.recipient.in_(recipients))
            notices = list((await session.execute(stmt.order_by(OutboxMessage.id.desc()).limit(LIMIT))).scalars())
    by_address = {inbox_address(c.id): c.name for c in consultants}

    def at(dt: datetime | None, center: str | None, *, day: bool = True) -> str:
        if dt is None:
            return ""
        tz = zones.get(center or "", DEFAULT_ZONE)
        local = dt.astimezone(ZoneInfo(tz))
        return local.strftime("%d-%m-%Y %H:%M" if day else "%H:%M") + " " + zone_abbreviation(tz)

    def waited(h: HandoffRequest) -> str:
        minutes = max(0, int(((h.taken_at or now) - h.created_at).total_seconds() // 60))
        return f"{minutes // 60} j {minutes % 60} m" if minutes >= 60 else f"{minutes} m"

    return {"to_decide": to_decide, "agenda": agenda, "handoffs": handoffs, "messages": messages, "users": users,
            "notices": notices, "names": names, "by_address": by_address, "at": at, "waited": waited,
            "held_by": consultant_inbox.held_by, "can_act": me.role == CONSULTANT and me.consultant_id is not None,
            "answer_key": answer_key,
            "area": lambda code: area_name(code or "", ctx.lang)}


@page("/inbox", allow=BOOKING_STAFF)
async def inbox(ctx: Ctx) -> Response:
    values = await _gather(ctx)
    if ctx.query("partial") == "1":
        return ctx.render("_inbox_body.html", **values)
    return ctx.render("inbox.html", message=ctx.query("done"), **values)


def _event(name: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {name}\n{lines}\n"


@page("/inbox/events", allow=BOOKING_STAFF)
async def inbox_events(ctx: Ctx) -> Response:
    """Server-sent events: `inbox` with the new body whenever it changed. A request that
    does not ask for an event stream gets the current body as one event."""
    seen = ""
    if "text/event-stream" not in (ctx.request.headers.get("accept") or ""):
        body = bytes((await inbox_body(ctx)).body).decode()
        version = hashlib.sha256(body.encode()).hexdigest()[:16]
        return Response(_event("inbox", f"{version}\n{body}"), media_type="text/event-stream")

    async def stream() -> AsyncIterator[str]:
        nonlocal seen
        yield "retry: 1500\n\n"
        deadline = asyncio.get_running_loop().time() + STREAM_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            if await ctx.request.is_disconnected():
                return
            body = bytes((await inbox_body(ctx)).body).decode()
            version = hashlib.sha256(body.encode()).hexdigest()[:16]
            if version != seen:
                seen = version
                yield _event("inbox", f"{version}\n{body}")
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def inbox_body(ctx: Ctx) -> HTMLResponse:
    return ctx.render("_inbox_body.html", **await _gather(ctx))


# --- acting on an item -----------------------------------------------------------------------------


def _consultant(ctx: Ctx) -> int:
    if ctx.me.role != CONSULTANT or ctx.me.consultant_id is None:
        raise Forbidden()
    return ctx.me.consultant_id


async def _my_booking(ctx: Ctx) -> Booking:
    cid = _consultant(ctx)
    stmt = scope_to_consultant(ctx.me, select(Booking), Booking.center_code, Booking.consultant_id)
    async with ctx.app.db.sessions() as session:
        row = (await session.execute(stmt.where(Booking.id == _int(ctx.request.path_params["id"]))))
        booking = row.scalar_one_or_none()
    if booking is None or booking.consultant_id != cid:
        raise NotFound()
    return booking


@page("/inbox/bookings/{id}/accept", allow=CONSULTANTS, methods=("POST",))
async def accept(ctx: Ctx) -> Response:
    booking = await _my_booking(ctx)
    async with ctx.app.db.transaction() as session:
        try:
            row = await booking_svc.accept_booking(session, consultant_id=booking.consultant_id, ref=booking.ref, now=ctx.now)
        except BookingError:
            return redirect("/inbox?done=booking_changed")
        audit.record(session, ctx.me, "booking.accept", "booking", row.ref, ctx.now, center_code=row.center_code)
    return redirect("/inbox?done=accepted")


@page("/inbox/bookings/{id}/decline", allow=CONSULTANTS, methods=("POST",))
async def decline(ctx: Ctx) -> Response:
    booking = await _my_booking(ctx)
    async with ctx.app.db.transaction() as session:
        try:
            outcome = await booking_svc.decline_booking(session, consultant_id=booking.consultant_id, ref=booking.ref, now=ctx.now)
        except BookingError:
            return redirect("/inbox?done=booking_changed")
        audit.record(session, ctx.me, "booking.decline", "booking", booking.ref, ctx.now, center_code=booking.center_code,
                     reassigned_to=outcome.reassigned_to)
    return redirect("/inbox?done=declined")


async def _visible_handoff(ctx: Ctx, session: Any) -> HandoffRequest:
    stmt = _handoffs_query(ctx.me).where(HandoffRequest.id == _int(ctx.request.path_params["id"]))
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


async def _my_name(ctx: Ctx, session: Any, cid: int) -> str:
    return (await session.execute(select(Consultant.name).where(Consultant.id == cid))).scalar_one_or_none() or ctx.me.username


@page("/inbox/handoffs/{id}/take", allow=CONSULTANTS, methods=("POST",))
async def take(ctx: Ctx) -> Response:
    cid = _consultant(ctx)
    async with ctx.app.db.transaction() as session:
        req = await _visible_handoff(ctx, session)
        taken = await consultant_inbox.take(ctx.app, session, req_id=req.id, consultant_id=cid,
                                            name=await _my_name(ctx, session, cid), now=ctx.now)
        if taken is None:
            return redirect("/inbox?done=taken_by_other")
        audit.record(session, ctx.me, "handoff.take", "handoff", req.id, ctx.now, center_code=req.center_code)
    return redirect(f"/inbox?done=taken#h{req.id}")


@page("/inbox/handoffs/{id}/answer", allow=CONSULTANTS, methods=("POST",))
async def answer(ctx: Ctx) -> Response:
    cid = _consultant(ctx)
    text = ctx.field("text")
    key = ctx.field("key")[:32]
    async with ctx.app.db.transaction() as session:
        req = await _visible_handoff(ctx, session)
        if not consultant_inbox.held_by(req, cid):
            return redirect("/inbox?done=not_yours")
        if not text or not key:
            return redirect(f"/inbox?done=empty_answer#h{req.id}")
        if len(text) > consultant_inbox.MAX_ANSWER:
            return redirect(f"/inbox?done=too_long#h{req.id}")
        sent = await consultant_inbox.answer(ctx.app, session, req, name=await _my_name(ctx, session, cid), text=text,
                                             key=key, now=ctx.now)
        if sent:  # what was said is in handoff_messages; the audit log says only that it happened
            audit.record(session, ctx.me, "handoff.answer", "handoff", req.id, ctx.now, center_code=req.center_code)
    return redirect(f"/inbox?done={'sent' if sent else 'sent_already'}#h{req.id}")


@page("/inbox/handoffs/{id}/end", allow=CONSULTANTS, methods=("POST",))
async def end(ctx: Ctx) -> Response:
    cid = _consultant(ctx)
    async with ctx.app.db.transaction() as session:
        req = await _visible_handoff(ctx, session)
        if not consultant_inbox.held_by(req, cid):
            return redirect("/inbox?done=not_yours")
        if await consultant_inbox.end(ctx.app, session, req, now=ctx.now):
            audit.record(session, ctx.me, "handoff.end", "handoff", req.id, ctx.now, center_code=req.center_code)
    return redirect("/inbox?done=ended")


def answer_key(messages: list[HandoffMessage]) -> str:
    """The answer form's key: the conversation's length when the form was drawn, so the same
    form sent twice relays once, and every later form has a new key."""
    return f"m{len(messages)}"

