"""Consultants link their Telegram or WhatsApp account by sending the one-time code the
admin gave them (the use case: `bot/services/consultant_link.py`)."""

from __future__ import annotations

import re

from bot.engine.actions import Turn
from bot.services.consultant_link import link

_TYPED = re.compile(r"^\s*(?:link|hubungkan|tautkan|kode)\s*[:\-]?\s*([A-Za-z0-9]{4}-?[A-Za-z0-9]{4})\s*$", re.I)
_PAYLOAD = re.compile(r"^link[-_]([A-Za-z0-9]{4}-?[A-Za-z0-9]{4})$", re.I)


def code_in(turn: Turn) -> str | None:
    """The link code in this message, if it is one: `/start link-XXXX-XXXX`, `/link XXXXXXXX`, `LINK XXXX-XXXX`."""
    event = turn.event
    if event.command is not None:
        args = event.command_args.strip()
        if event.command == "start":
            m = _PAYLOAD.match(args)
            return m.group(1) if m else None
        if event.command in ("link", "hubungkan", "tautkan"):
            return args or ""
        return None
    if event.text:
        m = _TYPED.match(event.text)
        return m.group(1) if m else None
    return None


async def try_link(turn: Turn) -> bool:
    """Engine hook: a message carrying a link code links the account. True when handled."""
    code = code_in(turn)
    if code is None:
        return False
    info = await link(turn.session, code, turn.event.channel, turn.event.user_id, now=turn.now) if code else None
    if info is None:
        turn.say(turn.t("That link code is not valid or has expired. Please ask the PLUT admin for a new one."))
        return True
    if not turn.user.language_locked:
        # Consultants are center staff: Indonesian, like their notifications, unless they chose otherwise.
        turn.user.language = turn.lang = "id"
    turn.say(turn.t("Thank you, {name}. This account is now linked: booking notifications, consultation "
                    "requests and your daily agenda will arrive here.", name=info.name))
    return True
