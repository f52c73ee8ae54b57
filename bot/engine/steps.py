"""Running flow steps: say, ask (validate, re-ask), menu, branch, action, goto, end."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import phonenumbers
from rapidfuzz import fuzz, process

from bot.domain.answers import CHANGE_WORDS as _CHANGE_WORDS
from bot.domain.answers import free_text_kind, read_yes_no
from bot.engine.actions import END, WAIT, Turn, _Signal, get_action
from bot.engine.events import Button, Reply
from bot.engine.flows import Ask, Flow, Menu, Step
from bot.payloads import Goto

if TYPE_CHECKING:
    from bot.engine.engine import Engine

log = logging.getLogger(__name__)

MAX_STEPS_PER_TURN = 40
MAX_REASKS = 3

_HAS_WORD = re.compile(r"\w")


class _Vars(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, turn: Turn) -> str:
    """Fill `{slot}` placeholders from collected values; unknown names become empty."""
    data = _Vars({k: v for k, v in turn.values.items() if isinstance(v, (str, int, float))})
    data.setdefault("name", turn.user.display_name or "")
    try:
        return template.format_map(data)
    except (ValueError, IndexError, KeyError):
        return template


def _step_key(flow: Flow, idx: int) -> str:
    step = flow.steps[idx]
    return step.id or str(idx)


def _qualified(engine: Engine, target: str, current: str) -> str | None:
    where = engine.app.flows.resolve(target, current)
    if where is None:
        return None
    flow_name, idx = where
    flow = engine.app.flows.get(flow_name)
    assert flow is not None
    return flow_name if idx == 0 else f"{flow_name}.{_step_key(flow, idx)}"


async def run_from(engine: Engine, turn: Turn, flow: Flow, idx: int) -> None:
    conv = turn.conversation
    for _ in range(MAX_STEPS_PER_TURN):
        if idx >= len(flow.steps):
            conv.flow, conv.step = None, None
            return
        step = flow.steps[idx]
        conv.flow, conv.step = flow.flow, _step_key(flow, idx)
        if not turn.flows or turn.flows[-1] != flow.flow:
            turn.flows.append(flow.flow)
        kind = step.kind
        if kind == "say":
            assert step.say is not None
            turn.say(Reply(text=render(step.say.pick(turn.lang), turn), buttons=_buttons(step.say.buttons, turn.lang)))
            idx += 1
        elif kind == "ask":
            assert step.ask is not None
            turn.values.pop("_reasks", None)
            _prompt(turn, step.ask)
            return
        elif kind == "menu":
            assert step.menu is not None
            _show_menu(engine, turn, flow, step.menu)
            return
        elif kind == "branch":
            target = _branch(step, turn)
            jumped = _jump(engine, target, flow.flow)
            if jumped is None:
                log.error("flow %s: branch target %s not found", flow.flow, target)
                conv.flow, conv.step = None, None
                return
            flow, idx = jumped
        elif kind == "action":
            assert step.action is not None
            nxt = await _call(turn, step.action, first_call=True)
            moved = _after_action(engine, turn, flow, idx, nxt)
            if moved is None:
                return
            flow, idx = moved
        elif kind == "goto":
            assert step.goto is not None
            jumped = _jump(engine, step.goto, flow.flow)
            if jumped is None:
                conv.flow, conv.step = None, None
                return
            flow, idx = jumped
        else:  # end
            conv.flow, conv.step = None, None
            return
    log.error("flow %s: more than %d steps in one turn; stopping", flow.flow, MAX_STEPS_PER_TURN)
    conv.flow, conv.step = None, None


def _jump(engine: Engine, target: str, current: str) -> tuple[Flow, int] | None:
    where = engine.app.flows.resolve(target, current)
    if where is None:
        return None
    flow = engine.app.flows.get(where[0])
    assert flow is not None
    return flow, where[1]


def _after_action(engine: Engine, turn: Turn, flow: Flow, idx: int, nxt: Any) -> tuple[Flow, int] | None:
    """Where to go after an action returned `nxt`; None when the turn stops here."""
    conv = turn.conversation
    if nxt is WAIT:
        conv.flow, conv.step = flow.flow, _step_key(flow, idx)
        return None
    if nxt is END:
        conv.flow, conv.step = None, None
        return None
    if nxt is None:
        if conv.flow != flow.flow:
            # The action started another flow itself (through the engine); leave it be.
            return None
        return flow, idx + 1
    if isinstance(nxt, str):
        jumped = _jump(engine, nxt, flow.flow)
        if jumped is None:
            log.error("action returned unknown target %s", nxt)
            conv.flow, conv.step = None, None
        return jumped
    raise TypeError(f"an action returned {nxt!r}; expected None, WAIT, END or a goto target")


async def _call(turn: Turn, name: str, *, first_call: bool) -> Any:
    fn = get_action(name)
    if fn is None:
        raise LookupError(f"unknown action {name!r}")
    turn.first_call = first_call
    return await fn(turn)


async def run_action_detached(engine: Engine, turn: Turn, name: str) -> None:
    """Run an action reached by a button payload or a fallback, outside any flow step."""
    nxt = await _call(turn, name, first_call=True)
    conv = turn.conversation
    if nxt is WAIT:
        log.error("action %s returned WAIT outside a flow; ignoring", name)
        return
    if isinstance(nxt, str):
        jumped = _jump(engine, nxt, conv.flow or "main_menu")
        if jumped is not None:
            await run_from(engine, turn, *jumped)


def aside_flow(engine: Engine, turn: Turn, current: Flow) -> Flow | None:
    """The `aside` flow the message confidently asks for, other than the current one."""
    intent = (turn.parse or {}).get("intent") or {}
    name = str(intent.get("name") or "")
    if not name or intent.get("confidence", 0.0) < turn.app.nlu_threshold:
        return None
    target = engine.app.flows.by_intent(name)
    if target is None or not target.aside or target.flow == current.flow:
        return None
    return target


async def run_aside(engine: Engine, turn: Turn, target: Flow) -> None:
    """Answer with an `aside` flow (say, action and end steps only) without leaving the current flow."""
    for step in target.steps:
        if step.say is not None:
            turn.say(Reply(text=render(step.say.pick(turn.lang), turn), buttons=_buttons(step.say.buttons, turn.lang)))
        elif step.action is not None:
            await run_action_detached(engine, turn, step.action)


async def resume(engine: Engine, turn: Turn, flow: Flow, idx: int) -> None:
    """The user answered the step at `idx`, which was waiting for input."""
    if not turn.flows or turn.flows[-1] != flow.flow:
        turn.flows.append(flow.flow)
    step = flow.steps[idx]
    kind = step.kind
    if kind == "ask":
        assert step.ask is not None
        await _answer(engine, turn, flow, idx, step.ask)
    elif kind == "menu":
        assert step.menu is not None
        await _choose(engine, turn, flow, step.menu)
    elif kind == "action":
        assert step.action is not None
        nxt = await _call(turn, step.action, first_call=False)
        moved = _after_action(engine, turn, flow, idx, nxt)
        if moved is not None:
            await run_from(engine, turn, *moved)
    else:
        await engine.understand(turn)


# --- ask ------------------------------------------------------------------------------------


def _buttons(specs: list[Any], lang: str) -> list[Button]:
    return [Button(title=b.title.pick(lang), payload=b.payload) for b in specs]


def _prompt(turn: Turn, ask: Ask) -> None:
    turn.say(
        Reply(
            text=render(ask.text.pick(turn.lang), turn),
            buttons=_buttons(ask.buttons, turn.lang),
            request_location=ask.request_location or ask.type == "location",
            request_contact=ask.request_contact or ask.type == "contact",
        )
    )


def normalise_phone(raw: str) -> str | None:
    """An Indonesian (or international) number in E.164 form, or None."""
    candidate = re.sub(r"[^\d+]", "", raw)
    if not candidate or len(candidate) > 20:
        return None
    try:
        number = phonenumbers.parse(candidate, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def yes_no(turn: Turn) -> str | None:
    """'yes', 'no' or None, from a button, the whole message (`read_yes_no`), or for a short
    message without a question or a change the NLU's affirm/deny."""
    if turn.event.button in ("yes", "no"):
        return turn.event.button
    text = (turn.event.text or "").strip()
    answer = read_yes_no(text)
    if answer is not None:
        return answer
    if "?" in text or len(text.split()) > 4 or _CHANGE_WORDS.search(text.lower()):
        return None  # "OK. Could you move it to Friday?" is no yes, whatever the classifier says
    intent = ((turn.parse or {}).get("intent") or {})
    if intent.get("confidence", 0) >= turn.app.nlu_threshold:
        if intent.get("name") == "affirm":
            return "yes"
        if intent.get("name") == "deny":
            return "no"
    return None


def _match_title(text: str, choices: dict[str, str]) -> str | None:
    """The payload whose title (or payload) the text names, with typos forgiven."""
    if not text:
        return None
    low = text.strip().lower()
    for payload, title in choices.items():
        if low in (payload.lower(), title.lower()):
            return payload
    # The whole text against the whole title, typos forgiven; a longer question that merely
    # mentions a title's word ("apakah konsultasi di plut bayar?") is left to the NLU.
    hit = process.extractOne(low, {p: t.lower() for p, t in choices.items()}, scorer=fuzz.QRatio, score_cutoff=85)
    return hit[2] if hit else None


def validate(turn: Turn, ask: Ask) -> tuple[bool, Any]:
    """(True, value) for a good answer; (False, None) otherwise."""
    event = turn.event
    if ask.type == "location":
        if event.location is not None:
            return True, {"latitude": event.location.latitude, "longitude": event.location.longitude}
        return False, None
    if ask.type == "contact":
        if event.contact is not None:
            phone = normalise_phone(event.contact.phone)
            return (phone is not None), phone
        if event.text:
            phone = normalise_phone(event.text)
            return (phone is not None), phone
        return False, None
    if ask.type == "any":
        if event.location is not None:
            return True, {"latitude": event.location.latitude, "longitude": event.location.longitude}
        if event.contact is not None:
            return True, {"phone": event.contact.phone}
        if event.button is not None:
            return True, {"button": event.button}
        if event.text and _HAS_WORD.search(event.text):
            return True, {"text": event.text.strip()}
        return False, None
    if ask.type == "yes_no":
        answer = yes_no(turn)
        return (answer is not None), answer
    if ask.type == "choice":
        pool = {b.payload: b.title.pick(turn.lang) for b in ask.buttons}
        pool.update({c: c for c in ask.choices if c not in pool})
        if event.button is not None:
            return (event.button in pool), event.button if event.button in pool else None
        hit = _match_title(event.text or "", pool)
        return (hit is not None), hit
    if event.button is not None and ask.buttons:
        if event.button in {b.payload for b in ask.buttons}:
            return True, event.button
    text = (event.text or "").strip()
    if not text or not _HAS_WORD.search(text):
        return False, None
    if ask.type == "phone":
        phone = normalise_phone(event.contact.phone if event.contact else text)
        return (phone is not None), phone
    if ask.type == "integer":
        if not re.fullmatch(r"-?\d{1,9}", text):
            return False, None
        n = int(text)
        ok = (ask.min is None or n >= ask.min) and (ask.max is None or n <= ask.max)
        return ok, n if ok else None
    if not (ask.min_length <= len(text) <= ask.max_length):
        return False, None
    if ask.pattern and not re.fullmatch(ask.pattern, text):
        return False, None
    return True, text


# Intents that ask to go somewhere else; at a free-text question ("your name?") only these,
# said with near certainty, or a clear FAQ question ending in "?", leave the question.
# A business called "Koperasi Simpan Pinjam Makmur" is a name, not a question about cooperatives.
NAVIGATION_INTENTS = frozenset({"find_center", "book_consultation", "check_booking", "reschedule_booking",
                                "cancel_booking", "talk_to_human", "help", "complain"})
FREE_TEXT_DIGRESSION = 0.9
# A question in the middle of a booking is answered from the FAQ only when the topic is fairly
# sure ("berapa lama?" once met the answer about cost at 0.62); otherwise it is acknowledged.
FREE_TEXT_FAQ = 0.75


def _asks_elsewhere(turn: Turn) -> bool:
    intent = (turn.parse or {}).get("intent") or {}
    name, confidence = intent.get("name") or "", intent.get("confidence", 0.0)
    if confidence < FREE_TEXT_DIGRESSION:
        return False
    text = (turn.event.text or "").strip()
    return name in NAVIGATION_INTENTS or (name.startswith("faq/") and text.endswith("?"))


_CORRECTION = re.compile(r"\b(?:eh|ehh|eh+m|salah|koreksi|ralat|aja|ajah|deh|dong|sorry|sori|maaf|actually|instead|wait|"
                         r"oops|ups|mending|mendingan|better)\b", re.I)


def revises_when(turn: Turn, text: str) -> bool:
    """"eh jam 10 aja deh", "sorry, Thursday instead": a day or a time with a word of correction."""
    from bot.domain.when import parse_when

    if not (_CORRECTION.search(text) or _CHANGE_WORDS.search(text.lower())):
        return False
    return not parse_when(text, turn.now.date()).empty


async def _answer(engine: Engine, turn: Turn, flow: Flow, idx: int, ask: Ask) -> None:
    if ask.revise and turn.event.text and revises_when(turn, turn.event.text):
        target = flow.index_of(ask.revise)
        if target is not None:
            await resume(engine, turn, flow, target)  # that step reads the change; the flow goes on from it
            return
    if ask.digress and ask.type == "text" and turn.event.text and await _not_an_answer(engine, turn, flow, ask):
        return
    if (ask.digress and ask.type in ("text", "any") and turn.event.text and _asks_elsewhere(turn)
            and await _digress(engine, turn, flow)):
        return
    ok, value = validate(turn, ask)
    if ok:
        turn.values[ask.slot] = value
        turn.values.pop("_reasks", None)
        await run_from(engine, turn, flow, idx + 1)
        return
    # Not an answer to the question: maybe the user asks for something else.
    if ask.digress and await _digress(engine, turn, flow):
        return
    reasks = int(turn.values.get("_reasks", 0)) + 1
    turn.values["_reasks"] = reasks
    if reasks > MAX_REASKS:
        turn.values.pop("_reasks", None)
        turn.say(turn.t("Let us start again from the menu."))
        await engine.start_flow(turn, "main_menu", step="menu")
        return
    if ask.error is not None:
        turn.say(render(ask.error.pick(turn.lang), turn))
    else:
        turn.say(turn.t("Sorry, I could not use that answer."))
    _prompt(turn, ask)


async def _not_an_answer(engine: Engine, turn: Turn, flow: Flow, ask: Ask) -> bool:
    """A question, a request or leaving ("ga jadi deh") is not a name or a kind of business:
    leave when asked to, answer what can be answered, then ask the question again."""
    kind = free_text_kind(turn.event.text or "")
    if kind is None:
        return False
    if kind == "escape":
        turn.say(turn.t("Alright, we stop here. Nothing was booked."))
        await engine.start_flow(turn, "main_menu", step="menu")
        return True
    if kind == "proceed":  # "ok lanjut" at the name question: the question again, nothing stored
        _prompt(turn, ask)
        return True
    intent = (turn.parse or {}).get("intent") or {}
    faq = str(intent.get("name") or "").startswith("faq/")
    aside = aside_flow(engine, turn, flow)
    if faq and intent.get("confidence", 0.0) >= max(turn.app.nlu_threshold, FREE_TEXT_FAQ):
        await run_action_detached(engine, turn, "faq.answer")  # answered here; the booking goes on
    elif aside is not None:
        await run_aside(engine, turn, aside)  # "data saya apa aja yg disimpen?": answered, the booking goes on
    elif not faq and await _digress(engine, turn, flow):
        return True  # "dimana PLUT terdekat dari Kendari?": another flow the user asks for
    elif kind == "question":
        turn.say(turn.t("Good question. You can ask the consultant at your consultation; let us first finish the booking."))
    else:
        turn.say(turn.t("Let us finish this step first; afterwards I can help with that. To stop the booking, type “menu”."))
    _prompt(turn, ask)
    return True


async def _digress(engine: Engine, turn: Turn, flow: Flow) -> bool:
    """A confident intent that starts another flow wins over a failed answer."""
    intent = (turn.parse or {}).get("intent") or {}
    name, confidence = intent.get("name"), intent.get("confidence", 0.0)
    if not name or confidence < max(turn.app.nlu_threshold, 0.6) or name in ("affirm", "deny", "out_of_scope"):
        return False
    target = engine.app.flows.by_intent(name) or (engine.app.flows.by_intent(name.split("/")[0]) if "/" in name else None)
    if target is None or target.flow == flow.flow:
        return False
    remember_left(turn, flow)
    await engine.start_flow(turn, target.flow)
    return True


LEFT_KEY = "_left"
"""Where a flow with a way back was left for another topic (`remember_left`)."""
WAY_BACK_FLOWS = frozenset({"book_consultation"})
"""Flows that, left for another topic, are offered again afterwards (`Engine._offer_way_back`)."""


def remember_left(turn: Turn, flow: Flow) -> None:
    """The user leaves `flow` for another topic ("booking saya yg kemarin gmn?" at the day): keep
    its step and answers, so the other topic can end with a button back to it."""
    if flow.flow not in WAY_BACK_FLOWS or turn.conversation.flow != flow.flow or turn.conversation.step is None:
        return
    turn.values[LEFT_KEY] = {"flow": flow.flow, "step": turn.conversation.step,
                             "values": {k: v for k, v in turn.values.items() if not k.startswith("_")}}


# --- menu -----------------------------------------------------------------------------------


def _option_payload(engine: Engine, flow: Flow, option: Any) -> str:
    if option.payload:
        return option.payload
    target = _qualified(engine, option.goto, flow.flow) or option.goto
    return Goto(target).pack()


def _show_menu(engine: Engine, turn: Turn, flow: Flow, menu: Menu) -> None:
    buttons = [Button(title=o.title.pick(turn.lang), payload=_option_payload(engine, flow, o)) for o in menu.options]
    text = render(menu.text.pick(turn.lang), turn)
    if len(buttons) <= 3:
        turn.say(Reply(text=text, buttons=buttons))
    else:
        turn.say(Reply(text=text, options=buttons, options_title=turn.t("Choose")))


async def _choose(engine: Engine, turn: Turn, flow: Flow, menu: Menu) -> None:
    event = turn.event
    chosen = None
    if event.button is not None:
        for o in menu.options:
            if _option_payload(engine, flow, o) == event.button:
                chosen = o
    elif event.text:
        text = event.text.strip()
        if re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= len(menu.options):
            chosen = menu.options[int(text) - 1]
        else:
            titles = {str(j): o.title.pick(turn.lang) for j, o in enumerate(menu.options)}
            titles.update({f"{j}x": o.title.pick("en" if turn.lang == "id" else "id") for j, o in enumerate(menu.options)})
            hit = _match_title(text, titles)
            if hit is not None:
                chosen = menu.options[int(hit.rstrip("x"))]
    if chosen is None:
        await engine.understand(turn)
        return
    turn.values.update(chosen.set)
    if chosen.goto:
        jumped = _jump(engine, chosen.goto, flow.flow)
        if jumped is not None:
            target_flow, target_idx = jumped
            if target_flow.flow != flow.flow and target_idx == 0:
                await engine.start_flow(turn, target_flow.flow, prefill=dict(chosen.set))
            else:
                await run_from(engine, turn, target_flow, target_idx)
            return
    await engine._global_payload(turn, chosen.payload or "")


def branch_matches(case: Any, turn: Turn) -> bool:
    cond = case.if_
    if cond is None:
        return True
    value = turn.values.get(cond.slot)
    if cond.present is not None:
        return (value not in (None, "")) == cond.present
    return value == cond.equals


def _branch(step: Step, turn: Turn) -> str:
    assert step.branch is not None
    for case in step.branch:
        if branch_matches(case, turn):
            return case.goto
    return "main_menu"


__all__ = ["run_from", "resume", "run_action_detached", "render", "validate", "yes_no", "normalise_phone", "_Signal"]
