"""The engine: one event in, replies out, one conversation at a time.

Order of work for an event, all in one transaction (shared by the events of a batch,
`handle_batch`, when webhooks arrive together — see `intake.py`):
1. find or create the user and lock their conversation row (PostgreSQL `FOR UPDATE`;
   SQLite serialises writers with `BEGIN IMMEDIATE`), so events of one conversation
   never interleave, also across processes;
2. record the platform message id; a repeated id ends here with no reply; count the
   message against its sender's flood limit (`flood.py`): one over it ends here too
   (the first of a flood gets one notice to slow down);
3. settle the language; handle the global words (menu/batal/cancel, language switch,
   commands, `flow:` and `act:` button payloads);
4. feed the input to the waiting step, or understand free text with the NLU and start
   the flow its intent triggers; then run steps until one waits for input.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
import zlib
from dataclasses import replace
from time import perf_counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Table, bindparam, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.answers import asks_for_source, free_text_kind
from bot.engine import steps as step_runner
from bot.engine.actions import END, WAIT, Turn, get_action
from bot.engine.events import Button, Event, Reply
from bot.engine.flood import FloodLimit, Verdict, flood_limit
from bot.engine.intake import Intake
from bot.i18n import _
from bot.nlu.language import confident_language, detect_language, language_request
from bot.observability import metrics
from bot.observability.logging import masked, set_event
from bot.payloads import Goto, Language, PayloadInvalid, RunAction, StartFlow, parse_payload
from bot.storage.models import Conversation, InboundMessage, MessageLog, User
from bot.outbox import deferred
from bot.storage.upsert import insert_ignoring

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)

MAX_TEXT = 4000
"""Longer texts are cut before they reach the NLU or the log; the user is told."""

CANCEL_WORDS = frozenset({"menu", "batal", "cancel", "/menu", "/cancel", "/batal", "kembali", "back", "stop", "main menu", "menu utama"})

ReplySink = Callable[[AsyncSession, User, list[Reply]], Awaitable[None]]

TURN, NOTICE, DROP = "turn", "notice", "drop"
"""What the flood limit makes of an event (`Engine._admit`)."""
FLOOD_NOTICE = _("Your messages are arriving very fast, so I could not read them all. Please wait a moment, "
                 "then send your question again in one message 🙏")
"""The one answer to a flood (catalog: locales/*/LC_MESSAGES/frontdesk.po)."""

# The batch's statements are built once, here: the values go in as parameters, so each
# batch skips constructing the statement and computing its cache key. `keys` is an
# expanding parameter ((channel, external_id) pairs), which SQLite and PostgreSQL both take.
_ONE_PERSON = (User.channel == bindparam("channel")) & (User.external_id == bindparam("external_id"))
_PEOPLE = tuple_(User.channel, User.external_id).in_(bindparam("keys", expanding=True))
_LOAD = select(User, Conversation).join(Conversation, Conversation.user_id == User.id)
_LOAD_ONE = _LOAD.where(_ONE_PERSON)  # the common single event: a statement the database has prepared already
_LOAD_MANY = _LOAD.where(_PEOPLE)
# Locked in conversation order, so concurrent batches queue instead of deadlocking (PostgreSQL).
_LOCK_ONE, _LOCK_MANY = (s.order_by(Conversation.id).with_for_update(of=Conversation) for s in (_LOAD_ONE, _LOAD_MANY))
_USER_IDS = select(User.id).where(_PEOPLE)
_LOG = insert(cast(Table, MessageLog.__table__))


class TurnHooks(Protocol):
    """What the dialogue layer lets the engine ask about each turn, without the engine
    importing it (the composition root hands these in). The handoff to a consultant is one."""

    async def prefetch(self, session: AsyncSession, accounts: list[tuple[str, str]], user_ids: list[int]) -> None:
        """Load, once per batch, what `intercept` will need for these people."""

    async def intercept(self, turn: Turn) -> bool:
        """True when the turn was taken care of (e.g. relayed to a consultant): no answer."""

    async def after_fallback(self, turn: Turn) -> bool:
        """True when the dialogue took over after the bot did not understand."""

    async def unlimited(self, session: AsyncSession, accounts: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of `accounts`, all over the flood limit, it does not apply to (the centers'
        consultants). Asked only when a limit is reached, so it costs nothing the rest of the time."""

    async def after_understood(self, turn: Turn, intent: str) -> None:
        """Free text started the flow of `intent`: the dialogue may add to the replies
        (the other needs of a long message)."""

    async def follow_up(self, turn: Turn) -> bool:
        """True when free text with no question pending was a short follow-up the dialogue
        answered from the conversation's context ("sabtu buka ga?" after a center)."""

    async def specific_part(self, turn: Turn) -> bool:
        """The same long reply would go out twice: True when the dialogue answered instead the
        part the message names (a day, a place, the consultant); its replies are added."""

    def begin(self, turn: Turn) -> None:
        """Before the message is read (the conversation's context may have gone stale)."""

    def end(self, turn: Turn) -> None:
        """After the replies are made (the dialogue remembers what the turn was about)."""


class NoHooks:
    async def prefetch(self, session: AsyncSession, accounts: list[tuple[str, str]], user_ids: list[int]) -> None:
        return None

    async def intercept(self, turn: Turn) -> bool:
        return False

    async def after_fallback(self, turn: Turn) -> bool:
        return False

    async def unlimited(self, session: AsyncSession, accounts: list[tuple[str, str]]) -> set[tuple[str, str]]:
        return set()

    async def after_understood(self, turn: Turn, intent: str) -> None:
        return None

    async def follow_up(self, turn: Turn) -> bool:
        return False

    async def specific_part(self, turn: Turn) -> bool:
        return False

    def begin(self, turn: Turn) -> None:
        return None

    def end(self, turn: Turn) -> None:
        return None


class Engine:
    def __init__(self, app: FrontDesk, hooks: TurnHooks | None = None, *, flood_limited: bool = True) -> None:
        self.app = app
        self.hooks: TurnHooks = hooks or NoHooks()
        settings = app.settings
        self.flood: FloodLimit | None = flood_limit(settings.inbound_rate, settings.inbound_burst) if flood_limited else None
        """The per-user flood limit (`flood.py`); None when off (a rate of 0, or an admin's preview)."""
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()
        self._before_event: list[Callable[[], Awaitable[None]]] = []
        self._observers: list[Callable[[Turn], None]] = []
        self.intake = Intake(self)
        """Webhooks hand their events here: concurrent ones share a transaction (`intake.py`)."""

    def before_event(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run `hook` before each event (e.g. pick up content another process published).
        A failing hook is logged; the event is still answered with what is in force."""
        if hook not in self._before_event:
            self._before_event.append(hook)

    def observe(self, observer: Callable[[Turn], None]) -> None:
        """Call `observer` with each turn once it is answered, inside its transaction (the
        conversation tests read the intent, the flows run and the fallback from it)."""
        if observer not in self._observers:
            self._observers.append(observer)

    def _lock(self, key: tuple[str, str]) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def handle(self, event: Event, *, sink: ReplySink | None = None) -> list[Reply]:
        """Process one event and return the replies (empty for a repeated message id).

        `sink`, when given, receives the replies inside the same transaction (the
        Telegram and WhatsApp adapters write them to the outbox there)."""
        return (await self.handle_batch([(event, sink)]))[0]

    async def handle_batch(self, items: Sequence[tuple[Event, ReplySink | None]]) -> list[list[Reply]]:
        """Process several events in one transaction (group commit); replies per event.

        Events are turned in the given order, so two events of one user keep theirs. The
        statements that do not depend on a turn are made once for the batch: the message
        id dedupe, the flood limit (`flood.py`: one statement; a message over it is dropped
        here, before the user's conversation is loaded or anything is read), loading and
        locking the users' conversations, the handoff check
        (`hooks.prefetch`: the handoff's), the message log, and the outbox rows the sinks write
        (`bot.outbox.deferred`). If any turn fails the whole
        batch is rolled back and the exception raised (`Intake` then turns the events one
        by one, so one bad event does not hold back the others)."""
        await self._run_hooks()
        started = perf_counter()
        keys = sorted({(e.channel, e.user_id) for e, _ in items})
        async with AsyncExitStack() as stack:
            for key in keys:  # one order everywhere, so two batches never wait on each other in a cycle
                await stack.enter_async_context(self._lock(key))
            session = await stack.enter_async_context(self.app.db.transaction())
            now = self.app.clock.now()
            events = [event for event, _ in items]
            fresh = await self._fresh(session, events, now)
            fate = await self._admit(session, events, fresh, now) if self.flood is not None else None
            people = await self._users_and_conversations(
                session, [e for i, (e, new) in enumerate(zip(events, fresh)) if new and (fate is None or fate[i] != DROP)], now)
            await self.hooks.prefetch(session, list(people), [u.id for u, _ in people.values()])
            results: list[list[Reply]] = []
            log_rows: list[dict[str, Any]] = []
            async with deferred(session):
                for i, ((event, sink), is_fresh) in enumerate(zip(items, fresh)):
                    if not is_fresh or (fate is not None and fate[i] == DROP):
                        results.append([])
                        continue
                    user, conv = people[(event.channel, event.user_id)]
                    set_event(event.channel, event.message_id)
                    if event.display_name and not user.display_name:
                        user.display_name = event.display_name[:128]
                    if fate is not None and fate[i] == NOTICE:
                        inbound_log, replies = self._flood_notice(user, conv, event, now)
                    else:
                        inbound_log, replies = await self._process(session, user, conv, event, now)
                        conv.updated_at = now
                    user.last_inbound_at = now
                    log_rows.append(inbound_log)
                    log_rows.extend(
                        {"user_id": user.id, "channel": event.channel, "direction": "out", "kind": _reply_kind(reply),
                         "text": reply.text, "intent": None, "confidence": None, "language": user.language,
                         "flow": conv.flow, "at": now}
                        for reply in replies
                    )
                    if sink is not None:
                        await sink(session, user, replies)
                    results.append(replies)
            if log_rows:
                await session.execute(_LOG, log_rows)
        # Committed: count what was turned (a rolled-back batch raised above and counts nothing).
        turned = 0
        for i, ((event, _), replies, is_fresh) in enumerate(zip(items, results, fresh)):
            if not is_fresh:
                continue
            if fate is not None and fate[i] != TURN:
                metrics.throttled(event.channel, notice=fate[i] == NOTICE)
                continue
            turned += 1
            metrics.message_in(event.channel)
            metrics.messages_out(event.channel, len(replies))
        metrics.turns(perf_counter() - started, turned)
        return results

    async def _run_hooks(self) -> None:
        for hook in self._before_event:
            try:
                await hook()
            except Exception:
                log.exception("before-event hook %r failed; answering with the content in force", hook)

    async def _admit(self, session: AsyncSession, events: list[Event], fresh: list[bool], now: datetime) -> list[str]:
        """The flood limit's word on each event: TURN, NOTICE (the first dropped one of a
        flood: one notice, nothing read) or DROP (nothing at all). One statement for the batch;
        repeats (not fresh) are not counted, so a platform's retry costs the user nothing."""
        assert self.flood is not None
        counts: dict[tuple[str, str], int] = {}
        for e, new in zip(events, fresh):
            if new:
                key = (e.channel, e.user_id)
                counts[key] = counts.get(key, 0) + 1
        verdicts = await self.flood.admit(session, counts, now)
        over = sorted(k for k, v in verdicts.items() if v.passed < counts[k])
        if over:
            for key in await self.hooks.unlimited(session, over):
                verdicts[key] = Verdict(passed=counts[key], notice=False, dropped=0)
        seen: dict[tuple[str, str], int] = {}
        fate = []
        for e, new in zip(events, fresh):
            if not new:
                fate.append(TURN)  # not turned either: `handle_batch` skips it as a repeat
                continue
            key = (e.channel, e.user_id)
            nth = seen[key] = seen.get(key, 0) + 1
            verdict = verdicts[key]
            if nth <= verdict.passed:
                fate.append(TURN)
            elif verdict.notice and nth == verdict.passed + 1:
                fate.append(NOTICE)
                log.info("flood limit: %s user %s writes faster than %g messages a minute (%d at once); "
                         "one notice, and what comes faster is dropped unread", e.channel, masked(e.user_id),
                         self.flood.per_minute, self.flood.burst)
            else:
                fate.append(DROP)
        return fate

    async def admit_one(self, session: AsyncSession, channel: str, user_id: str) -> str:
        """The flood limit's word on one message that is answered outside a turn (a sticker,
        a photo we cannot read: `bot/channels/common.py:handle_media`): TURN, NOTICE or DROP."""
        if self.flood is None:
            return TURN
        fate = (await self._admit(session, [Event(channel=channel, user_id=user_id)], [True], self.app.clock.now()))[0]
        if fate != TURN:
            metrics.throttled(channel, notice=fate == NOTICE)
        return fate

    def _flood_notice(self, user: User, conv: Conversation, event: Event, now: datetime) -> tuple[dict[str, Any], list[Reply]]:
        """The one answer to a flood: slow down, in the user's language. The message itself is
        not read (no NLU, no step) and the conversation stays where it was; the log keeps that
        it came, without its text."""
        lang = user.language or self.app.settings.default_language
        inbound_log = {"user_id": user.id, "channel": event.channel, "direction": "in", "kind": "throttled",
                       "text": None, "intent": None, "confidence": None, "language": lang, "flow": conv.flow, "at": now}
        return inbound_log, [Reply(text=self.app.i18n.gettext(lang, FLOOD_NOTICE))]

    async def _fresh(self, session: AsyncSession, events: list[Event], now: datetime) -> list[bool]:
        """Record the platform message ids; False for an id seen before (also earlier in `events`).
        Events without an id are always fresh."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for e in events:
            if e.message_id is not None:
                key = (e.channel, str(e.message_id)[:128])
                rows.setdefault(key, {"channel": key[0], "message_id": key[1], "received_at": now})
        inserted: set[tuple[str, str]] = set()
        if rows:
            stmt = insert_ignoring(session, cast(Table, InboundMessage.__table__), ("channel", "message_id"), ("channel", "message_id"))
            result = await session.execute(stmt, list(rows.values()))
            inserted = {(r[0], r[1]) for r in result.all()}
        out = []
        for e in events:
            if e.message_id is None:
                out.append(True)
                continue
            key = (e.channel, str(e.message_id)[:128])
            out.append(key in inserted)
            inserted.discard(key)  # a second copy in the same batch is a repeat
        return out

    async def _users_and_conversations(
        self, session: AsyncSession, events: list[Event], now: datetime
    ) -> dict[tuple[str, str], tuple[User, Conversation]]:
        """The users of `events` and their locked conversations, created when new; one query
        when all exist (the usual case), four when some are new."""
        names: dict[tuple[str, str], str | None] = {}
        for e in events:
            names.setdefault((e.channel, e.user_id), e.display_name)
        if not names:
            return {}
        found = await self._load_people(session, list(names))
        missing = [k for k in names if k not in found]
        if missing:
            ids = (await session.execute(
                insert_ignoring(session, cast(Table, User.__table__), ("channel", "external_id"), ("id",)),
                [{"channel": c, "external_id": u, "created_at": now, "language_locked": False,
                  "display_name": (names[(c, u)] or "")[:128] or None} for c, u in missing],
            )).scalars().all()
            if len(ids) < len(missing):  # some exist already (created meanwhile, or without a conversation)
                ids = (await session.execute(_USER_IDS, {"keys": missing})).scalars().all()
            await session.execute(
                insert_ignoring(session, cast(Table, Conversation.__table__), ("user_id",)),
                [{"user_id": i, "values": {}, "updated_at": now} for i in ids],
            )
            found.update(await self._load_people(session, missing))
        return found

    async def _load_people(
        self, session: AsyncSession, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[User, Conversation]]:
        lock = not self.app.db.is_sqlite  # SQLite: the writer holds the whole database already
        params: dict[str, Any]
        if len(keys) == 1:
            stmt, params = (_LOCK_ONE if lock else _LOAD_ONE), {"channel": keys[0][0], "external_id": keys[0][1]}
        else:
            stmt, params = (_LOCK_MANY if lock else _LOAD_MANY), {"keys": keys}
        rows = (await session.execute(stmt, params)).all()
        return {(u.channel, u.external_id): (u, c) for u, c in rows}

    # --- one turn -------------------------------------------------------------------------

    async def _process(
        self, session: AsyncSession, user: User, conv: Conversation, event: Event, now: datetime
    ) -> tuple[dict[str, Any], list[Reply]]:
        """Run the turn; return the inbound message's log row and the replies."""
        text = event.text
        too_long = False
        if text is not None:
            text = text.strip()
            if len(text) > MAX_TEXT:
                text, too_long = text[:MAX_TEXT], True
        if event.contact is not None and not user.phone:
            user.phone = event.contact.phone[:32]
        # A typed command (`/start` on WhatsApp) says nothing about the user's language, and it
        # and the menu words are handled before any step or intent (`_dispatch`): no NLU for them.
        command = bool(text) and (text or "").startswith("/")
        lang = self._settle_language(user, conv, None if command else text)
        values = dict(conv.values or {})
        turn = Turn(app=self.app, session=session, user=user, conversation=conv, event=event, lang=lang, values=values)

        parse = None
        if text and not command and text.lower() not in CANCEL_WORDS:
            nlu_started = perf_counter()
            parse = await self.app.nlu.parse(text, now=now, lang=lang)
            metrics.nlu(perf_counter() - nlu_started)
            turn.parse = parse
        intent = (parse or {}).get("intent") or {}
        inbound_log = {
            "user_id": user.id, "channel": event.channel, "direction": "in", "kind": event.kind,
            "text": text if text is not None else (event.button or event.command),
            "intent": intent.get("name"), "confidence": intent.get("confidence"),
            "language": lang, "flow": conv.flow, "at": now,
        }
        if too_long:
            turn.say(turn.t("Your message is very long, so I read only the first part of it."))
        self.hooks.begin(turn)
        await self._dispatch(turn)
        self.hooks.end(turn)
        self._offer_way_back(turn)
        await self._no_repeat(turn)
        _remember_offer(turn)
        conv.values = turn.values
        for observer in self._observers:
            observer(turn)
        return inbound_log, turn.replies

    def _offer_way_back(self, turn: Turn) -> None:
        """A booking left for another topic (`steps.remember_left`) is not dropped without a word:
        once the other topic is answered (its flow ended, no question of its own pending), the
        reply ends with a button back to the booking, where it was (`booking.back`). Offered once;
        starting the booking again forgets it."""
        left = turn.values.get(step_runner.LEFT_KEY)
        if not isinstance(left, dict) or left.get("offered"):
            return
        conv = turn.conversation
        if conv.flow == left.get("flow"):
            turn.values.pop(step_runner.LEFT_KEY, None)  # back in it, or started again
            return
        if HANDOFF_FLOW in turn.flows:
            # the chat is handed to a consultant, who reads what comes next: no booking questions in between
            turn.values.pop(step_runner.LEFT_KEY, None)
            return
        if (conv.flow not in (None, "main_menu") and conv.step is not None) or not turn.replies:
            return  # the other topic still asks its own question; offered when it is done
        button = Button(turn.t("Back to the booking"), RunAction("booking.back").pack())
        last = turn.replies[-1]
        kept = [b for b in last.buttons if not _starts(b.payload, str(left.get("flow")))]  # not a new one beside it
        if last.text and not last.options and not last.request_contact and not last.request_location and len(kept) < MAX_NOTE_BUTTONS:
            turn.replies[-1] = replace(last, buttons=[*kept, button])
        else:
            turn.say(Reply(text=turn.t("Shall we go back to your booking?"), buttons=[button]))
        left["offered"] = True

    async def _no_repeat(self, turn: Turn) -> None:
        """No reply goes out word for word as in the previous turn. A long answer about to be
        repeated gives way to the part the message names (the dialogue's `specific_part`: a
        day's hours, the nearest center, the consultant), else to a question about which part
        is wanted, keeping its buttons (the consultant, the booking); a second repeat points to
        the consultant. In a flow, a turn whose whole reply is the previous turn's again (the
        same note and question after a second unusable answer) gets a shorter reprompt that
        says how else to go on. The previous turn's replies are remembered by checksum
        (`_last_out`, `_last_whole`), across processes like the rest of the state."""
        last = set(turn.values.get("_last_out") or [])
        last_whole = turn.values.get("_last_whole")
        conv = turn.conversation
        if turn.fell_back:
            # "I can read text, locations and buttons" twice for two emoji-only messages is the clear answer
            turn.values.pop("_last_out", None)
            turn.values.pop("_last_whole", None)
            return
        if conv.step is not None and conv.flow not in (None, "main_menu"):
            # a flow's question asked again after an answer it could not use is the way forward,
            # unless the whole reply is the previous turn's again
            turn.values.pop("_last_out", None)
            if turn.replies and _whole(turn.replies) == last_whole and any(r.text for r in turn.replies):
                i = max(i for i, r in enumerate(turn.replies) if r.text)
                hint = turn.t("If it is easier: type “menu” to start again, or talk with a consultant with the button below.")
                way_out = Button(title=turn.t("Talk to a consultant"), payload=StartFlow(HANDOFF_FLOW).pack())
                kept = [*turn.replies[i].buttons, way_out][-MAX_NOTE_BUTTONS:]
                turn.replies[i] = replace(turn.replies[i], text=f"{turn.replies[i].text or ''}\n{hint}".strip(), buttons=kept)
            if turn.replies:
                turn.values["_last_whole"] = _whole(turn.replies)
            return
        repeated = [i for i, r in enumerate(turn.replies)
                    if len(r.text or "") >= REPEAT_MIN_CHARS and not r.options and zlib.crc32((r.text or "").encode()) in last]
        said = len(turn.replies)
        if repeated and await self.hooks.specific_part(turn):
            specific = turn.replies[said:]
            first = repeated[0]
            before = [r for i, r in enumerate(turn.replies[:first]) if i not in repeated]
            after = [r for i, r in enumerate(turn.replies[first:said], first) if i not in repeated]
            turn.replies[:] = before + specific + after
        answers = [i for i, r in enumerate(turn.replies) if len(r.text or "") >= REPEAT_MIN_CHARS and not r.options]
        again = [i for i in answers if zlib.crc32((turn.replies[i].text or "").encode()) in last]
        if again and len(again) == len(answers):
            # the whole answer again: one note in its place, keeping the way forward (its buttons)
            notes = [
                turn.t("That is the answer I just gave. Which part do you need: the cost, the requirements, the steps "
                       "or where to go? A consultant can also go through it with you."),
                turn.t("I would only repeat myself. A consultant of this field can answer exactly what you need: "
                       "choose a button below, or type “menu”."),
            ]  # the previous turn held at most one of them
            if _a_statement(turn.event.text):
                notes.reverse()  # "udh coba endorse jg" asks for no part: the consultant is the way on
            note = next(n for n in notes if zlib.crc32(n.encode()) not in last)
            buttons: list[Button] = []
            for i in reversed(again):  # the last answer's buttons first: they are the next step
                buttons += [b for b in turn.replies[i].buttons if b.payload not in {x.payload for x in buttons}]
            first = again[0]
            turn.replies[:] = [replace(r, text=note, buttons=buttons[:MAX_NOTE_BUTTONS]) if i == first else r
                               for i, r in enumerate(turn.replies)
                               if i == first or (i not in again and (r.text or r.options))]
        # otherwise a repeated line belongs to a new answer ("ok what about Merauke": another list, the same
        # nearest center to ask from afar) and stays
        sums = [zlib.crc32((r.text or "").encode()) for r in turn.replies
                if len(r.text or "") >= REPEAT_MIN_CHARS and not r.options]
        if turn.replies:
            turn.values["_last_out"] = sums
            turn.values["_last_whole"] = _whole(turn.replies)


    def _settle_language(self, user: User, conv: Conversation, text: str | None) -> str:
        """The first message that tells decides the language; after that only a message plainly
        in the other language changes it (`confident_language`: names, places, phone numbers
        and booking references never do), and an explicit choice locks it."""
        if not user.language_locked and text:
            if not (conv.values or {}).get("_lang_told"):
                detected = detect_language(text)
                if detected:
                    user.language = detected
                    conv.values = {**(conv.values or {}), "_lang_told": True}
            else:
                plain = confident_language(text)
                if plain is not None:
                    user.language = plain
        if user.language is None:
            user.language = self.app.settings.default_language
        return user.language

    async def _dispatch(self, turn: Turn) -> None:
        event = turn.event
        text = (event.text or "").strip()
        lowered = text.lower()

        if not event.valid_location:
            # No place on Earth (latitude 91, NaN): answered, and nothing of it is kept.
            turn.say(turn.t("That location could not be read. Please share it again with the location button, "
                            "or type the name of your town."))
            return
        # A conversation handed off to a consultant is theirs: relay, do not answer (bot/dialogue/handoff.py).
        if await self.hooks.intercept(turn):
            return
        # Global words first: they work from any step.
        if event.command is not None:
            await self._command(turn, event.command, event.command_args)
            return
        if event.button is not None and await self._global_payload(turn, event.button):
            return
        if lowered in CANCEL_WORDS and not self._is_a_no(turn, lowered):
            await self.start_flow(turn, "main_menu")
            return
        if text:
            req = language_request(text)
            if req is not None:
                await self._switch_language(turn, None if req == "ask" else req)
                return
            if text.startswith("/"):
                name, _, args = text[1:].partition(" ")
                await self._command(turn, name.split("@", 1)[0].lower(), args.strip())
                return

        conv = turn.conversation
        flow = self.app.flows.get(conv.flow) if conv.flow else None
        if flow is not None and conv.step is not None:
            idx = flow.index_of(conv.step) if not conv.step.isdigit() else int(conv.step)
            if idx is not None and idx < len(flow.steps):
                if text and await self._aside(turn, flow, idx, text):
                    return
                await step_runner.resume(self, turn, flow, idx)
                return
        await self.understand(turn)

    def _is_a_no(self, turn: Turn, lowered: str) -> bool:
        """"batal" / "cancel" typed at a yes/no action step ("Delete your data?", "Book it?") is
        that question's no, which the step answers itself ("Alright, nothing was deleted."),
        rather than a jump to the menu that leaves the user wondering what happened."""
        if lowered.lstrip("/") not in NO_AT_CONFIRM:
            return False
        conv = turn.conversation
        flow = self.app.flows.get(conv.flow) if conv.flow else None
        idx = flow.index_of(conv.step) if flow is not None and conv.step is not None else None
        if flow is None or idx is None or idx >= len(flow.steps):
            return False
        step = flow.steps[idx]
        return step.kind == "action" and step.id in YES_NO_STEPS

    async def _aside(self, turn: Turn, flow: Any, idx: int, text: str) -> bool:
        """What is said beside the pending question, in any flow: leaving ("ga jadi deh",
        "never mind") ends the flow with nothing recorded, and a question asked while a step
        picks from options ("eh btw bayar ga ya?" at the booking's day) is answered before the
        step asks again. Free-text questions keep their own reading (`steps._not_an_answer`),
        a yes/no question reads "ga jadi" as its no, and a step that takes any words (a
        complaint, the question for a consultant) takes a question as its answer."""
        if flow.flow == "main_menu":
            return False
        step = flow.steps[idx]
        ask = step.ask
        if ask is not None and (ask.type == "yes_no" or (ask.type == "text" and ask.digress)):
            return False
        if step.kind == "action" and step.id in YES_NO_STEPS:
            return False
        kind = free_text_kind(text)
        if kind == "escape":
            turn.say(turn.t("Alright, we stop here. Nothing was booked.") if flow.flow == "book_consultation"
                     else turn.t("Alright, we stop here. Nothing was recorded."))
            await self.start_flow(turn, "main_menu", step="menu")
            return True
        if kind is None or step.kind != "action":
            return False
        intent = (turn.parse or {}).get("intent") or {}
        other = self.app.flows.by_intent(str(intent.get("name") or ""))
        if (intent.get("name") in ELSEWHERE_INTENTS and intent.get("confidence", 0.0) >= ELSEWHERE_MIN
                and other is not None and other.flow != flow.flow):
            # "do I have any bookings with you?" at the booking's center: the user asks for another thing
            step_runner.remember_left(turn, flow)
            await self.start_flow(turn, other.flow)
            return True
        aside = step_runner.aside_flow(self, turn, flow)
        faq = str(intent.get("name") or "").startswith("faq/") and intent.get("confidence", 0.0) >= self.app.nlu_threshold
        faq = faq or asks_for_source(text)  # "tadi yg qris sumbernya apa?" at the booking's center
        if not ((faq and kind == "question") or aside is not None):
            return False
        before = (turn.conversation.flow, turn.conversation.step)
        if aside is not None:
            await step_runner.run_aside(self, turn, aside)  # "data saya apa aja yg disimpen?" at the day
        else:
            await step_runner.run_action_detached(self, turn, "faq.answer")
        if (turn.conversation.flow, turn.conversation.step) == before:
            said = len(turn.replies)
            await step_runner.run_from(self, turn, flow, idx)  # the pending question again
            if len(turn.replies) > said and turn.replies[said].text:
                first = turn.replies[said]
                turn.replies[said] = replace(first, text=turn.t("Back to where we were: {question}", question=first.text))
        return True

    async def understand(self, turn: Turn) -> None:
        """Free input with no step waiting for it: start what the user asks for."""
        event = turn.event
        if event.location is not None:
            target = self.app.flows.by_intent("share_location")
            if target is not None:
                await self.start_flow(turn, target.flow)
                return
        if event.text is None and event.location is None and event.contact is None:
            await self.start_flow(turn, "main_menu")
            return
        if event.text and await self.hooks.follow_up(turn):
            return
        if event.text and await self._take_offer(turn):
            return
        intent = ((turn.parse or {}).get("intent") or {}).get("name")
        confidence = ((turn.parse or {}).get("intent") or {}).get("confidence") or 0.0
        threshold = self.app.nlu_threshold
        if intent and confidence >= threshold:
            target = self.app.flows.by_intent(intent)
            if target is None and "/" in intent:
                target = self.app.flows.by_intent(intent.split("/", 1)[0])
            if target is not None:
                await self.start_flow(turn, target.flow)
                await self.hooks.after_understood(turn, intent)
                return
        if event.text and free_text_kind(event.text) == "escape":
            # "ga jadi deh" after an answer, with no question pending and nothing else understood
            # ("batalkan booking PLUT-…" is): the user lets it go. Not a follow-up of the last topic.
            turn.say(turn.t("Alright, we stop here. Nothing was recorded."))
            await self.start_flow(turn, "main_menu", step="menu")
            return
        await self.fallback(turn)

    async def fallback(self, turn: Turn) -> None:
        turn.fell_back = True  # the `nlu.fallback` action clears it when the knowledge base answers
        metrics.fallback(turn.event.channel)
        if await self.hooks.after_fallback(turn):  # two fallbacks in a row: a consultant takes over
            return
        fn = get_action("nlu.fallback")
        if fn is not None:
            await step_runner.run_action_detached(self, turn, "nlu.fallback")
            return
        if not (turn.event.text or "").strip() or not re.search(r"\w", turn.event.text or ""):
            turn.say(turn.t("I can read text, locations and buttons. Please type your question in words, or choose from the menu."))
        else:
            turn.say(turn.t("Sorry, I did not quite understand that."))
        await self.start_flow(turn, "main_menu", step="menu")

    async def start_flow(self, turn: Turn, name: str, *, step: str | None = None, prefill: dict[str, Any] | None = None) -> None:
        flow = self.app.flows.get(name)
        if flow is None:
            log.error("flow %s not found; showing the main menu", name)
            flow = self.app.flows.get("main_menu")
            assert flow is not None
        keep = {k: v for k, v in turn.values.items() if k.startswith("_")}
        turn.values.clear()
        turn.values.update(keep)
        turn.values.update(prefill or {})
        idx = flow.index_of(step) if step else 0
        await step_runner.run_from(self, turn, flow, idx or 0)

    async def _command(self, turn: Turn, name: str, args: str) -> None:
        name = name.lower().lstrip("/")
        if name in ("lang", "language", "bahasa"):
            wanted = args.strip().lower()[:2]
            await self._switch_language(turn, wanted if wanted in ("id", "en") else None)
            return
        if name in ("menu", "cancel", "batal"):
            await self.start_flow(turn, "main_menu")
            return
        flow = self.app.flows.by_command(name)
        if flow is not None:
            prefill = {"_start_payload": args} if args else None
            await self.start_flow(turn, flow.flow, prefill=prefill)
            return
        turn.say(turn.t("I do not know that command."))
        await self.start_flow(turn, "main_menu", step="menu")

    async def _switch_language(self, turn: Turn, lang: str | None) -> None:
        if lang is None:
            await self.start_flow(turn, "language")
            return
        turn.user.language = lang
        turn.user.language_locked = True
        turn.lang = lang
        turn.say(turn.t("Alright, I will reply in English from now on."))
        resumed = await self._resume_after_switch(turn)
        if not resumed:
            await self.start_flow(turn, "main_menu", step="menu")

    async def _resume_after_switch(self, turn: Turn) -> bool:
        conv = turn.conversation
        flow = self.app.flows.get(conv.flow) if conv.flow else None
        if flow is None or conv.step is None or flow.flow == "language":
            return False
        idx = flow.index_of(conv.step)
        if idx is None:
            return False
        await step_runner.run_from(self, turn, flow, idx)
        return True

    async def _take_offer(self, turn: Turn) -> bool:
        """"yes please book", "iya boleh", "mau" right after an answer that offered next steps as
        buttons (the consultant of that field, the booking at the center shown): the step the yes
        names, else the first offered. A bare "ok" acknowledges and takes nothing."""
        offer = turn.values.get(OFFER_KEY)
        text = (turn.event.text or "").strip()
        if not offer or not text:
            return False
        if " ".join(re.findall(r"\w+", text.lower())) in ACKNOWLEDGE_ONLY:
            # "ok" after an answer: understood, not "say it again"; the offer stands
            turn.say(Reply(text=turn.t("All right 🙏 Anything else I can help with?"),
                           buttons=[Button(title=title, payload=payload) for title, payload in offer]))
            return True
        intent = (turn.parse or {}).get("intent") or {}
        if intent.get("name") in ("thanks", "goodbye") and (intent.get("confidence") or 0.0) >= self.app.nlu_threshold:
            return False  # "oke makasih min": a goodbye, not a yes to the offer
        if step_runner.yes_no(turn) != "yes":
            return False
        said = {w[:4] for w in re.findall(r"\w+", text.lower()) if len(w) >= 4}
        named = [payload for title, payload in offer if said & {w[:4] for w in re.findall(r"\w+", title.lower()) if len(w) >= 4}]
        turn.values.pop(OFFER_KEY, None)
        return await self._global_payload(turn, named[0] if named else offer[0][1])

    async def _global_payload(self, turn: Turn, payload: str) -> bool:
        """Payloads that mean the same everywhere (`bot/payloads.py`)."""
        try:
            parsed = parse_payload(payload)
        except PayloadInvalid:
            return False
        if isinstance(parsed, Language):
            await self._switch_language(turn, parsed.lang)
            return True
        if isinstance(parsed, StartFlow) and self.app.flows.get(parsed.flow) is not None:
            await self.start_flow(turn, parsed.flow, prefill=dict(parsed.params))
            return True
        if isinstance(parsed, Goto):
            where = self.app.flows.resolve(parsed.target, turn.conversation.flow)
            if where is not None:
                flow = self.app.flows.get(where[0])
                assert flow is not None
                if where[1] == 0:
                    await self.start_flow(turn, flow.flow, prefill=dict(parsed.params))
                else:
                    turn.values.update(parsed.params)
                    await step_runner.run_from(self, turn, flow, where[1])
                return True
        if isinstance(parsed, RunAction) and get_action(parsed.action) is not None:
            turn.params = dict(parsed.params)
            await step_runner.run_action_detached(self, turn, parsed.action)
            return True
        return False


def _remember_offer(turn: Turn) -> None:
    """The buttons of the turn's last reply that has any, as (title, payload): what a "yes" next
    turn accepts (`Engine._take_offer`). A fallback's guesses are no offer."""
    offered = next((r.buttons for r in reversed(turn.replies) if r.buttons), None)
    if offered and not turn.fell_back:
        turn.values[OFFER_KEY] = [(b.title, b.payload) for b in offered]
    else:
        turn.values.pop(OFFER_KEY, None)


ELSEWHERE_INTENTS = frozenset({"check_booking", "reschedule_booking", "cancel_booking", "talk_to_human", "complain",
                               "erase_my_data"})
"""Asked as a question or request at a step that picks from options, these leave the flow for theirs (`Engine._aside`)."""
ELSEWHERE_MIN = 0.8
HANDOFF_FLOW = "talk_to_consultant"
OFFER_KEY = "_offer"
ACKNOWLEDGE_ONLY = frozenset({"ok", "oke", "okay", "okey", "okee", "okeh", "k", "sip", "noted", "oh", "oh ok", "i see",
                              "oh gitu", "gitu", "oh begitu", "siap", "ok noted"})
"""Acknowledgements, not acceptances: after an answer they say "understood", not "book it"."""
REPEAT_MIN_CHARS = 100
MAX_NOTE_BUTTONS = 3
"""Buttons kept on the note that replaces a repeated answer (WhatsApp shows at most three reply buttons)."""


def _starts(payload: str, flow: str) -> bool:
    """The button starts `flow` afresh."""
    try:
        parsed = parse_payload(payload)
    except PayloadInvalid:
        return False
    return isinstance(parsed, StartFlow) and parsed.flow == flow


def _a_statement(text: str | None) -> bool:
    """A message of a few words that asks nothing ("udh coba endorse jg"): no part of an answer to point at."""
    return len((text or "").split()) >= 3 and free_text_kind(text or "") is None


YES_NO_STEPS = frozenset({"confirm", "consent"})
"""Action steps that ask a yes/no question: there "ga jadi" is their no, which they answer themselves."""
NO_AT_CONFIRM = frozenset({"batal", "cancel"})
"""Menu words that, typed at a yes/no action step, are its no (`Engine._is_a_no`)."""


def _whole(replies: list[Reply]) -> int:
    """A checksum of a turn's whole reply: its texts, in order."""
    return zlib.crc32("\x1e".join(r.text or "" for r in replies).encode())


def _reply_kind(reply: Reply) -> str:
    if reply.document is not None:
        return "document"
    if reply.venue is not None:
        return "venue"
    if reply.options:
        return "list"
    if reply.buttons:
        return "buttons"
    return "text"


__all__ = ["Engine", "WAIT", "END"]
