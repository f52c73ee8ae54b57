"""Answering frequent questions, and what the bot does when it is not sure.

`faq.answer` sends the answer for a `faq/<topic>` intent (from the parse, or the
`intent` parameter of an `act:faq.answer?intent=faq/cost` button) in the user's
language, with its follow-up buttons.

`nlu.fallback` runs for free text below the NLU threshold. The bot does not guess:
it offers the two or three most likely topics as buttons plus "talk to a consultant",
and records the message for the admins (`frontdesk nlu unanswered`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.dialogue import context, needs
from bot.domain.answers import free_text_kind
from bot.domain.areas import problem_area
from bot.engine.actions import Next, Turn, action
from bot.engine.events import Button, Reply
from bot.payloads import ByIntent, PayloadInvalid, RunAction, StartFlow, parse_payload
from bot.knowledge import KnowledgeBase, KnowledgeInvalid, asks_for_source, knowledge_base
from bot.nlu.faq import FaqStore, FollowUp
from bot.storage.models import UnansweredMessage

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.02
"""Topics less likely than this are not worth a button."""
NOT_SUGGESTED = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "out_of_scope",
                           "nlu_fallback", "talk_to_human", "change_language"})
DEFAULT_SUGGESTIONS = ("book_consultation", "find_center", "faq/services")
_HAS_LETTER = re.compile(r"[^\W\d_]")

# Flows that serve an intent when no flow declares it in `triggers.intents` yet.
FLOW_FOR_INTENT = {
    "talk_to_human": "talk_to_consultant",
    "check_booking": "my_bookings",
    "reschedule_booking": "my_bookings",
    "cancel_booking": "my_bookings",
    "help": "main_menu",
    "change_language": "language",
}

_stores: dict[str, FaqStore] = {}


def faq_store(app: FrontDesk) -> FaqStore:
    """The store in force: the app's, the NLU backend's, or one read from the content folder."""
    for holder in (app, getattr(app, "nlu", None)):
        store = getattr(holder, "faq", None)
        if isinstance(store, FaqStore):
            return store
    folder = Path(app.settings.content_dir) / "flows" / "faq"
    key = str(folder)
    if key not in _stores:
        _stores[key] = FaqStore(folder)
    return _stores[key]


def resolve_payload(app: FrontDesk, payload: str) -> str | None:
    """`intent:<name>?k=v` -> `flow:<flow>?k=v` for the flow that intent triggers; None if none does."""
    try:
        parsed = parse_payload(payload)
    except PayloadInvalid:
        return payload
    if not isinstance(parsed, ByIntent):
        return payload
    target = parsed.intent
    if target.startswith("faq/"):
        return RunAction("faq.answer", {"intent": target}).pack()
    flow = app.flows.by_intent(target) or app.flows.get(target) or app.flows.get(FLOW_FOR_INTENT.get(target, ""))
    if flow is None:
        return None
    return StartFlow(flow.flow, parsed.params).pack()


def _buttons(turn: Turn, follow_ups: list[FollowUp]) -> list[Button]:
    out = []
    for f in follow_ups:
        payload = resolve_payload(turn.app, f.payload)
        if payload is None:
            log.warning("FAQ button %r: no flow for %s; left out", f.title.en, f.payload)
            continue
        out.append(Button(title=f.title.pick(turn.lang), payload=payload))
    return out


KB_LAST = "_kb_last"
"""The (topic, aspect) of the last knowledge answer, "topic/aspect": what "sumbernya apa?" refers to."""


async def _knowledge(turn: Turn) -> KnowledgeBase | None:
    """The topics admins published (`bot.admin.content`), else the files' knowledge base."""
    published = getattr(turn.app, "knowledge", None)
    if isinstance(published, KnowledgeBase):
        return published
    try:
        # the first call trains the two small models (seconds, in a child process): not on the event loop
        return await asyncio.to_thread(knowledge_base, Path(turn.app.settings.content_dir))
    except KnowledgeInvalid as exc:
        log.error("knowledge base not loaded: %s", exc)
        return None


async def knowledge_reply(turn: Turn, *, overview: bool = True, area: str | None = None) -> bool:
    """Answer from the knowledge base (docs/knowledge.md) when the message asks for a topic's aspect,
    or for the sources of the last answer. False when the knowledge base has nothing to say."""
    text = (turn.event.text or "").strip() if turn.params.get("intent") is None else ""
    kb = await _knowledge(turn) if text else None
    if kb is None:
        return False
    last = str(turn.values.get(KB_LAST) or "")
    topic, _, aspect = last.partition("/")
    if asks_for_source(text):
        reply = kb.sources(topic or None, aspect or None, turn.lang)
    else:
        found = kb.answer(text, turn.lang, remembered_topic=topic or None)
        if topic and _elliptical(kb, text, found, topic, aspect):
            # "klo gk ada jaminan bisa ga" after KUR, "hrs punya nib dulu ga" after halal: the
            # question is about the topic being discussed, read with its name added
            again = kb.answer(f"{text} {kb.kb.topics[topic].names[0]}", turn.lang, remembered_topic=topic)
            if again is not None and again.topic == topic and not again.unanswered:
                found = again
        if found is None or (not overview and found.aspect == "overview"):
            return False
        if (found.unanswered and found.topic != topic and found.topic in kb.kb.topics
                and _general_question(turn, kb, text, found.topic)):
            return False  # "is it free?" after the marketing answer: PLUT's own answer, not "no checked answer"
        topic_area = getattr(kb.kb.topics.get(found.topic or ""), "service_area", None)
        if area is not None and topic_area is not None and topic_area != area:
            return False  # a problem of one field ("cepet basi": production) answered from another
        reply = found
        turn.values[KB_LAST] = f"{reply.topic}/{reply.aspect if not reply.unanswered else 'overview'}"
        turn.params[ANSWERED_TOPIC] = reply.topic or ""
    buttons = [Button(title=f.title, payload=p) for f in reply.follow_ups if (p := resolve_payload(turn.app, f.payload))]
    turn.say(Reply(text=reply.text, buttons=buttons))
    if reply.unanswered:
        _record_unanswered(turn, text, [{"name": f"{reply.topic}/{reply.aspect}", "confidence": None}])
    else:
        # an answered question is not a failed turn: it must not count towards the handoff
        # that opens after two fallbacks in a row (bot/services/handoff.py, after_fallback)
        turn.values.pop("_fallback_turn", None)
    return True


def _more_about_the_topic(turn: Turn) -> bool:
    """"udh coba endorse jg" right after the marketing answer: the owner tells more of the situation and
    asks nothing the knowledge base can answer. The consultant of that field is the way on, with the
    buttons the answer offered, rather than "I did not understand"."""
    text = (turn.event.text or "").strip()
    offer: list[list[str]] = turn.values.get("_offer") or []
    consultant = bool(offer) and any("book_consultation" in str(p) or "talk_to_consultant" in str(p) for _, p in offer)
    if not (consultant and len(text.split()) >= 3 and "?" not in text and free_text_kind(text) is None):
        return False
    turn.say(Reply(text=turn.t("Thank you for telling me. A consultant of this field can look at it with you: choose a "
                               "button below, or type “menu”."),
                   buttons=[Button(title=str(title), payload=str(payload)) for title, payload in offer]))
    return True


ANSWERED_TOPIC = "_kb_topic"
"""The knowledge topic this turn answered: the other needs offered after it leave it out (`needs`)."""
FOLLOW_UP_MAX_WORDS = 7


def _general_question(turn: Turn, kb: KnowledgeBase, text: str, topic: str) -> bool:
    """The topic read (neither the one being discussed nor one the message names) has no checked
    answer for this aspect, and the message on its own is
    a question the FAQ answers confidently ("is it free?": faq/cost) without naming the topic by
    any of its names (the retrieval may still read it as the topic: "it" as IT)."""
    intent = (turn.parse or {}).get("intent") or {}
    name = str(intent.get("name") or "")
    if (not name.startswith("faq/") or float(intent.get("confidence") or 0.0) < turn.app.nlu_threshold
            or faq_store(turn.app).get(name) is None):
        return False
    low = text.lower()
    return not any(n.lower() in low for n in kb.kb.topics[topic].names)


def _elliptical(kb: KnowledgeBase, text: str, found: Any, topic: str, aspect: str) -> bool:
    """A short message that is not plainly about a new topic: nothing matched on its own, or
    the topic it matched is one the last answer itself named (the halal steps say "urus NIB
    dulu"; "hrs punya nib dulu ga" asks about that step of halal, not about NIB in general)."""
    if topic not in kb.kb.topics or len(text.split()) > FOLLOW_UP_MAX_WORDS:
        return False
    if found is None or found.topic is None or found.unanswered:
        return True
    if found.topic == topic:
        return False
    other = kb.kb.topics.get(found.topic)
    entry = kb.kb.topics[topic].entries.get(aspect or "overview")
    if other is None or entry is None:
        return False
    said = f"{entry.id} {entry.en}".lower()
    if any(name.lower() in said for name in other.names):
        return True
    # "hrs punya nib dulu ga" after the halal *cost*: the cost does not name NIB, but halal
    # itself asks for it first; a question whether something comes first is about that topic
    if not _PREREQUISITE.search(text):
        return False
    topic_said = " ".join(f"{e.id} {e.en}" for e in kb.kb.topics[topic].entries.values()).lower()
    return any(name.lower() in topic_said for name in other.names)


_PREREQUISITE = re.compile(
    r"\b(?:dulu|dlu|duluan|terlebih\s+dahulu|sebelumnya|ha?rus|hrs|wajib|perlu|musti|mesti|kudu|"
    r"first|before|need|needed|required|must)\b", re.I)


@action("faq.answer")
async def answer(turn: Turn) -> Next:
    intent = turn.params.get("intent") or ((turn.parse or {}).get("intent") or {}).get("name") or ""
    if intent == "faq/opening_hours" and _names_a_place(turn):
        # "plut sleman niku bukak dinten sabtu?": that center's own hours, not the general answer
        return "center_details"
    # A specific aspect ("bunga KUR berapa persen") is the knowledge base's; the FAQ keeps the general answers.
    if await knowledge_reply(turn):
        return None
    intent = turn.params.get("intent") or ((turn.parse or {}).get("intent") or {}).get("name") or ""
    entry = faq_store(turn.app).get(intent)
    if entry is None:
        log.warning("no FAQ answer for %r", intent)
        return await fallback(turn)
    await _remember_topic(turn)
    if intent == "faq/opening_hours":
        context.remember(turn, last="hours")  # "hari sabtu gmn?" next is about the center shown
    turn.say(Reply(text=entry.text(turn.lang), buttons=_buttons(turn, entry.follow_up)))
    return None


async def _remember_topic(turn: Turn) -> None:
    """A general answer about a topic the knowledge base knows ("min mau tanya soal KUR dong")
    still sets the topic, so the follow-up ("bunganya brp persen") is read against it."""
    turn.values.pop(KB_LAST, None)
    text = (turn.event.text or "").strip()
    kb = await _knowledge(turn) if text else None
    found = kb.match(text) if kb is not None else None
    if found is not None and found.topic is not None:
        turn.values[KB_LAST] = f"{found.topic.name}/overview"


def suggestions(turn: Turn, store: FaqStore, ranking: list[dict[str, Any]]) -> list[Button]:
    """Buttons for the most likely topics the bot can act on."""
    picked: list[Button] = []
    names = [r.get("name") for r in ranking if (r.get("confidence") or 0) >= MIN_SUGGESTION_CONFIDENCE]
    for name in [*names, *DEFAULT_SUGGESTIONS] if not names else names:
        if not name or name in NOT_SUGGESTED or len(picked) >= MAX_SUGGESTIONS:
            continue
        title = store.topic_title(name, turn.lang)
        payload = resolve_payload(turn.app, ByIntent(name).pack())
        if title and payload and all(b.payload != payload for b in picked):
            picked.append(Button(title=title, payload=payload))
    return picked


@action("nlu.fallback")
async def fallback(turn: Turn) -> Next:
    if await _book_there(turn):  # "oke booking di situ aja" names no knowledge topic, whatever the retrieval guesses
        turn.fell_back = False
        return None
    if await knowledge_reply(turn, area=problem_area(turn.event.text or "")):
        turn.fell_back = False
        topic = str(turn.values.get(KB_LAST) or "").partition("/")[0]
        await needs.offer_other_needs(turn, f"faq/{topic}" if topic else None)
        return None
    if _more_about_the_topic(turn):
        turn.fell_back = False
        return None
    if await _clear_part(turn) or needs.problem_reply(turn) or _introduction(turn):
        turn.fell_back = False
        turn.values.pop("_fallback_turn", None)
        return None
    turn.fell_back = True
    store = faq_store(turn.app)
    content = store.fallback
    text = (turn.event.text or "").strip()
    parse = turn.parse or {}
    ranking = list(parse.get("intent_ranking") or [])
    top = parse.get("intent") or {}
    buttons = suggestions(turn, store, ranking)
    if len(buttons) < 2:
        # nothing likely enough: offer the usual starting points
        extra = suggestions(turn, store, [{"name": n, "confidence": 1.0} for n in DEFAULT_SUGGESTIONS])
        buttons += [b for b in extra if b.payload not in {x.payload for x in buttons}][: MAX_SUGGESTIONS - len(buttons)]
    if content is not None:
        human = resolve_payload(turn.app, content.human.payload)
        if human is not None:
            buttons.append(Button(title=content.human.title.pick(turn.lang), payload=human))
        if not _HAS_LETTER.search(text):
            message = content.no_words.pick(turn.lang)
        elif top.get("name") == "out_of_scope" and (top.get("confidence") or 0) >= turn.app.nlu_threshold:
            message = content.out_of_scope.pick(turn.lang)
        else:
            message = content.text.pick(turn.lang)
    else:
        message = turn.t("Sorry, I did not quite understand that.")
    turn.say(Reply(text=message, buttons=buttons))
    if _HAS_LETTER.search(text):
        _record_unanswered(turn, text, ranking, top)
    return None


_BOOK_WORD = re.compile(r"\b(?:book\w*|booking|reservasi|pesan|daftar|konsul\w*|appointment|jadwal\w*)\b", re.I)
"""A booking word beside a pointer ("oke booking di situ aja", "nek booking di situ saged mboten?")."""


async def _book_there(turn: Turn) -> bool:
    """"can I book a consultation there?" right after a center was shown: book at that center,
    though the wording alone was not clear enough to start the booking."""
    text = turn.event.text or ""
    shown = context.recall(turn, "center")
    ranking = (turn.parse or {}).get("intent_ranking") or []
    leaning = any(r.get("name") == "book_consultation" for r in ranking[:3]) or bool(_BOOK_WORD.search(text))
    if not (shown and leaning and context.points_back(text)):
        return False
    await turn.app.engine.start_flow(turn, "book_consultation", prefill={"center": shown})
    return True


def _introduction(turn: Turn) -> bool:
    """"hi, I run a small coffee shop in Kendari": the place noted and what the bot can do."""
    from bot.dialogue import followups

    return followups.introduction(turn)


def _names_a_place(turn: Turn) -> bool:
    return any(e.get("entity") == "city" for e in (turn.parse or {}).get("entities") or [])


async def _clear_part(turn: Turn) -> bool:
    """A long message unclear as a whole: answer its first clear need, offer the others."""
    found = await needs.clause_intents(turn)
    main = needs.main_need(found)
    if main is None:
        return False
    if main.startswith("faq/"):
        turn.params["intent"] = main
        await answer(turn)
    else:
        flow = turn.app.flows.by_intent(main) or turn.app.flows.get(FLOW_FOR_INTENT.get(main, ""))
        if flow is None:
            return False
        await turn.app.engine.start_flow(turn, flow.flow)
    await needs.offer_other_needs(turn, main)
    return True


def _record_unanswered(turn: Turn, text: str, ranking: list[dict[str, Any]], top: dict[str, Any] | None = None) -> None:
    top = top if top is not None else (ranking[0] if ranking else {})
    turn.session.add(
        UnansweredMessage(
            user_id=turn.user.id, channel=turn.event.channel, text=text[:4000], language=turn.lang,
            intent=top.get("name"), confidence=top.get("confidence"), ranking=ranking[:5], at=turn.now,
        )
    )
