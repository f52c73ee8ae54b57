"""Human handoff: a user asks to talk to a consultant; the bot relays until one side ends it.

The life of a `HandoffRequest`:
  open       — written with the user's question, routed by the user's center and the
               question's service area; the matching linked consultants get a "Take" button.
               Nobody takes it within `HANDOFF_ESCALATE_MINUTES`: it is sent again to a wider
               circle (the whole center, then every consultant of the area, then everyone),
               and after `HANDOFF_EXPIRE_HOURS` it expires and the user is told.
  connected  — the first consultant to press "Take" wins (a compare-and-set on `status`);
               text, photos, documents and locations are relayed both ways through the
               outbox. The engine does not answer in the consultant's place: `intercept`
               runs before the engine's own handling and swallows the turn.
  closed     — `/selesai` or `/end` from either side; the user is asked for a 1–5 rating.

Everything a turn changes (request row, relayed messages) commits with the turn.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, select, tuple_, update

from bot.dialogue import consultants
from bot.domain.areas import SERVICE_AREAS, area_name
from bot.domain.zones import DEFAULT_ZONE
from bot.engine.actions import END, Turn, action
from bot.engine.events import Button, Media, Reply
from bot.engine.payloads import PayloadInvalid, RunAction, StartFlow, parse_payload
from bot.outbox import Message, post
from bot.services import consultant_link
from bot.services.consultant_link import ConsultantInfo
from bot.storage.models import HandoffMessage, HandoffRequest, InboundMessage, User
from bot.storage.models.handoff import ACTIVE, CLOSED, CONNECTED, EXPIRED, OPEN
from bot.storage.upsert import insert_ignore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import FrontDesk
    from bot.config import Settings

log = logging.getLogger(__name__)

RELAY_CHANNELS = frozenset({"telegram", "whatsapp"})
END_COMMANDS = frozenset({"selesai", "end", "akhiri", "stop_chat"})
DEFAULT_HOURS = "Mon-Fri 08:00-16:00"


def _settings(app: FrontDesk) -> Settings:
    return app.settings


async def _send(session: AsyncSession, app: FrontDesk, channel: str, recipient: str, body: dict[str, Any] | Reply, *,
                key: str, kind: str = "reply", lang: str | None = None) -> None:
    """One message to the outbox; a `Reply` is keyed `key:0`, as a turn's first reply is."""
    if isinstance(body, Reply):
        body, key = body.to_dict(), f"{key}:0"
    await post(session, [Message(channel, recipient, body, key=key, kind=kind, lang=lang)], now=app.clock.now())


def _t(app: FrontDesk, lang: str | None, msg: str, **kw: Any) -> str:
    return app.i18n.gettext(lang or app.settings.default_language, msg, **kw)


# --- the engine hook ------------------------------------------------------------------------------


_QUIET = "handoff.quiet"


# The two queries on the engine's hot path, built once: each call passes only its values
# (the batch's accounts and user ids as expanding parameters), so no statement is
# constructed and cache-keyed per batch or turn.
_ANY_IN_HANDOFF = select(HandoffRequest.id).where(or_(
    (HandoffRequest.status == CONNECTED)
    & tuple_(HandoffRequest.consultant_channel, HandoffRequest.consultant_external_id).in_(bindparam("accounts", expanding=True)),
    HandoffRequest.user_id.in_(bindparam("user_ids", expanding=True)) & HandoffRequest.status.in_(ACTIVE),
)).limit(1)
"""`prefetch`: is any account of the batch in a handoff?"""

_IN_HANDOFF = select(HandoffRequest).where(or_(
    (HandoffRequest.consultant_channel == bindparam("channel")) & (HandoffRequest.consultant_external_id == bindparam("external_id"))
    & (HandoffRequest.status == CONNECTED),
    (HandoffRequest.user_id == bindparam("user_id")) & HandoffRequest.status.in_(ACTIVE),
)).order_by(HandoffRequest.id.desc())
"""`intercept`: the requests one turn's account is in, as consultant or as user."""


async def prefetch(session: AsyncSession, accounts: list[tuple[str, str]], user_ids: list[int]) -> None:
    """Before a batch of turns (`Engine.handle_batch`): one query for all its accounts. When
    none of them is in a handoff (the usual case), `intercept` skips its own query for them
    until a turn in the batch opens or takes a request."""
    session.info.pop(_QUIET, None)
    accounts = [a for a in accounts if a[0] in RELAY_CHANNELS]
    if len(accounts) < 2:  # one turn: `intercept`'s own query is as cheap
        return
    found = (await session.execute(_ANY_IN_HANDOFF, {"accounts": accounts, "user_ids": user_ids})).first()
    if found is None:
        session.info[_QUIET] = (set(accounts), set(user_ids))


def _stirred(session: AsyncSession) -> None:
    """A request was opened or taken in this transaction: `prefetch`'s answer is stale."""
    session.info.pop(_QUIET, None)


def _consultant_action(button: str) -> bool:
    try:
        parsed = parse_payload(button)
    except PayloadInvalid:
        return False
    return isinstance(parsed, RunAction) and parsed.action.startswith(("handoff.", "booking."))


async def intercept(turn: Turn) -> bool:
    """Called by the engine before it handles a turn. True when this module handled it:
    a consultant's link code, a message to relay, `/selesai`, or a message while waiting."""
    turn.values["_turn_no"] = int(turn.values.get("_turn_no", 0)) + 1
    if await consultants.try_link(turn):
        return True
    event = turn.event
    if event.button is not None and _consultant_action(event.button):
        return False  # Take / Accept / Decline / rating: the actions handle them
    if event.channel not in RELAY_CHANNELS:
        return False
    session = turn.session
    quiet = session.info.get(_QUIET)
    if quiet is not None and (event.channel, event.user_id) in quiet[0] and turn.user.id in quiet[1]:
        return False
    # One query on the hot path: is this account a consultant in a conversation, or a
    # user with an open or connected request?
    rows = list((await session.execute(
        _IN_HANDOFF, {"channel": event.channel, "external_id": event.user_id, "user_id": turn.user.id}
    )).scalars())
    if not rows:
        return False
    mine = next((r for r in rows if r.consultant_channel == event.channel and r.consultant_external_id == event.user_id
                 and r.status == CONNECTED), None)
    if mine is not None:
        if _is_end(turn):
            await close(turn, mine, by="consultant")
        else:
            await _relay_turn(turn, mine, to_consultant=False)
        return True
    req = next((r for r in rows if r.user_id == turn.user.id), None)
    if req is None:
        return False
    if _is_end(turn):
        await close(turn, req, by="user")
        return True
    if req.status == CONNECTED:
        await _relay_turn(turn, req, to_consultant=True)
        return True
    # Still waiting for a consultant: keep the message for them, do not answer in their place.
    _record(session, req, "to_consultant", event.kind, _describe(turn), turn.now)
    turn.say(turn.t("Your message is noted. A consultant will reply here; type /selesai to cancel the request."))
    return True


def _is_end(turn: Turn) -> bool:
    event = turn.event
    if event.command is not None:
        return event.command.lower() in END_COMMANDS
    return (event.text or "").strip().lower() in {"/selesai", "/end"}


async def _connected_as_consultant(session: AsyncSession, channel: str, external_id: str) -> HandoffRequest | None:
    stmt = select(HandoffRequest).where(
        HandoffRequest.consultant_channel == channel, HandoffRequest.consultant_external_id == external_id,
        HandoffRequest.status == CONNECTED,
    ).order_by(HandoffRequest.taken_at.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def _active_for_user(session: AsyncSession, user_id: int) -> HandoffRequest | None:
    stmt = select(HandoffRequest).where(HandoffRequest.user_id == user_id, HandoffRequest.status.in_(ACTIVE))
    return (await session.execute(stmt)).scalar_one_or_none()


def _describe(turn: Turn) -> str:
    e = turn.event
    if e.text is not None:
        return e.text[:4000]
    if e.location is not None:
        return f"📍 {e.location.latitude:.5f}, {e.location.longitude:.5f}"
    if e.contact is not None:
        return f"📞 {e.contact.phone}"
    if e.command is not None:
        return f"/{e.command} {e.command_args}".strip()
    return e.button or ""


def _record(session: AsyncSession, req: HandoffRequest, direction: str, kind: str, text: str | None, now: datetime) -> None:
    session.add(HandoffMessage(request_id=req.id, direction=direction, kind=kind, text=text, at=now))


async def _relay_turn(turn: Turn, req: HandoffRequest, *, to_consultant: bool) -> None:
    """Pass the turn's message to the other side of the conversation."""
    session, event = turn.session, turn.event
    owner = await session.get(User, req.user_id)
    if owner is None:
        return
    lang: str | None
    if to_consultant:
        channel, recipient, lang = req.consultant_channel, req.consultant_external_id, "id"
        who = owner.display_name or turn.t("User")
    else:
        channel, recipient, lang = owner.channel, owner.external_id, owner.language
        consultant = await consultant_link.consultant_by_id(session, req.consultant_id or 0)
        who = consultant.name if consultant else _t(turn.app, lang, "Consultant")
    assert channel is not None and recipient is not None
    part: dict[str, Any]
    if event.location is not None:
        part = {"relay": {"kind": "location", "latitude": event.location.latitude, "longitude": event.location.longitude}}
        await _send(session, turn.app, channel, recipient, {"text": f"💬 {who}:", "lang": lang},
                    key=f"handoff:{req.id}:{event.channel}:{event.message_id}:who")
    else:
        part = {"text": f"💬 {who}: {_describe(turn)}"[:4096], "lang": lang}
    await _send(session, turn.app, channel, recipient, part,
                key=f"handoff:{req.id}:{event.channel}:{event.message_id}", kind="handoff")
    _record(session, req, "to_consultant" if to_consultant else "to_user", event.kind, _describe(turn), turn.now)


async def relay_media(app: FrontDesk, media: Media) -> bool:
    """A photo or document from either side of a connected conversation is relayed.
    False (nothing written) when the sender is in no conversation."""
    async with app.db.transaction() as session:
        req = await _connected_as_consultant(session, media.channel, media.user_id)
        to_consultant = False
        if req is None:
            user = (await session.execute(
                select(User).where(User.channel == media.channel, User.external_id == media.user_id)
            )).scalar_one_or_none()
            req = await _active_for_user(session, user.id) if user is not None else None
            if req is None or req.status != CONNECTED:
                return False
            to_consultant = True
        fresh = await insert_ignore(session, InboundMessage,
                                    {"channel": media.channel, "message_id": media.message_id, "received_at": app.clock.now()},
                                    ("channel", "message_id"))
        if not fresh:
            return True
        owner = await session.get(User, req.user_id)
        assert owner is not None
        if to_consultant:
            channel, recipient, who = req.consultant_channel, req.consultant_external_id, owner.display_name or "User"
        else:
            consultant = await consultant_link.consultant_by_id(session, req.consultant_id or 0)
            channel, recipient, who = owner.channel, owner.external_id, consultant.name if consultant else "Konsultan"
        assert channel is not None and recipient is not None
        caption = f"💬 {who}" + (f": {media.caption}" if media.caption else "")
        # The transport sends a file id of its own platform again, or fetches the file from the
        # other platform and uploads it (ids of one platform mean nothing on the other).
        part: dict[str, Any] = {"relay": {"kind": media.kind, "channel": media.channel, "ref": media.ref,
                                          "caption": caption, "filename": media.filename, "mime_type": media.mime_type}}
        await _send(session, app, channel, recipient, part,
                    key=f"handoff:{req.id}:{media.channel}:{media.message_id}", kind="handoff")
        _record(session, req, "to_consultant" if to_consultant else "to_user", media.kind, media.caption, app.clock.now())
        return True


# --- opening a request ------------------------------------------------------------------------------


def _user_center(turn: Turn) -> str | None:
    for key in ("center", "center_code", "_center"):
        value = turn.params.get(key) or turn.values.get(key)
        if isinstance(value, str) and value:
            return value
    return None


async def _last_booking_center(session: AsyncSession, user_id: int) -> str | None:
    try:
        from bot.storage.models.booking import Booking
    except ImportError:
        return None
    stmt = select(Booking.center_code).where(Booking.user_id == user_id).order_by(Booking.id.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def candidates(session: AsyncSession, center: str | None, area: str | None, level: int) -> list[ConsultantInfo]:
    """Who is asked at escalation `level`: 0 the center's consultants of the area, 1 the whole
    center, 2 every consultant of the area, 3 everyone. An empty circle widens at once."""
    everyone = await consultant_link.linked_consultants(session)
    circles = [
        [c for c in everyone if center and c.center_code == center and (not area or area in c.areas)],
        [c for c in everyone if center and c.center_code == center],
        [c for c in everyone if not area or area in c.areas],
        everyone,
    ]
    for circle in circles[min(level, 3):]:
        if circle:
            return circle
    return []


async def _notify(app: FrontDesk, session: AsyncSession, req: HandoffRequest, owner: User, level: int) -> int:
    people = await candidates(session, req.center_code, req.service_area, level)
    area = area_name(req.service_area, "id") if req.service_area else "-"
    waited = ""
    if level > 0:
        minutes = int((app.clock.now() - req.created_at).total_seconds() // 60)
        waited = _t(app, "id", " (waiting {minutes} minutes)", minutes=minutes)
    text = _t(app, "id", "Consultation request #{id}{waited}\nFrom: {who}\nTopic: {area}\nQuestion: {question}",
              id=req.id, waited=waited, who=owner.display_name or "-", area=area, question=req.question or "-")
    reply = Reply(text=text[:1000], buttons=[Button(_t(app, "id", "Take"), RunAction("handoff.take", {"id": str(req.id)}).pack())])
    for c in people:
        assert c.channel and c.external_id
        await _send(session, app, c.channel, c.external_id, reply,
                                  key=f"handoff:{req.id}:notify:{level}:{c.id}", lang="id", kind="handoff.request")
    return len(people)


async def open_request(turn: Turn, *, area: str | None, question: str | None) -> HandoffRequest | None:
    """Open a request for this user (None if one is already active: they are told)."""
    session, now = turn.session, turn.now
    if turn.event.channel not in RELAY_CHANNELS:
        turn.say(turn.t("Chatting with a consultant works on Telegram and WhatsApp. Please write to us there, "
                        "or book a consultation here."))
        return None
    existing = await _active_for_user(session, turn.user.id)
    if existing is not None:
        turn.say(turn.t("Your request is already with our consultants. Type /selesai to end it."))
        return None
    center = _user_center(turn) or await _last_booking_center(session, turn.user.id)
    cs = _settings(turn.app)
    req = HandoffRequest(user_id=turn.user.id, center_code=center, service_area=area, question=(question or "")[:2000] or None,
                         status=OPEN, created_at=now, escalations=0,
                         next_escalation_at=now + timedelta(minutes=cs.handoff_escalate_minutes))
    session.add(req)
    _stirred(session)
    await session.flush()
    notified = await _notify(turn.app, session, req, turn.user, 0)
    turn.say(turn.t("I have passed your question to our consultants. When one of them takes it, you can chat "
                    "with them right here. Type /selesai to end the conversation."))
    hours_note = await _hours_note(turn, center)
    if hours_note:
        turn.say(hours_note)
    if notified == 0:
        log.warning("handoff request %s: no linked consultant to notify yet", req.id)
    return req


async def _center_hours(session: AsyncSession, center: str | None) -> tuple[Any, str]:
    from bot.domain.opening_hours import OpeningHoursError, parse_opening_hours

    text, tz = None, DEFAULT_ZONE
    if center:
        try:
            from bot.storage.models import Center

            row = (await session.execute(select(Center).where(Center.code == center))).scalar_one_or_none()
            if row is not None:
                text, tz = row.opening_hours, row.timezone or DEFAULT_ZONE
        except Exception:  # centers not available: the default hours apply
            log.debug("center %s hours unavailable", center, exc_info=True)
    try:
        hours = parse_opening_hours(text)
    except OpeningHoursError:
        hours = parse_opening_hours(DEFAULT_HOURS)
    if not hours.known:
        hours = parse_opening_hours(DEFAULT_HOURS)
    return hours, tz


def next_opening(hours: Any, now: datetime, tz: str) -> datetime | None:
    """The next start of an opening interval after `now` (None if open now)."""
    if hours.is_open(now, tz):
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    for offset in range(0, 8):
        day: date = (local + timedelta(days=offset)).date()
        for start, _end in hours.on(day.weekday()):
            at = datetime.combine(day, start, tzinfo=zone)
            if at > local:
                return at
    return None


async def _hours_note(turn: Turn, center: str | None) -> str | None:
    from babel.dates import format_datetime

    from bot.domain.zones import zone_abbreviation

    hours, tz = await _center_hours(turn.session, center)
    at = next_opening(hours, turn.now, tz)
    if at is None:
        return None
    locale = "en" if turn.lang == "en" else "id"
    when = format_datetime(at, "EEEE d MMMM, HH:mm", locale=locale) + " " + zone_abbreviation(tz)
    return turn.t("Our consultants are outside their working hours now. You can expect an answer from {when}.", when=when)


# --- actions ----------------------------------------------------------------------------------------


@action("handoff.request")
async def request_action(turn: Turn) -> Any:
    """Flow action: open a request with the collected `service_area` and `question`."""
    area = turn.values.get("service_area") or turn.params.get("area")
    question = turn.values.get("question") or turn.params.get("q")
    await open_request(turn, area=area if area in SERVICE_AREAS else None, question=question)
    return END


@action("handoff.take")
async def take(turn: Turn) -> Any:
    """A consultant presses "Take": the first one is connected, the others are told."""
    session, now = turn.session, turn.now
    me = await consultant_link.consultant_by_account(session, turn.event.channel, turn.event.user_id)
    if me is None:
        turn.say(turn.t("This button is for consultants."))
        return None
    try:
        req_id = int(turn.params.get("id", ""))
    except ValueError:
        return None
    busy = await _connected_as_consultant(session, turn.event.channel, turn.event.user_id)
    if busy is not None and busy.id != req_id:
        turn.say(turn.t("Please finish your current conversation first (/selesai)."))
        return None
    _stirred(session)
    result = await session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == req_id, HandoffRequest.status == OPEN)
        .values(status=CONNECTED, consultant_id=me.id, consultant_channel=turn.event.channel,
                consultant_external_id=turn.event.user_id, taken_at=now, next_escalation_at=None)
        .returning(HandoffRequest.id)
    )
    if result.scalar_one_or_none() is None:
        turn.say(turn.t("This request has already been taken by another consultant or has ended."))
        return None
    req = await session.get(HandoffRequest, req_id)
    assert req is not None
    await session.refresh(req)
    owner = await session.get(User, req.user_id)
    assert owner is not None
    waiting = list((await session.execute(
        select(HandoffMessage.text).where(HandoffMessage.request_id == req.id).order_by(HandoffMessage.id)
    )).scalars())
    lines = [turn.t("You are now connected with {who}. Their question: {question}",
                    who=owner.display_name or "-", question=req.question or "-")]
    lines += [f"💬 {t}" for t in waiting if t]
    lines.append(turn.t("Your messages go to them; type /selesai to end."))
    turn.say("\n".join(lines)[:4000])
    text = _t(turn.app, owner.language, "Consultant {name} has joined and will answer you here. Type /selesai to end the conversation.",
              name=me.name)
    await _send(session, turn.app, owner.channel, owner.external_id, Reply(text=text),
                              key=f"handoff:{req.id}:connected", lang=owner.language, kind="handoff")
    return None


async def close(turn: Turn, req: HandoffRequest, *, by: str) -> None:
    session, now = turn.session, turn.now
    was_open = req.status == OPEN
    result = await session.execute(
        update(HandoffRequest).where(HandoffRequest.id == req.id, HandoffRequest.status.in_(ACTIVE))
        .values(status=CLOSED, closed_at=now, closed_by=by, next_escalation_at=None).returning(HandoffRequest.id)
    )
    if result.scalar_one_or_none() is None:
        return
    owner = await session.get(User, req.user_id)
    assert owner is not None
    app = turn.app
    if by == "consultant":
        turn.say(turn.t("The conversation has ended. Thank you."))
    elif req.consultant_channel and req.consultant_external_id:
        await _send(session, app, req.consultant_channel, req.consultant_external_id,
                                  Reply(text=_t(app, "id", "{who} has ended the conversation.", who=owner.display_name or "-")),
                                  key=f"handoff:{req.id}:closed:consultant", lang="id", kind="handoff")
    if was_open and by == "user":
        turn.say(turn.t("Your request is cancelled. Type menu to see what else I can do."))
        return
    ask = _rating_reply(app, owner.language, req.id, ended_by_consultant=by == "consultant")
    if by == "user":
        turn.say(ask)
    else:
        await _send(session, app, owner.channel, owner.external_id, ask,
                                  key=f"handoff:{req.id}:rating", lang=owner.language, kind="handoff")


def _rating_reply(app: FrontDesk, lang: str | None, req_id: int, *, ended_by_consultant: bool) -> Reply:
    head = _t(app, lang, "The consultant has ended the conversation.") + "\n" if ended_by_consultant else ""
    text = head + _t(app, lang, "How helpful was the consultant? Please rate from 1 (poor) to 5 (excellent).")
    return Reply(text=text, buttons=[Button("⭐" * k, RunAction("handoff.rate", {"id": str(req_id), "r": str(k)}).pack()) for k in range(5, 0, -1)])


@action("handoff.rate")
async def rate(turn: Turn) -> Any:
    try:
        req_id, stars = int(turn.params.get("id", "")), int(turn.params.get("r", ""))
    except ValueError:
        return None
    if not 1 <= stars <= 5:
        return None
    result = await turn.session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == req_id, HandoffRequest.user_id == turn.user.id, HandoffRequest.status == CLOSED,
               HandoffRequest.rating.is_(None))
        .values(rating=stars, rated_at=turn.now).returning(HandoffRequest.id)
    )
    if result.scalar_one_or_none() is not None:
        turn.say(turn.t("Thank you for your rating!"))
    return "main_menu.menu"


async def after_fallback(turn: Turn) -> bool:
    """Count fallbacks in a row; the second one in a row opens a handoff request.
    Call it from the NLU fallback action; True when the request was opened."""
    if turn.event.channel not in RELAY_CHANNELS or not re.search(r"\w", turn.event.text or ""):
        turn.values.pop("_fallback_turn", None)
        return False
    this_turn = int(turn.values.get("_turn_no", 0))
    previous = turn.values.get("_fallback_turn")
    turn.values["_fallback_turn"] = this_turn
    if previous is None or int(previous) != this_turn - 1:
        return False
    turn.values.pop("_fallback_turn", None)
    turn.say(turn.t("I am sorry I could not help. Let me pass your question to a consultant."))
    await open_request(turn, area=None, question=turn.values.get("_last_question") or turn.event.text)
    return True


# --- background: escalation and expiry --------------------------------------------------------------


async def escalate_due(app: FrontDesk) -> int:
    """Re-send requests nobody took, to a wider circle; expire the ones too old. Returns how many changed."""
    now = app.clock.now()
    cs = _settings(app)
    changed = 0
    async with app.db.transaction() as session:
        stmt = select(HandoffRequest).where(HandoffRequest.status == OPEN, HandoffRequest.next_escalation_at <= now)
        if not app.db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        for req in (await session.execute(stmt.limit(100))).scalars():
            owner = await session.get(User, req.user_id)
            if owner is None:
                continue
            changed += 1
            if now - req.created_at >= timedelta(hours=cs.handoff_expire_hours):
                req.status, req.closed_at, req.closed_by, req.next_escalation_at = EXPIRED, now, "timeout", None
                text = _t(app, owner.language, "Sorry, no consultant could take your question in time. You can book "
                          "a consultation at a PLUT center, or ask again later.")
                await _send(session, app, owner.channel, owner.external_id,
                                          Reply(text=text, buttons=[Button(_t(app, owner.language, "Book a consultation instead"), StartFlow("book_consultation").pack())]),
                                          key=f"handoff:{req.id}:expired", lang=owner.language, kind="handoff")
                continue
            req.escalations += 1
            req.next_escalation_at = now + timedelta(minutes=cs.handoff_escalate_minutes)
            await _notify(app, session, req, owner, req.escalations)
    return changed


__all__ = ["intercept", "relay_media", "open_request", "escalate_due", "after_fallback", "candidates", "next_opening"]
