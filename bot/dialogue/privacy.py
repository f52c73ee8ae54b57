"""A person's data rights in the chat (UU PDP): "what do you store about me?"
(`flows/my_data.yml`) lists this user's own data; "delete my data" (`flows/erase_my_data.yml`)
asks for a clear yes, then erases it through `bot/services/personal_data.py` and says what
was deleted and what was kept."""

from __future__ import annotations

from typing import Any

from bot.domain.areas import area_name
from bot.domain.zones import DEFAULT_ZONE
from bot.engine.actions import END, WAIT, Turn, action
from bot.engine.events import Button, Reply
from bot.engine.steps import yes_no
from bot.domain.answers import free_text_kind
from bot.i18n import format_date, format_datetime
from bot.payloads import NO, YES, StartFlow
from bot.services import personal_data as svc

MISSES_BEFORE_GIVING_UP = 2
"""An unclear answer to "erase everything?" is asked again once; the second one erases nothing."""


def mask_phone(phone: str) -> str:
    """`0812****5678`: enough for the owner to recognise it, not enough to call it."""
    digits = phone.strip()
    if len(digits) <= 6:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8 if len(digits) > 8 else 2) + digits[-4:]


def _masked_phones(phones: list[str]) -> list[str]:
    """One masked number per phone: 0812… and +62812… are the same number."""
    seen: dict[str, str] = {}
    for phone in phones:
        digits = "".join(ch for ch in phone if ch.isdigit())
        seen.setdefault(digits[-9:] or phone, mask_phone(phone))
    return list(seen.values())


def _channel_name(turn: Turn, channel: str) -> str:
    names = {"telegram": "Telegram", "whatsapp": "WhatsApp", "web": turn.t("web chat"), "cli": turn.t("terminal")}
    return names.get(channel, channel)


def _language_name(turn: Turn, lang: str | None) -> str:
    if lang == "id":
        return "Bahasa Indonesia"
    if lang == "en":
        return "English"
    return turn.t("not chosen yet")


def _status(turn: Turn, status: str) -> str:
    words = {
        "pending": turn.t("waiting for the consultant to confirm"),
        "confirmed": turn.t("confirmed by the consultant"),
        "cancelled": turn.t("cancelled"),
        "declined": turn.t("declined"),
        "attended": turn.t("attended"),
        "no_show": turn.t("did not come"),
        "new": turn.t("new"),
        "open": turn.t("waiting for a consultant"),
        "connected": turn.t("in progress"),
        "closed": turn.t("closed"),
        "expired": turn.t("expired"),
    }
    return words.get(status, status)


def _erase_button(turn: Turn) -> Button:
    return Button(turn.t("Delete my data"), StartFlow("erase_my_data").pack())


@action("privacy.show")
async def show(turn: Turn) -> Any:
    data = await svc.stored_data(turn.session, user_id=turn.user.id)
    days = turn.app.settings.message_log_retention_days
    lines = [turn.t("This is what the bot stores about you:")]
    none = turn.t("none")
    lines.append(turn.t("• Name: {name}", name=", ".join(data.names) or none))
    lines.append(turn.t("• Phone: {phone}", phone=", ".join(_masked_phones(data.phones)) or none))
    if data.businesses:
        lines.append(turn.t("• Business: {business}", business=", ".join(data.businesses)))
    lines.append(turn.t("• Language: {language}", language=_language_name(turn, data.language)))
    lines.append(turn.t("• Chat account: {channel}", channel=_channel_name(turn, data.channel)))
    if data.consent_at is not None:
        lines.append(turn.t("• Consent to keep your number for a consultation: given on {day}",
                            day=format_date(data.consent_at, turn.lang, DEFAULT_ZONE)))
    if data.bookings:
        lines.append(turn.t("• Bookings:"))
        for b in data.bookings:
            lines.append(turn.t("   {ref}, {center}, {area}, {when} ({status})", ref=b.ref, center=b.center_name or b.center_code,
                                area=area_name(b.service_area, turn.lang),
                                when=format_datetime(b.starts_at, turn.lang, b.center_tz or DEFAULT_ZONE),
                                status=_status(turn, b.status)))
    else:
        lines.append(turn.t("• Bookings: none"))
    if data.consultations:
        lines.append(turn.t("• Consultation requests:"))
        for c in data.consultations:
            lines.append(turn.t("   {center}, {day} ({status})", center=c.center_name or c.center_code,
                                day=format_date(c.created_at, turn.lang, DEFAULT_ZONE), status=_status(turn, c.status)))
    if data.handoffs:
        lines.append(turn.t("• Chats with a consultant:"))
        for h in data.handoffs:
            lines.append(turn.t("   {day}, {n} messages ({status})", day=format_date(h.created_at, turn.lang, DEFAULT_ZONE),
                                n=h.messages, status=_status(turn, h.status)))
    if days > 0:
        lines.append(turn.t("• Message log: {n} messages in and out, each kept for {days} days", n=data.messages, days=days))
    else:
        lines.append(turn.t("• Message log: {n} messages in and out", n=data.messages))
    if data.unanswered:
        lines.append(turn.t("• Questions kept for the admins because I could not answer them: {n}", n=data.unanswered))
    lines.append(turn.t("PLUT admins and consultants see these data to serve you; they are not sold. "
                        "You can have them deleted at any time."))
    turn.say(Reply(text="\n".join(lines), buttons=[_erase_button(turn), Button(turn.t("Menu"), StartFlow("main_menu").pack())]))
    return END


def _ask(turn: Turn, *, again: bool = False) -> None:
    text = turn.t(
        "Delete your data? I will erase your name, phone number, language, your booking and consultation details, "
        "your chats with consultants and the texts of your messages. Upcoming bookings will be cancelled and the "
        "consultant told. Only anonymous counts (center, date, status) are kept. This cannot be undone.")
    if again:
        text = turn.t("Please answer with the buttons: delete your data, or cancel?") + "\n\n" + text
    turn.say(Reply(text=text, buttons=[Button(turn.t("Yes, delete my data"), YES.pack()), Button(turn.t("No, cancel"), NO.pack())]))


@action("privacy.erase")
async def erase(turn: Turn) -> Any:
    """Step `confirm`: nothing is erased without a plain yes."""
    if turn.first_call:
        turn.values["_misses"] = 0
        _ask(turn)
        return WAIT
    answer = yes_no(turn)
    if answer is None and free_text_kind(turn.event.text or "") == "escape":
        answer = "no"  # "ga jadi deh", "never mind"
    if answer == "no":
        turn.say(Reply(text=turn.t("Alright, nothing was deleted."), buttons=[Button(turn.t("Menu"), StartFlow("main_menu").pack())]))
        return END
    if answer is None:
        misses = int(turn.values.get("_misses") or 0) + 1
        turn.values["_misses"] = misses
        if misses >= MISSES_BEFORE_GIVING_UP:
            turn.say(Reply(text=turn.t("I did not get a clear yes, so nothing was deleted. You can ask again at any time."),
                           buttons=[_erase_button(turn), Button(turn.t("Menu"), StartFlow("main_menu").pack())]))
            return END
        _ask(turn, again=True)
        return WAIT
    done = await svc.erase_personal_data(turn.session, user_id=turn.user.id, now=turn.now, by="user")
    turn.values.clear()  # the conversation starts over too: nothing of it is kept
    lines = [turn.t("Done. Your data has been deleted: your name, phone number, language, chat position "
                    "and the texts of your messages are gone.")]
    if done.cancelled:
        lines.append(turn.t("Cancelled upcoming bookings: {refs}. The consultants have been told, without your name.",
                            refs=", ".join(e.ref for e in done.cancelled)))
    if done.bookings_kept or done.consultations or done.handoffs or done.messages:
        lines.append(turn.t("Kept only as anonymous counts, with nothing that points to you: bookings {bookings}, "
                            "consultation requests {requests}, chats with consultants {chats}, messages {messages}.",
                            bookings=done.bookings_kept, requests=done.consultations, chats=done.handoffs,
                            messages=done.messages))
    else:
        lines.append(turn.t("There were no bookings, requests or chats to keep as counts."))
    lines.append(turn.t("If you write again, I will treat you as a new user."))
    turn.say("\n".join(lines))
    return END
