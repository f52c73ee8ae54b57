"""The words of the booking notifications: what a booking change (the events the use cases
in `bot/services/booking.py` record) means for the consultant and the owner, as outbox
messages in the same transaction.

The use cases gather whom to tell (`BookingNews`) and hand it to the notifier the
composition root installed (`install`); this module is that notifier. Consultants read
their notices in Indonesian, on their linked channel, else in their inbox in `/admin`; owners in the
language of their booking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import booking as rules
from bot.domain.areas import area_name
from bot.domain.centers import Center
from bot.domain.ics import STATUSES, booking_ics, calendar_sequence
from bot.domain.zones import DEFAULT_ZONE
from bot.engine.events import Button, Document, Reply
from bot.payloads import RunAction, StartFlow
from bot.i18n import I18n, format_datetime
from bot.outbox import Message, post
from bot.services import booking as svc
from bot.services import consultant_link
from bot.storage.models import Booking

Translate = Callable[..., str]
"""`(lang, msgid, **kwargs) -> text`: `I18n.gettext`."""

CONSULTANT_LANGUAGE = "id"


class BookingNotifier:
    """Turns `BookingNews` into outbox messages, in one write."""

    def __init__(self, i18n: I18n) -> None:
        self.translate: Translate = i18n.gettext

    async def __call__(self, session: AsyncSession, news: svc.BookingNews, now: datetime) -> None:
        messages = messages_for(news, now=now, translate=self.translate)
        if messages:
            await post(session, messages, now=now)


def install(i18n: I18n) -> None:
    """Booking changes made by any caller (flow actions, admin pages, scripts) are told."""
    svc.set_notifier(BookingNotifier(i18n))


def messages_for(news: svc.BookingNews, *, now: datetime, translate: Translate) -> list[Message]:
    out: list[Message] = []
    booking = news.booking
    for event in news.events:
        if isinstance(event, rules.BookingRequested):
            out += _to_consultant(news, "new", event.consultant_id, now=now, translate=translate)
            out += _reminders(news, now=now, translate=translate)
        elif isinstance(event, rules.BookingReassigned):
            out += _to_consultant(news, "new", event.consultant_id, now=now, translate=translate)
        elif isinstance(event, rules.BookingCancelled):
            change = "erased" if event.reason == rules.ERASURE else "cancelled"
            out += _to_consultant(news, change, event.consultant_id, now=now, translate=translate)
        elif isinstance(event, rules.BookingRescheduled):
            if event.consultant_id != event.previous_consultant_id:
                out += _to_consultant(news, "cancelled", event.previous_consultant_id, now=now, translate=translate,
                                      starts_at=event.previous_start)
                out += _to_consultant(news, "new", event.consultant_id, now=now, translate=translate)
            else:
                out += _to_consultant(news, "rescheduled", event.consultant_id, now=now, translate=translate,
                                      previous_start=event.previous_start)
            out += _reminders(news, now=now, translate=translate)
        elif isinstance(event, rules.BookingAccepted) and news.user is not None:
            text = translate(booking.language, "Good news: your consultation {ref} on {when} is confirmed by the consultant.",
                             ref=booking.ref, when=format_datetime(booking.starts_at, booking.language, _tz(news)))
            # The news comes with the updated calendar file (CONFIRMED, a higher SEQUENCE).
            out.append(_to_user(news, calendar_reply(booking, news.center, translate, caption=text),
                                key=f"booking:{booking.ref}:v{booking.version}:accepted:user", kind="booking.accepted"))
        elif isinstance(event, rules.BookingDeclined) and news.user is not None:
            out.append(_declined(news, translate=translate))
            out.append(_to_user(news, calendar_reply(booking, news.center, translate),
                                key=f"booking:{booking.ref}:v{booking.version}:declined:user:ics", kind="booking.calendar"))
    return out


def _tz(news: svc.BookingNews) -> str:
    return news.center.tz if news.center else DEFAULT_ZONE


def _to_user(news: svc.BookingNews, reply: Reply, *, key: str, kind: str, not_before: datetime | None = None) -> Message:
    assert news.user is not None and news.user.channel and news.user.external_id
    return Message(news.user.channel, news.user.external_id, reply.to_dict(), key=key, kind=kind,
                   not_before=not_before, ref=news.booking.ref)


def _to_consultant(
    news: svc.BookingNews, change: str, consultant_id: int, *, now: datetime, translate: Translate,
    starts_at: datetime | None = None, previous_start: datetime | None = None,
) -> list[Message]:
    """The consultant's notice of a change, on their linked channel, else in their inbox in `/admin`."""
    contact = news.consultants.get(consultant_id)
    if contact is None:  # the consultant is gone
        return []
    booking, tz, lang = news.booking, _tz(news), CONSULTANT_LANGUAGE
    when = format_datetime(starts_at or booking.starts_at, lang, tz)
    who = booking.name + (f" ({booking.business_name})" if booking.business_name else "")
    details: dict[str, Any] = {"ref": booking.ref, "when": when, "who": who, "area": area_name(booking.service_area, lang),
                               "kind": booking.business_kind or "-", "phone": booking.phone or "-"}
    decide = [Button(translate(lang, "Accept"), RunAction("booking.accept", {"ref": booking.ref}).pack()),
              Button(translate(lang, "Decline"), RunAction("booking.decline", {"ref": booking.ref}).pack())]
    buttons: list[Button] = []
    if change == "new":
        text = translate(lang, "New consultation booking {ref}\n{when}\n{area}: {who}, {kind}\nPhone: {phone}", **details)
        buttons = decide
    elif change == "rescheduled":
        details["before"] = format_datetime(previous_start, lang, tz) if previous_start else "-"
        text = translate(lang, "Booking {ref} was moved from {before} to {when}\n{area}: {who}", **details)
        buttons = decide
    elif change == "erased":
        # The owner asked for their personal data to be erased: the notice names nobody.
        text = translate(lang, "Booking {ref} on {when} was cancelled because the owner asked for their data to be "
                               "deleted.\n{area}", **details)
    else:
        text = translate(lang, "Booking {ref} on {when} was cancelled.\n{area}: {who}", **details)
    linked = bool(contact.channel and contact.external_id)
    return [Message(
        channel=contact.channel if linked and contact.channel else consultant_link.INBOX_CHANNEL,
        recipient=contact.external_id if linked and contact.external_id else consultant_link.inbox_address(consultant_id),
        body=Reply(text=text, buttons=buttons).to_dict(),
        key=f"booking:{booking.ref}:v{booking.version}:{change}:consultant:{consultant_id}",
        kind=f"booking.{change}", ref=booking.ref,
    )]


def _reminders(news: svc.BookingNews, *, now: datetime, translate: Translate) -> list[Message]:
    """The owner's reminders (24 h and 2 h before, those still ahead)."""
    if news.user is None:
        return []
    booking, lang = news.booking, news.booking.language
    place = news.center.name if news.center else booking.center_code
    when = format_datetime(booking.starts_at, lang, _tz(news))
    out = []
    for reminder in rules.reminders_for(booking.starts_at, now):
        if reminder.kind == "reminder.day_before":
            msg = "Reminder: tomorrow, {when}, you have a free consultation at {place} ({ref})."
        else:
            msg = "Reminder: your consultation at {place} starts at {when} ({ref})."
        text = translate(lang, msg, when=when, place=place, ref=booking.ref)
        buttons = [Button(translate(lang, "My bookings"), StartFlow("my_bookings").pack())]
        out.append(_to_user(news, Reply(text=text, buttons=buttons), key=f"booking:{booking.ref}:v{booking.version}:{reminder.kind}",
                            kind=reminder.kind, not_before=reminder.at))
    return out


def calendar_reply(booking: Booking, center: Center | None, translate: Translate, *,
                   caption: str | None = None) -> Reply:
    """The booking's calendar file as it stands: tentative, confirmed, or a cancellation;
    `caption` replaces the standard one."""
    lang = booking.language
    cancelled = booking.status in ("cancelled", "declined")
    content = booking_ics(
        uid=f"{booking.ref}@plut-frontdesk", starts_at=booking.starts_at, ends_at=booking.ends_at,
        summary=translate(lang, "PLUT consultation: {area} ({ref})", area=area_name(booking.service_area, lang), ref=booking.ref),
        description=translate(lang, "Free consultation with a PLUT-KUMKM consultant. Booking code {ref}.", ref=booking.ref),
        location=(f"{center.name}, {center.address}" if center.address else center.name) if center else booking.center_code,
        created_at=booking.updated_at or booking.created_at, sequence=calendar_sequence(booking.version, booking.status),
        cancelled=cancelled, status=STATUSES.get(booking.status, "CONFIRMED"),
    )
    if cancelled:
        standard = translate(lang, "Open it to take the consultation out of your calendar")
    elif booking.status == "pending":
        standard = translate(lang, "Add it to your calendar; it stays tentative until the consultant confirms")
    else:
        standard = translate(lang, "Add it to your calendar")
    return Reply(document=Document(filename=f"{booking.ref}.ics", mime_type="text/calendar", content=content,
                                   caption=caption or standard))


def _declined(news: svc.BookingNews, *, translate: Translate) -> Message:
    booking, lang, tz = news.booking, news.booking.language, _tz(news)
    lines = [translate(lang, "We are sorry: the consultant cannot meet you on {when} ({ref}), and no other consultant "
                             "of this field is free then.", when=format_datetime(booking.starts_at, lang, tz), ref=booking.ref)]
    if news.alternatives:
        lines.append(translate(lang, "These times are free:"))
        lines += [f"• {format_datetime(t, lang, tz)}" for t in news.alternatives]
    again = StartFlow("book_consultation", {"center": booking.center_code, "area": booking.service_area})
    buttons = [Button(translate(lang, "Choose another time"), again.pack())]
    return _to_user(news, Reply(text="\n".join(lines), buttons=buttons),
                    key=f"booking:{booking.ref}:v{booking.version}:declined:user", kind="booking.declined")
