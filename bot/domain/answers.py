"""What a short answer says, read as a whole message: yes or no, and whether free text is
an answer at all.

"OK. Could you move it to Friday?" starts with "OK" but asks for a change: it is no yes.
"I agree" is a yes though its first word is not. "eh bentar min, konsulnya hrs bawa laptop
sendiri ga?" is a question, not the user's name, and "ga jadi deh" is the user leaving,
not the kind of their business. Pure: text in, verdict out.
"""

from __future__ import annotations

import re

# Whole phrases, longest first when read; a message is a yes (no) when every word of it
# belongs to yes (no) phrases and polite filler.
YES_PHRASES = frozenset("""
ya iya iyaa iyaaa iya2 iy yaa y yes yess yep yup yeah yea ok oke okay okey okeh okee okay2 oke2 ok2 okey2 sip sipp siip
siap setuju boleh gas gass gasss lanjut lanjutkan benar betul bener confirm confirmed sure correct agree baik baiklah
mantap mantab tentu mau jadi deal done right alright fine absolutely definitely certainly pasti
""".split()) | frozenset({
    "i agree", "i do", "of course", "tentu saja", "oke deh", "ok deh", "ya udah", "ya sudah", "yaudah", "udah bener",
    "sudah benar", "sudah betul", "that's right", "thats right", "that is right", "sounds good", "go ahead", "book it",
    "do it", "yes please", "please do", "looks good", "all good", "sure thing", "why not", "let's go", "lets go",
    "go on", "setuju banget", "boleh banget", "gas aja", "lanjut aja", "iya boleh", "saya setuju", "aku setuju",
    "sy setuju", "saya mau", "aku mau", "jadi dong", "gpp", "gapapa", "ga papa", "gak papa", "nggak papa",
    "tidak apa", "ga apa", "gak apa", "nggak apa", "ngga apa",
})
NO_PHRASES = frozenset("""
tidak tdk gak ga nggak ngga enggak engga ndak nda g no n nope nah jangan jgn bukan salah batal batalkan cancel
""".split()) | frozenset({
    "ga usah", "gak usah", "nggak usah", "ngga usah", "tidak usah", "tdk usah", "gausah", "gk usah", "ndak usah",
    "nanti aja", "nanti saja", "nanti dulu", "ntar aja", "ntar dulu", "lain kali", "lain kali aja", "ga jadi",
    "gak jadi", "nggak jadi", "ngga jadi", "tidak jadi", "gajadi", "no thanks", "no thank you", "not now",
    "not yet", "belum", "belum dulu", "i don't", "i dont", "i do not", "i don't agree", "i dont agree",
    "i do not agree", "don't agree", "do not agree", "disagree", "not really", "tidak setuju", "ga setuju",
    "gak setuju", "nggak setuju", "tidak mau", "ga mau", "gak mau", "nggak mau", "ogah", "skip", "never mind",
    "no way", "don't", "dont", "do not", "nevermind", "ga jd", "gak jd", "gk jd", "nggak jd", "tidak jd", "keep it",
    "keep them", "keep my data", "biarin", "biarin aja", "biar aja", "biarkan", "biarkan saja", "actually no", "forget it",
    "changed my mind", "i changed my mind", "maybe later", "not today",
})
FILLER = frozenset("""
deh dong sih kok kak ka kakak min mimin admin pak bu bapak ibu mas mbak mba bang gan sis bro please pls plz
thanks thank you terima kasih makasih mksh thx ty aja saja ajah lah kok nih tuh yah ah oh wah wkwk hehe haha
sudah udah udh dulu yes yaa ok eh hmm hm hmmm um umm actually
""".split()) - frozenset({"yes", "ok"})
_TWO_WORD_FILLER = frozenset({"thank you", "terima kasih"})
_EMOJI_YES = frozenset("👍 👌 🙆 ✅ 🙏 👍🏻 👍🏼 👍🏽 👍🏾".split())
_EMOJI_NO = frozenset("👎 ❌ 🙅".split())
# A message that asks for a change is not a yes ("OK, could you move it to Friday?").
CHANGE_WORDS = re.compile(
    r"\b(?:move|change|reschedule|another|different|instead|earlier|later|but|however|could|can you|would you|"
    r"pindah|pindahin|ganti|ubah|geser|undur|majukan|mundur|tapi|tp|namun|kecuali|bisa ga|bisa gak|bisa nggak|"
    r"bisakah|boleh ga|boleh gak|gimana kalau|gmn kalo|gimana kalo|kalau|kalo)\b")
_WORD = re.compile(r"[\w']+")


def _segments(words: list[str]) -> list[str] | None:
    """Split the words into known phrases (longest first); None when a word belongs to none."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if len(words) - i >= size and (phrase in YES_PHRASES or phrase in NO_PHRASES or phrase in FILLER
                                           or phrase in _TWO_WORD_FILLER):
                out.append(phrase)
                i += size
                break
        else:
            return None
    return out


def read_yes_no(text: str) -> str | None:
    """"yes", "no", or None when the message is not plainly one of them (then ask again)."""
    raw = (text or "").strip().lower().replace("\u2019", "'")
    if not raw or len(raw) > 200:
        return None
    if CHANGE_WORDS.search(raw):
        return None
    symbols = set(raw.split())
    words = _WORD.findall(raw)
    # doubled words are one: "ya ya", "oke oke"; "iya2" and "oke2" are in the phrase lists
    words = [w for k, w in enumerate(words) if k == 0 or w != words[k - 1]]
    if len(words) > 1 and words[-1] in ("ya", "yaa", "yah"):
        words = words[:-1]  # a tag ("nanti dulu ya"), not a yes
    yes = no = False
    if symbols & _EMOJI_YES or any(e in raw for e in _EMOJI_YES):
        yes = True
    if symbols & _EMOJI_NO or any(e in raw for e in _EMOJI_NO):
        no = True
    if words:
        parts = _segments(words)
        if parts is None:
            return None
        yes = yes or any(p in YES_PHRASES for p in parts)
        no = no or any(p in NO_PHRASES for p in parts)
    if "?" in raw and not (yes and len(words) <= 2):
        return None  # "boleh?" asks; "oke?" alone is still a yes
    if yes and not no:
        return "yes"
    if no and not yes:
        return "no"
    return None


# --- free text: is it an answer at all? ------------------------------------------------------------

_ESCAPE = re.compile(
    r"^(?:(?:eh|ah|oh|hmm+|udah|udh|sudah|ya|yaudah|ok|oke|actually|wait|no|nope|nah|sorry|maaf|min|kak)\s*,?\s*)*"
    r"(?:(?:ga|gak|nggak|ngga|tidak|tdk|enggak|gk|g)\s*(?:jadi|jd)\b|(?:batal|batalin|batalkan|cancel|stop|berhenti|keluar|exit|"
    r"quit|never\s*mind|forget\s*it|nevermind|nanti\s+(?:aja|saja|dulu)|lain\s+kali)\b|(?:i\s+)?(?:changed\s+my\s+mind|"
    r"don'?t\s+want)\b)")
"""Leaving: "ga jadi deh", "eh ga jd", "actually never mind, maybe next month", "no, cancel"; a lead word or two may come first."""
_PROCEED = re.compile(
    r"^(?:(?:ok|oke|okay|okey|baik|sip|siap|ya|iya|yuk|ayo|mari|eh|min|kak)\s*,?\s*)*"
    r"(?:lanjut|lanjutkan|lanjutin|terusin|teruskan|continue|go\s+on|carry\s+on|back\s+to\s+(?:the\s+|my\s+)?booking|"
    r"kembali\s+ke\s+booking)"
    r"(?:\s+(?:aja|saja|deh|dong|ya|yuk|lagi|booking|bookingnya|the\s+booking|my\s+booking|please|pls))*\s*[.!]*$")
"""Going on with what was being asked: "lanjut", "ok lanjutkan booking", "continue please" — never a name."""
_QUESTION_WORDS = re.compile(
    r"\b(?:apa|apakah|apa\s*kah|gimana|bagaimana|gmn|berapa|brp|kapan|dimana|di\s*mana|kenapa|knp|mengapa|siapa|"
    r"perlu|harus|hrs|wajib|boleh\s*(?:ga|gak|nggak|tidak)|bisa\s*(?:ga|gak|nggak|tidak)|"
    r"what|how|where|when|why|who|which|do\s+i|does|is\s+it|is\s+there|are\s+there|should\s+i|must\s+i|can\s+i|need\s+to)\b")
_REQUEST = re.compile(
    r"^(?:(?:eh|ah|halo|hai|min|kak|pak|bu|permisi|maaf|sorry)\s*,?\s*)*"
    r"(?:tolong|tlg|mohon|minta|mau\s+tanya|boleh\s+tanya|mo\s+tanya|numpang\s+tanya|could\s+you|can\s+you|would\s+you|"
    r"please\s+(?:tell|send|show|help|change|move|cancel)|i\s+want\s+to\s+(?:ask|change|cancel|move)|"
    r"help|bantu|bantuin)\b")
_QUESTION_START = re.compile(
    r"^(?:(?:eh|min|kak|pak|bu|maaf|permisi)\s*,?\s*)*(?:apakah|gimana|bagaimana|berapa|kapan|kenapa|mengapa|"
    r"how|what|where|when|why|do\s+i|does|is\s+it|can\s+i|should\s+i)\b")
_TAIL_QUESTION = re.compile(r"\b(?:ga|gak|nggak|ngga|tidak|ya|kah|nggak\s+sih|ga\s+sih|gak\s+sih|or\s+not)\s*\?*\s*$")


def free_text_kind(text: str) -> str | None:
    """"escape" (the user leaves: "ga jadi deh"), "proceed" (the user goes on: "ok lanjut"), "question"
    ("hrs bawa laptop sendiri ga?"), "request" ("tolong kirim alamatnya") or None: then it may be the answer asked for."""
    low = " ".join((text or "").strip().lower().replace("\u2019", "'").split())
    if not low:
        return None
    if _ESCAPE.search(low):
        return "escape"
    if _PROCEED.match(low):
        return "proceed"
    if _REQUEST.search(low):
        return "request"
    if "?" in low:
        return "question"
    if _QUESTION_WORDS.search(low) and _TAIL_QUESTION.search(low):
        return "question"  # "hrs bawa laptop ga"
    if _QUESTION_START.search(low) and len(low.split()) >= 3:
        return "question"  # "apakah konsultasinya gratis", "do i need to bring anything"
    return None


# --- asking where an answer comes from ----------------------------------------------------------

_SOURCE_WORDS = re.compile(
    r"\b(sumber\w*|source\w*|referensi\w*|rujukan\w*|dasar hukum\w*|reference\w*|citation\w*|"
    r"dari mana (info|data|angka)\w*|where (did|do) (you|u) (get|find)|says who)\b"
)


def asks_for_source(text: str) -> bool:
    """"sumbernya apa?", "what's the source?", "referensinya mana", "dasar hukumnya apa"."""
    return bool(_SOURCE_WORDS.search(" ".join((text or "").lower().split())))
