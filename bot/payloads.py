"""Button payloads as types: every payload the bot produces is built here and every one it
receives is read here (in the spirit of aiogram's `CallbackData`).

| type        | payload                     | meaning                                        |
| ----------- | --------------------------- | ---------------------------------------------- |
| `StartFlow` | `flow:<name>?k=v`           | start a flow with values prefilled             |
| `Goto`      | `goto:<flow>[.<step>]?k=v`  | jump, keeping collected values (menu options)  |
| `RunAction` | `act:<action>?k=v`          | run an action with `turn.params`               |
| `Language`  | `lang:id` / `lang:en`       | switch language                                |
| `ByIntent`  | `intent:<name>?k=v`         | content only: the flow that intent triggers    |
| `Answer`    | `yes`, `no`, `day:<date>` … | an answer to the question being asked          |

The text form never changes, so a button in an old chat keeps working. A payload longer
than `MAX_PAYLOAD` is refused when it is built (`PayloadTooLong`); one that fits but passes a
platform's own limit (Telegram's `callback_data`: 64 bytes; WhatsApp's list-row id: 200
characters) is stored and sent as a reference by the outbox (`bot.outbox.post`), and
read back before it reaches the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal
from urllib.parse import parse_qsl, urlencode

MAX_PAYLOAD = 256
"""The longest payload the bot makes or reads (WhatsApp's reply-button id)."""


class PayloadTooLong(ValueError):
    """A payload past `MAX_PAYLOAD`: shorten its values (pass a reference, not the data)."""


class PayloadInvalid(ValueError):
    """Text that is no payload of ours."""


def _query(params: Mapping[str, str]) -> str:
    return urlencode({k: str(v) for k, v in params.items()}, safe="/:.")


@dataclass(frozen=True, slots=True)
class Payload:
    prefix: ClassVar[str] = ""

    def head(self) -> str:
        raise NotImplementedError

    def params_of(self) -> Mapping[str, str]:
        return {}

    def pack(self) -> str:
        """The payload's text; `PayloadTooLong` past `MAX_PAYLOAD`."""
        params = self.params_of()
        text = f"{self.prefix}:{self.head()}" + (f"?{_query(params)}" if params else "")
        if len(text) > MAX_PAYLOAD:
            raise PayloadTooLong(f"{text[:40]}… has {len(text)} characters; the most is {MAX_PAYLOAD}")
        return text

    def __str__(self) -> str:
        return self.pack()


@dataclass(frozen=True, slots=True)
class StartFlow(Payload):
    prefix: ClassVar[str] = "flow"
    flow: str
    params: Mapping[str, str] = field(default_factory=dict)

    def head(self) -> str:
        return self.flow

    def params_of(self) -> Mapping[str, str]:
        return self.params


@dataclass(frozen=True, slots=True)
class Goto(Payload):
    prefix: ClassVar[str] = "goto"
    target: str
    params: Mapping[str, str] = field(default_factory=dict)

    def head(self) -> str:
        return self.target

    def params_of(self) -> Mapping[str, str]:
        return self.params


@dataclass(frozen=True, slots=True)
class RunAction(Payload):
    prefix: ClassVar[str] = "act"
    action: str
    params: Mapping[str, str] = field(default_factory=dict)

    def head(self) -> str:
        return self.action

    def params_of(self) -> Mapping[str, str]:
        return self.params


@dataclass(frozen=True, slots=True)
class Language(Payload):
    prefix: ClassVar[str] = "lang"
    lang: Literal["id", "en"]

    def head(self) -> str:
        return self.lang


@dataclass(frozen=True, slots=True)
class ByIntent(Payload):
    prefix: ClassVar[str] = "intent"
    intent: str
    params: Mapping[str, str] = field(default_factory=dict)

    def head(self) -> str:
        return self.intent

    def params_of(self) -> Mapping[str, str]:
        return self.params


@dataclass(frozen=True, slots=True)
class Answer(Payload):
    """An answer to the question being asked, read by the waiting step or action:
    `yes`, `no`, or `<kind>:<value>` (`day:2026-11-24`, `time:…`, `center:<code>`, `area:<code>`,
    `place:<code>`)."""

    kind: str
    value: str = ""

    def pack(self) -> str:
        text = f"{self.kind}:{self.value}" if self.value else self.kind
        if len(text) > MAX_PAYLOAD:
            raise PayloadTooLong(f"{text[:40]}… has {len(text)} characters; the most is {MAX_PAYLOAD}")
        return text


YES = Answer("yes")
NO = Answer("no")
ANSWER_KINDS = frozenset({"yes", "no", "day", "time", "center", "area", "place"})

AnyPayload = StartFlow | Goto | RunAction | Language | ByIntent | Answer


def parse_payload(text: str) -> AnyPayload:
    """The payload `text` stands for; `PayloadInvalid` when it is none of ours."""
    if len(text) > MAX_PAYLOAD:
        raise PayloadInvalid("too long")
    kind, sep, rest = text.partition(":")
    if not sep and text in ("yes", "no"):
        return Answer(text)
    head, _, query = rest.partition("?")
    if not sep or not head:
        raise PayloadInvalid(f"not a payload: {text[:40]!r}")
    params = dict(parse_qsl(query)) if query else {}
    if kind == "flow":
        return StartFlow(head, params)
    if kind == "goto":
        return Goto(head, params)
    if kind == "act":
        return RunAction(head, params)
    if kind == "lang" and head in ("id", "en"):
        return Language(head)  # type: ignore[arg-type]
    if kind == "intent":
        return ByIntent(head, params)
    if kind in ANSWER_KINDS:
        return Answer(kind, rest)
    raise PayloadInvalid(f"not a payload: {text[:40]!r}")


def answer_value(button: str | None, kind: str) -> str | None:
    """The value of `button` when it answers with `kind` (`day` → `2026-11-24`), else None."""
    if not button:
        return None
    try:
        parsed = parse_payload(button)
    except PayloadInvalid:
        return None
    return parsed.value if isinstance(parsed, Answer) and parsed.kind == kind else None


__all__ = [
    "ANSWER_KINDS", "MAX_PAYLOAD", "NO", "YES", "AnyPayload", "Answer", "ByIntent", "Goto", "Language", "Payload", "PayloadInvalid", "PayloadTooLong",
    "RunAction", "StartFlow", "answer_value", "parse_payload",
]
