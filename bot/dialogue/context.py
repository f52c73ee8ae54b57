"""The conversation's context: what it is about, so a short follow-up is read against it.

Kept in the conversation's values (stored with its state, keyed by the user's channel and
account, so it survives restarts and is shared by every process) under `_ctx`:

- `center`: the last center shown (the first center card or button of a turn, or the
  center of the booking being made) — what "booking di situ" and "yg itu" point at;
- `topic`: the knowledge topic last answered, kept by `bot/dialogue/faq.py` as `_kb_last`
  ("topic/aspect") and handed to the knowledge base's retrieval as the remembered topic;
- `booking`: the reference of the last booking made or shown;
- `place`: where the user said they are — a place of the gazetteer (`code`, `name`) or a
  shared location (`lat`, `lon`), whether a center is there (`has_center`) and how many of
  the nearest centers were shown (`shown`): what "yg paling deket dmn", "ada yg lain?" and
  "trus sy hrs kmn dong" are read against. A new place replaces it;
- `last`: what the last turn answered ("centers", "hours", "consultant"), so "minggu?"
  after Saturday's hours asks about Sunday's;
- `at`: when the context last changed.

A new topic replaces the old one (the knowledge base's match decides it; a new center card
replaces the center). Context does not leak across days: after `IDLE` without a message the
context is dropped before the next message is read. Three hours: a chat that pauses for a
meeting or lunch keeps its thread, while the next morning's "biayanya brp" is not read as
a follow-up to yesterday's topic.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.engine.actions import Turn
from bot.payloads import PayloadInvalid, RunAction, StartFlow, parse_payload

CTX = "_ctx"
KB_LAST = "_kb_last"  # bot/dialogue/faq.py's remembered (topic, aspect)
IDLE = timedelta(hours=3)

# "di situ", "disana", "yg itu", "there", "that one": a place named by pointing back.
_POINTING = re.compile(
    r"\b(?:di\s*situ|di\s*sana|disitu|disana|dsitu|dsana|ke\s*situ|ke\s*sana|kesitu|kesana|tempat\s+(?:itu|tsb|tadi)|"
    r"(?:plut|sentra|center)\s+(?:itu|tsb|tersebut|tadi)|yg\s+(?:itu|tadi)|yang\s+(?:itu|tadi)|"
    r"there|that\s+(?:one|center|centre|place)|the\s+same\s+(?:center|centre|place))\b", re.I)


def points_back(text: str) -> bool:
    """The message names a place by pointing back at the one just shown (also in regional words the
    normaliser reads: "teng mriku" is "di situ")."""
    from bot.nlu.normalise import normalise

    return bool(_POINTING.search(text or "") or _POINTING.search(normalise(text or "")))


def begin(turn: Turn) -> None:
    """Before the message is read: drop a context left idle too long (`IDLE`)."""
    ctx = turn.values.get(CTX)
    last = turn.conversation.updated_at
    if last is not None and last.tzinfo is None:
        from datetime import timezone

        last = last.replace(tzinfo=timezone.utc)
    if (ctx or turn.values.get(KB_LAST)) and last is not None and turn.now - last > IDLE:
        turn.values.pop(CTX, None)
        turn.values.pop(KB_LAST, None)


def recall(turn: Turn, key: str) -> Any:
    return (turn.values.get(CTX) or {}).get(key)


def remember(turn: Turn, **facts: Any) -> None:
    """Keep facts of this turn in the context (`place`, `center`, `booking`); `last` is what
    this turn answered and lasts one turn only."""
    ctx = dict(turn.values.get(CTX) or {})
    for key, value in facts.items():
        if key == "last":
            turn.values[_LAST_NOW] = value
        elif value is None:
            ctx.pop(key, None)
        else:
            ctx[key] = value
    ctx["at"] = _iso(turn.now)
    turn.values[CTX] = ctx


_LAST_NOW = "_ctx_last"


def end(turn: Turn) -> None:
    """After the replies are made: remember the center shown, the topic and the booking."""
    ctx: dict[str, Any] = dict(turn.values.get(CTX) or {})
    before = dict(ctx)
    center = _center_shown(turn)
    if center:
        ctx["center"] = center
    topic = str(turn.values.get(KB_LAST) or "").partition("/")[0]
    if topic:
        ctx["topic"] = topic
    ref = turn.values.get("ref") or turn.values.get("booking_ref")
    if isinstance(ref, str) and ref:
        ctx["booking"] = ref
    last = turn.values.pop(_LAST_NOW, None)
    if last:
        ctx["last"] = last
    elif turn.replies:
        ctx.pop("last", None)
    if ctx != before:
        ctx["at"] = _iso(turn.now)
        turn.values[CTX] = ctx


def _center_shown(turn: Turn) -> str | None:
    for reply in turn.replies:
        for button in reply.buttons:  # a center card's buttons; not a list of centers to choose from
            code = _center_of(button.payload)
            if code:
                return code
    code = turn.values.get("center")
    return code if isinstance(code, str) and code else None


def _center_of(payload: str) -> str | None:
    try:
        parsed = parse_payload(payload)
    except PayloadInvalid:
        return None
    if isinstance(parsed, (StartFlow, RunAction)):
        code = dict(parsed.params).get("center")
        return str(code) if code else None
    return None


def _iso(now: datetime) -> str:
    return now.isoformat(timespec="seconds")
