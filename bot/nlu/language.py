"""Which language a user writes in: Indonesian or English.

lingua (restricted to the two) decides longer messages; very short ones ("ok",
"halo", "p", "thx") are decided by word lists, and stay undecided when both fit.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import Language, LanguageDetectorBuilder

_WORD = re.compile(r"[a-zA-Z]+")

# Short chat words that tell the language by themselves.
ID_WORDS = frozenset(
    """halo hallo hai hay p pagi siang sore malam assalamualaikum salam permisi makasih terima kasih
    trims tks thx_id iya ya yaa yup gak ga nggak enggak tidak bukan boleh bisa mau ingin tolong
    dong deh sih kak min gan bang pak bu bapak ibu mas mbak saya aku sy gw gue kami kita apa
    gimana gmn bagaimana dimana dmn berapa brp kapan siapa kenapa mengapa yg yang dan atau di ke
    dari untuk utk dengan dgn udah sudah belum blm baik oke sip siap mantap selamat tinggal dadah
    daftar jadwal alamat buka tutup konsultasi pinjaman modal izin usaha cek mohon ada adakah nya
    ini itu aja jadi kalau kalo klo trus terus mo mw pengen pgn konsul nanya tanya""".split()
)
EN_WORDS = frozenset(
    """hello hi hey good morning afternoon evening thanks thank you thx ty please yes yeah yep no
    nope not i me my we our you your what where when how who why which is are am do does can
    could would will want need the a an to of for with and or bye goodbye see later ok okay
    sure fine great help book booking center centre consultation loan permit business there in at on
    this that it from near nearest centers centres these those here""".split()
)
NEUTRAL = frozenset({"ok", "oke", "okay", "p", "plut", "umkm", "nib", "kur", "halal", "haki", "menu", "booking", "book", "status"})


@lru_cache(maxsize=1)
def _detector():  # type: ignore[no-untyped-def]
    return (
        LanguageDetectorBuilder.from_languages(Language.INDONESIAN, Language.ENGLISH)
        .with_preloaded_language_models()
        .build()
    )


def _vote(words: list[str]) -> tuple[int, int]:
    idn = sum(1 for w in words if w in ID_WORDS and w not in NEUTRAL)
    en = sum(1 for w in words if w in EN_WORDS and w not in NEUTRAL)
    return idn, en


def detect_language(text: str | None) -> str | None:
    """'id', 'en', or None when the text does not tell (emoji, numbers, 'ok')."""
    if not text:
        return None
    words = [w.lower() for w in _WORD.findall(text[:1000])]
    if not words:
        return None
    idn, en = _vote(words)
    # Function words outvote lingua, which reads place names ("Jayapura") as Indonesian.
    if idn >= 2 and en == 0:
        return "id"
    if en >= 2 and idn == 0:
        return "en"
    if len(words) <= 6 and (idn == 0) != (en == 0):
        # "mo booking konsul min": one chat word of one language and none of the other decides a short
        # message; lingua reads "booking" as English
        return "id" if idn else "en"
    if len(words) <= 3:
        if idn > en:
            return "id"
        if en > idn:
            return "en"
        if all(w in NEUTRAL for w in words) or sum(len(w) for w in words) < 4:
            return None
    detector = _detector()
    values = detector.compute_language_confidence_values(" ".join(words))
    best = values[0]
    if best.value < 0.6:
        if idn != en:
            return "id" if idn > en else "en"
        return None
    return "id" if best.language == Language.INDONESIAN else "en"


_CODE = re.compile(r"\S*\d\S*")  # booking references, phone numbers, dates: no language in them


def confident_language(text: str | None) -> str | None:
    """The language of a message only when it is plainly one: at least three words besides
    codes and numbers, with the other language's function words absent, or a long message
    lingua is sure about. A name ("John Hartono"), a business name, a place, a phone number or
    a booking reference says nothing, so an answer to a typed question never flips the reply
    language."""
    if not text:
        return None
    words = [w.lower() for w in _WORD.findall(_CODE.sub(" ", text[:1000]))]
    words = [w for w in words if len(w) > 1 or w in ("i", "a")]
    if len(words) < 3:
        return None
    idn, en = _vote(words)
    if idn >= 2 and en == 0:
        return "id"
    if en >= 2 and idn == 0:
        return "en"
    if len(words) >= 5 and abs(idn - en) >= 1:
        best = _detector().compute_language_confidence_values(" ".join(words))[0]
        lang = "id" if best.language == Language.INDONESIAN else "en"
        if best.value >= 0.9 and (idn > en) == (lang == "id"):
            return lang
    return None


# Explicit requests to switch ("ganti bahasa", "English please", "pakai bahasa indonesia").
_TO_EN = re.compile(r"\b(english( please| pls| plz)?|in english|speak english|(bahasa|bhs|bhsa) (ke )?inggris|pakai inggris|pake inggris)\b", re.I)
_TO_ID = re.compile(
    r"\b(in indonesian|indonesian( please| pls)?|in bahasa( indonesia)?|(bahasa|bhs|bhsa) (ke )?indo(nesia)?|"
    r"(pakai|pake|pk|ganti|ubah) (ke )?indo(nesia)?)\b", re.I)
_ASK = re.compile(r"\b(ganti bahasa|ubah bahasa|change (the )?language|switch language|language|bahasa)\b", re.I)


def language_request(text: str) -> str | None:
    """'en' or 'id' for an explicit switch, 'ask' for "change language" without a target, else None."""
    t = text.strip()
    if len(t) > 60:
        return None
    if _TO_EN.search(t):
        return "en"
    if _TO_ID.search(t):
        return "id"
    if _ASK.fullmatch(t.strip(" !.?")) or re.fullmatch(r"(ganti|ubah|change|switch)\s+(bahasa|language)\W*", t, re.I):
        return "ask"
    return None
