"""Flow actions for finding a center and reading its details (`flows/find_center.yml`,
`flows/center_details.yml`), and the wording of the answers.

Every time shown for a center is in the center's own zone with its abbreviation; every
missing fact is said to be missing ("not yet available"), never filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz

from bot.domain.centers import Center
from bot.domain.opening_hours import day_name, format_intervals, format_week
from bot.engine.actions import END, WAIT, Next, Turn, action
from bot.engine.events import Button, Reply, Venue
from bot.domain.zones import zone_abbreviation
from bot.payloads import Answer, RunAction, StartFlow, answer_value
from bot.i18n import format_number
from bot.services.centers import (
    CenterDirectory,
    Nearby,
    center_directory,
    centers_for_place,
    nearest_centers,
)
from bot.services.consultation import bookable_codes
from bot.services.gazetteer import Gazetteer, Place, Resolution
from bot.dialogue import context
from bot.dialogue.consultation import request_button

Translate = Callable[..., str]
NEAREST_K = 3
FAR_KM = 100
"""Past this, the nearest center is too far for a visit: what can be done from afar is offered."""
PROGRAM_SERVICES = (
    "human resources, production, financing, marketing, institutions, IT development and business networks"
)


# --- wording --------------------------------------------------------------------------------


def km_text(km: float, lang: str) -> str:
    digits = 0 if km >= 100 else 1
    return format_number(round(km, digits), lang, digits)


def hours_today(rec: Center, now: datetime, lang: str, t: Translate) -> str:
    abbr = zone_abbreviation(rec.timezone)
    hours = rec.hours
    if not hours.known:
        return t("Opening hours: not yet available")
    local_day, intervals = hours.on_date(now, rec.timezone)
    day = day_name(local_day.weekday(), lang)
    if not intervals:
        return t("Today ({day}): closed", day=day)
    return t("Today ({day}): {hours}", day=day, hours=format_intervals(intervals, lang, abbr))


def contact_lines(rec: Center, t: Translate) -> list[str]:
    if not rec.has_contact:
        return [t("Contact details not yet available")]
    lines = []
    if rec.phone:
        lines.append(t("Phone: {phone}", phone=rec.phone))
    if rec.whatsapp:
        lines.append(t("WhatsApp: {number}", number=rec.whatsapp))
    if rec.email:
        lines.append(t("E-mail: {email}", email=rec.email))
    return lines


def center_buttons(rec: Center, t: Translate, *, bookable: bool, details: bool = True) -> list[Button]:
    """"Book here" only where the center takes bookings through the bot; elsewhere a
    consultation request to that center's people."""
    first = (Button(t("Book here"), StartFlow("book_consultation", {"center": rec.code}).pack()) if bookable
             else request_button(rec.code, t))
    buttons = [first, Button(t("Directions"), RunAction("centers.directions", {"center": rec.code}).pack())]
    if details:
        buttons.append(Button(t("Details"), RunAction("centers.details", {"center": rec.code}).pack()))
    return buttons


def center_card(rec: Center, km: float | None, n: int | None, now: datetime, lang: str, t: Translate, *, bookable: bool) -> Reply:
    """One center in a results list: name, distance, address, today's hours, contact, map link."""
    head = f"{n}. {rec.name}" if n is not None else rec.name
    if km is not None and km < 1:
        head += " — " + t("less than 1 km in a straight line")
    elif km is not None:
        head += " — " + t("±{km} km in a straight line", km=km_text(km, lang))
    lines = [head]
    if rec.address:
        lines.append(t("Address: {address}", address=rec.address))
    if rec.hours.known:
        lines.append(hours_today(rec, now, lang, t))
    if rec.has_contact:
        lines += contact_lines(rec, t)
    if rec.coord_precision == "regency_seat":
        lines.append(t("Map point: centre of {regency} (approximate; the building's exact location is not yet recorded)", regency=rec.regency or rec.province))
    lines.append(t("Directions: {url}", url=rec.maps_url))
    if not bookable:
        lines.append(t("This center does not take bookings through this chat yet; you can ask it to contact you."))
    return Reply(text="\n".join(lines), buttons=center_buttons(rec, t, bookable=bookable))


def unknown_note(centers: list[Center], t: Translate) -> str | None:
    """One line for what is not recorded of these centers (hours, contact), and how to reach
    them through the bot; None when everything is known. Said once, not on every card."""
    no_hours = any(not rec.hours.known for rec in centers)
    no_contact = any(not rec.has_contact for rec in centers)
    if no_hours and no_contact:
        return t("Opening hours and contact details are not recorded yet. To reach the center, use "
                 "its buttons below, or ask here to talk with a consultant.")
    if no_hours:
        return t("Opening hours are not recorded yet. To reach the center, use its buttons below, "
                 "or ask here to talk with a consultant.")
    if no_contact:
        return t("Contact details are not recorded yet. To reach the center, use its buttons below, "
                 "or ask here to talk with a consultant.")
    return None


def venue(rec: Center) -> Reply:
    return Reply(venue=Venue(rec.latitude, rec.longitude, rec.name, rec.address or rec.regency or rec.province, rec.maps_url))


def results_replies(found: Nearby, header: str, now: datetime, lang: str, t: Translate, bookable: frozenset[str], *, first: int = 1) -> list[Reply]:
    if not found.results:
        return [Reply(text=t("No PLUT centers are recorded yet. Please try again later."))]
    note = unknown_note([rec for rec, _ in found.results], t)
    out = [Reply(text=header + ("\n" + note if note else ""))]
    if found.outside:
        out.append(Reply(text=t("Your location seems to be outside Indonesia or at sea. These are still the nearest PLUT centers, with the honest straight-line distance.")))
    out += [center_card(rec, km, i, now, lang, t, bookable=rec.code in bookable) for i, (rec, km) in enumerate(found.results, first)]
    out.append(venue(found.results[0][0]))
    return out


def details_replies(rec: Center, now: datetime, lang: str, t: Translate, *, bookable: bool) -> list[Reply]:
    abbr = zone_abbreviation(rec.timezone)
    lines = [rec.name]
    if rec.address:
        lines.append(t("Address: {address}", address=rec.address))
    if rec.regency:
        lines.append(t("Area: {regency}, {province}", regency=rec.regency, province=rec.province))
    hours = rec.hours
    if hours.known:
        lines.append(t("Opening hours:"))
        lines += ["  " + line for line in format_week(hours, lang, abbr)]
        lines.append(hours_today(rec, now, lang, t))
    if rec.has_contact:
        lines += contact_lines(rec, t)
    note = unknown_note([rec], t)
    if note:
        lines.append(note)
    if rec.services:
        lines.append(t("Services reported at this center: {services}", services=", ".join(rec.services)))
    lines.append(t("PLUT centers offer free mentoring in {fields}.", fields=t(PROGRAM_SERVICES)))
    if rec.coord_precision == "regency_seat":
        lines.append(t("Map point: centre of {regency} (approximate; the building's exact location is not yet recorded)", regency=rec.regency or rec.province))
    lines.append(t("Directions: {url}", url=rec.maps_url))
    if not bookable:
        lines.append(t("This center does not take bookings through this chat yet; you can ask it to contact you."))
    return [Reply(text="\n".join(lines), buttons=center_buttons(rec, t, bookable=bookable, details=False)), venue(rec)]


def place_header(place: Place, t: Translate) -> list[str]:
    lines = [t("PLUT centers nearest to {place}:", place=place.label)]
    if place.coords == "province_capital":
        lines.insert(0, t("I have no map point for {place} yet, so I measured from {capital}, the provincial capital.", place=place.name, capital=_capital(place)))
    return ["\n".join(lines)]


def _capital(place: Place) -> str:
    prov = Gazetteer.default().provinces.get(place.province_code)
    return prov.seat if prov is not None else place.province


def ambiguity_reply(res: Resolution, t: Translate) -> Reply:
    options = [Button(p.label, Answer("place", p.code).pack()) for p in res.candidates]
    return Reply(text=t("Which place do you mean?"), buttons=options if len(options) <= 3 else [], options=options if len(options) > 3 else [], options_title=t("Choose"))


def unknown_text(query: str, t: Translate) -> str:
    if query:
        return t('I could not find "{query}" among the regencies and cities of Indonesia. Please type the name of your regency or city (for example "Kabupaten Maros"), or share your location.', query=query)
    return t("Please type the name of your regency or city, or share your location.")


# --- helpers over a turn ---------------------------------------------------------------------


def _gazetteer(turn: Turn) -> Gazetteer:
    return Gazetteer.default(turn.app.content_dir / "data")


async def _directory(turn: Turn) -> CenterDirectory:
    return await center_directory(turn.session)


async def _answer_point(turn: Turn, lat: float, lon: float, *, skip: int = 0) -> None:
    directory = await _directory(turn)
    found = nearest_centers(directory, lat, lon, k=NEAREST_K + skip, gazetteer=_gazetteer(turn))
    found = Nearby(found.results[skip:], found.outside)
    bookable = await bookable_codes(turn.session)
    header = (turn.t("PLUT centers nearest to your location:") if not skip
              else turn.t("The next nearest PLUT centers to your location:"))
    if skip and not found.results:
        turn.say(turn.t("Those are all the PLUT centers recorded so far."))
    else:
        for r in results_replies(found, header, turn.now, turn.lang, turn.t, bookable, first=skip + 1):
            turn.say(r)
    context.remember(turn, place={"lat": lat, "lon": lon, "has_center": True, "shown": skip + len(found.results)},
                     last="centers")


async def _answer_place(turn: Turn, place: Place, *, skip: int = 0) -> None:
    directory = await _directory(turn)
    found = centers_for_place(directory, place, k=NEAREST_K + skip)
    found = Nearby(found.results[skip:], found.outside)
    bookable = await bookable_codes(turn.session)
    here = directory.in_region(place.code if place.kind != "provinsi" else place.province_code)
    header = place_header(place, turn.t)[0]
    if skip:
        header = turn.t("The next nearest PLUT centers to {place}:", place=place.label)
    elif not here and found.results:
        nearest, km = found.results[0]
        header = turn.t("There is no PLUT center in {place} yet; the nearest is {center}, ±{km} km away in a straight line.",
                        place=place.name, center=nearest.name, km=km_text(km, turn.lang))
    turn.values["_place"] = place.code
    context.remember(turn, place={"code": place.code, "has_center": bool(here), "shown": skip + len(found.results)},
                     last="centers")
    if skip and not found.results:
        turn.say(turn.t("Those are all the PLUT centers recorded so far."))
        return
    for r in results_replies(found, header, turn.now, turn.lang, turn.t, bookable, first=skip + 1):
        turn.say(r)
    if not skip and not here and found.results and found.results[0][1] >= FAR_KM:
        turn.say(from_afar(found.results[0][0], turn.t))


def from_afar(nearest: Center, t: Translate) -> Reply:
    """What can be done without travelling, when the nearest center is far."""
    return Reply(
        text=t("From where you are, you can also ask {center} to contact you (a consultation request), or talk to a consultant here in the chat.", center=nearest.name),
        buttons=[request_button(nearest.code, t), Button(t("Talk to a consultant"), StartFlow("talk_to_consultant").pack())],
    )


async def _answer_resolution(turn: Turn, res: Resolution, raw: str = "") -> Next:
    """Answer a typed place: results, a question, or an apology. Returns where to go next."""
    if res.status == "match" and res.place is not None:
        await _answer_place(turn, res.place)
        return END
    if res.status == "ambiguous":
        turn.values["_place_candidates"] = [p.code for p in res.candidates]
        return "choose"
    await _unknown_place(turn, raw.strip()[:60] if res.query else "")
    return WAIT


async def _unknown_place(turn: Turn, query: str) -> None:
    """A place the gazetteer does not know: said plainly, with a way forward (the provinces
    that have a center, the location button) instead of the same question again. A second
    miss in a row is said more shortly, so the chat never shows the same message twice."""
    misses = int(turn.values.get("_place_misses", 0)) + 1
    turn.values["_place_misses"] = misses
    directory = await _directory(turn)
    gaz = _gazetteer(turn)
    codes = sorted({(c.regency_code or "").split(".")[0] for c in directory.centers if c.regency_code})
    provinces = sorted((p for p in (gaz.provinces.get(code) for code in codes) if p is not None), key=lambda p: p.name)
    options = [Button(p.name, Answer("place", p.code).pack()) for p in provinces]
    if not query:
        text = unknown_text("", turn.t)
    elif misses == 1:
        text = turn.t('I could not find "{query}" among the regencies and cities of Indonesia. Type your regency, city '
                      'or province (for example "Kabupaten Maros" or "Bali"), choose your province from the list, or '
                      'share your location.', query=query)
    else:
        text = turn.t('"{query}" is not on my list either. The easiest way: share your location with the button, or '
                      'choose your province from the list.', query=query)
    turn.say(Reply(text=text, request_location=True, options=options, options_title=turn.t("Provinces")))


def _entity_city(turn: Turn) -> str | None:
    for ent in (turn.parse or {}).get("entities") or []:
        if ent.get("entity") in ("city", "place", "location", "regency") and ent.get("value"):
            return str(ent["value"])
    return None


# --- actions ----------------------------------------------------------------------------------


@action("centers.start")
async def start(turn: Turn) -> Next:
    """The flow's first step: answer at once when the first message already says where."""
    event = turn.event
    if event.location is not None:
        await _answer_point(turn, event.location.latitude, event.location.longitude)
        return END
    gaz = _gazetteer(turn)
    for text in (turn.values.get("place"), turn.values.get("_start_payload"), _entity_city(turn), event.text):
        if not text or not str(text).strip():
            continue
        res = gaz.resolve(str(text))
        if res.status in ("match", "ambiguous"):
            nxt = await _answer_resolution(turn, res)
            return nxt
    return None


@action("centers.lookup")
async def lookup(turn: Turn) -> Next:
    """After the `where` question: a shared location or a typed place. A place it does not
    know gets `_unknown_place` and waits here for the next try, instead of asking again."""
    where: dict[str, Any] = turn.values.get("where") or {}
    if not turn.first_call:
        event = turn.event
        if event.location is not None:
            where = {"latitude": event.location.latitude, "longitude": event.location.longitude}
        else:
            where = {"text": event.text or "", "button": event.button}
    if "latitude" in where:
        turn.values.pop("_place_misses", None)
        await _answer_point(turn, float(where["latitude"]), float(where["longitude"]))
        return END
    text = where.get("text") or ""
    code = answer_value(where.get("button"), "place")
    if code is not None:
        place = _gazetteer(turn).get(code)
        if place is not None:
            turn.values.pop("_place_misses", None)
            await _answer_place(turn, place)
            return END
    res = _gazetteer(turn).resolve(text)
    # "oke deh mksh" typed at "where are you?" is thanks, not a place (the parse is of the text just typed)
    if res.status == "unknown" and (not turn.first_call or text == (turn.event.text or "")) and await _elsewhere(turn):
        return None
    nxt = await _answer_resolution(turn, res, text)
    if nxt is not WAIT:
        turn.values.pop("_place_misses", None)
    return nxt


async def _elsewhere(turn: Turn) -> bool:
    """Not a place but a confident request for something else ("mau booking aja"): start it."""
    intent = (turn.parse or {}).get("intent") or {}
    name = str(intent.get("name") or "")
    if not name or name in ("find_center", "share_location", "nlu_fallback") or intent.get("confidence", 0.0) < turn.app.nlu_threshold:
        return False
    flow = turn.app.flows.by_intent(name) or (turn.app.flows.by_intent(name.split("/", 1)[0]) if "/" in name else None)
    if flow is None or flow.flow == "find_center":
        return False
    turn.values.pop("_place_misses", None)
    await turn.app.engine.start_flow(turn, flow.flow)
    return True


@action("centers.choose")
async def choose(turn: Turn) -> Next:
    """Ask which of a few places the user means (Kabupaten vs Kota Semarang), then answer."""
    gaz = _gazetteer(turn)
    codes: list[str] = list(turn.values.get("_place_candidates") or [])
    candidates = [p for p in (gaz.get(c) for c in codes) if p is not None]
    if turn.first_call:
        turn.say(ambiguity_reply(Resolution("ambiguous", "", None, tuple(candidates)), turn.t))
        return WAIT
    event = turn.event
    if event.location is not None:
        await _answer_point(turn, event.location.latitude, event.location.longitude)
        return END
    picked: Place | None = None
    if answer_value(event.button, "place") is not None:
        picked = gaz.get(answer_value(event.button, "place") or "")
    elif event.text:
        picked = _pick(event.text, candidates, gaz)
        if picked is None:
            res = gaz.resolve(event.text)
            if res.status == "match":
                picked = res.place
            elif res.status == "ambiguous":
                turn.values["_place_candidates"] = [p.code for p in res.candidates]
                turn.say(ambiguity_reply(res, turn.t))
                return WAIT
    if picked is None:
        turn.say(ambiguity_reply(Resolution("ambiguous", "", None, tuple(candidates)), turn.t))
        return WAIT
    turn.values.pop("_place_candidates", None)
    await _answer_place(turn, picked)
    return END


def _pick(text: str, candidates: list[Place], gaz: Gazetteer) -> Place | None:
    """Which candidate an answer names: "kota", "kab", "1"/"2", or a (mistyped) name."""
    low = text.strip().lower()
    if low.isdigit() and 1 <= int(low) <= len(candidates):
        return candidates[int(low) - 1]
    res = gaz.resolve(text)
    if res.status == "match" and res.place is not None and res.place.code in {c.code for c in candidates}:
        return res.place
    words = set(low.replace(".", " ").split())
    kind = "kota" if words & {"kota", "city", "kodya", "kotamadya"} else "kabupaten" if words & {"kab", "kabupaten", "regency"} else None
    if kind is not None:
        same = [c for c in candidates if c.kind == kind]
        if len(same) == 1:
            return same[0]
    scored = sorted(((fuzz.WRatio(low, c.label.lower()), c) for c in candidates), key=lambda x: -x[0])
    if scored and scored[0][0] >= 90 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 5):
        return scored[0][1]
    return None


@action("centers.directions")
async def directions(turn: Turn) -> Next:
    """The "Directions" button: the center as a map pin, and the link."""
    directory = await _directory(turn)
    rec = directory.by_code.get(turn.params.get("center", ""))
    if rec is None:
        turn.say(turn.t("Sorry, I could not find that center any more."))
        return None
    turn.say(venue(rec))
    turn.say(Reply(text=turn.t("Directions to {name}: {url}", name=rec.name, url=rec.maps_url)))
    return None


@action("centers.details")
async def details(turn: Turn) -> Next:
    """A center's address, hours, contact and services: from a button, or "alamat PLUT Maros"."""
    directory = await _directory(turn)
    code = turn.params.get("center") or turn.values.get("center")
    if code:
        rec = directory.by_code.get(str(code))
        if rec is None:
            turn.say(turn.t("Sorry, I could not find that center any more."))
            return END
        for r in details_replies(rec, turn.now, turn.lang, turn.t, bookable=rec.code in await bookable_codes(turn.session)):
            turn.say(r)
        context.remember(turn, center=rec.code, last="hours")
        return END
    gaz = _gazetteer(turn)
    for text in (turn.values.get("place"), turn.values.get("_start_payload"), _entity_city(turn), turn.event.text):
        if not text:
            continue
        res = gaz.resolve(str(text))
        if res.status == "ambiguous":
            turn.values["_place_candidates"] = [p.code for p in res.candidates]
            return "find_center.choose"
        if res.status != "match" or res.place is None:
            continue
        place = res.place
        here = directory.in_region(place.code if place.kind != "provinsi" else place.province_code)
        if len(here) == 1:
            for r in details_replies(here[0], turn.now, turn.lang, turn.t, bookable=here[0].code in await bookable_codes(turn.session)):
                turn.say(r)
            context.remember(turn, center=here[0].code, last="hours")
            return END
        if len(here) > 1:
            turn.say(Reply(text=turn.t("Which center do you mean?"), options=[Button(c.name, RunAction("centers.details", {"center": c.code}).pack()) for c in here[:10]], options_title=turn.t("Choose")))
            return END
        await _answer_place(turn, place)
        return END
    return "find_center"
