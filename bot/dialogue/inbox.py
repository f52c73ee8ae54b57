"""A consultant's side of a handoff, from the inbox in `/admin`: taking a request, answering
and ending the conversation. What the user reads is worded here and leaves through the
outbox to the user's own channel, as an answer from Telegram or WhatsApp does
(`bot/dialogue/handoff.py`). The consultant's side of the conversation is the inbox itself:
it reads the request's messages (`handoff_messages`), so what the user writes is posted to
the consultant's inbox address (channel `inbox`) and kept there.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.dialogue.handoff import _rating_reply, _send, _t
from bot.engine.events import Reply
from bot.outbox import Message, post
from bot.services import consultant_link
from bot.services import handoff as svc
from bot.services.handoff import CONNECTED
from bot.storage.models import HandoffRequest, User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import FrontDesk

MAX_ANSWER = 4000


async def take(app: FrontDesk, session: AsyncSession, *, req_id: int, consultant_id: int, name: str,
               now: datetime) -> HandoffRequest | None:
    """Connect the consultant through their inbox; None when someone took it first or it ended."""
    req = await svc.take_request(session, req_id=req_id, consultant_id=consultant_id, channel=consultant_link.INBOX_CHANNEL,
                                 external_id=consultant_link.inbox_address(consultant_id), now=now)
    if req is None:
        return None
    owner = await session.get(User, req.user_id)
    assert owner is not None
    text = _t(app, owner.language, "Consultant {name} has joined and will answer you here. Type /selesai to end the conversation.",
              name=name)
    await _send(session, app, owner.channel, owner.external_id, Reply(text=text), key=f"handoff:{req.id}:connected",
                lang=owner.language, kind="handoff")
    return req


def held_by(req: HandoffRequest, consultant_id: int | None) -> bool:
    """The consultant holds this conversation in their inbox."""
    return (consultant_id is not None and req.status == CONNECTED and req.consultant_id == consultant_id
            and req.consultant_channel == consultant_link.INBOX_CHANNEL)


async def answer(app: FrontDesk, session: AsyncSession, req: HandoffRequest, *, name: str, text: str, key: str,
                 now: datetime) -> bool:
    """Relay the consultant's answer to the user. `key` makes a form sent twice count once;
    False when it was sent already."""
    owner = await session.get(User, req.user_id)
    assert owner is not None
    text = text[:MAX_ANSWER]
    body = {"text": f"💬 {name}: {text}"[:4096], "lang": owner.language}
    added = await post(session, [Message(owner.channel, owner.external_id, body, key=f"handoff:{req.id}:inbox:{key}",
                                         kind="handoff", lang=owner.language)], now=now)
    if not added:
        return False
    svc.record_message(session, req, "to_user", "text", text, now)
    return True


async def end(app: FrontDesk, session: AsyncSession, req: HandoffRequest, *, now: datetime) -> bool:
    """The consultant ends the conversation; the user is asked for a rating. False when it had ended."""
    if not await svc.close_request(session, req, by="consultant", now=now):
        return False
    owner = await session.get(User, req.user_id)
    assert owner is not None
    ask = _rating_reply(app, owner.language, req.id, ended_by_consultant=True)
    await _send(session, app, owner.channel, owner.external_id, ask, key=f"handoff:{req.id}:rating", lang=owner.language,
                kind="handoff")
    return True


__all__ = ["MAX_ANSWER", "answer", "end", "held_by", "take"]
