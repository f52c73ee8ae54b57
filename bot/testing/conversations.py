"""Conversation tests, in the spirit of Rasa's test stories: whole chats written as YAML
(`tests/conversations/*.yml`), played against the real engine, each turn checked.

A file is one conversation:

    title: Owner in Bantul looks for the nearest center
    lang: id              # the language every reply must be in (a turn may say otherwise)
    heldout: true         # kept out of tuning: nobody looks at it while changing the bot
    status: pending       # optional: a behaviour not built yet (expected to fail; see below)
    tags: [places]
    turns:
      - user: saya di bantul         # or press: <button title>, location: [lat, lon], command: start, contact: "+62…"
        intent: find_center          # the NLU's top intent (glob patterns: faq/*)
        flow: find_center            # a flow this turn ran
        contains: [Yogyakarta, [Sleman, Bantul]]   # each item must appear; a list means one of them
        not_contains: [belum yakin]
        buttons: [Booking di sini]   # titles among the buttons and list options
        not_buttons: [Minta konsultasi]
        lang: id
        on_topic: false              # small talk or noise: a fallback here is not counted

Every turn also fails when a reply is in the other language, when its whole reply (all
its messages) is the previous turn's whole reply word for word, or when an on-topic turn
gets the fallback.

Each conversation runs on its own copy of a freshly migrated and seeded SQLite database
(the shipped demo centers and consultants), so conversations do not depend on each other
or on their order. The clock is frozen at `DEFAULT_NOW` unless a turn says `at:`.

`status: pending` marks a conversation about behaviour that is not built yet: pytest
expects it to fail (xfail, strict, so it fails loudly once it passes and the marker must
go) and the report counts it apart from the rest.
"""

from __future__ import annotations

import asyncio
import fnmatch
import html
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot import yamltext
from bot.app import FrontDesk
from bot.clock import Clock
from bot.config import load_settings
from bot.engine.actions import Turn
from bot.engine.events import Contact, Event, Location, Reply
from bot.nlu.language import detect_language
from bot.storage.db import Database

DEFAULT_NOW = "2026-11-24T09:00:00+07:00"
"""A Tuesday morning in WIB: the centers are open, the next days have free slots."""

CHANNEL = "cli"
MIN_REPEAT_CHARS = 20
"""A reply shorter than this ("Baik.") may come twice in a row without being a repeat."""
MIN_LANGUAGE_WORDS = 4
"""Replies with fewer words (a name, a time) are not judged for their language."""


class ConversationInvalid(ValueError):
    """A conversation file that cannot be read; the message names the file and the problem."""


def _listed(value: Any) -> Any:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class TurnSpec(BaseModel):
    """One user turn and what its replies must show."""

    model_config = ConfigDict(extra="forbid")

    user: str | None = None
    press: str | None = None
    location: tuple[float, float] | None = None
    command: str | None = None
    contact: str | None = None
    at: datetime | None = None
    intent: list[str] = Field(default_factory=list)
    flow: list[str] = Field(default_factory=list)
    contains: list[str | list[str]] = Field(default_factory=list)
    not_contains: list[str] = Field(default_factory=list)
    buttons: list[str] = Field(default_factory=list)
    not_buttons: list[str] = Field(default_factory=list)
    lang: Literal["id", "en"] | None = None
    on_topic: bool = True
    note: str | None = None

    _as_list = field_validator("intent", "flow", "contains", "not_contains", "buttons", "not_buttons", mode="before")(
        _listed
    )

    @model_validator(mode="after")
    def _one_input(self) -> TurnSpec:
        given = [k for k in ("user", "press", "location", "command", "contact") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a turn needs exactly one of user, press, location, command, contact")
        return self

    @property
    def said(self) -> str:
        if self.user is not None:
            return self.user
        if self.press is not None:
            return f"[presses “{self.press}”]"
        if self.location is not None:
            return f"[shares location {self.location[0]}, {self.location[1]}]"
        if self.command is not None:
            return f"/{self.command}"
        return f"[shares contact {self.contact}]"


class ConversationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    lang: Literal["id", "en"]
    heldout: bool
    status: Literal["pending"] | None = None
    tags: list[str] = Field(default_factory=list)
    turns: list[TurnSpec] = Field(min_length=1)
    name: str = ""
    """The file's name without `.yml` (filled in when loading)."""

    @property
    def pending(self) -> bool:
        return self.status == "pending"


def load_conversation(path: Path) -> ConversationSpec:
    try:
        raw = yamltext.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConversationInvalid(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConversationInvalid(f"{path}: a conversation is a mapping with title, lang, heldout and turns")
    try:
        spec = ConversationSpec.model_validate({**raw, "name": path.stem})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConversationInvalid(f"{path}: {problems}") from None
    return spec


def load_conversations(folder: Path, only: str | None = None) -> list[ConversationSpec]:
    """Every `*.yml` under `folder`, sorted by name; `only` keeps names containing it."""
    paths = sorted(folder.glob("**/*.yml"))
    if not paths:
        raise ConversationInvalid(f"{folder}: no conversation files (*.yml)")
    specs = [load_conversation(p) for p in paths]
    seen: dict[str, int] = {}
    for s in specs:
        seen[s.name] = seen.get(s.name, 0) + 1
    dupes = sorted(n for n, c in seen.items() if c > 1)
    if dupes:
        raise ConversationInvalid(f"{folder}: two files share a name: {', '.join(dupes)}")
    return [s for s in specs if only is None or only in s.name]


# --- results ------------------------------------------------------------------------------


@dataclass
class TurnResult:
    spec: TurnSpec
    replies: list[dict[str, Any]] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    flows: list[str] = field(default_factory=list)
    lang: str | None = None
    fell_back: bool = False
    wrong_language: bool = False
    repeated: bool = False
    failures: list[str] = field(default_factory=list)
    ran: bool = True

    @property
    def passed(self) -> bool:
        return self.ran and not self.failures

    @property
    def texts(self) -> list[str]:
        return [r["text"] for r in self.replies if r.get("text")]

    @property
    def button_titles(self) -> list[str]:
        return [b["title"] for r in self.replies for b in [*r.get("buttons", []), *r.get("options", [])]]


@dataclass
class ConversationResult:
    spec: ConversationSpec
    turns: list[TurnResult]

    @property
    def passed(self) -> bool:
        return all(t.passed for t in self.turns)

    def explain(self) -> str:
        """What went wrong, turn by turn, with what the bot said (for a failing test)."""
        lines = [f"{self.spec.name}: {self.spec.title}"]
        for i, t in enumerate(self.turns, 1):
            mark = "ok " if t.passed else ("-- " if not t.ran else "XX ")
            lines.append(f"{mark}{i}. user: {t.spec.said}")
            if not t.ran:
                continue
            lines.append(f"     intent={t.intent} ({(t.confidence or 0):.2f}) flows={t.flows} lang={t.lang}"
                         + (" FALLBACK" if t.fell_back else ""))
            for text in t.texts:
                lines.append("     bot: " + text.replace("\n", "\n          "))
            if t.button_titles:
                lines.append(f"     buttons: {t.button_titles}")
            for f in t.failures:
                lines.append(f"     !! {f}")
        return "\n".join(lines)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _find_button(replies: list[dict[str, Any]], title: str) -> str | None:
    buttons = [b for r in replies for b in [*r.get("buttons", []), *r.get("options", [])]]
    wanted = _norm(title)
    for b in buttons:
        if _norm(b["title"]) == wanted:
            return str(b["payload"])
    partial = [b for b in buttons if wanted in _norm(b["title"])]
    return str(partial[0]["payload"]) if len(partial) == 1 else None


def _reply_text(replies: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for r in replies:
        parts.append(r.get("text") or "")
        venue = r.get("venue")
        if venue:
            parts.append(f"{venue.get('title', '')} {venue.get('address', '')}")
    return _norm("\n".join(parts))


def check_turn(result: TurnResult, previous: TurnResult | None, expected_lang: str) -> None:
    """Fill `result.failures` (and the counters) from the spec and what the bot did."""
    spec, fails = result.spec, result.failures
    said = _reply_text(result.replies)
    if not result.replies:
        fails.append("no reply")
    if spec.intent and not any(fnmatch.fnmatchcase(result.intent or "", p) for p in spec.intent):
        fails.append(f"intent {result.intent!r}, expected {' or '.join(spec.intent)}")
    if spec.flow and not any(fnmatch.fnmatchcase(f, p) for f in result.flows for p in spec.flow):
        fails.append(f"flows run {result.flows}, expected {' or '.join(spec.flow)}")
    for item in spec.contains:
        options = item if isinstance(item, list) else [item]
        if not any(_norm(o) in said for o in options):
            fails.append(f"reply lacks {' / '.join(repr(o) for o in options)}")
    for item in spec.not_contains:
        if _norm(item) in said:
            fails.append(f"reply contains {item!r}")
    titles = [_norm(t) for t in result.button_titles]
    for b in spec.buttons:
        if not any(_norm(b) in t for t in titles):
            fails.append(f"no button {b!r}")
    for b in spec.not_buttons:
        if any(_norm(b) in t for t in titles):
            fails.append(f"button {b!r} should not be offered")
    if result.lang != expected_lang:
        result.wrong_language = True
        fails.append(f"conversation language {result.lang!r}, expected {expected_lang!r}")
    else:
        for text in result.texts:
            # Names (places, centers, people) and links say nothing about the reply's language.
            plain = re.sub(r"https?://\S+|\b[A-Z][\w-]*", " ", text)
            if len(re.findall(r"[^\W\d_]+", plain)) < MIN_LANGUAGE_WORDS:
                continue
            found = detect_language(plain)
            if found is not None and found != expected_lang:
                result.wrong_language = True
                fails.append(f"reply in {found!r}, expected {expected_lang!r}: {text[:80]!r}")
                break
    if previous is not None and previous.ran:
        # The whole reply (all its messages) against the previous turn's whole reply: a note
        # followed by the pending question again is a different reply; the same messages again are not.
        whole = _norm("\n".join(result.texts))
        if len(whole) >= MIN_REPEAT_CHARS and whole == _norm("\n".join(previous.texts)):
            result.repeated = True
            fails.append(f"repeats the previous reply word for word: {result.texts[0][:80]!r}")
    if spec.on_topic and result.fell_back:
        fails.append("fell back (did not understand)")


# --- running ------------------------------------------------------------------------------


class ConversationRunner:
    """Plays conversations against one in-process `FrontDesk`; each on a fresh copy of a
    migrated, seeded SQLite database. Use as a context manager (it owns an event loop):

        with ConversationRunner() as runner:
            result = runner.run(spec)
    """

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._loop: asyncio.Runner | None = None
        self._app: FrontDesk | None = None
        self._template: Path | None = None
        self._last: Turn | None = None
        self._count = 0

    def __enter__(self) -> ConversationRunner:
        self._tmp = tempfile.TemporaryDirectory(prefix="frontdesk-conversations-")
        self._loop = asyncio.Runner()
        self._loop.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            if self._app is not None:
                self._loop.run(self._app.close())
            self._loop.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    async def _start(self) -> None:
        assert self._tmp is not None
        self._template = Path(self._tmp.name) / "template.db"
        values: dict[str, Any] = {
            "DATABASE_URL": f"sqlite+aiosqlite:///{self._template}",
            "FRONTDESK_NOW": DEFAULT_NOW,
            "FRONTDESK_DEMO_SEED": "true",
            **self._settings,
        }
        app = FrontDesk(load_settings(**values))
        await app.start(migrate=True, seed=True)
        await app.db.dispose()
        app.engine.observe(self._observe)
        self._app = app

    def _observe(self, turn: Turn) -> None:
        self._last = turn

    def run(self, spec: ConversationSpec) -> ConversationResult:
        assert self._loop is not None
        return self._loop.run(self._run(spec))

    async def _run(self, spec: ConversationSpec) -> ConversationResult:
        app, tmp = self._app, self._tmp
        assert app is not None and tmp is not None and self._template is not None
        self._count += 1
        path = Path(tmp.name) / f"c{self._count}.db"
        shutil.copy(self._template, path)
        app.db = Database(f"sqlite+aiosqlite:///{path}")
        app.clock = Clock(app.settings.now)
        user = f"conv-{spec.name}"
        results: list[TurnResult] = []
        try:
            previous: TurnResult | None = None
            for spec_turn in spec.turns:
                if previous is not None and not previous.ran:
                    results.append(TurnResult(spec=spec_turn, ran=False, failures=["not run"]))
                    continue
                result = await self._turn(app, user, spec_turn, previous)
                if result.ran:
                    check_turn(result, previous, spec_turn.lang or spec.lang)
                results.append(result)
                previous = result
        finally:
            await app.db.dispose()
            path.unlink(missing_ok=True)
        return ConversationResult(spec=spec, turns=results)

    async def _turn(self, app: FrontDesk, user: str, spec: TurnSpec, previous: TurnResult | None) -> TurnResult:
        if spec.at is not None:
            app.clock = Clock(spec.at)
        base: dict[str, Any] = {"channel": CHANNEL, "user_id": user}
        if spec.press is not None:
            payload = _find_button(previous.replies if previous else [], spec.press)
            if payload is None:
                offered = previous.button_titles if previous else []
                return TurnResult(spec=spec, ran=False, failures=[f"no button {spec.press!r} to press; offered: {offered}"])
            event = Event(button=payload, **base)
        elif spec.location is not None:
            event = Event(location=Location(*spec.location), **base)
        elif spec.command is not None:
            name, _, args = spec.command.lstrip("/").partition(" ")
            event = Event(command=name, command_args=args, **base)
        elif spec.contact is not None:
            event = Event(contact=Contact(phone=spec.contact), **base)
        else:
            event = Event(text=spec.user, **base)
        self._last = None
        replies: list[Reply] = await app.engine.handle(event)
        turn = self._last
        result = TurnResult(spec=spec, replies=[r.to_dict() for r in replies])
        if turn is not None:
            top = (turn.parse or {}).get("intent") or {}
            result.intent, result.confidence = top.get("name"), top.get("confidence")
            result.flows = list(turn.flows)
            result.lang = turn.lang
            result.fell_back = turn.fell_back
        return result


# --- the figures and the report -----------------------------------------------------------


@dataclass
class Figures:
    conversations: int = 0
    conversations_passed: int = 0
    turns: int = 0
    turns_passed: int = 0
    on_topic: int = 0
    fallbacks: int = 0
    wrong_language: int = 0
    repeated: int = 0

    def add(self, result: ConversationResult) -> None:
        self.conversations += 1
        self.conversations_passed += result.passed
        for t in result.turns:
            self.turns += 1
            self.turns_passed += t.passed
            if t.ran and t.spec.on_topic:
                self.on_topic += 1
                self.fallbacks += t.fell_back
            self.wrong_language += t.wrong_language
            self.repeated += t.repeated

    @staticmethod
    def _pct(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f} %" if whole else "–"

    @property
    def turn_rate(self) -> str:
        return self._pct(self.turns_passed, self.turns)

    @property
    def fallback_rate(self) -> str:
        return self._pct(self.fallbacks, self.on_topic)


@dataclass
class SuiteResult:
    results: list[ConversationResult]

    def figures(self, group: str) -> Figures:
        """`tuned`, `heldout`, `all` (the two together) or `pending`."""
        f = Figures()
        for r in self.results:
            if group == "pending":
                keep = r.spec.pending
            else:
                keep = not r.spec.pending and (group == "all" or r.spec.heldout == (group == "heldout"))
            if keep:
                f.add(r)
        return f

    @property
    def failed(self) -> list[ConversationResult]:
        return [r for r in self.results if not r.spec.pending and not r.passed]

    @property
    def pending_passing(self) -> list[ConversationResult]:
        return [r for r in self.results if r.spec.pending and r.passed]

    def summary_lines(self) -> Iterator[str]:
        for group, label in (("tuned", "tuned"), ("heldout", "held-out"), ("all", "both halves")):
            f = self.figures(group)
            yield (f"{label:12} conversations {f.conversations_passed}/{f.conversations} passed; "
                   f"turns {f.turns_passed}/{f.turns} passed ({f.turn_rate}); "
                   f"wrong language {f.wrong_language}; repeated replies {f.repeated}; "
                   f"fallback on on-topic turns {f.fallbacks}/{f.on_topic} ({f.fallback_rate})")
        p = self.figures("pending")
        if p.conversations:
            yield (f"{'pending':12} conversations {p.conversations_passed}/{p.conversations} pass already; "
                   f"turns {p.turns_passed}/{p.turns} ({p.turn_rate}) — behaviour not built yet, not counted above")


def run_suite(folder: Path, only: str | None = None, **settings: Any) -> SuiteResult:
    specs = load_conversations(folder, only)
    with ConversationRunner(**settings) as runner:
        return SuiteResult([runner.run(s) for s in specs])


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "&#124;").replace("\n", "<br>")


def write_report(suite: SuiteResult, directory: Path) -> Path:
    """A Markdown report, `conversations.md`: the figures, then every conversation turn by turn."""
    directory.mkdir(parents=True, exist_ok=True)
    out = ["# Conversation tests", "", "```", *suite.summary_lines(), "```", ""]
    failed = suite.failed
    if failed:
        out += ["Failing: " + ", ".join(f"[{r.spec.name}](#{r.spec.name})" for r in failed), ""]
    if suite.pending_passing:
        out += ["Pending but passing (remove `status: pending`): "
                + ", ".join(r.spec.name for r in suite.pending_passing), ""]
    for r in suite.results:
        state = "pending" if r.spec.pending else ("passed" if r.passed else "FAILED")
        half = "held-out" if r.spec.heldout else "tuned"
        out += [f'<a id="{r.spec.name}"></a>', f"## {r.spec.name} — {r.spec.title}", "",
                f"{state} · {half} · language {r.spec.lang}" + (f" · {', '.join(r.spec.tags)}" if r.spec.tags else ""), "",
                "| # | user | bot | understood | check |", "|---|---|---|---|---|"]
        for i, t in enumerate(r.turns, 1):
            bot = "\n\n".join(t.texts)
            if t.button_titles:
                bot += "\n\n[" + "] [".join(t.button_titles) + "]"
            understood = f"{t.intent or '–'} ({(t.confidence or 0):.2f})\n{' → '.join(t.flows) or '–'}"
            if t.fell_back:
                understood += "\nfallback"
            check = "✓" if t.passed else "✗ " + "\n".join(t.failures)
            out.append(f"| {i} | {_cell(t.spec.said)} | {_cell(bot)} | {_cell(understood)} | {_cell(check)} |")
        out.append("")
    path = directory / "conversations.md"
    path.write_text("\n".join(out), encoding="utf-8")
    return path


__all__ = [
    "ConversationInvalid", "ConversationResult", "ConversationRunner", "ConversationSpec", "DEFAULT_NOW", "Figures",
    "SuiteResult", "TurnResult", "TurnSpec", "check_turn", "load_conversation", "load_conversations", "run_suite",
    "write_report",
]
