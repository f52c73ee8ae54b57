"""What the bot says for a match: the entry, when it was checked, the next step.

Plain data (text and follow-up payloads); the chat turns the payloads into buttons.
Every answer ends with the next step: book the consultant of the topic's service area,
or talk to one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.domain.areas import area_phrase
from bot.knowledge.content import Entry, Source, Topic
from bot.payloads import ByIntent
from bot.knowledge.retrieve import Match
from bot.nlu.language import detect_language

def _area(code: str, lang: str) -> str:
    """The service area's name (bot/domain/areas.py, the one list) as it reads inside a sentence:
    "konsultan pembiayaan PLUT", "the PLUT consultant for IT and digital"."""
    return area_phrase(code, lang)


ASPECT_NAMES: dict[str, tuple[str, str]] = {
    "overview": ("gambaran umum", "overview"), "cost": ("biaya", "cost"), "requirements": ("syarat dan dokumen", "requirements"),
    "steps": ("langkah", "steps"), "duration": ("lama dan masa berlaku", "duration"), "where": ("tempat", "where"),
    "eligibility": ("siapa yang berhak", "eligibility"), "figures": ("angka", "figures"),
}

_MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
              "Oktober", "November", "Desember")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


@dataclass
class FollowUp:
    title: str
    payload: str


@dataclass
class Answer:
    text: str
    follow_ups: list[FollowUp] = field(default_factory=list)
    topic: str | None = None
    aspect: str | None = None
    unanswered: bool = False
    """True when the question was not answered as asked (the admins should see it)."""


def _day(d: date, lang: str) -> str:
    months = _MONTHS_EN if lang == "en" else _MONTHS_ID
    return f"{d.day} {months[d.month - 1]} {d.year}"


def next_steps(topic: Topic, lang: str) -> list[FollowUp]:
    area = _area(topic.service_area, lang)
    book = f"Konsultasi {area}" if lang != "en" else f"Book a consultation ({area})"
    talk = "Bicara dengan konsultan" if lang != "en" else "Talk to a consultant"
    return [
        FollowUp(book, ByIntent("book_consultation", {"service_area": topic.service_area}).pack()),
        FollowUp(talk, ByIntent("talk_to_human").pack()),
    ]


def _footer(topic: Topic, entry: Entry, lang: str) -> str:
    checked = max(s.checked for s in entry.sources)
    area = _area(topic.service_area, lang)
    if lang == "en":
        return (f"Checked on {_day(checked, 'en')}; type \"source?\" to see where this comes from.\n"
                f"Next step: a PLUT consultant for {area} can go through it with you, free of charge.")
    return (f"Dicek {_day(checked, 'id')}; ketik \"sumbernya apa?\" untuk melihat sumbernya.\n"
            f"Langkah berikutnya: konsultan {area} PLUT bisa mendampingi Bapak/Ibu, gratis.")


def render(match: Match, lang: str) -> Answer | None:
    """The reply for a match; None when no topic was recognised (the caller's fallback answers)."""
    topic, entry = match.topic, match.entry
    if topic is None or entry is None:
        return None
    body = entry.text(lang)
    unanswered = False
    if match.kind == "missing":
        unanswered = True
        if lang == "en":
            lead = (f"I do not have a checked answer on that for {topic.title.en} yet, so I will not guess; "
                    "a consultant can tell you. Here is what I know:")
        else:
            lead = (f"Untuk pertanyaan itu tentang {topic.title.id}, jawaban yang sudah kami periksa belum kami catat, "
                    "jadi saya tidak mau menebak; konsultan bisa menjelaskannya. Yang saya tahu:")
        body = f"{lead}\n\n{body}"
    text = f"{body}\n\n{_footer(topic, entry, lang)}"
    return Answer(text, next_steps(topic, lang), topic.name, entry.aspect if match.kind != "missing" else match.asked_aspect,
                  unanswered)


def _source_line(s: Source, lang: str) -> str:
    where = s.url or (f"dokumen proyek: {s.ref}" if lang != "en" else f"project document: {s.ref}")
    checked = f"dicek {_day(s.checked, 'id')}" if lang != "en" else f"checked {_day(s.checked, 'en')}"
    return f"• {_source_title(s, lang)}\n  {where} ({checked})"


def _source_title(s: Source, lang: str) -> str:
    """The title as published. A source records one title, in its own language; for an English
    reader an Indonesian page is named by its publisher and said to be in Indonesian
    ("Koran Jakarta, a page in Indonesian"), rather than quoted in a language they may not read."""
    if lang != "en" or s.ref or detect_language(s.title) == "en":
        return s.title
    publisher, colon, _headline = s.title.partition(": ")
    if not colon or len(publisher) > 60:
        return f"{s.title} (in Indonesian)"
    return f"{publisher}, a page in Indonesian"


def sources_reply(topic: Topic, entry: Entry, lang: str) -> Answer:
    if lang == "en":
        head = f"Sources for \"{topic.title.en}\" ({ASPECT_NAMES[entry.aspect][1]}):"
        tail = "Rules and figures change; please confirm at the official page or with a consultant before you act."
    else:
        head = f"Sumber untuk \"{topic.title.id}\" ({ASPECT_NAMES[entry.aspect][0]}):"
        tail = "Aturan dan angka bisa berubah; mohon konfirmasi di laman resmi atau ke konsultan sebelum bertindak."
    lines = "\n".join(_source_line(s, lang) for s in entry.sources)
    return Answer(f"{head}\n{lines}\n\n{tail}", next_steps(topic, lang), topic.name, entry.aspect)


def no_source_reply(lang: str) -> Answer:
    if lang == "en":
        return Answer("I can show the sources of my last answer from the knowledge base, but there is none yet in this "
                      "conversation. Ask me a question first, for example \"KUR interest rate?\".")
    return Answer("Saya bisa menunjukkan sumber dari jawaban terakhir saya, tetapi belum ada jawaban di percakapan ini. "
                  "Silakan bertanya dulu, misalnya \"bunga KUR berapa persen?\".")
