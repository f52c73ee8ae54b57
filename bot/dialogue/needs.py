"""Messages with several needs, and problems told in plain words.

An owner dictating a voice note writes one long message: "halo min, usaha sy keripik di
sleman, mau urus pirt, trus mau booking konsul pemasaran jg, bayar ga ya?". The main need
(what the whole message is classified as) is answered; the other needs, read clause by
clause, are offered as buttons so none is lost.

"sambel sy cepet basi" names no field, but a production consultant is who helps: a
problem the NLU could not place is routed to the consultant of its service area."""

from __future__ import annotations

import re

from bot.dialogue import context
from bot.domain.areas import area_phrase, problem_area
from bot.engine.actions import Turn
from bot.engine.events import Button, Reply
from bot.payloads import ByIntent, StartFlow

MIN_WORDS = 10
"""Shorter messages carry one need."""
MAX_EXTRA = 3
_CLAUSES = re.compile(
    r"[.!?\n;]+|,|\b(?:trus|terus|trs|tapi|tp|sama|sm|juga|jg|dan juga|lalu|kemudian|selain itu|satu lagi|oh iya|oiya|btw|"
    r"and also|also|plus|then|another thing)\b",
    re.I,
)
_SKIP = frozenset({"greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "out_of_scope", "nlu_fallback",
                   "help", "change_language"})
_FAMILY = {"check_booking": "booking", "reschedule_booking": "booking", "cancel_booking": "booking"}


# "sy jualan keripik di maros", "usaha sy batik", "I run a small cafe": the owner saying what the
# business is. Context for the question, not a need of its own, unless it also asks something.
_ABOUT_ME = re.compile(
    r"^(?:(?:saya|sy|aku|ak|gw|gue|kami|kmi|i|we)\s+(?:cuma\s+|lagi\s+|lg\s+)?(?:jualan|jual|usaha|bikin|buat|produksi|"
    r"punya\s+usaha|buka|ada\s+usaha|run|sell|make|own|have|am\s+a|'m\s+a)|usaha\s+(?:saya|sy|aku|kami)|"
    r"my\s+(?:business|shop|cafe|café|company)\s+(?:is|sells|makes))\b", re.I)
_ASKS = re.compile(r"\?|\b(?:mau|ingin|pengen|pgn|pingin|gimana|gmn|bagaimana|cara|bisa|bs|apa|brp|berapa|tolong|"
                   r"how|can|want|need|what|where|help)\b", re.I)


def _about_me(clause: str) -> bool:
    return bool(_ABOUT_ME.search(clause)) and not _ASKS.search(clause)


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSES.split(text[:1000]) if len(c.split()) >= 2]


async def clause_intents(turn: Turn) -> list[tuple[str, float]]:
    """The confident intents of the message's clauses, in reading order, each once."""
    text = turn.event.text or ""
    if len(text.split()) < MIN_WORDS:
        return []
    out: list[tuple[str, float]] = []
    for clause in clauses(text):
        if _about_me(clause):
            continue
        parse = await turn.app.nlu.parse(clause, now=turn.now, lang=turn.lang)
        top = parse.get("intent") or {}
        name, conf = top.get("name"), float(top.get("confidence") or 0.0)
        if name and name not in _SKIP and conf >= turn.app.nlu_threshold and all(n != name for n, _ in out):
            out.append((name, conf))
    return out


async def offer_other_needs(turn: Turn, main: str | None) -> None:
    """After the main need was answered: the others as buttons ("Also: …")."""
    from bot.dialogue.faq import faq_store, resolve_payload

    from bot.dialogue.faq import ANSWERED_TOPIC, _knowledge

    found = await clause_intents(turn)
    seen = {main, _FAMILY.get(main or "", main)}
    answered = turn.params.get(ANSWERED_TOPIC)
    kb = await _knowledge(turn) if answered else None
    if kb is not None and len({n for n, _ in found}) > 1:
        # the knowledge base answered one of several needs, maybe another than the intent's ("need help with
        # export and also a trademark": the trademark): the needs left open are those whose topic it is not
        seen = set()
    store = faq_store(turn.app)
    buttons: list[Button] = []
    for name, _ in found:
        if not name or name in seen or _FAMILY.get(name, name) in seen:
            continue
        seen.add(name)
        title = store.topic_title(name, turn.lang)
        if kb is not None and title:
            same = kb.match(title)
            if same is not None and same.topic is not None and same.topic.name == answered:
                continue  # "Sertifikasi halal" after the halal answer
        payload = resolve_payload(turn.app, ByIntent(name).pack())
        if title and payload and len(buttons) < MAX_EXTRA:
            buttons.append(Button(title, payload))
    area = problem_area(turn.event.text or "")
    offered = [b.payload for reply in turn.replies for b in reply.buttons] + [b.payload for b in buttons]
    if area is not None and len(buttons) < MAX_EXTRA and not any(f"area={area}" in p for p in offered):
        buttons.append(Button(turn.t("Consultation on {area}", area=area_phrase(area, turn.lang)),
                              StartFlow("book_consultation", {"area": area}).pack()))
    if buttons:
        turn.say(Reply(text=turn.t("You also mentioned these; tap one when you are ready:"), buttons=buttons))


def main_need(found: list[tuple[str, float]]) -> str | None:
    """When the whole message was unclear: the first clear need in it."""
    return found[0][0] if found else None


def problem_reply(turn: Turn) -> bool:
    """A problem in plain words, routed to its consultant. False when none is recognised."""
    area = problem_area(turn.event.text or "")
    if area is None:
        return False
    name = area_phrase(area, turn.lang)
    context.remember(turn, offer=StartFlow("book_consultation", {"area": area}).pack())
    turn.say(Reply(
        text=turn.t("A PLUT consultant for {area} can help with this, free of charge. Shall I book you a consultation on {area}, or would you rather ask a consultant first?", area=name),
        buttons=[Button(turn.t("Book a consultation on {area}", area=name), StartFlow("book_consultation", {"area": area}).pack()),
                 Button(turn.t("Talk to a consultant"), StartFlow("talk_to_consultant", {"service_area": area}).pack())],
    ))
    return True


__all__ = ["clauses", "clause_intents", "offer_other_needs", "main_need", "problem_reply"]
