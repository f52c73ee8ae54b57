"""Turn chat Indonesian into something a classifier can count.

Users write "gmn", "dmn", "brp", "sy", "gk", "kecil2an", "haloooo". The classifier
sees each message after this normaliser: lower case, letters stretched for emphasis
shortened, reduplication written out, and the common chat abbreviations replaced by
one canonical word, so "gmn caranya" and "bagaimana caranya" share their features.
The entity extractors work on the original text (they need the user's offsets).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import re
import unicodedata

# chat form -> canonical word. Only unambiguous forms: "hr" (hari / HR) and
# "buat" (make / for) are left alone on purpose.
ABBREVIATIONS: dict[str, str] = {
    "yg": "yang", "yng": "yang",
    "gmn": "bagaimana", "gmna": "bagaimana", "gimana": "bagaimana", "gmana": "bagaimana", "bgmn": "bagaimana",
    "dmn": "dimana", "dmna": "dimana", "mana": "mana",
    "brp": "berapa", "brapa": "berapa",
    "sy": "saya", "sya": "saya", "aku": "saya", "gw": "saya", "gue": "saya", "gua": "saya", "ak": "saya",
    "gk": "tidak", "ga": "tidak", "gak": "tidak", "g": "tidak", "nggak": "tidak", "ngga": "tidak",
    "enggak": "tidak", "engga": "tidak", "tdk": "tidak", "tak": "tidak", "ndak": "tidak", "kagak": "tidak",
    "bs": "bisa", "bisa2": "bisa",
    "utk": "untuk", "untk": "untuk",
    "udh": "sudah", "udah": "sudah", "sdh": "sudah", "dah": "sudah",
    "blm": "belum", "blom": "belum",
    "dgn": "dengan", "dg": "dengan",
    "krn": "karena", "karna": "karena",
    "tp": "tapi", "tpi": "tapi",
    "jd": "jadi", "jdi": "jadi",
    "bgt": "banget",
    "kalo": "kalau", "klo": "kalau", "kl": "kalau",
    "sm": "sama",
    "lg": "lagi",
    "dr": "dari",
    "jg": "juga",
    "aja": "saja", "aj": "saja",
    "msh": "masih",
    "byk": "banyak", "bnyk": "banyak",
    "skrg": "sekarang", "skg": "sekarang",
    "dpt": "dapat",
    "hrs": "harus",
    "knp": "kenapa", "napa": "kenapa",
    "kpn": "kapan",
    "tlg": "tolong", "tolongin": "tolong",
    "mhn": "mohon",
    "tgl": "tanggal",
    "bln": "bulan",
    "thn": "tahun",
    "org": "orang",
    "ttg": "tentang",
    "lbh": "lebih",
    "nanya": "tanya", "nanyain": "tanya",
    "konsul": "konsultasi", "konsultasinya": "konsultasi",
    "pengen": "ingin", "pingin": "ingin", "pgn": "ingin",
    "liat": "lihat",
    "makasi": "makasih", "mksh": "makasih", "mkasih": "makasih", "makasii": "makasih",
    "trims": "terima kasih", "trimakasih": "terima kasih", "terimakasih": "terima kasih", "tks": "terima kasih",
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "thx": "thanks", "ty": "thanks",
    "bhs": "bahasa", "indo": "indonesia",
    # more chat forms seen in MSME chats (clf-3)
    "jgn": "jangan", "jngn": "jangan", "bkn": "bukan", "bknn": "bukan",
    "ntar": "nanti", "nnti": "nanti", "nti": "nanti", "entar": "nanti",
    "dl": "dulu", "dlu": "dulu", "sj": "saja", "doang": "saja",
    "bsk": "besok", "besuk": "besok", "kmrn": "kemarin", "kemaren": "kemarin",
    "mw": "mau", "mo": "mau",
    "bsa": "bisa", "bisakah": "bisa",
    "emg": "memang", "emang": "memang",
    "trus": "terus", "trs": "terus",
    "sblm": "sebelum", "stlh": "setelah", "sampe": "sampai", "ampe": "sampai",
    "tlp": "telepon", "telp": "telepon", "tlpn": "telepon", "telpon": "telepon", "nelpon": "telepon",
    "ditelpon": "ditelepon", "wa": "whatsapp", "wasap": "whatsapp",
    "dtg": "datang", "dateng": "datang", "ktr": "kantor",
    "byr": "bayar", "hrg": "harga", "grts": "gratis", "gratisan": "gratis",
    "bener": "benar", "bnr": "benar", "gpp": "tidak apa apa", "gapapa": "tidak apa apa",
    "kk": "kak", "ka": "kak", "kaka": "kak", "mimin": "admin",
    "km": "kamu", "lu": "kamu", "elu": "kamu", "anda": "kamu",
    "ukm": "umkm", "msme": "umkm", "msmes": "umkm", "umk": "umkm",
    "sharelok": "share lokasi", "shareloc": "share lokasi", "sharelock": "share lokasi",
    "tq": "terima kasih", "makasih": "terima kasih", "tengkyu": "thanks", "tengs": "thanks", "thank": "thanks",
    "ok": "oke", "okay": "oke", "okey": "oke", "okee": "oke", "okeh": "oke",
    "wanna": "want to", "gonna": "going to", "dont": "don't", "cant": "can't", "whats": "what's",
    "im": "i'm", "abt": "about", "appt": "appointment", "hv": "have",
    # regional polite words and slang: Javanese (krama and ngoko), Sundanese, Betawi
    "niku": "itu", "punika": "itu", "iki": "ini", "niki": "ini", "menika": "ini",
    "mboten": "tidak", "mboten2": "tidak", "ora": "tidak", "nggak2": "tidak", "teu": "tidak", "henteu": "tidak",
    "kaga": "tidak", "kage": "tidak",
    "nggih": "ya", "njih": "ya", "enggih": "ya", "muhun": "ya", "heeh": "ya",
    "inggih": "ya", "injih": "ya", "enjih": "ya", "hooh": "ya",
    # the Muslim closing in its spellings, one word apart from the opening "assalamualaikum"
    "wassalamualaikum": "wassalam", "wasalamualaikum": "wassalam", "wassalamu'alaikum": "wassalam",
    "wasalamu'alaikum": "wassalam", "wasalam": "wassalam", "wslm": "wassalam",
    "dinten": "hari", "dino": "hari", "poe": "hari", "bukak": "buka", "bikak": "buka",
    "kulo": "saya", "kula": "saya", "abdi": "saya", "ane": "saya",
    "panjenengan": "kamu", "sampeyan": "kamu", "ente": "kamu",
    "badhe": "mau", "bade": "mau", "arep": "mau", "pengin": "ingin", "hoyong": "ingin",
    "saking": "dari", "teko": "dari", "pripun": "bagaimana", "piye": "bagaimana", "kumaha": "bagaimana",
    "pinten": "berapa", "piro": "berapa", "sabaraha": "berapa", "iraha": "kapan", "kapan2": "kapan",
    "wonten": "ada", "enten": "ada", "aya": "ada", "sampun": "sudah", "wis": "sudah", "atos": "sudah",
    "dereng": "belum", "durung": "belum", "acan": "belum",
    "nuwun": "terima kasih", "nuhun": "terima kasih", "hatur": "terima", "matur": "terima",
    "punten": "permisi", "nyuwun": "mohon", "sewu": "permisi",
    "akang": "kak", "kang": "kak", "aa": "kak", "teteh": "kak", "mas'e": "mas", "mbakyu": "mbak",
    "gimana2": "bagaimana", "ape": "apa", "kenape": "kenapa", "udeh": "sudah", "kagak2": "tidak",
    "nyari": "cari", "nyariin": "cari", "ngurus": "urus", "ngurusin": "urus", "bikin": "buat", "bikinin": "buat",
    "cedak": "dekat", "cerak": "dekat", "caket": "dekat", "parek": "dekat", "pundi": "mana", "ngendi": "mana",
    "endi": "mana", "mriki": "sini", "kene": "sini", "ngriki": "sini", "gadah": "punya", "duwe": "punya", "gaduh": "punya",
    "saged": "bisa", "nek": "kalau", "yen": "kalau", "lamun": "kalau", "ingkang": "yang", "opo": "apa",
    "punapa": "apa", "menapa": "apa", "napa": "apa", "teng": "di", "nang": "di", "neng": "di", "mriku": "situ", "mrika": "sana", "kono": "situ",
    "tanglet": "tanya", "takon": "tanya", "babagan": "tentang", "perkawis": "tentang", "mawon": "saja", "kemawon": "saja",
}

# laughter and keyboard mash fold to one word ("wkwkwk", "hahaha", "hehehe", "xixixi")
_LAUGH = re.compile(r"^(?:w?(?:kw)+k?|(?:ha){2,}h?|(?:he){2,}h?|(?:hi){2,}h?|(?:xi){2,}|a?(?:ha)+ha|lol+|lmao)$")

# a booking reference (PLUT- and 4–8 letters/digits, as `regex: booking_ref` in nlu/entities.yml) is
# random characters to the classifier; one placeholder word lets every reference count the same
_BOOKING_REF = re.compile(r"\bplut-[a-z0-9]{4,8}\b")
# Javanese "ho'oh" / "ho oh" = yes
_HO_OH = re.compile(r"\bho'? ?oh\b")

_STRETCH = re.compile(r"(\w)\1{2,}")
_REDUP = re.compile(r"\b([a-z]{3,})2(an|nya)?\b")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _fold(text: str) -> str:
    # keep letters of other scripts (they make a message "unknown", not empty)
    return unicodedata.normalize("NFKC", text).lower()


def normalise(text: str) -> str:
    """The classifier's view of a message: canonical words separated by single spaces."""
    text = _fold(text)
    text = _BOOKING_REF.sub("kodebooking", text)
    text = _HO_OH.sub("ya", text)
    text = _STRETCH.sub(r"\1\1", text)
    text = _REDUP.sub(lambda m: f"{m.group(1)} {m.group(1)}{m.group(2) or ''}", text)
    words = []
    for tok in re.findall(r"[^\W_]+(?:'[^\W_]+)?", text):
        if _LAUGH.match(tok):
            words.append("haha")
            continue
        words.append(ABBREVIATIONS.get(tok, tok))
    return " ".join(words)


def tokens(text: str) -> list[str]:
    return normalise(text).split()


DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
"""Changes with this file's rules: part of every model's cache key, so a new spelling rule retrains
the models instead of serving ones trained on the old reading."""
