"""Named Python actions that flows call (`action: centers.nearest`) and buttons reach
(payload `act:<name>?key=value`).

An action is an async function taking a `Turn` and returning what happens next:

    @action("centers.nearest")
    async def nearest(turn: Turn) -> Next:
        turn.say(turn.t("Here are the nearest centers:"))
        return None            # go on with the next step of the flow

Return `None` to go on, `WAIT` to stay on this step until the user's next input
(the action is then called again with that input as `turn.event`), `END` to end the
flow, or a goto target string (`"main_menu"`, `"book.pick_day"`, a step id).

The actions live in the dialogue layer (`bot/dialogue/`), which the composition root
imports to register them; the engine knows them only by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.events import Button, Event, Reply

if TYPE_CHECKING:
    from bot.app import FrontDesk
    from bot.storage.models import Conversation, User


class _Signal:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


WAIT: Final = _Signal("WAIT")
END: Final = _Signal("END")
Next = str | _Signal | None


@dataclass
class Turn:
    """Everything one event's handling may read or change, inside one transaction."""

    app: FrontDesk
    session: AsyncSession
    user: User
    conversation: Conversation
    event: Event
    lang: str
    values: dict[str, Any]
    parse: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    first_call: bool = True
    """False when the action runs again on the user's answer after returning WAIT."""
    flows: list[str] = field(default_factory=list)
    """The flows this turn ran, in order (for the message log's readers and the conversation tests)."""
    fell_back: bool = False
    """True when the bot did not understand and answered with its fallback."""

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    def t(self, message: str, **kwargs: Any) -> str:
        """Translate a UI string (gettext msgid in English) into the user's language."""
        return self.app.i18n.gettext(self.lang, message, **kwargs)

    def say(self, text: str | Reply, buttons: list[Button] | None = None) -> Reply:
        reply = text if isinstance(text, Reply) else Reply(text=text, buttons=list(buttons or []))
        self.replies.append(reply)
        return reply

    @property
    def text(self) -> str | None:
        return self.event.text


ActionFn = Callable[[Turn], Awaitable[Next]]
_REGISTRY: dict[str, ActionFn] = {}


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    """Register an action under `name` (dotted, lower case)."""

    def deco(fn: ActionFn) -> ActionFn:
        if name in _REGISTRY and _REGISTRY[name] is not fn:
            raise ValueError(f"action {name!r} is registered twice")
        _REGISTRY[name] = fn
        return fn

    return deco


def get_action(name: str) -> ActionFn | None:
    return _REGISTRY.get(name)


def action_names() -> list[str]:
    return sorted(_REGISTRY)
