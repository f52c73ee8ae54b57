"""Human handoff, what the bot says and relays: a user asks to talk to a consultant; the bot
relays until one side ends it. The use cases (the request's state, who is asked, escalation)
are in `bot/services/handoff.py`.

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
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.dialogue import consultants
from bot.domain.areas import SERVICE_AREAS, area_name, area_phrase
from bot.engine.actions import END, Turn, action
from bot.engine.events import Button, Media, Reply
from bot.payloads import PayloadInvalid, RunAction, StartFlow, parse_payload
from bot.outbox import Message, post
from bot.services import consultant_link
from bot.services import handoff as svc
from bot.services.handoff import CONNECTED, OPEN, USER_CHANNELS, prefetch
from bot.storage.models import HandoffRequest, InboundMessage, User
from bot.storage.upsert import insert_ignore

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import FrontDesk

log = logging.getLogger(__name__)

END_COMMANDS = frozenset({"selesai", "end", "akhiri", "stop_chat"})


async def _send(session: AsyncSession, app: FrontDesk, channel: str, recipient: str, body: dict[str, Any] | Reply, *,
                key: str, kind: str = "reply", lang: str | None = None) -> None:
    """One message to the outbox; a `Reply` is keyed `key:0`, as a turn's first reply is."""
    if isinstance(body, Reply):
        body, key = body.to_dict(), f"{key}:0"
    await post(session, [Message(channel, recipient, body, key=key, kind=kind, lang=lang)], now=app.clock.now())


def _t(app: FrontDesk, lang: str | None, msg: str, **kw: Any) -> str:
    return app.i18n.gettext(lang or app.settings.default_language, msg, **kw)


# --- the engine hook ------------------------------------------------------------------------------


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
    if event.channel not in USER_CHANNELS:
        return False
    session = turn.session
    if svc.is_quiet(session, event.channel, event.user_id, turn.user.id):
        return False
    # One query on the hot path: is this account a consultant in a conversation, or a
    # user with an open or connected request?
    rows = await svc.requests_of(session, event.channel, event.user_id, turn.user.id)
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
    svc.record_message(session, req, "to_consultant", event.kind, _describe(turn), turn.now)
    turn.say(turn.t("Your message is noted. A consultant will reply here; type /selesai to cancel the request."))
    return True


def _is_end(turn: Turn) -> bool:
    event = turn.event
    if event.command is not None:
        return event.command.lower() in END_COMMANDS
    return (event.text or "").strip().lower() in {"/selesai", "/end"}


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
    svc.record_message(session, req, "to_consultant" if to_consultant else "to_user", event.kind, _describe(turn), turn.now)


async def relay_media(app: FrontDesk, media: Media) -> bool:
    """A photo or document from either side of a connected conversation is relayed.
    False (nothing written) when the sender is in no conversation."""
    async with app.db.transaction() as session:
        req = await svc.connected_as_consultant(session, media.channel, media.user_id)
        to_consultant = False
        if req is None:
            user = (await session.execute(
                select(User).where(User.channel == media.channel, User.external_id == media.user_id)
            )).scalar_one_or_none()
            req = await svc.active_for_user(session, user.id) if user is not None else None
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
        svc.record_message(session, req, "to_consultant" if to_consultant else "to_user", media.kind, media.caption,
                           app.clock.now())
        return True


# --- opening a request ------------------------------------------------------------------------------


def _user_center(turn: Turn) -> str | None:
    for key in ("center", "center_code", "_center"):
        value = turn.params.get(key) or turn.values.get(key)
        if isinstance(value, str) and value:
            return value
    return None


async def _notify(app: FrontDesk, session: AsyncSession, req: HandoffRequest, owner: User, level: int) -> int:
    people = await svc.candidates(session, req.center_code, req.service_area, level)
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
    if turn.event.channel not in USER_CHANNELS:
        turn.say(turn.t("Chatting with a consultant works on Telegram and WhatsApp. Please write to us there, "
                        "or book a consultation here."))
        return None
    existing = await svc.active_for_user(session, turn.user.id)
    if existing is not None:
        turn.say(turn.t("Your request is already with our consultants. Type /selesai to end it."))
        return None
    center = _user_center(turn) or await svc.last_booking_center(session, turn.user.id)
    req = await svc.open_request(session, user_id=turn.user.id, center=center, area=area, question=question, now=now,
                                 escalate_after=timedelta(minutes=turn.app.settings.handoff_escalate_minutes))
    notified = await _notify(turn.app, session, req, turn.user, 0)
    turn.say(turn.t("I have passed your question to our consultants. When one of them takes it, you can chat "
                    "with them right here. Type /selesai to end the conversation."))
    hours_note = await _hours_note(turn, center)
    if hours_note:
        turn.say(hours_note)
    if notified == 0:
        log.warning("handoff request %s: no linked consultant to notify yet", req.id)
    return req


async def _hours_note(turn: Turn, center: str | None) -> str | None:
    from babel.dates import format_datetime

    from bot.domain.zones import zone_abbreviation

    hours, tz = await svc.center_hours(turn.session, center)
    at = svc.next_opening(hours, turn.now, tz)
    if at is None:
        return None
    locale = "en" if turn.lang == "en" else "id"
    when = format_datetime(at, "EEEE d MMMM, HH:mm", locale=locale) + " " + zone_abbreviation(tz)
    return turn.t("Our consultants are outside their working hours now. You can expect an answer from {when}.", when=when)


# --- actions ----------------------------------------------------------------------------------------


@action("handoff.from_context")
async def from_context(turn: Turn) -> Any:
    """"ok can I talk to someone" right after the trademark answers: the consultant of that
    topic's field, said, and straight to the question instead of asking the field again."""
    from bot.dialogue.followups import topic_area

    if turn.values.get("service_area") in SERVICE_AREAS:
        return "question"
    area = await topic_area(turn)
    if area is None:
        return None
    turn.values["service_area"] = area
    turn.say(turn.t("Sure, I will connect you with a PLUT consultant for {area}.", area=area_phrase(area, turn.lang)))
    return "question"


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
    busy = await svc.connected_as_consultant(session, turn.event.channel, turn.event.user_id)
    if busy is not None and busy.id != req_id:
        turn.say(turn.t("Please finish your current conversation first (/selesai)."))
        return None
    req = await svc.take_request(session, req_id=req_id, consultant_id=me.id, channel=turn.event.channel,
                                 external_id=turn.event.user_id, now=now)
    if req is None:
        turn.say(turn.t("This request has already been taken by another consultant or has ended."))
        return None
    owner = await session.get(User, req.user_id)
    assert owner is not None
    waiting = await svc.waiting_messages(session, req)
    lines = [turn.t("You are now connected with {who}. Their question: {question}",
                    who=owner.display_name or "-", question=req.question or "-")]
    lines += [f"💬 {t}" for t in waiting]
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
    if not await svc.close_request(session, req, by=by, now=now):
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
    if await svc.rate_request(turn.session, req_id=req_id, user_id=turn.user.id, stars=stars, now=turn.now):
        turn.say(turn.t("Thank you for your rating!"))
    return "main_menu.menu"


async def after_fallback(turn: Turn) -> bool:
    """Count fallbacks in a row; the second one in a row opens a handoff request.
    Call it from the NLU fallback action; True when the request was opened."""
    if turn.event.channel not in USER_CHANNELS or not re.search(r"\w", turn.event.text or ""):
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
    cs = app.settings
    changed = 0
    async with app.db.transaction() as session:
        for req in await svc.due_for_escalation(session, now, skip_locked=not app.db.is_sqlite):
            owner = await session.get(User, req.user_id)
            if owner is None:
                continue
            changed += 1
            if not svc.escalate(req, now=now, expire_after=timedelta(hours=cs.handoff_expire_hours),
                                escalate_after=timedelta(minutes=cs.handoff_escalate_minutes)):
                text = _t(app, owner.language, "Sorry, no consultant could take your question in time. You can book "
                          "a consultation at a PLUT center, or ask again later.")
                await _send(session, app, owner.channel, owner.external_id,
                                          Reply(text=text, buttons=[Button(_t(app, owner.language, "Book a consultation instead"), StartFlow("book_consultation").pack())]),
                                          key=f"handoff:{req.id}:expired", lang=owner.language, kind="handoff")
                continue
            await _notify(app, session, req, owner, req.escalations)
    return changed


__all__ = ["intercept", "prefetch", "relay_media", "open_request", "escalate_due", "after_fallback"]
