"""Short follow-ups read against the conversation's context (`bot/dialogue/context.py`).

The engine asks `follow_up` before it reads a free message on its own (no question is
pending). A message is taken here only when it is plainly elliptical and the context holds
what it points at; everything else goes on to the NLU as before:

- the place the user is in: "trus yg paling deket dmn", "nearest one?" → the nearest center
  to the remembered place; "ada yg lain?" → the next nearest ones; "trus sy hrs kmn dong"
  after a place with no center → the nearest center and what can be done from afar;
- the last booking: "konsultannya siapa ya nanti", "who will I meet?" → the consultant of
  that booking (by name, from the booking's record), not the booking card again;
- the last center shown: "sabtu buka ga?", "minggu?", "hari libur buka?", "dinten setu
  bukak?" → that day's opening hours of that center and its consultation hours, or honestly
  that they are not recorded.

`specific_part` is the same reading for the engine's no-repeat rule: when the same long
reply would go out again, the part the message names is answered instead.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.dialogue import context
from bot.dialogue.consultation import request_button
from bot.dialogue.centers import (
    Translate,
    NEAREST_K,
    _answer_place,
    _answer_point,
    _directory,
    _gazetteer,
    center_buttons,
    center_card,
    contact_lines,
    from_afar,
    km_text,
    venue,
)
from bot.domain.areas import SERVICE_AREAS, area_name, area_phrase, problem_area
from bot.domain.answers import free_text_kind
from bot.domain.booking import ACTIVE_STATUSES, BookingNotFound, BookingStatus
from bot.domain.centers import Center
from bot.domain.closed_days import holiday_name
from bot.domain.opening_hours import day_name, format_intervals
from bot.domain.slots import is_national_holiday
from bot.domain.zones import zone_abbreviation
from bot.engine.actions import Turn
from bot.engine.events import Button, Reply
from bot.i18n import format_date, format_datetime
from bot.engine.steps import yes_no
from bot.payloads import PayloadInvalid, StartFlow, parse_payload
from bot.services import booking as svc
from bot.services.centers import centers_for_place, nearest_centers
from bot.services.consultation import bookable_codes
from bot.services.gazetteer import Place

MAX_WORDS = 12
"""A follow-up is short; a longer message says enough to be read on its own."""
FOLLOWS_HOURS_WORDS = 7
"""Right after hours were shown, a day named in a message this short asks about that day ("kalau hari sabtu gimana ya min?")."""

# --- what a message points at ------------------------------------------------------------------

_NEAREST = re.compile(
    r"\b(?:paling\s+(?:de?ke?t|dekat|deket|dkt|deketnya|dekatnya|cedak|cerak|caket|parek)|terdekat|trdekat|terdeket|trdkt|tdkt|"
    r"nearest|closest|near(?:est)?\s+one)\b", re.I)
_OTHERS = re.compile(
    r"\b(?:(?:yg|yang)\s+lain(?:nya)?|plut\s+lain(?:nya)?|lainnya|selain\s+(?:itu|ini)|"
    r"any\s+others?|other\s+(?:ones?|centers?|centres?|options?)|another\s+(?:one|center|centre)|"
    r"next\s+(?:one|nearest)|others)\b", re.I)
_NOT_CENTERS = re.compile(r"\b(?:layanan|service|bidang|program|pelatihan|training|topik|topic|syarat|biaya)\w*", re.I)
_WHERE_TO = re.compile(
    r"\b(?:(?:ha?rus|hrs|musti|mesti|kudu|bisa|bs)\s+(?:ke\s*)?(?:mana|mna|mn|kmn|kemana)|"
    r"ke\s*(?:mana|mna)\s+(?:dong|donk|ya|yah)|kmn\s+(?:dong|donk|ya|yah)|kemana\s+(?:dong|donk|ya|yah)|"
    r"where\s+(?:should|do|can|could)\s+i\s+go|where\s+to\s+go|what\s+(?:should|can|do)\s+i\s+do\s+then)\b", re.I)
_FROM_AFAR = re.compile(
    r"\b(?:from\s+(?:far\s+away|afar|a\s+distance|home)|far\s+away|remotely|online|without\s+(?:going|travell?ing|coming)|"
    r"(?:can'?t|cannot|can\s+not|unable\s+to)\s+(?:go|come|travel|visit)|dari\s+(?:jauh|rumah)|jauh\s+(?:bgt|banget|sekali|amat)|"
    r"(?:ga|gak|gk|nggak|ngga|tidak|tdk|ndak)\s+(?:bisa|bs|sempat|sempet)\s+(?:ke\s*sana|kesana|datang|dateng|dtg)|"
    r"tanpa\s+(?:datang|dateng|ke\s*sana|kesana)|lewat\s+(?:online|chat|wa|hp|telepon|telpon))\b", re.I)
"""Help without travelling ("can I still get help from far away?", "sy ga bisa ke sana, jauh bgt"), asked after a place."""
_CONSULTANT = re.compile(
    r"\b(?:konsultan(?:nya)?\s+(?:siapa|sapa|spa|sp)|(?:siapa|sapa|spa)\s+(?:nama\s+)?konsultan(?:nya)?|"
    r"(?:siapa|sapa)\s+(?:yg|yang)\s+(?:akan\s+|bakal\s+)?(?:nemuin|menemui|ketemu|melayani|layani|handle|dampingi|mendampingi)|"
    r"ketemu\s+(?:sama\s+|sm\s+|dgn\s+|dengan\s+)?(?:siapa|sapa)|nama\s+konsultan(?:nya)?|"
    r"who\s+(?:will|would|do|am|shall)\s+i\s+(?:be\s+)?(?:meet|see|talk|meeting|seeing)|"
    r"who\s+is\s+(?:the|my)\s+consultant|consultant'?s\s+name|name\s+of\s+(?:the|my)\s+consultant)\b", re.I)
_OPEN = re.compile(
    r"\b(?:buka|bukak|bka|bk|open|opens|opened|closed|close|tutup|ttp|libur|operasional|beroperasi|masuk|"
    r"ngantor|jam\s+(?:berapa|brp|bukanya|kerja|operasional|layanan)|hours|layani|melayani)\b", re.I)
_BOOKING = re.compile(r"\b(?:book\w*|pesan|daftar|jadwalin|reservasi|mau\s+konsul\w*|ingin\s+konsul\w*)\b|"
                      r"\b(?:jam|pukul|at)\s*\d|\d\s*(?:am|pm)\b", re.I)
"""A booking asked for ("mau konsultasi pemasaran di PLUT Maros besok jam 10"), not the hours."""
_BOOKING_INTENTS = frozenset({"book_consultation", "reschedule_booking", "cancel_booking", "check_booking"})
_HOLIDAY = re.compile(
    r"\b(?:hari\s+libur|hr\s+libur|tanggal\s+merah|tgl\s+merah|libur\s+nasional|libur\s+lebaran|"
    r"(?:public|national|bank)\s+holidays?|holidays?|lebaran|natal|tahun\s+baru|tanggalan\s+abang|dinten\s+libur)\b", re.I)
_WEEK_NOT_DAY = re.compile(r"\bminggu\s+(?:depan|ini|lalu|kemarin|kmrn|dpn|besok)\b", re.I)
_DAYS = {
    "senin": 0, "snin": 0, "senen": 0, "monday": 0, "mon": 0,
    "selasa": 1, "slasa": 1, "tuesday": 1, "tue": 1,
    "rabu": 2, "rebo": 2, "wednesday": 2, "wed": 2,
    "kamis": 3, "kemis": 3, "thursday": 3, "thu": 3,
    "jumat": 4, "jum'at": 4, "jumaat": 4, "jemuah": 4, "jumuah": 4, "friday": 4, "fri": 4,
    "sabtu": 5, "sbtu": 5, "setu": 5, "saturday": 5, "sat": 5,
    "minggu": 6, "mingu": 6, "ahad": 6, "akad": 6, "sunday": 6, "sun": 6,
}
_WEEKEND = re.compile(r"\b(?:weekend|akhir\s+pekan|akhir\s+minggu|wiken|wikend|sabtu\s+minggu|sabtu-minggu)\b", re.I)
_TODAY = re.compile(r"\b(?:hari\s+ini|hr\s+ini|today|sekarang|skrg|skrng|saiki|dinten\s+punika)\b", re.I)
_TOMORROW = re.compile(r"\b(?:besok|bsk|besuk|tomorrow|sesuk|mbenjang|enjing)\b", re.I)


@dataclass(frozen=True, slots=True)
class Days:
    """The days a message asks about: weekdays, and whether national holidays."""

    weekdays: tuple[int, ...] = ()
    dates: tuple[date, ...] = ()
    holiday: bool = False

    @property
    def empty(self) -> bool:
        return not (self.weekdays or self.dates or self.holiday)


def days_asked(text: str, today: date) -> Days:
    """"sabtu buka ga?" → Saturday; "hari libur buka?" → holidays; "besok buka?" → tomorrow."""
    low = _WEEK_NOT_DAY.sub(" ", text.lower())
    if _HOLIDAY.search(low) and not re.search(r"\b(?:sabtu|minggu|saturday|sunday)\b", low):
        return Days(holiday=True)
    if _WEEKEND.search(low):
        return Days(weekdays=(5, 6))
    if _TODAY.search(low):
        return Days(dates=(today,))
    if _TOMORROW.search(low):
        return Days(dates=(today + timedelta(days=1),))
    found: list[int] = []
    for word in re.findall(r"[a-z']+", low):
        day = _DAYS.get(word)
        if day is not None and day not in found:
            found.append(day)
    return Days(weekdays=tuple(found))


def _next_on(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _short(text: str) -> bool:
    return len(text.split()) <= MAX_WORDS


# --- the hook ------------------------------------------------------------------------------------


async def follow_up(turn: Turn) -> bool:
    """Answer a short message that points at the conversation's context; False when it does
    not (the NLU reads it as usual)."""
    text = (turn.event.text or "").strip()
    if not text or text.startswith("/"):
        return False
    if remote_consultation(turn, text) or _problem_not_menu(turn, text):  # said in a sentence of any length
        return True
    if not _short(text):
        return False
    for handler in (_introduction_first, _thin_yes, _consultant, _day_hours, _too_far, _where_to_go, _nearest, _next_nearest,
                    _new_place, _plut_of_place, _what_now_first):
        if await handler(turn, text):
            turn.params[_ANSWERED] = "1"
            return True
    return False


_GENERIC_INTENTS = frozenset({"greet", "help"})


def _problem_not_menu(turn: Turn, text: str) -> bool:
    """"hi, my cassava chips turn soggy really fast, what can I do": a problem told in plain words
    after a greeting or with "what can I do" reads to the NLU as a greeting or a call for help (the
    menu); it is the problem, routed to its consultant (`needs.problem_reply`)."""
    from bot.dialogue import needs

    intent = (turn.parse or {}).get("intent") or {}
    if (str(intent.get("name") or "") not in _GENERIC_INTENTS or float(intent.get("confidence") or 0.0) < turn.app.nlu_threshold
            or problem_area(text) is None):
        return False  # an unsure reading goes on to the knowledge base ("om swastiastu, … qris kena potongan ga?")
    return needs.problem_reply(turn)


# --- consulting without coming in ------------------------------------------------------------------

_CONSULT = re.compile(r"\b(?:konsul\w*|konsl\w*|consult\w*|ketemu\s+konsultan|tanya\s+konsultan|counsel\w*|advice|advis)\b", re.I)
_REMOTE = re.compile(
    r"\b(?:online|onlen|onlin|daring|zoom|g-?meet|google\s+meet|video\s*call|vidcall|vc|remote|remotely|virtual|virtually|"
    r"jarak\s+jauh|dari\s+rumah|from\s+home|tanpa\s+(?:datang|dateng|ke\s*sana|kesana)|"
    r"(?:ga|gak|gk|nggak|ngga|tdk|tidak)\s+(?:usah|perlu)\s+(?:datang|dateng|ke\s*sana|kesana)|"
    r"without\s+(?:coming|going|visiting|travell?ing)|instead\s+of\s+(?:coming|going|visiting)|"
    r"(?:via|lewat|lwt|pakai|pake|melalui|mlalui|by|over|through|on|using)\s+(?:the\s+)?"
    r"(?:wa|whatsapp|whatsap|watsap|watsapp|telp|telpon|telepon|tlp|phone|video|call|chat|meet))\b", re.I)
"""Ways of consulting without coming in; a phone or WhatsApp only after "via", "lewat", "over"…
("nomor telepon buat konsultasi?" asks for a number, not a way of consulting)."""
_SELLING_ONLINE = re.compile(
    r"\b(?:jual\w*|toko|shop|store|bisnis|usaha|pemasaran|marketing|market|penjualan|sell\w*|sales|promosi|iklan|"
    r"ads|pasar|dagang\w*|business)\s+(?:\w+\s+)?(?:online|onlen|daring|virtual)\b|\bonline\s+(?:shop|store|marketing|business|selling)\b",
    re.I)
""""konsultasi soal jualan online": online is the topic, not the way of consulting."""


def asks_remote_consultation(text: str) -> bool:
    """"bisa konsul online ga?", "can I consult online?", "konsultasinya bisa via zoom/wa?"."""
    words = re.sub(r"[/_]", " ", text)
    return bool(_CONSULT.search(words) and _REMOTE.search(words) and not _SELLING_ONLINE.search(words))


def remote_consultation(turn: Turn, text: str) -> bool:
    """Consulting without coming in: what the bot knows, honestly. The booking it makes is a meeting
    at a center; whether a center consults by video call is not in its data (not guessed). From
    afar there is the consultant in this chat and the consultation request (the center calls
    back); the in-person booking stays a button."""
    if not asks_remote_consultation(text):
        return False
    center = context.recall(turn, "center")
    turn.say(Reply(
        text=turn.t("The bookings I make are for meeting a PLUT consultant in person at a center. Whether a center "
                    "also holds consultations by video call or Zoom is not in my data, so I will not guess. Without "
                    "coming in, you can:\n• talk to a PLUT consultant here in the chat;\n• ask a PLUT center to contact "
                    "you on your phone number (a consultation request)."),
        buttons=[Button(turn.t("Talk to a consultant"), StartFlow("talk_to_consultant").pack()),
                 request_button(str(center), turn.t) if center else
                 Button(turn.t("Request a consultation"), StartFlow("request_consultation").pack()),
                 Button(turn.t("Book in person"), StartFlow("book_consultation", {"center": str(center)} if center else {}).pack())],
    ))
    context.remember(turn, last="remote")
    turn.params[_ANSWERED] = "1"
    return True


# --- "trus gmn?" with nothing said before ------------------------------------------------------------

_WHAT_NOW_ID = re.compile(
    r"^(?:(?:trus|terus|trs|truss|teruss|lalu|jadi|jd|nah|terusnya|trusnya|lantas|(?:abis|habis|hbs)\s+itu)\s*)?"
    r"(?:(?:gmn|gimana|gmana|gmna|gimna|bagaimana|bgmn|piye|kepriye|kumaha|ngapain|gmn\s+caranya|gimana\s+caranya)\s*)?"
    r"(?:dong|donk|nih|ya|yah|min|kak|pak|bu|sih|deh|ini)?$")
_PARTICLE_ONLY = re.compile(r"^(?:dong|donk|nih|ya|yah|min|kak|pak|bu|sih|deh|ini|jadi|jd|nah)$")
"""A particle alone ("ya", "min", "jadi") asks nothing."""
_WHAT_NOW_EN = re.compile(
    r"^(?:ok(?:ay)?\s+|well\s+)?(?:so|and|then|and\s+then|now\s+what|what\s+now|so\s+what(?:\s+now)?|then\s+what|"
    r"so\s+then\s+what|what\s+next|what'?s\s+next|what\s+do\s+i\s+do(?:\s+now)?|so\s+what\s+do\s+i\s+do(?:\s+now)?)$")


def _what_now(text: str) -> str | None:
    """"gmn", "trus?", "terus gimana", "so?", "now what?": asks what comes next, and nothing else. The
    language of the words ("id", "en"), or None."""
    bare = " ".join(re.findall(r"[a-z']+", text.lower()))
    if not bare:
        return None
    if _WHAT_NOW_EN.match(bare):
        return "en"
    if _WHAT_NOW_ID.match(bare) and not _PARTICLE_ONLY.match(bare):
        return "id"
    return None


async def _what_now_first(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """A bare "gmn" / "so?" with nothing before it to follow: what the bot can do, and the menu, in
    the language of the words (a first "so?" tells the language as well as any)."""
    lang = _what_now(text)
    if lang is None or turn.values.get(context.CTX) or turn.values.get(context.KB_LAST):
        return False
    if not turn.user.language_locked and lang != turn.lang:
        turn.user.language = turn.lang = lang
    turn.say(turn.t("I can find the PLUT center nearest to you, book you a free consultation with a PLUT consultant, "
                    "or answer questions about permits, halal, financing and marketing. Choose one of the menu buttons "
                    "below, or type your question."))
    await turn.app.engine.start_flow(turn, "main_menu", step="menu")
    return True


THIN_WORDS = 4
_THANKS = re.compile(r"\b(?:thanks?|thx|thank\s+you|ty|makasih|mksh|makasi|trims|trimakasih|terima\s*kasih|tq|"
                     r"nuwun|hatur|suwun|sip\s+makasih)\b", re.I)
""""ok", "iya boleh", "oke min", "sure": a bare yes, no question of its own."""


async def _thin_yes(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """A bare "ok" / "iya boleh" to what the last turn offered with a question of its own ("Mau
    saya buatkan jadwal konsultasi Produksi?" → the booking, in that field). After a plain answer
    the engine's offer rule (`Engine._take_offer`) reads it instead."""
    if len(text.split()) > THIN_WORDS or _THANKS.search(text) or yes_no(turn) != "yes":
        return False  # "ok thanks", "oke makasih": a goodbye, answered by the thanks flow
    offer = context.recall(turn, "offer")
    if not offer:
        return False
    try:
        parsed = parse_payload(str(offer))
    except PayloadInvalid:
        return False
    if not isinstance(parsed, StartFlow) or turn.app.flows.get(parsed.flow) is None:
        return False
    await turn.app.engine.start_flow(turn, parsed.flow, prefill=dict(parsed.params))
    return True


async def topic_area(turn: Turn) -> str | None:
    """The service area whose consultant serves the topic being discussed."""
    from bot.dialogue import faq

    topic = context.recall(turn, "topic") or str(turn.values.get(faq.KB_LAST) or "").partition("/")[0]
    if not topic:
        return None
    kb = await faq._knowledge(turn)
    known = kb.kb.topics.get(str(topic)) if kb is not None else None
    area = getattr(known, "service_area", None)
    return area if area in SERVICE_AREAS else None


_ANSWERED = "_follow_up"


async def specific_part(turn: Turn) -> bool:
    """The engine's no-repeat rule: the same reply would go out again; answer the part the
    message names (a day, the nearest center, the consultant) when the context has it."""
    text = (turn.event.text or "").strip()
    if not text or turn.params.get(_ANSWERED):
        return False  # the follow-up itself is what would be repeated: the engine's question follows
    for handler in (_consultant, _day_hours, _where_to_go, _nearest, _topic_part, _quoted_part):
        if await handler(turn, text, loose=True):
            return True
    return False


_SEGMENT = re.compile(r"(?<=[.!?])\s+|\n+")
_COMMON = frozenset("""
usaha bisa untuk yang dengan sudah kalau kalo sampai dalam lewat bapak konsultan tidak harus ada apa saja
berapa bagaimana gimana caranya produk pelaku business would could should which there their about
""".split())
MAX_QUOTED = 3


async def _quoted_part(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """The answer about to go out again already holds what the message asks about ("menawi mboten
    gadhah jaminan?" after the KUR requirements, which say what the collateral is): the sentences
    that name the message's words are quoted, instead of asking which part is wanted."""
    sent = set(turn.values.get("_last_out") or [])
    repeated = [r for r in turn.replies if r.text and zlib.crc32(r.text.encode()) in sent]
    words = {w for w in re.findall(r"[^\W\d_]{5,}", text.lower()) if w not in _COMMON}
    if not repeated or not words:
        return False
    segments = [seg.strip() for seg in _SEGMENT.split(repeated[0].text or "") if seg.strip()]
    stems = {w[:6] for w in words}
    hits = [seg for seg in segments if not seg.endswith(":")  # a heading ("Self-declare steps:") says nothing
            and any(tok[:6] in stems for tok in re.findall(r"[^\W\d_]{5,}", seg.lower()))]
    if not hits or len(hits) > MAX_QUOTED or len(hits) == len(segments):
        return False
    turn.say(Reply(text=turn.t("In the answer above: {part}", part=" ".join(hits)), buttons=repeated[0].buttons))
    return True


_CLAUSES = re.compile(r"[,.;?!]|\b(?:terus|trus|trs|lalu|kalo|kalau|klo|and|then|but|tapi|tp)\b", re.I)


async def _topic_part(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """The part of the remembered knowledge topic the message names ("dokumennya apa aja",
    "biayanya?"), read with the topic's name added, when that answer is not the one just sent."""
    from bot.dialogue import faq

    topic = str(turn.values.get(faq.KB_LAST) or "").partition("/")[0]
    kb = await faq._knowledge(turn) if topic else None
    if kb is None or topic not in kb.kb.topics:
        return False
    name = kb.kb.topics[topic].names[0]
    sent = set(turn.values.get("_last_out") or [])
    # the part is often one clause of the message ("KUR itu apa sih, syaratnya?"): the last first
    clauses = [c.strip() for c in _CLAUSES.split(text) if c and c.strip()]
    for clause in [*reversed(clauses), text] if len(clauses) > 1 else [text]:
        found = kb.answer(f"{clause} {name}", turn.lang, remembered_topic=topic)
        if (found is not None and not found.unanswered and found.topic == topic and found.aspect != "overview"
                and zlib.crc32(found.text.encode()) not in sent):
            break
    else:
        return False
    buttons = [Button(title=f.title, payload=p) for f in found.follow_ups if (p := faq.resolve_payload(turn.app, f.payload))]
    turn.say(Reply(text=found.text, buttons=buttons))
    turn.values[faq.KB_LAST] = f"{topic}/{found.aspect}"
    return True


# --- the place the user is in -------------------------------------------------------------------


def _names_a_place(turn: Turn, text: str) -> bool:
    return _gazetteer(turn).resolve(text).status != "unknown"


async def _nearest(turn: Turn, text: str, *, loose: bool = False) -> bool:
    place = context.recall(turn, "place")
    if not place or not _NEAREST.search(text) or _names_a_place(turn, text):
        return False
    best = await _nearest_of(turn, place, skip=0)
    if best is None:
        return False
    rec, km, label = best
    bookable = rec.code in await bookable_codes(turn.session)
    # said once: right after the centers were listed (with "no PLUT here" and what to do from afar), not again
    none_here = context.recall(turn, "last") != "centers" and not await _has_center(turn, place)
    lines = [turn.t("There is no PLUT center in {place} yet; the nearest is {center}, ±{km} km away in a straight line.",
                    place=label, center=rec.name, km=km_text(km, turn.lang)) if none_here else
             turn.t("The nearest PLUT center to {place} is {center}, ±{km} km away in a straight line.",
                    place=label, center=rec.name, km=km_text(km, turn.lang)) if km >= 1 else
             turn.t("The nearest PLUT center to {place} is {center}, less than 1 km away.", place=label, center=rec.name)]
    if rec.address:
        lines.append(turn.t("Address: {address}", address=rec.address))
    lines.append(turn.t("Directions: {url}", url=rec.maps_url))
    turn.say(Reply(text="\n".join(lines), buttons=center_buttons(rec, turn.t, bookable=bookable)))
    turn.say(venue(rec))
    if none_here:
        turn.say(from_afar(rec, turn.t))  # no center where the owner is: what can be done without travelling
    context.remember(turn, center=rec.code, last="centers")
    return True


async def _has_center(turn: Turn, place: dict[str, object]) -> bool:
    """Whether a center lies in the remembered place (a shared point counts as having one)."""
    if "has_center" in place:
        return bool(place["has_center"])
    where = _gazetteer(turn).get(str(place.get("code") or ""))
    if where is None:
        return True
    directory = await _directory(turn)
    codes = {where.code} | ({p.code for p in _gazetteer(turn).resolve(_short_place(where.name)).candidates}
                            if place.get("loose") else set())
    return any(directory.in_region(code) for code in codes)


_TOO_FAR = re.compile(r"\b(?:ja?u+h+\s*(?:bgt|banget|bngt|amat|sekali|bener|nian|pisan|temen)?|kejauhan|jauhnya|"
                      r"adoh|tebih|(?:too|so|very|really)\s+far|that'?s\s+far|far\s+away)\b", re.I)


async def _too_far(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """"jauh bgt" right after the nearest centers: what can be done without travelling."""
    place = context.recall(turn, "place")
    if (not place or context.recall(turn, "last") != "centers" or not _TOO_FAR.search(text)
            or len(text.split()) > 6 or _names_a_place(turn, text)):
        return False
    best = await _nearest_of(turn, place, skip=0)
    if best is None:
        return False
    rec = best[0]
    turn.say(Reply(
        text=turn.t("It is far, yes. Without travelling you can ask {center} to contact you (a consultation request), "
                    "or talk to a consultant here in the chat now.", center=rec.name),
        buttons=from_afar(rec, turn.t).buttons,
    ))
    context.remember(turn, last="centers")
    return True


async def _next_nearest(turn: Turn, text: str, *, loose: bool = False) -> bool:
    place = context.recall(turn, "place")
    last = context.recall(turn, "last")
    if not place or last != "centers" or not _OTHERS.search(text) or len(text.split()) > 6 or _NOT_CENTERS.search(text):
        return False
    skip = int(place.get("shown") or NEAREST_K)
    if place.get("code"):
        where = _gazetteer(turn).get(str(place["code"]))
        if where is None:
            return False
        await _answer_place(turn, where, skip=skip)
    elif "lat" in place:
        await _answer_point(turn, float(place["lat"]), float(place["lon"]), skip=skip)
    else:
        return False
    return True


async def _where_to_go(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """"trus sy hrs kmn dong" after a place with no center: the nearest one, and what can be
    done from afar."""
    place = context.recall(turn, "place")
    if not place or not (_WHERE_TO.search(text) or _FROM_AFAR.search(text)) or _names_a_place(turn, text):
        return False
    best = await _nearest_of(turn, place, skip=0)
    if best is None:
        return False
    rec, km, label = best
    bookable = rec.code in await bookable_codes(turn.session)
    if place.get("has_center", True):
        turn.say(turn.t("The nearest PLUT center to {place} is {center}, ±{km} km away in a straight line.",
                        place=label, center=rec.name, km=km_text(km, turn.lang)))
    else:
        turn.say(turn.t("There is no PLUT center in {place}, so the closest one to go to is {center}, ±{km} km away "
                        "in a straight line. Much can be done without travelling:",
                        place=label, center=rec.name, km=km_text(km, turn.lang)))
    turn.say(center_card(rec, km, None, turn.now, turn.lang, turn.t, bookable=bookable))
    turn.say(Reply(
        text=turn.t("Without travelling: ask {center} to contact you (a consultation request), or talk to a consultant "
                    "here in the chat now.", center=rec.name),
        buttons=from_afar(rec, turn.t).buttons,
    ))
    context.remember(turn, center=rec.code, last="centers")
    return True


_LOCATIVE = re.compile(r"\b(?:di|dr|dari|in|at|from|near|dkt|deket|dekat)\b", re.I)
_WHAT_ABOUT = re.compile(r"\b(?:what|how)\s+about\b|\b(?:klo|kalo|kalau|kl|gimana|gmn|bagaimana|and)\b", re.I)
"""Asking about another place ("what about Merauke", "klo pangkep?"): counts only for a place other than the remembered one."""
_PLACE_INTENTS = frozenset({"find_center", "share_location", "center_details"})


async def _new_place(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """"eh salah, sy di maros" after a place: the new place replaces the old one and is answered,
    though the sentence alone was not clear enough to start the search."""
    place = context.recall(turn, "place")
    locative = bool(_LOCATIVE.search(text))
    if not place or not (locative or _WHAT_ABOUT.search(text)):
        return False
    intent = (turn.parse or {}).get("intent") or {}
    confident = float(intent.get("confidence") or 0.0) >= turn.app.nlu_threshold
    if confident and intent.get("name") not in _PLACE_INTENTS:
        return False
    res = _gazetteer(turn).resolve(text)
    if res.status != "match" or res.place is None:
        return False
    if not locative and res.place.code == place.get("code"):
        return False  # "alamat plut sleman dimana ya, kalau hari sabtu?" after Sleman asks about the day
    await _answer_place(turn, res.place)
    return True


_PLUT_OF = re.compile(r"\b(?:plut(?:-kumkm)?|sentra|center|centre)\s+(?:(?:di|in|at|of|d)\s+)?((?:kab(?:upaten)?\.?\s+|kota\s+)?"
                      r"[^\W\d_]+(?:\s+[^\W\d_]+){0,2})", re.I)


_WHICH_SERVICES = re.compile(r"\b(?:apa\s+(?:aja|saja|sj|aj)|apa2|apa-apa|layanan\w*|program\w*|what|which|services?)\b", re.I)


async def _plut_of_place(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """"plut bitung bs bantu ga?": the PLUT of a named place, asked about in a few words, is that
    place's answer (its center, or that there is none yet, the nearest and what can be done from
    afar), not the overview of PLUT. Words after "plut" are looked up, longest first; only an
    unambiguous place counts."""
    m = _PLUT_OF.search(text)
    if m is None or _WHICH_SERVICES.search(text):
        return False  # "plut sleman bantu apa aja?" asks for the services: the overview answers it
    intent = (turn.parse or {}).get("intent") or {}
    if (float(intent.get("confidence") or 0.0) >= turn.app.nlu_threshold and str(intent.get("name") or "") != "faq/services"
            or _BOOKING.search(text)):
        return False  # "plut morotai ada?" is the find-a-center flow's, "mau konsul di plut sleman" the booking's
    words = m.group(1).split()
    for n in range(len(words), 0, -1):
        said = " ".join(words[:n])
        res = _gazetteer(turn).resolve(said)
        # the place's own name, not a near spelling: "plut niku mbayar mboten" names no place
        if (res.status == "match" and res.place is not None
                and _short_place(res.place.name).lower() == _short_place(said.title()).lower()):
            await _answer_place(turn, res.place)
            return True
    return False


# "sy jualan keripik di maros, mau tanya soal halal": a place said in passing, after a locative word.
_MENTION = re.compile(r"\b(?:di|dr|dari|in|from|near|dkt|deket|dekat)\s+((?:kab(?:upaten)?\.?\s+|kota\s+)?[^\W\d_]+(?:\s+[^\W\d_]+){0,2})",
                      re.I)


def remember_mentioned_place(turn: Turn) -> None:
    """After a turn: a regency or city the user named in passing ("... di maros, ...") becomes the
    place the user is in, when none is remembered yet, so a later "plut terdekat dmn ya" needs no
    second question. Only the words right after a locative are looked up, longest first, and only
    an unambiguous match counts."""
    if context.recall(turn, "place") or turn.event.location is not None:
        return
    found = _mentioned(turn, turn.event.text or "")
    if found is not None:
        place, loose = found
        context.remember(turn, place={"code": place.code, "shown": 0, **({"loose": True} if loose else {})})


TWIN_KM = 40.0
"""A city and the regency of the same name ("Pekalongan", "Malang") lie this close: for the
nearest center either will do."""


def mentioned_place(turn: Turn, text: str) -> Place | None:
    """The regency or city a message names after a locative ("... di maros, ...", "in Kendari").
    A name shared by a city and its regency ("batik in Pekalongan") is the city, said by its
    bare name (`place_label`), as both have the same nearest centers."""
    found = _mentioned(turn, text)
    return found[0] if found is not None else None


def _mentioned(turn: Turn, text: str) -> tuple[Place, bool] | None:
    """The place mentioned, and whether it stands for a city and its regency ("in Pekalongan",
    not "di kota pekalongan")."""
    if not text or text.startswith("/") or len(text) > 500:
        return None
    gaz = _gazetteer(turn)
    from bot.nlu.normalise import normalise

    # raw first ("di Kota Pekalongan"), then as the normaliser reads regional words ("nang solo", "saking bantul")
    for found in [*_MENTION.finditer(text), *_MENTION.finditer(normalise(text))]:
        words = found.group(1).split()
        for size in range(len(words), 0, -1):
            res = gaz.resolve(" ".join(words[:size]))
            if res.status == "match" and res.place is not None:
                return res.place, False
            if res.status == "ambiguous" and _twins(res.candidates):
                return res.candidates[0], True
    return None


def _twins(candidates: Sequence[Place]) -> bool:
    from bot.domain.geo import haversine_km

    if len(candidates) != 2 or len({_short_place(p.name) for p in candidates}) != 1:
        return False
    a, b = candidates
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return False
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) <= TWIN_KM


def place_label(turn: Turn, remembered: dict[str, object], place: Place) -> str:
    """How a remembered place is named: its bare name when it stands for a city and its regency."""
    return _short_place(place.name) if remembered.get("loose") else place.name


_GREETING = re.compile(r"^\W*(?:hi|hii+|hello|hallo|halo|haloo+|hai|hey|helo|pagi|siang|sore|malam|selamat\s+\w+|"
                       r"assalamu\W?alaikum|assalamualaikum|ass?alamu'?alaikum|permisi|punten|good\s+\w+)\b", re.I)


def introduction(turn: Turn) -> bool:
    """"hi, I run a small coffee shop in Kendari": no question yet, only who and where. The
    place is noted, and what the bot can do is offered, starting with the center nearest to it.
    False when the message names no place."""
    text = turn.event.text or ""
    place = mentioned_place(turn, text)
    if place is None:
        return False
    lines = [turn.t("Hello!")] if _GREETING.search(text) else []
    lines.append(turn.t("Noted: you are in {place}. I can find the PLUT center nearest to you, book you a free "
                        "consultation, or answer questions about business permits (NIB), halal certification, "
                        "financing (KUR) and marketing. What would you like to do?", place=_short_place(place.name)))
    turn.say(Reply(text=" ".join(lines), buttons=[
        Button(turn.t("Centers near {place}", place=_short_place(place.name)),
               StartFlow("find_center", {"place": place.name}).pack()),
        Button(turn.t("Book a consultation"), StartFlow("book_consultation").pack()),
        Button(turn.t("Ask a question"), StartFlow("ask_question").pack()),
    ]))
    return True


_SELF = re.compile(
    r"\b(?:sy|saya|aku|aq|gw|gue|kami|i|we)\b.{0,40}?\b(?:jualan|jual|usaha|bikin|produksi|punya|buka|dagang|"
    r"sell|run|make|own|have|produce|bake|brew)\b|\busaha\s+(?:sy|saya|aku|kami)\b", re.I)
_ASKS_SELLING = re.compile(
    r"\b(?:sepi|laku|laris|online|onlen|promosi|pemasaran|marketing|pembeli|buyers?|customers?|iklan|ads|"
    r"market\w*|more|omzet|omset|ekspor|export)\b", re.I)
_INTRO_INTENTS = frozenset({"faq/marketing", "greet", "help", "out_of_scope"})


async def _introduction_first(turn: Turn, text: str, *, loose: bool = False) -> bool:
    """"Good morning! I sell handmade soap in Bantul": who and where, no question yet. The verb
    of selling makes the NLU lean to marketing; unless the message asks about selling, it is
    the introduction (`introduction`)."""
    if "?" in text or free_text_kind(text) is not None or not _SELF.search(text) or _ASKS_SELLING.search(text):
        return False
    intent = (turn.parse or {}).get("intent") or {}
    if (float(intent.get("confidence") or 0.0) >= turn.app.nlu_threshold
            and str(intent.get("name") or "") not in _INTRO_INTENTS):
        return False
    return introduction(turn)


def _short_place(name: str) -> str:
    return re.sub(r"^(?:Kabupaten|Kota)\s+", "", name)


async def _nearest_of(turn: Turn, place: dict[str, object], *, skip: int) -> tuple[Center, float, str] | None:
    directory = await _directory(turn)
    code = place.get("code")
    if code:
        where = _gazetteer(turn).get(str(code))
        if where is None:
            return None
        found = centers_for_place(directory, where, k=skip + 1)
        label = place_label(turn, place, where)
    else:
        lat, lon = place.get("lat"), place.get("lon")
        if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)):
            return None
        found = nearest_centers(directory, float(lat), float(lon), k=skip + 1, gazetteer=_gazetteer(turn))
        label = turn.t("your location")
    if len(found.results) <= skip:
        return None
    rec, km = found.results[skip]
    return rec, km, label


# --- the consultant of the last booking ---------------------------------------------------------


async def _consultant(turn: Turn, text: str, *, loose: bool = False) -> bool:
    if not _CONSULTANT.search(text):
        return False
    ref = context.recall(turn, "booking")
    booking = None
    if ref:
        try:
            booking = await svc.user_booking(turn.session, turn.user.id, str(ref))
        except BookingNotFound:
            booking = None
    if booking is not None:
        center = await svc.center_info(turn.session, booking.center_code)
        names = await svc.consultant_names(turn.session, consultant_id=booking.consultant_id)
        where = center.name if center is not None else booking.center_code
        tz = center.tz if center is not None else "Asia/Jakarta"
        area = area_name(booking.service_area, turn.lang)
        if booking.status not in ACTIVE_STATUSES:
            turn.say(turn.t("Booking {ref} is no longer active, so no consultant is expecting you.", ref=booking.ref))
        elif names:
            lines = [turn.t("For booking {ref} ({area}, {when}) you will meet {name}, the consultant for {field} at {center}.",
                            ref=booking.ref, area=area, field=area_phrase(booking.service_area, turn.lang), when=format_datetime(booking.starts_at, turn.lang, tz),
                            name=names[0], center=where)]
            if booking.status == BookingStatus.PENDING:
                lines.append(turn.t("The consultant has not confirmed yet; you will get a message here when they do."))
            turn.say(Reply(text="\n".join(lines), buttons=[Button(turn.t("My bookings"), StartFlow("my_bookings").pack())]))
        else:
            turn.say(turn.t("The name of the consultant for booking {ref} is not recorded; the consultant for {area} at "
                            "{center} will receive you.", ref=booking.ref, area=area_phrase(booking.service_area, turn.lang),
                            center=where))
        context.remember(turn, last="consultant")
        return True
    code = context.recall(turn, "center")
    if not code:
        return False
    center = await svc.center_info(turn.session, str(code))
    if center is None:
        return False
    names = await svc.consultant_names(turn.session, center_code=center.code)
    if names:
        turn.say(Reply(
            text=turn.t("The consultants of {center} who take bookings through this chat: {names}. Which one you meet "
                        "depends on the field you book.", center=center.name, names=", ".join(names)),
            buttons=center_buttons(center, turn.t, bookable=True, details=False)[:1],
        ))
    else:
        turn.say(Reply(
            text=turn.t("The consultants of {center} are not recorded in this chat yet. You can ask the center to "
                        "contact you, and one of its consultants will.", center=center.name),
            buttons=center_buttons(center, turn.t, bookable=False, details=False)[:1],
        ))
    context.remember(turn, last="consultant")
    return True


# --- a day's hours of the center shown ----------------------------------------------------------


async def _day_hours(turn: Turn, text: str, *, loose: bool = False) -> bool:
    intent = (turn.parse or {}).get("intent") or {}
    if (_BOOKING.search(text) or days_asked(text, turn.now.date()).empty
            or (intent.get("name") in _BOOKING_INTENTS and float(intent.get("confidence") or 0.0) >= turn.app.nlu_threshold)):
        return False
    center = await _center_meant(turn, text)
    if center is None:
        return False
    tz = center.tz
    today = turn.now.astimezone(ZoneInfo(tz)).date()
    days = days_asked(text, today)
    if days.empty:
        return False
    asked_hours = bool(_OPEN.search(text)) or days.holiday
    follows_hours = context.recall(turn, "last") == "hours" and len(text.split()) <= FOLLOWS_HOURS_WORDS
    if not (asked_hours or follows_hours or loose):
        return False
    lines = await hours_lines(turn, center, days, today)
    note = None if center.hours.known else turn.t("To be sure before you go, ask the center through the buttons below.")
    reply_lines = [*lines, *([note] if note else [])]
    if center.has_contact:
        reply_lines += contact_lines(center, turn.t)
    bookable = center.code in await bookable_codes(turn.session)
    turn.say(Reply(text="\n".join(reply_lines), buttons=center_buttons(center, turn.t, bookable=bookable)))
    context.remember(turn, center=center.code, last="hours")
    return True


async def _center_meant(turn: Turn, text: str) -> Center | None:
    """The center a message names ("plut sleman"), else the one just shown."""
    res = _gazetteer(turn).resolve(text)
    if res.status == "match" and res.place is not None:
        directory = await _directory(turn)
        place = res.place
        here = directory.in_region(place.code if place.kind != "provinsi" else place.province_code)
        if len(here) == 1:
            return here[0]
        if here or res.place.kind != "provinsi":
            return None  # several centers there, or none: the place's own answer says so
    code = context.recall(turn, "center")
    return await svc.center_info(turn.session, str(code)) if code else None


async def hours_lines(turn: Turn, center: Center, days: Days, today: date) -> list[str]:
    """Per day asked: the center's opening hours, or that they are not recorded; and the hours
    its consultants hold (the consultation schedule of this chat)."""
    t, lang = turn.t, turn.lang
    abbr = zone_abbreviation(center.tz)
    schedules, _ = await svc.schedules_for(turn.session, center.code)
    lines: list[str] = []
    dates = list(days.dates) or [_next_on(today, wd) for wd in days.weekdays]
    if not center.hours.known:
        when = t("on national holidays") if days.holiday else _and([day_name(d.weekday(), lang) for d in dates], t)
        lines.append(t("The opening hours of {center} are not recorded yet, so I cannot say for sure whether it is "
                       "open {when}.", center=center.name, when=when if days.holiday else t("on {days}", days=when)))
    if days.holiday:
        lines.append(t("On national holidays there are no consultations at {center}.", center=center.name))
        upcoming = _next_holiday(today)
        if upcoming is not None:
            lines.append(t("The next national holiday: {day} ({name}).",
                           day=format_date(datetime(upcoming.year, upcoming.month, upcoming.day, 12, tzinfo=ZoneInfo(center.tz)), lang, center.tz),
                           name=holiday_name(upcoming, lang) or ""))
        return lines
    working = sorted({w.weekday for s in schedules for w in s.windows})
    for day in dates:
        name = day_name(day.weekday(), lang)
        if center.hours.known:
            intervals = center.hours.on(day.weekday())
            lines.append(t("{day}: {center} is open {hours}.", day=name, center=center.name,
                           hours=format_intervals(intervals, lang, abbr)) if intervals
                         else t("{day}: {center} is closed.", day=name, center=center.name))
        if schedules:
            windows = [w for s in schedules for w in s.windows if w.weekday == day.weekday()]
            if windows:
                span = ((min(w.start for w in windows), max(w.end for w in windows)),)
                lines.append(t("Consultations on {day}: {hours}.", day=name, hours=format_intervals(span, lang, abbr)))
            else:
                lines.append(t("Consultations on {day}: none, no consultant is on duty that day (consultation days: {days}).",
                               day=name, days=_day_span(working, lang)))
        if is_national_holiday(day):
            lines.append(t("{date} is a national holiday ({name}): no consultations that day.",
                           date=format_date(datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(center.tz)), lang, center.tz),
                           name=holiday_name(day, lang) or ""))
    return lines


def _and(names: list[str], t: Translate) -> str:
    return names[0] if len(names) == 1 else t("{first} and {last}", first=", ".join(names[:-1]), last=names[-1])


def _day_span(weekdays: list[int], lang: str) -> str:
    if not weekdays:
        return "-"
    if weekdays == list(range(weekdays[0], weekdays[-1] + 1)) and len(weekdays) > 2:
        return f"{day_name(weekdays[0], lang)}–{day_name(weekdays[-1], lang)}"
    return ", ".join(day_name(d, lang) for d in weekdays)


def _next_holiday(today: date) -> date | None:
    for n in range(0, 120):
        day = today + timedelta(days=n)
        if is_national_holiday(day):
            return day
    return None
