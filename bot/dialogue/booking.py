"""Flow actions of `book_consultation` and `my_bookings`, and the consultant's buttons.

Every question works by buttons and by typed answers without the NLU classifier;
entities from `turn.parse` (service_area, datetime, city, booking_ref) are used when the
NLU gives them. An action asks (returns WAIT), reads the answer on its next call, and
goes on (returns None) once it has what it needs — at once when the value is known.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date

from bot.domain.booking import (
    BookingError,
    BookingNotFound,
    InvalidTransition,
    NotTheConsultant,
    SlotTaken,
    SlotUnavailable,
    find_reference,
)
from bot.domain.answers import free_text_kind
from bot.domain.areas import SERVICE_AREAS, area_name, area_phrase, find_service_area
from bot.domain.centers import Center
from bot.domain.closed_days import holiday_name, nearest_days
from bot.domain.slots import days_with_slots, free_times, nearest_times
from bot.domain.when import When, in_period, parse_when
from bot.domain.zones import DEFAULT_ZONE
from bot.dialogue import context
from bot.dialogue.consultation import request_button
from bot.dialogue.notices import calendar_reply
from bot.engine.actions import END, WAIT, Turn, action
from bot.engine.events import Button, Document, Reply
from bot.engine.steps import LEFT_KEY, normalise_phone, revises_when, yes_no
from bot.payloads import NO, YES, Answer, StartFlow, answer_value
from bot.i18n import format_datetime, format_time
from bot.services import booking as svc
from bot.storage.models import Booking

log = logging.getLogger(__name__)

MAX_OPTIONS = 10
NEAR_KM = 10
FAR_KM = 100
"""A proposed center this far is no obvious choice: the center question is asked with it."""
"""A center this close to a town's seat is that town's own center."""


# --- helpers ------------------------------------------------------------------------------------


def _entities(turn: Turn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ent in (turn.parse or {}).get("entities") or []:
        name = ent.get("entity")
        if name and name not in out and ent.get("value") not in (None, ""):
            out[name] = ent
    return out


def _entity_value(turn: Turn, name: str) -> Any:
    ent = _entities(turn).get(name)
    return ent.get("value") if ent else None


def read_when(turn: Turn, tz: str, *, expect_time: bool = False, text: str | None = None) -> When:
    """Day and time of an answer: our reading of the text first (it knows "jam 10" alone means
    a time on the day already chosen), the NLU's `datetime` entity when the text gives none.
    The single place to swap in another extractor."""
    said = parse_when(text or turn.event.text or "", _today(turn, tz), expect_time=expect_time)
    if not said.empty:
        return said
    ent = _entities(turn).get("datetime")
    if ent is None:
        return said
    value = ent.get("value")
    if isinstance(value, dict):
        value = value.get("value") or value.get("from")
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return said
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    local = dt.astimezone(ZoneInfo(tz))
    grain = ent.get("grain") or (ent.get("additional_info") or {}).get("grain")
    has_time = grain not in ("day", "week", "month") and local.time() != time(0, 0)
    return When(day=local.date(), time=local.time().replace(second=0, microsecond=0) if has_time else None)


def _today(turn: Turn, tz: str) -> date:
    return turn.now.astimezone(ZoneInfo(tz)).date()


def _short_day(day: date, lang: str) -> str:
    return _babel_date(day, "EEEE, d MMM", locale=lang)


def _button_payload(turn: Turn, kind: str) -> str | None:
    return answer_value(turn.event.button, kind)


async def _center(turn: Turn) -> Center | None:
    code = turn.values.get("center")
    return await svc.center_info(turn.session, code) if code else None


def _slot_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else None


def _time_buttons(turn: Turn, times: list[datetime], tz: str, *, with_day: bool) -> list[Button]:
    out = []
    for t in times[:MAX_OPTIONS]:
        title = format_time(t, turn.lang, tz)
        if with_day:
            title = f"{_babel_date(t.astimezone(ZoneInfo(tz)).date(), 'EEE d MMM', locale=turn.lang)} {title}"
        out.append(Button(title, Answer("time", t.astimezone(UTC).isoformat()).pack()))
    return out


# --- book_consultation --------------------------------------------------------------------------


@action("booking.start")
async def start(turn: Turn) -> Any:
    """Take what the first message already says: center, field, day and time."""
    v = turn.values
    text = turn.event.text or v.pop("_start_payload", None) or ""
    centers = await svc.bookable_centers(turn.session)
    if v.get("center") and not any(c.code == v["center"] for c in centers):
        # An old "Book here" button, or a center named in the message: say why it is not booked there.
        code = str(v.pop("center"))
        other = await svc.center_info(turn.session, code)
        if other is not None:
            _say_no_bookings(turn, other)
            v["told_center"] = other.code
    if not v.get("center"):
        city = _entity_value(turn, "city")
        found = svc.match_center(centers, str(city)) if city else None
        found = found or _center_in_text(centers, text)
        if found is None and context.points_back(text):
            # "mau booking konsul di situ bisa?": the center just shown
            shown = context.recall(turn, "center")
            found = next((c for c in centers if c.code == shown), None)
            if found is None and shown and shown != v.get("told_center"):
                v["center"] = shown  # not bookable: said below (once), with a consultation request
                return await start(turn)
        if found is not None:
            v["center"] = found.code
        elif city:
            await _say_takes_no_bookings(turn, str(city))
    chosen = next((c for c in centers if c.code == v.get("center")), None)
    if chosen is not None and context.points_back(text):
        turn.say(turn.t("All right, at {center}.", center=chosen.name))  # the center "di situ" points at
    if v.get("area") not in SERVICE_AREAS and v.get("service_area") in SERVICE_AREAS:
        # the answers' buttons say "flow:book_consultation?service_area=marketing" (`intent:` payloads resolved)
        v["area"] = v.pop("service_area")
    if v.get("area") not in SERVICE_AREAS:
        v.pop("area", None)
        area = _entity_value(turn, "service_area")
        area = area if area in SERVICE_AREAS else find_service_area(text)
        if area:
            v["area"] = area
        elif text:
            await _area_of_topic(turn)
    if text:
        center = await _center(turn)
        when = read_when(turn, center.tz if center else DEFAULT_ZONE, text=text)
        _remember_when(v, when)
    return None


async def _area_of_topic(turn: Turn) -> None:
    """"oke klo mau konsul langsung bisa?" right after the halal answer: the consultation is
    about halal, so its field (the topic's consultant, as on the answer's own button) is taken
    and said back when the field's question would come."""
    from bot.dialogue import faq

    topic = context.recall(turn, "topic") or str(turn.values.get(faq.KB_LAST) or "").partition("/")[0]
    if not topic:
        return
    kb = await faq._knowledge(turn)
    known = kb.kb.topics.get(str(topic)) if kb is not None else None
    if known is not None and known.service_area in SERVICE_AREAS and not str(topic).startswith("area_"):
        turn.values["area"] = known.service_area
        turn.values["area_topic"] = known.title.pick(turn.lang)


async def _say_takes_no_bookings(turn: Turn, place: str) -> None:
    """The owner named a center that takes no bookings here ("booking di plut jembrana"): say so."""
    from bot.services.centers import list_centers

    other = svc.match_center(await list_centers(turn.session), place)
    if other is not None:
        _say_no_bookings(turn, other)
        turn.values["told_center"] = other.code


def _say_no_bookings(turn: Turn, center: Center) -> None:
    """A center that takes no bookings through this chat, with its consultation request."""
    turn.say(Reply(text=turn.t("{center} does not take bookings through this chat yet. You can ask it to contact you, or book at another center below.",
                               center=center.name), buttons=[request_button(center.code, turn.t)]))


_GENERIC_PLACE_WORDS = frozenset({
    "kota", "kabupaten", "provinsi", "prov", "plut", "kumkm", "sentra", "center", "centre", "utara", "selatan", "barat",
    "timur", "tengah", "kepulauan", "pulau", "daerah", "istimewa", "city", "regency", "province", "north", "south",
    "east", "west", "central",
})
"""Words many center names share: "plut kota kendari" names Kendari, not every center of a "Kota"."""


def _center_in_text(centers: list[Center], text: str) -> Center | None:
    from rapidfuzz import fuzz

    words = [w for w in "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()
             if len(w) >= 4 and w not in _GENERIC_PLACE_WORDS]
    best, best_score = None, 0.0
    for c in centers:
        places = [p for p in f"{c.place} {c.code.replace('plut-', '').replace('-', ' ')}".lower().split()
                  if len(p) >= 4 and p not in _GENERIC_PLACE_WORDS]
        for w in words:
            for p in places:
                score = fuzz.ratio(w, p)
                if score > best_score:
                    best, best_score = c, score
    return best if best_score >= 88 else None


def _remember_when(v: dict[str, Any], when: When) -> None:
    if when.asks:  # two readings of what was said: asked, never picked
        v["day_choices"] = [d.isoformat() for d in when.choices]
        v["when_problem"] = when.problem
        v.pop("day", None)
    elif when.week and when.day is not None:
        v["want_week"] = when.day.isoformat()  # "minggu depan": the days of that week are offered
    elif when.day is not None:
        v["day"] = when.day.isoformat()
    if when.time is not None:
        v["want_time"] = when.time.strftime("%H:%M")
        v.pop("want_period", None)
    elif when.period:
        v["want_period"] = when.period
    if when.problem in ("bad_time", "bad_date"):
        v["when_problem"] = when.problem


@action("booking.center")
async def ask_center(turn: Turn) -> Any:
    v = turn.values
    centers = await svc.bookable_centers(turn.session)
    if turn.first_call:
        if v.get("center") and any(c.code == v["center"] for c in centers):
            return None
        # "sy jualan keripik di maros … oke klo mau konsul langsung bisa?": the place the owner
        # is in is known, so the nearest center that takes bookings is proposed, not asked for
        place = context.recall(turn, "place")
        if place and await _propose_nearest(turn, centers, place):
            return WAIT
        await _prompt_center(turn, centers)
        return WAIT
    event = turn.event
    found = None
    code = _button_payload(turn, "center")
    proposed = v.get("proposed_center")
    if code:
        found = next((c for c in centers if c.code == code), None)
    elif event.location is not None:
        found = svc.nearest_center(centers, event.location.latitude, event.location.longitude)
        if found is not None:
            turn.say(turn.t("The nearest center that takes bookings here: {name}.", name=found.name))
    elif event.text and proposed and yes_no(turn) == "yes":
        found = next((c for c in centers if c.code == proposed), None)  # "iya boleh" to the center proposed
    elif event.text:
        found = svc.match_center(centers, event.text) or _center_in_text(centers, event.text)
        if found is not None:
            turn.say(turn.t("All right, at {center}.", center=found.name))  # "maros": the center the typed name was read as
        else:
            town = await _center_for_town(turn, centers, event.text)
            if town is not None:
                found = town[0]
                if found is None:
                    return WAIT  # a far center offered with a button, beside a consultation request
            elif await _nearest_asked(turn, centers, event.text):
                return WAIT  # "yg paling deket dmn": the remembered place's nearest, or the town asked plainly
            else:
                turn.say(turn.t("I could not find a PLUT center for “{text}” among the centers that take bookings here.", text=event.text[:60]))
    if found is None:
        await _prompt_center(turn, centers)
        return WAIT
    v.pop("proposed_center", None)
    v["center"] = found.code
    return None


_NEAREST = re.compile(
    r"\b(?:paling\s+(?:de?ke?t|dekat|deket|dkt|deketnya|dekatnya)|terdekat|trdekat|terdeket|trdkt|tdkt|"
    r"nearest|closest|near(?:est)?\s+(?:one|me|here)|dekat\s+(?:sini|sni|rumah)|deket\s+(?:sini|sni|rumah))\b", re.I)


async def _nearest_asked(turn: Turn, centers: list[Center], text: str) -> bool:
    """"yg paling deket dmn" at the center question: the nearest center that takes bookings to the
    place already known (said in passing, typed, shared), or a plain question for the town."""
    if not _NEAREST.search(text):
        return False
    place = context.recall(turn, "place")
    if place and await _propose_nearest(turn, centers, place):
        return True
    turn.say(Reply(
        text=turn.t("Which town or regency are you in? Type its name or share your location, and I will find the "
                    "nearest center that takes bookings."),
        options=[Button(c.name, Answer("center", c.code).pack()) for c in centers[:MAX_OPTIONS]],
        options_title=turn.t("Centers"), request_location=True,
    ))
    return True


async def _propose_nearest(turn: Turn, centers: list[Center], place: dict[str, Any]) -> bool:
    """Propose the center that takes bookings nearest to the place (a town of the gazetteer or
    a shared point), with its straight-line distance; a nearer center that takes no bookings
    is named with its consultation request. False when the place has no point."""
    from bot.dialogue.centers import _directory, _gazetteer, km_text
    from bot.dialogue.followups import place_label
    from bot.services.centers import distance_km

    if place.get("code"):
        where = _gazetteer(turn).get(str(place["code"]))
        if where is None or where.latitude is None or where.longitude is None:
            return False
        lat, lon, label = where.latitude, where.longitude, place_label(turn, place, where)
    elif isinstance(place.get("lat"), (int, float)) and isinstance(place.get("lon"), (int, float)):
        lat, lon, label = float(place["lat"]), float(place["lon"]), turn.t("your location")
    else:
        return False
    placed = [c for c in centers if c.has_point]
    if not placed:
        return False
    best = min(placed, key=lambda c: distance_km(c, lat, lon))
    km = distance_km(best, lat, lon)
    lines: list[str] = []
    buttons = [Button(turn.t("Yes, book there"), Answer("center", best.code).pack())]
    nearest = (await _directory(turn)).nearest(lat, lon, 1)
    if nearest and nearest[0][0].code not in (best.code, turn.values.get("told_center")):
        other, other_km = nearest[0]
        lines.append(turn.t("{center} is nearer to {place} (±{km} km), but it does not take bookings through this chat "
                            "yet; you can ask it to contact you.", center=other.name, place=label,
                            km=km_text(other_km, turn.lang)) if other_km >= NEAR_KM else
                     turn.t("{center} is the center in {place}, but it does not take bookings through this chat yet; "
                            "you can ask it to contact you.", center=other.name, place=label))
        buttons.append(request_button(other.code, turn.t))
    lines.append(turn.t("The nearest center to {place} that takes bookings here is {center}, ±{km} km away in a "
                        "straight line. Book there?", place=label, center=best.name, km=km_text(km, turn.lang))
                 if km >= 1 else
                 turn.t("The nearest center to {place} that takes bookings here is {center}, less than 1 km away. "
                        "Book there?", place=label, center=best.name))
    if km >= FAR_KM:
        # too far for a visit to be the obvious choice: the usual question follows the proposal
        lines.append(turn.t("Which PLUT center would you like to visit? Share your location, type the town or regency, or choose one:"))
    others = [Button(c.name, Answer("center", c.code).pack()) for c in centers if c.code != best.code][:MAX_OPTIONS]
    turn.say(Reply(text="\n".join(lines), buttons=buttons, options=others,
                   options_title=turn.t("Other centers"), request_location=True))
    turn.values["proposed_center"] = best.code
    return True
MAX_TOWN_WORDS = 4
"""A town typed as the answer is short ("bantul", "kab. gunung kidul", "di kendari aja")."""
NEAR_BOOKABLE_KM = 100.0
"""A town typed at the center question is booked at the nearest center that takes bookings when it
is this close (Bantul → Sleman); farther, that center is offered with a button, not assumed."""


async def _center_for_town(turn: Turn, centers: list[Center], text: str) -> tuple[Center | None, bool] | None:
    """A town or regency typed at the center question ("bantul", "Kendari"), as the prompt invites:
    (the nearest center that takes bookings, chosen) when it is near; (None, True) when it is far and
    was offered with a button, after saying that a center of that place takes no bookings here and
    offering its consultation request; None when the text is no place we know."""
    from bot.dialogue.centers import _gazetteer, km_text
    from bot.services.centers import center_directory, distance_km

    if len(text.split()) > MAX_TOWN_WORDS or free_text_kind(text) is not None:
        return None  # "tadi yg qris sumbernya apa?" is a question, not the town Sumber
    res = _gazetteer(turn).resolve(text)
    place = res.place
    if res.status != "match" or place is None or place.latitude is None or place.longitude is None:
        return None
    nearest = svc.nearest_center(centers, place.latitude, place.longitude)
    if nearest is None:
        return None
    km = distance_km(nearest, place.latitude, place.longitude)
    own = (await center_directory(turn.session)).in_region(place.code if place.kind != "provinsi" else place.province_code)
    local = next((c for c in own if c.code not in {b.code for b in centers}), None)
    if local is not None:
        _say_no_bookings(turn, local)
    context.remember(turn, place={"code": place.code, "has_center": bool(own), "shown": 0})
    if km <= NEAR_BOOKABLE_KM:
        turn.say(turn.t("The nearest center that takes bookings here from {place}: {center}, ±{km} km.",
                        place=place.name, center=nearest.name, km=km_text(km, turn.lang)))
        return nearest, False
    buttons = [Button(turn.t("Book at {center}", center=nearest.name), Answer("center", nearest.code).pack())]
    if local is None:
        buttons.append(request_button(nearest.code, turn.t))
    turn.say(Reply(text=turn.t("The nearest center that takes bookings here is {center}, ±{km} km from {place}. Book there, "
                               "or choose another center above.", center=nearest.name, km=km_text(km, turn.lang), place=place.name),
                   buttons=buttons))
    return None, True


async def _prompt_center(turn: Turn, centers: list[Center]) -> None:
    buttons: list[Button] = []
    last = await svc.last_booking(turn.session, turn.user.id)
    if last is not None:
        prev = next((c for c in centers if c.code == last.center_code), None)
        if prev is not None:
            buttons.append(Button(turn.t("{name} (last time)", name=prev.name), Answer("center", prev.code).pack()))
    options = [Button(c.name, Answer("center", c.code).pack()) for c in centers[:MAX_OPTIONS]]
    turn.say(Reply(
        text=turn.t("Which PLUT center would you like to visit? Share your location, type the town or regency, or choose one:"),
        buttons=buttons, options=options, options_title=turn.t("Centers"), request_location=True,
    ))


@action("booking.area")
async def ask_area(turn: Turn) -> Any:
    v = turn.values
    center = await _center(turn)
    if center is None:
        return "center"
    schedules, _ = await svc.schedules_for(turn.session, center.code)
    covered = [a for a in SERVICE_AREAS if any(a in s.areas for s in schedules)]
    if turn.first_call:
        if v.get("area") in covered:
            if v.get("area_topic"):
                turn.say(turn.t("For {topic} the consultant for {area} is the one to see; I will book that field.",
                                topic=v.pop("area_topic"), area=area_phrase(v["area"], turn.lang)))
            return None
        if v.get("area"):
            turn.say(turn.t("{center} has no consultant for {area} at the moment.", center=center.name, area=area_phrase(v["area"], turn.lang)))
            v.pop("area")
        _prompt_area(turn, covered)
        return WAIT
    area = _button_payload(turn, "area") or find_service_area(turn.event.text or "")
    if area is None and turn.event.text:
        from rapidfuzz import fuzz, process

        names = {a: f"{area_name(a, 'id')} / {area_name(a, 'en')}".lower() for a in covered}
        hit = process.extractOne(turn.event.text.lower(), names, scorer=fuzz.WRatio, score_cutoff=80)
        area = hit[2] if hit else None
    if area not in covered:
        if area in SERVICE_AREAS:
            turn.say(turn.t("{center} has no consultant for {area} at the moment.", center=center.name, area=area_phrase(area, turn.lang)))
        else:
            turn.say(turn.t("Please choose one of the services below."))
        _prompt_area(turn, covered)
        return WAIT
    v["area"] = area
    return None


def _prompt_area(turn: Turn, covered: list[str]) -> None:
    turn.say(Reply(
        text=turn.t("Which topic would you like to discuss with the consultant?"),
        options=[Button(area_name(a, turn.lang), Answer("area", a).pack()) for a in covered],
        options_title=turn.t("Services"),
    ))


async def _slots(turn: Turn, center: Center, day: date | None = None) -> list[Any]:
    return await svc.free_slots(
        turn.session, center_code=center.code, area=turn.values.get("area"), now=turn.now, user_id=turn.user.id, day=day
    )


async def _try_hold(turn: Turn, center: Center, starts_at: datetime) -> bool:
    """Hold `starts_at` for the user; on failure, say why and offer the nearest free times."""
    v = turn.values
    try:
        hold = await svc.hold_slot(turn.session, user_id=turn.user.id, center_code=center.code, area=v["area"],
                                   starts_at=starts_at, now=turn.now)
    except (SlotTaken, SlotUnavailable) as exc:
        if isinstance(exc, SlotTaken):
            turn.say(turn.t("Sorry, {when} has just been taken by someone else.", when=format_datetime(starts_at, turn.lang, center.tz)))
        elif starts_at < turn.now:
            turn.say(turn.t("That time has already passed."))
        else:
            turn.say(turn.t("{when} is not a free consultation time.", when=format_datetime(starts_at, turn.lang, center.tz)))
        await _offer_nearest(turn, center, starts_at)
        return False
    v["slot"] = hold.starts_at.astimezone(UTC).isoformat()
    v["day"] = hold.starts_at.astimezone(ZoneInfo(center.tz)).date().isoformat()
    v.pop("want_time", None)
    v.pop("want_period", None)
    # Say back what was understood, so a slot taken from a one-sentence request is not a surprise.
    turn.say(turn.t(
        "Good: {area} at {center}, {when}. I am holding this time for you for a few minutes while we complete the details.",
        area=area_name(v["area"], turn.lang), center=center.name,
        when=format_datetime(hold.starts_at, turn.lang, center.tz),
    ))
    return True


async def _offer_nearest(turn: Turn, center: Center, target: datetime) -> None:
    slots = await _slots(turn, center)
    near = nearest_times(slots, target, n=4)
    if not near:
        turn.say(turn.t("There are no free times in the next two weeks. Please try another center or ask again later."))
        return
    turn.say(Reply(text=turn.t("The nearest free times:"), buttons=[], options=_time_buttons(turn, near, center.tz, with_day=True),
                   options_title=turn.t("Times")))


@action("booking.day")
async def ask_day(turn: Turn) -> Any:
    v = turn.values
    center = await _center(turn)
    if center is None:
        return "center"
    if turn.first_call:
        if _slot_dt(v.get("slot")) is not None:
            return None
        if v.get("when_problem") or v.get("day"):
            outcome = await _use_day(turn, center)
            if outcome is not None:
                return outcome
        await _prompt_day(turn, center)
        return WAIT
    picked = _button_payload(turn, "day")
    picked_time = _slot_dt(_button_payload(turn, "time"))
    if picked_time is not None:
        return None if await _try_hold(turn, center, picked_time) else WAIT
    if picked:
        v["day"] = picked
    else:
        when = read_when(turn, center.tz)
        if when.empty:
            turn.say(turn.t("Please choose a day below, or type one such as “tomorrow” or “Friday”."))
            await _prompt_day(turn, center)
            return WAIT
        v.pop("day", None)
        _remember_when(v, when)
    outcome = await _use_day(turn, center)
    if outcome is not None:
        return outcome
    await _prompt_day(turn, center)
    return WAIT


async def _use_day(turn: Turn, center: Center) -> Any:
    """Check the day (and time) the user gave; None means: ask for a day again."""
    v = turn.values
    problem = v.pop("when_problem", None)
    if problem in ("ambiguous", "conflict"):
        choices = [date.fromisoformat(d) for d in v.pop("day_choices", [])]
        open_days = [d for d in choices if await _slots(turn, center, d)]
        if choices and not open_days:  # "akhir pekan": no need to ask which closed day
            await _say_day_closed(turn, center, choices[0])
            return WAIT
        _ask_which_day(turn, choices, conflict=problem == "conflict")
        return WAIT
    if problem == "bad_time":
        turn.say(turn.t("That is not a time of day; please give a time between 00:00 and 23:59, for example “jam 10”."))
        v.pop("want_time", None)
    elif problem == "bad_date":
        turn.say(turn.t("That date does not exist; please choose a day below."))
        v.pop("day", None)
        return None
    try:
        day = date.fromisoformat(v.get("day", ""))
    except ValueError:
        v.pop("day", None)
        return None
    if day < _today(turn, center.tz):
        turn.say(turn.t("{day} has already passed.", day=_short_day(day, turn.lang)))
        v.pop("day", None)
        v.pop("want_time", None)
        return None
    slots = await _slots(turn, center, day)
    if not slots:
        v.pop("day", None)
        await _say_day_closed(turn, center, day)
        return WAIT  # the nearest days were offered; the answer comes back to this step
    want = v.get("want_time")
    if want:
        wanted = datetime.combine(day, time.fromisoformat(want), tzinfo=ZoneInfo(center.tz)).astimezone(UTC)
        if await _try_hold(turn, center, wanted):
            return "details"
        v.pop("want_time", None)
        v.pop("day", None)
        return WAIT  # the nearest times were offered; the answer comes back to this step
    return "time"


def _long_day(day: date, lang: str) -> str:
    return _babel_date(day, "EEEE, d MMMM y", locale=lang)


def _ask_which_day(turn: Turn, choices: list[date], *, conflict: bool) -> None:
    """The words allow several days ("rabu depan" on a Tuesday, "senin tgl 15" when the 15th
    is a Tuesday): ask with each reading as a button, never pick one."""
    if conflict:
        text = turn.t("The day and the date you wrote do not fall together. Which day do you mean?")
    else:
        text = turn.t("That can mean more than one day. Which day do you mean?")
    turn.say(Reply(text=text, buttons=[Button(_long_day(d, turn.lang), Answer("day", d.isoformat()).pack()) for d in choices[:3]]))


async def _say_day_closed(turn: Turn, center: Center, day: date) -> None:
    """Why `day` has no free time (beyond the horizon, holiday, closure, closed that weekday,
    or full), then the nearest days that have one."""
    v = turn.values
    named = _long_day(day, turn.lang)
    closed = await svc.why_day_closed(turn.session, center_code=center.code, area=v.get("area"), day=day, now=turn.now)
    reason = closed.reason if closed else None
    if reason == "beyond_horizon":
        assert closed is not None
        turn.say(turn.t("Bookings are open up to two weeks ahead, until {last}, so {day} cannot be booked yet.",
                        last=_long_day(closed.last_day, turn.lang), day=named))
    elif reason == "holiday":
        turn.say(turn.t("{day} is a public holiday ({holiday}); {center} is closed.", day=named,
                        holiday=holiday_name(day, turn.lang) or "-", center=center.name))
    elif reason == "closure":
        turn.say(turn.t("{center} is closed on {day}.", center=center.name, day=named))
    elif reason == "not_open":
        turn.say(turn.t("{center} holds no consultations on {weekday}s.", center=center.name,
                        weekday=_babel_date(day, "EEEE", locale=turn.lang)))
    elif reason == "no_area":
        turn.say(turn.t("No consultant for {area} works at {center} on {weekday}s.", area=area_phrase(v.get("area", ""), turn.lang),
                        center=center.name, weekday=_babel_date(day, "EEEE", locale=turn.lang)))
    elif reason == "past":
        turn.say(turn.t("{day} has already passed.", day=_short_day(day, turn.lang)))
    else:
        turn.say(turn.t("There is no free consultation time on {day}.", day=_short_day(day, turn.lang)))
    days = nearest_days(days_with_slots(await _slots(turn, center), center.tz), day)
    if not days:
        turn.say(turn.t("There are no free times in the next two weeks. Please try another center or ask again later."))
        return
    turn.say(Reply(text=turn.t("The nearest days with free times:"),
                   options=[Button(_short_day(d, turn.lang), Answer("day", d.isoformat()).pack()) for d in days],
                   options_title=turn.t("Days")))


async def _prompt_day(turn: Turn, center: Center) -> None:
    days = days_with_slots(await _slots(turn, center), center.tz)
    week = turn.values.pop("want_week", None)
    if week and days:
        monday = date.fromisoformat(week) - timedelta(days=date.fromisoformat(week).weekday())
        in_week = [d for d in days if monday <= d < monday + timedelta(days=7)]
        if in_week:
            days = in_week
        else:
            turn.say(turn.t("There are no free times in the week of {day}.", day=_short_day(monday, turn.lang)))
    if not days:
        turn.say(turn.t("There are no free times in the next two weeks. Please try another center or ask again later."))
        return
    turn.say(Reply(
        text=turn.t("Which day suits you? Times are in {zone}, the local time of {center}.",
                    zone=format_time(turn.now, turn.lang, center.tz).split()[-1], center=center.name),
        options=[Button(_short_day(d, turn.lang), Answer("day", d.isoformat()).pack()) for d in days[:MAX_OPTIONS]],
        options_title=turn.t("Days"),
    ))


@action("booking.time")
async def ask_time(turn: Turn) -> Any:
    v = turn.values
    center = await _center(turn)
    if center is None:
        return "center"
    if turn.first_call:
        if _slot_dt(v.get("slot")) is not None:
            return None
        if not v.get("day"):
            return "day"
        await _prompt_time(turn, center)
        return WAIT
    picked = _slot_dt(_button_payload(turn, "time"))
    if picked is None and _button_payload(turn, "day"):
        v["day"] = _button_payload(turn, "day")
        await _prompt_time(turn, center)
        return WAIT
    if picked is None:
        when = read_when(turn, center.tz, expect_time=True)
        if when.problem == "bad_time":
            turn.say(turn.t("That is not a time of day; please give a time between 00:00 and 23:59, for example “jam 10”."))
            await _prompt_time(turn, center)
            return WAIT
        if when.asks or (when.day is not None and when.day.isoformat() != v.get("day")):
            v.pop("want_time", None)
            if v.pop("slot", None):
                # "eh kamis aja deh" after a time was held: that time is let go now, not when it expires
                await svc.release_holds(turn.session, turn.user.id)
            _remember_when(v, when)
            outcome = await _use_day(turn, center)
            if outcome == "details":
                return None
            if outcome == "time":
                await _prompt_time(turn, center)
                return WAIT
            if outcome is None:
                await _prompt_day(turn, center)
            return WAIT
        if when.time is None and when.period:
            v["want_period"] = when.period  # "sore aja": the afternoon times of that day
            await _prompt_time(turn, center)
            return WAIT
        if when.time is None:
            turn.say(turn.t("Please choose a time below, or type one such as “10:00”."))
            await _prompt_time(turn, center)
            return WAIT
        picked = datetime.combine(date.fromisoformat(v["day"]), when.time, tzinfo=ZoneInfo(center.tz)).astimezone(UTC)
    if await _try_hold(turn, center, picked):
        return None
    return WAIT


async def _prompt_time(turn: Turn, center: Center) -> None:
    day = date.fromisoformat(turn.values["day"])
    times = list(free_times(await _slots(turn, center, day)))
    if not times:
        turn.say(turn.t("There is no free consultation time on {day}.", day=_short_day(day, turn.lang)))
        await _prompt_day(turn, center)
        return
    heading = turn.t("Free times on {day}:", day=_short_day(day, turn.lang))
    period = turn.values.get("want_period")
    if period:
        zone = ZoneInfo(center.tz)
        part = _part_of_day(turn, period)
        within = [t for t in times if in_period(t.astimezone(zone).time(), period)]
        if within:
            times = within
            heading = turn.t("Free times on {day}, {part}:", day=_short_day(day, turn.lang), part=part)
        else:
            heading = turn.t("There is no free time on {day} {part}. The other free times that day:",
                             day=_short_day(day, turn.lang), part=part)
    turn.say(Reply(
        text=heading,
        options=_time_buttons(turn, times, center.tz, with_day=False),
        options_title=turn.t("Times"),
    ))


def _part_of_day(turn: Turn, period: str) -> str:
    return {
        "morning": turn.t("in the morning"), "midday": turn.t("around midday"),
        "afternoon": turn.t("in the afternoon"), "evening": turn.t("in the evening"),
    }.get(period, period)


@action("booking.phone")
async def ask_phone(turn: Turn) -> Any:
    v = turn.values
    user = turn.user
    if turn.first_call:
        if v.get("phone"):
            return None
        known = user.phone or (user.external_id if user.channel == "whatsapp" else None)
        phone = normalise_phone(known) if known else None
        if phone:
            v["phone"] = phone
            return None
        _prompt_phone(turn)
        return WAIT
    raw = turn.event.contact.phone if turn.event.contact else (turn.event.text or "")
    phone = normalise_phone(raw)
    if phone is None and turn.event.text and v.get("slot") and revises_when(turn, turn.event.text):
        return await _revise_when(turn)
    if phone is None:
        turn.say(turn.t("That does not look like a phone number. Please type it like 0812 3456 7890, or press the button to share it."))
        _prompt_phone(turn)
        return WAIT
    v["phone"] = phone
    if not user.phone:
        user.phone = phone
    return None


@action("booking.back")
async def back(turn: Turn) -> Any:
    """"Back to the booking" after another topic (`Engine._offer_way_back`): the answers given
    come back and the booking goes on at the question it was at. A time held before is held
    again, or said to be gone, with that day's other times."""
    v = turn.values
    left = v.pop(LEFT_KEY, None)
    if not isinstance(left, dict) or left.get("flow") != "book_consultation":
        return "book_consultation"
    for key in [k for k in v if not k.startswith("_")]:
        v.pop(key)
    v.update(left.get("values") or {})
    step = str(left.get("step") or "")
    starts_at = _slot_dt(v.get("slot"))
    center = await _center(turn)
    if starts_at is not None and center is not None:
        try:
            await svc.hold_slot(turn.session, user_id=turn.user.id, center_code=center.code, area=v["area"],
                                starts_at=starts_at, now=turn.now)
        except (SlotTaken, SlotUnavailable):
            turn.say(turn.t("{when} is no longer free.", when=format_datetime(starts_at, turn.lang, center.tz)))
            v.pop("slot", None)
            return "book_consultation.time"
        turn.say(turn.t("Back to the booking: {area} at {center}, {when}.", area=area_name(v["area"], turn.lang),
                        center=center.name, when=format_datetime(starts_at, turn.lang, center.tz)))
    else:
        turn.say(turn.t("Back to the booking."))
    return f"book_consultation.{step}" if step else "book_consultation"


async def _revise_when(turn: Turn) -> Any:
    """"eh jam 10 aja deh" at the phone question: the held time is let go and the day step reads
    the change (a new time is held there, or the times of the new day are offered); the details
    already given are not asked again."""
    v = turn.values
    center = await _center(turn)
    if center is None:
        return "center"
    when = read_when(turn, center.tz, expect_time=True)
    v.pop("slot", None)
    await svc.release_holds(turn.session, turn.user.id)
    _remember_when(v, when)  # a time alone is on the day already chosen
    return "day"


def _prompt_phone(turn: Turn) -> None:
    turn.say(Reply(
        text=turn.t("Which phone number can the consultant reach you on? Press the button to share it, or type it."),
        request_contact=True,
    ))


@action("booking.consent")
async def ask_consent(turn: Turn) -> Any:
    v = turn.values
    if turn.first_call:
        if turn.user.consent_at is not None:
            v["consent_at"] = turn.user.consent_at.isoformat()
            return None
        _prompt_consent(turn)
        return WAIT
    answer = yes_no(turn)
    if answer == "yes":
        turn.user.consent_at = turn.now
        v["consent_at"] = turn.now.isoformat()
        return None
    if answer == "no":
        await svc.release_holds(turn.session, turn.user.id)
        turn.say(turn.t("Understood. Without your consent we cannot keep a booking, so nothing was booked. You can still visit the center or ask me questions."))
        return "main_menu.menu"
    _prompt_consent(turn)
    return WAIT


def _prompt_consent(turn: Turn) -> None:
    turn.say(Reply(
        text=turn.t("To book, we keep your name, business and phone number so the PLUT consultant can prepare and contact you about this consultation, and for nothing else (UU PDP). Do you agree?"),
        buttons=[Button(turn.t("Yes, I agree"), YES.pack()), Button(turn.t("No"), NO.pack())],
    ))


def _summary(turn: Turn, center: Center, starts_at: datetime, *, ref: str | None = None) -> str:
    v = turn.values
    lines = [turn.t("Booking {ref}", ref=ref) if ref else turn.t("Your booking:")]
    lines.append(turn.t("• Center: {center}", center=center.name))
    lines.append(turn.t("• Service: {area}", area=area_name(v.get("area", ""), turn.lang)))
    lines.append(turn.t("• Time: {when}", when=format_datetime(starts_at, turn.lang, center.tz)))
    who = v.get("name", "")
    if v.get("business_name"):
        who += f" — {v['business_name']}"
    if v.get("business_kind"):
        who += f" ({v['business_kind']})"
    lines.append(turn.t("• Name: {who}", who=who))
    lines.append(turn.t("• Phone: {phone}", phone=v.get("phone", "-")))
    return "\n".join(lines)


@action("booking.confirm")
async def confirm(turn: Turn) -> Any:
    v = turn.values
    center = await _center(turn)
    starts_at = _slot_dt(v.get("slot"))
    if center is None or starts_at is None:
        return "center" if center is None else "day"
    if turn.first_call:
        _prompt_confirm(turn, center, starts_at)
        return WAIT
    picked = _slot_dt(_button_payload(turn, "time"))
    if picked is not None:
        if await _try_hold(turn, center, picked):
            _prompt_confirm(turn, center, _slot_dt(v["slot"]))  # type: ignore[arg-type]
        return WAIT
    picked_day = _button_payload(turn, "day")
    if picked_day:
        v["day"] = picked_day
        await _prompt_time(turn, center)
        return WAIT
    answer = yes_no(turn)
    if answer is None:
        if await _move_before_booking(turn, center, starts_at):
            return WAIT
        turn.say(turn.t("Please answer Yes to book or No to stop."))
        _prompt_confirm(turn, center, starts_at)
        return WAIT
    if answer == "no":
        await svc.release_holds(turn.session, turn.user.id)
        turn.say(turn.t("Alright, nothing was booked."))
        return "main_menu.menu"
    request = svc.BookingRequest(
        user_id=turn.user.id, center_code=center.code, area=v["area"], starts_at=starts_at, name=v.get("name", "")[:128] or "-",
        business_name=v.get("business_name"), business_kind=v.get("business_kind"), phone=v.get("phone"),
        consent_at=datetime.fromisoformat(v["consent_at"]) if v.get("consent_at") else turn.now, language=turn.lang,
    )
    try:
        booking = await svc.book(turn.session, request, now=turn.now)
    except (SlotTaken, SlotUnavailable) as exc:
        if isinstance(exc, SlotTaken):
            turn.say(turn.t("We are sorry: someone booked {when} a moment before you.", when=format_datetime(starts_at, turn.lang, center.tz)))
        else:
            turn.say(turn.t("{when} can no longer be booked.", when=format_datetime(starts_at, turn.lang, center.tz)))
        v.pop("slot", None)
        await _offer_nearest(turn, center, starts_at)
        return WAIT
    context.remember(turn, booking=booking.ref, center=center.code, last="booking")
    turn.say(turn.t("Your consultation is booked. Your booking code is {ref}. The consultant will confirm it; consultations at PLUT are free.", ref=booking.ref))
    turn.say(Reply(
        text=_summary(turn, center, booking.starts_at, ref=booking.ref),
        buttons=[Button(turn.t("My bookings"), StartFlow("my_bookings").pack()), Button(turn.t("Main menu"), StartFlow("main_menu").pack())],
    ))
    turn.say(Reply(document=_ics_document(turn, booking, center)))
    return END


async def _move_before_booking(turn: Turn, center: Center, starts_at: datetime) -> bool:
    """A day or time typed at the summary ("OK. Could you move it to Friday at 10?") is a
    change, not a yes: hold the new time, or offer the times of the new day. False when the
    message names no day or time."""
    when = read_when(turn, center.tz)
    if when.empty or when.problem in ("bad_time", "bad_date"):
        return False
    v = turn.values
    if when.asks:
        _ask_which_day(turn, list(when.choices), conflict=when.problem == "conflict")
        return True
    zone = ZoneInfo(center.tz)
    day = when.day or starts_at.astimezone(zone).date()
    if when.time is None:
        v["day"] = day.isoformat()
        if when.period:
            v["want_period"] = when.period
        await _prompt_time(turn, center)
        return True
    if await _try_hold(turn, center, datetime.combine(day, when.time, tzinfo=zone).astimezone(UTC)):
        _prompt_confirm(turn, center, _slot_dt(v["slot"]))  # type: ignore[arg-type]
    return True


def _prompt_confirm(turn: Turn, center: Center, starts_at: datetime) -> None:
    turn.say(Reply(
        text=_summary(turn, center, starts_at) + "\n\n" + turn.t("Shall I book it?"),
        buttons=[Button(turn.t("Yes, book it"), YES.pack()), Button(turn.t("No"), NO.pack())],
    ))


def _ics_document(turn: Turn, booking: Booking, center: Center) -> Document:
    """The booking's calendar file as it stands (`notices.calendar_reply`): tentative, confirmed
    or a cancellation."""
    reply = calendar_reply(booking, center, turn.app.i18n.gettext)
    assert reply.document is not None
    return reply.document


# --- my_bookings --------------------------------------------------------------------------------

_CANCEL_WORDS = ("batal", "cancel", "hapus", "gak jadi", "ga jadi", "tidak jadi", "nggak jadi")
_MOVE_WORDS = ("pindah", "resched", "ganti jadwal", "ubah jadwal", "geser", "undur", "majukan", "move", "change the time", "another time", "ganti waktu", "ganti hari")


@action("booking.my_start")
async def my_start(turn: Turn) -> Any:
    """Decide between listing, cancelling and moving, from a button's values or the text."""
    v = turn.values
    # The words after a command (`/bookings batalkan PLUT-7K3M`) count once, for this flow only.
    raw = turn.event.text or v.pop("_start_payload", None) or ""
    v["said"] = raw
    text = raw.lower()
    intent = ((turn.parse or {}).get("intent") or {}).get("name")
    op = v.get("op")
    if op not in ("cancel", "reschedule", "list"):
        if intent == "cancel_booking" or any(w in text for w in _CANCEL_WORDS):
            op = "cancel"
        elif intent == "reschedule_booking" or any(w in text for w in _MOVE_WORDS):
            op = "reschedule"
        else:
            op = "list"
    ref = v.get("ref") or _entity_value(turn, "booking_ref") or find_reference(raw)
    ref = find_reference(str(ref)) if ref else None
    if op != "list" and ref is None:
        mine = await svc.user_bookings(turn.session, turn.user.id, now=turn.now)
        if len(mine) == 1:
            ref = mine[0].ref
        else:
            if mine:
                turn.say(turn.t("Which booking do you mean?"))
            op = "list"
    if ref is not None:
        v["ref"] = ref
    v["op"] = op
    return op


@action("booking.list_mine")
async def list_mine(turn: Turn) -> Any:
    mine = await svc.user_bookings(turn.session, turn.user.id, now=turn.now)
    if not mine:
        turn.say(Reply(text=turn.t("You have no upcoming bookings."),
                       buttons=[Button(turn.t("Book a consultation"), StartFlow("book_consultation").pack()),
                                Button(turn.t("Main menu"), StartFlow("main_menu").pack())]))
        return END
    for b in mine[:5]:
        center = await svc.center_info(turn.session, b.center_code)
        tz = center.tz if center else DEFAULT_ZONE
        status = turn.t("confirmed by the consultant") if b.status == "confirmed" else turn.t("waiting for the consultant to confirm")
        turn.say(Reply(
            text=turn.t("{ref}: {area} at {center}\n{when}\nStatus: {status}", ref=b.ref, area=area_name(b.service_area, turn.lang),
                        center=center.name if center else b.center_code, when=format_datetime(b.starts_at, turn.lang, tz), status=status),
            buttons=[Button(turn.t("Reschedule"), StartFlow("my_bookings", {"op": "reschedule", "ref": b.ref}).pack()),
                     Button(turn.t("Cancel"), StartFlow("my_bookings", {"op": "cancel", "ref": b.ref}).pack())],
        ))
    return END


async def _own_booking(turn: Turn) -> tuple[Booking, Center] | None:
    ref = turn.values.get("ref", "")
    try:
        booking = await svc.user_booking(turn.session, turn.user.id, ref)
    except BookingNotFound:
        turn.say(turn.t("I could not find booking {ref} among your bookings. Please check the code.", ref=ref or "-"))
        return None
    center = await svc.center_info(turn.session, booking.center_code) or Center.missing(booking.center_code)
    if booking.status not in ("pending", "confirmed") or booking.ends_at <= turn.now:
        turn.say(turn.t("Booking {ref} is no longer active, so it cannot be changed.", ref=booking.ref))
        return None
    return booking, center


@action("booking.cancel_ask")
async def cancel_ask(turn: Turn) -> Any:
    found = await _own_booking(turn)
    if found is None:
        return "main_menu.menu"
    booking, center = found
    if turn.first_call:
        turn.say(Reply(
            text=turn.t("Cancel booking {ref} on {when}?", ref=booking.ref, when=format_datetime(booking.starts_at, turn.lang, center.tz)),
            buttons=[Button(turn.t("Yes, cancel it"), YES.pack()), Button(turn.t("No, keep it"), NO.pack())],
        ))
        return WAIT
    answer = yes_no(turn)
    if answer is None:
        turn.say(Reply(text=turn.t("Please answer Yes or No."), buttons=[Button(turn.t("Yes, cancel it"), YES.pack()), Button(turn.t("No, keep it"), NO.pack())]))
        return WAIT
    if answer == "no":
        turn.say(turn.t("Alright, booking {ref} stays as it is.", ref=booking.ref))
        return END
    try:
        await svc.cancel_booking(turn.session, user_id=turn.user.id, ref=booking.ref, now=turn.now)
    except BookingError:
        turn.say(turn.t("Booking {ref} is no longer active, so it cannot be changed.", ref=booking.ref))
        return END
    turn.say(Reply(text=turn.t("Booking {ref} is cancelled. The consultant has been told.", ref=booking.ref),
                   buttons=[Button(turn.t("Book another time"), StartFlow("book_consultation", {"center": booking.center_code, "area": booking.service_area}).pack())]))
    turn.say(Reply(document=_ics_document(turn, booking, center)))
    return END


@action("booking.reschedule_start")
async def reschedule_start(turn: Turn) -> Any:
    found = await _own_booking(turn)
    if found is None:
        return "main_menu.menu"
    booking, center = found
    v = turn.values
    v["center"], v["area"] = booking.center_code, booking.service_area
    v.pop("slot", None)
    turn.say(turn.t("Booking {ref} is currently on {when}. Let us find a new time.", ref=booking.ref,
                    when=format_datetime(booking.starts_at, turn.lang, center.tz)))
    text = turn.event.text or v.get("said")
    if text:
        _remember_when(v, read_when(turn, center.tz, text=text))
    return None


@action("booking.reschedule_confirm")
async def reschedule_confirm(turn: Turn) -> Any:
    v = turn.values
    found = await _own_booking(turn)
    if found is None:
        return "main_menu.menu"
    booking, center = found
    new_start = _slot_dt(v.get("slot"))
    if new_start is None:
        return "day"
    buttons = [Button(turn.t("Yes, move it"), YES.pack()), Button(turn.t("No, keep it"), NO.pack())]
    if turn.first_call:
        turn.say(Reply(text=turn.t("Move booking {ref} from {before} to {after}?", ref=booking.ref,
                                   before=format_datetime(booking.starts_at, turn.lang, center.tz),
                                   after=format_datetime(new_start, turn.lang, center.tz)), buttons=buttons))
        return WAIT
    picked = _slot_dt(_button_payload(turn, "time"))
    if picked is not None:
        if await _try_hold(turn, center, picked):
            turn.first_call = True
            return await reschedule_confirm(turn)
        return WAIT
    answer = yes_no(turn)
    if answer is None:
        turn.say(Reply(text=turn.t("Please answer Yes or No."), buttons=buttons))
        return WAIT
    if answer == "no":
        await svc.release_holds(turn.session, turn.user.id)
        turn.say(turn.t("Alright, booking {ref} stays as it is.", ref=booking.ref))
        return END
    try:
        moved = await svc.reschedule_booking(turn.session, user_id=turn.user.id, ref=booking.ref, starts_at=new_start,
                                             now=turn.now)
    except (SlotTaken, SlotUnavailable):
        turn.say(turn.t("We are sorry: someone booked {when} a moment before you.", when=format_datetime(new_start, turn.lang, center.tz)))
        v.pop("slot", None)
        await _offer_nearest(turn, center, new_start)
        return WAIT
    except BookingError:
        turn.say(turn.t("Booking {ref} is no longer active, so it cannot be changed.", ref=booking.ref))
        return END
    turn.say(turn.t("Done: booking {ref} is moved to {when}. The consultant has been told.", ref=moved.ref,
                    when=format_datetime(moved.starts_at, turn.lang, center.tz)))
    turn.say(Reply(document=_ics_document(turn, moved, center)))
    return END


# --- the consultant's buttons -------------------------------------------------------------------


async def _as_consultant(turn: Turn) -> Any:
    consultant = await svc.consultant_for_account(turn.session, turn.user.channel, turn.user.external_id)
    if consultant is None:
        turn.say(turn.t("This button is for the consultant of the booking."))
    return consultant


async def _consultant_decides(turn: Turn, use_case: Any) -> Any:
    """Run the consultant's accept or decline on `turn.params["ref"]`; None (after telling
    the consultant why) when the button is not theirs or the booking is no longer active."""
    consultant = await _as_consultant(turn)
    if consultant is None:
        return None
    ref = turn.params.get("ref", "")
    try:
        return await use_case(turn.session, consultant_id=consultant.id, ref=ref, now=turn.now)
    except (BookingNotFound, NotTheConsultant):
        turn.say(turn.t("Booking {ref} is not assigned to you.", ref=ref))
    except InvalidTransition:
        turn.say(turn.t("Booking {ref} is no longer active.", ref=ref))
    return None


@action("booking.accept")
async def accept(turn: Turn) -> Any:
    booking = await _consultant_decides(turn, svc.accept_booking)
    if booking is not None:
        turn.say(turn.t("Thank you. Booking {ref} is confirmed and the client has been told.", ref=booking.ref))
    return None


@action("booking.decline")
async def decline(turn: Turn) -> Any:
    outcome = await _consultant_decides(turn, svc.decline_booking)
    if outcome is None:
        return None
    ref = turn.params.get("ref", "")
    if outcome.reassigned_to is not None:
        turn.say(turn.t("Understood. Booking {ref} went to another consultant of the same field.", ref=ref))
    else:
        turn.say(turn.t("Understood. No other consultant is free then, so the client was offered other times.", ref=ref))
    return None
