"""Asking a center that takes no bookings through the bot to contact the owner
(`flows/request_consultation.yml`): which service area, the question, a phone number and
consent; then the request goes to the center's consultants and admins, and the owner is
told what happens next."""

from __future__ import annotations

from typing import Any

from bot.domain.areas import SERVICE_AREAS, area_name, area_phrase, find_service_area
from bot.engine.actions import END, WAIT, Turn, action
from bot.engine.events import Button, Reply
from bot.engine.steps import yes_no
from bot.outbox import Message, post
from bot.payloads import NO, YES, StartFlow
from bot.services import consultation as svc
from bot.services.centers import get_center


def request_button(center_code: str, t: Any, area: str | None = None) -> Button:
    """"Request a consultation" with this center (instead of "Book here" where it takes no bookings)."""
    params = {"center": center_code, **({"service_area": area} if area else {})}
    return Button(t("Request a consultation"), StartFlow("request_consultation", params).pack())


@action("consult.start")
async def start(turn: Turn) -> Any:
    """The center must exist; a service area already known (the button, the message) skips the question."""
    v = turn.values
    center = await get_center(turn.session, str(v.get("center") or ""))
    if center is None:
        turn.say(turn.t("Which center should I send the request to? Please look it up first."))
        return "find_center"
    v["center_name"] = center.name
    area = v.get("service_area") or find_service_area(turn.event.text or "")
    if area in SERVICE_AREAS:
        v["service_area"] = area
        return "question"
    return None


@action("consult.consent")
async def consent(turn: Turn) -> Any:
    v = turn.values
    if turn.first_call:
        if turn.user.consent_at is not None:
            return None
        _prompt_consent(turn)
        return WAIT
    answer = yes_no(turn)
    if answer == "yes":
        turn.user.consent_at = turn.now
        return None
    if answer == "no":
        turn.say(turn.t("Understood. Without your consent I cannot pass your number on, so no request was sent. You can still ask me questions or talk to a consultant here."))
        v.pop("phone", None)
        return "main_menu.menu"
    _prompt_consent(turn)
    return WAIT


def _prompt_consent(turn: Turn) -> None:
    turn.say(Reply(
        text=turn.t("So that {center} can contact you, we pass your phone number, name and question to its consultants and admins, for this request only (UU PDP). Do you agree?", center=turn.values.get("center_name", "PLUT")),
        buttons=[Button(turn.t("Yes, I agree"), YES.pack()), Button(turn.t("No"), NO.pack())],
    ))


@action("consult.submit")
async def submit(turn: Turn) -> Any:
    v = turn.values
    area = v.get("service_area") if v.get("service_area") in SERVICE_AREAS else None
    done = await svc.request_consultation(
        turn.session, user_id=turn.user.id, center_code=str(v["center"]), area=area, question=v.get("question"),
        phone=v.get("phone"), channel=turn.event.channel, language=turn.lang, now=turn.now,
    )
    center = v.get("center_name") or done.center_code
    if done.again:
        turn.say(turn.t("Your earlier request to {center} is still waiting to be followed up; I have not sent a second one. They will contact you on {phone}.", center=center, phone=done.phone or "-"))
        return END
    notice = turn.app.i18n.gettext("id", "Consultation request #{id} for {center}\nFrom: {who} ({phone}, via {channel})\nTopic: {area}\nQuestion: {question}\nPlease contact the owner.",
                                   id=done.request_id, center=center, who=turn.user.display_name or "-", phone=done.phone or "-",
                                   channel=turn.event.channel, area=area_name(area, "id") if area else "-", question=done.question or "-")
    messages = [Message(c.channel, c.external_id, Reply(text=notice[:1000]).to_dict(), key=f"consult:{done.request_id}:{c.id}:0",
                        kind="consultation.request", lang="id")
                for c in done.recipients if c.channel and c.external_id]
    if messages:
        await post(turn.session, messages, now=turn.now)
    turn.say(Reply(
        text=turn.t("Done: request #{id} has gone to {center}. A consultant or the center's admin will contact you on {phone} about {area}. Consultations at PLUT are free. Meanwhile you can keep asking me questions here.",
                    id=done.request_id, center=center, phone=done.phone or "-",
                    area=area_phrase(area, turn.lang) if area else turn.t("your question")),
        buttons=[Button(turn.t("Talk to a consultant"), StartFlow("talk_to_consultant").pack()),
                 Button(turn.t("Main menu"), StartFlow("main_menu").pack())],
    ))
    return END
