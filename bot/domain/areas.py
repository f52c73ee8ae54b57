"""The seven service areas of a PLUT-KUMKM center: codes, names in both languages, keywords.

Every PLUT center offers consultation in seven fields, one konsultan pendamping each:
kelembagaan, SDM, produksi, pembiayaan, pemasaran, pengembangan TI and pengembangan
jaringan kerja sama (the ministry's "lingkup layanan"; newer regency centers sometimes
staff five of them). This module is the one place that names them; booking, hand-off,
the admin pages and the NLU's `service_area` entity all read it.

The codes (`institutional`, `hr`, …) are stored in the database and in button payloads,
so they do not change; the names are what users read. Kelembagaan is named with
"perizinan" because permits are what owners come to that consultant for, and the word
they look for in a menu.

Where a word could belong to two fields, it goes where a PLUT consultant of that field
would take the question:

- **ekspor / export → pemasaran.** Selling abroad is market access, which the centers
  offer under "pemasaran dan promosi" (exhibitions, buyers, export readiness). Pengembangan
  jaringan kerja sama is about partners: kemitraan with larger firms, other businesses and
  institutions, which `mitra`, `kemitraan` and `kerja sama` name.
- **marketplace, media sosial, toko online → pemasaran.** They are places to sell and
  promote; pengembangan TI is about the business's own systems (website, apps, a
  point-of-sale, digitalisation).
- **PIRT → kelembagaan.** The Sertifikat Produksi Pangan Industri Rumah Tangga is a permit
  from the regency, asked about like `izin` and `NIB`; quality and packaging stay
  with produksi, as do halal and SNI (product standards).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServiceArea:
    code: str
    name_id: str
    name_en: str
    keywords: tuple[str, ...]
    """Lower-case stems matched at word starts ("pemasaran" also finds "pemasarannya")."""

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_id


AREAS: tuple[ServiceArea, ...] = (
    ServiceArea("institutional", "Kelembagaan & perizinan", "Institutions & permits", (
        "kelembagaan", "kelembagaan usaha", "lembaga", "legalitas", "izin", "ijin", "perizinan", "nib", "oss", "pirt",
        "bpom", "merek", "haki", "hki", "trademark", "badan usaha", "badan hukum", "koperasi", "institutional",
        "permit", "license", "licence", "legal", "cooperative",
    )),
    ServiceArea("hr", "SDM", "Human resources", (
        "sdm", "sumber daya manusia", "karyawan", "pegawai", "tenaga kerja", "rekrut", "pelatihan", "pelatihan karyawan",
        "human resource", "hr", "hrd", "staf", "staff", "employee", "training",
    )),
    ServiceArea("production", "Produksi", "Production", (
        "produksi", "proses produksi", "produk", "kualitas produk", "kualitas", "mutu", "bahan baku", "mesin", "peralatan",
        "kemasan", "packaging", "label", "halal", "sni", "resep", "production", "product", "manufactur", "raw material",
    )),
    ServiceArea("financing", "Pembiayaan", "Financing", (
        "pembiayaan", "modal", "pinjaman", "kredit", "kur", "keuangan", "pembukuan", "laporan keuangan", "akuntansi",
        "dana", "hibah", "investor", "bank", "financing", "finance", "loan", "capital", "funding", "money", "bookkeeping",
    )),
    ServiceArea("marketing", "Pemasaran", "Marketing", (
        "pemasaran", "marketing", "market", "pasar", "promosi", "promotion", "jual", "jualan", "penjualan", "sales",
        "branding", "iklan", "pameran", "pembeli", "pelanggan", "reseller", "ekspor", "export", "marketplace",
        "online shop", "toko online", "sosmed", "medsos", "media sosial", "social media",
    )),
    ServiceArea("it", "Pengembangan TI", "IT & digital", (
        "pengembangan it", "pengembangan ti", "teknologi informasi", "information technology", "teknologi", "technology",
        "it", "ti", "digital", "digitalisasi", "online", "internet", "website", "aplikasi", "software",
        "sistem informasi", "kasir digital", "pos", "ecommerce", "e-commerce",
    )),
    ServiceArea("partnership", "Jaringan kerja sama", "Partnerships & networking", (
        "pengembangan jaringan kerja sama", "jaringan kerjasama", "jaringan kerja sama", "jaringan", "kerjasama",
        "kerja sama", "kemitraan", "mitra", "jejaring", "kolaborasi", "partnership", "partner", "networking", "network",
    )),
)

SERVICE_AREAS: tuple[str, ...] = tuple(a.code for a in AREAS)
"""The codes, in the order menus show them."""

BY_CODE: dict[str, ServiceArea] = {a.code: a for a in AREAS}


def area_name(code: str, lang: str) -> str:
    """The area's name in `lang` ("id" or "en"); an unknown code is shown as it is."""
    area = BY_CODE.get(code)
    return area.name(lang) if area is not None else code


_PHRASE_EN = {"institutional": "institutions and permits", "hr": "human resources", "production": "production",
              "financing": "financing", "marketing": "marketing", "it": "IT and digital",
              "partnership": "partnerships and networking"}
"""The English names as they read inside a sentence, after "on" or "for": "a consultation on
partnerships and networking", "a PLUT consultant for IT and digital". The names themselves are
menu labels ("Institutions & permits"); before "consultation" they read wrongly ("Book a
Institutions & permits consultation"), so sentences put the field after the noun."""


def area_phrase(code: str, lang: str) -> str:
    """The area's name inside a sentence: "konsultasi pemasaran", "konsultan SDM", "a consultation
    on institutions and permits". English sentences put it after "on" / "for", never before
    "consultation"."""
    if lang == "en":
        return _PHRASE_EN.get(code, code)
    name = area_name(code, lang)
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


# --- finding areas in text ---------------------------------------------------------------------

_WHOLE_WORD = frozenset({
    "it", "ti", "pos", "hr", "kur", "oss", "nib", "sni", "pirt", "sdm", "hrd", "mutu", "label", "bank", "staf", "staff",
    "mitra", "legal", "sales", "iklan", "resep", "mesin", "izin", "ijin", "modal", "dana", "jual", "pasar", "produk",
})
"""Short words that are also parts of other words match only whole ("dana" is not "danau")."""
_CAPITALS_ONLY = frozenset({"it", "ti", "pos"})
"""Matched only in capitals inside a sentence: "it" is an English pronoun, "pos" the post."""


@dataclass(frozen=True, slots=True)
class AreaMention:
    code: str
    start: int
    end: int
    text: str


def _compile() -> tuple[re.Pattern[str], re.Pattern[str], list[str]]:
    """One alternation (longest keyword first) with a group per keyword: one pass per message.

    Every keyword starts at a word boundary, so the boundary is checked once, before the
    alternation, and the keywords are grouped by their first letter behind a lookahead:
    at a word start the engine tries only the keywords that can match there (≈ 30 times
    faster than trying every keyword at every position; the matches are the same)."""
    pairs = sorted(((kw, a.code) for a in AREAS for kw in a.keywords), key=lambda p: -len(p[0]))
    codes: list[str] = []
    loose: dict[str, list[str]] = {}
    strict: list[str] = []
    for kw, code in pairs:
        tail = r"\b" if kw in _WHOLE_WORD else r"\w*"
        group = f"g{len(codes)}"
        codes.append(code)
        if kw in _CAPITALS_ONLY:
            strict.append(rf"(?P<{group}>{kw.upper()}{tail})")
        else:
            loose.setdefault(kw[0].lower(), []).append(rf"(?P<{group}>{re.escape(kw)}{tail})")
    by_letter = "|".join(rf"(?={re.escape(first)})(?:{'|'.join(alts)})" for first, alts in loose.items())
    return re.compile(rf"\b(?:{by_letter})", re.I), re.compile(rf"\b(?:{'|'.join(strict)})"), codes


_LOOSE, _STRICT, _CODES = _compile()


def find_service_areas(text: str) -> list[AreaMention]:
    """Every area named in `text`, in reading order; overlapping mentions keep the longer keyword."""
    text = (text or "")[:2000]
    out: list[AreaMention] = []
    for pattern in (_LOOSE, _STRICT):
        for m in pattern.finditer(text):
            if m.lastgroup is None or any(e.start < m.end() and m.start() < e.end for e in out):
                continue
            out.append(AreaMention(_CODES[int(m.lastgroup[1:])], m.start(), m.end(), m.group()))
    out.sort(key=lambda e: e.start)
    return out


def find_service_area(text: str) -> str | None:
    """The one area a free answer names ("mau konsultasi pemasaran" → marketing), or None.
    The longest mention wins; a whole answer of "it" or "ti" counts in any case."""
    if (text or "").strip().lower() in ("it", "ti"):
        return "it"
    found = find_service_areas(text)
    return max(found, key=lambda e: e.end - e.start).code if found else None


# --- problems owners describe instead of naming a field ------------------------------------------

_PROBLEMS: dict[str, tuple[str, ...]] = {
    # "sambel sy cepet basi", "keripiknya melempem", "my cakes go mouldy in two days"
    "production": (r"basi", r"busuk", r"berjamur", r"jamuran", r"tengik", r"melempem", r"cepe?t rusak", r"gampang rusak",
                   r"ga(?:k)? awet", r"tidak awet", r"nggak awet", r"kurang awet", r"biar awet", r"supaya awet",
                   r"tahan lama", r"daya tahan", r"masa simpan", r"umur simpan", r"(?:go(?:es)?|went|gets?|turns?|becomes?) (?:bad|off|stale|soft|soggy|rancid|sour)",
                   r"rancid",
                   r"spoil\w*", r"mou?ldy", r"shelf life", r"rasa(?:nya)? berubah", r"produksi(?:nya)? lambat"),
    # "gaji karyawan", "payroll", "BPJS", "lembur", "THR"
    "hr": (r"gaji\w*", r"payroll", r"bpjs", r"lembur", r"pesangon", r"thr", r"upah", r"salar(?:y|ies)", r"wages?",
           r"karyawan(?:nya)? (?:keluar|resign|malas|sering bolos)", r"cari karyawan", r"rekrut\w*", r"my (?:staff|employees?)",
           r"hire|hiring"),
    # "ga laku di marketplace", "sepi pembeli", "omzet turun"
    "marketing": (r"(?:ga|gak|nggak|ngga|tidak|kurang|kagak|ora|mboten|teu) laku", r"sepi (?:pembeli|order|orderan|pesanan|banget|bgt)",
                  r"jualan(?:nya)? sepi", r"omz?s?et(?:nya)? (?:turun|anjlok|menurun)", r"nobody buys", r"no (?:customers|buyers|sales)",
                  r"(?:sales|orders) (?:are )?(?:dropping|down|slow)", r"not selling"),
    "financing": (r"butuh (?:modal|dana|uang)", r"kurang modal", r"(?:kehabisan|habis) modal", r"utang", r"hutang", r"cicilan",
                  r"pinjol", r"need (?:money|capital|funding)", r"cash ?flow"),
    "it": (r"pembukuan(?:nya)? (?:berantakan|manual|kacau)", r"catat(?:an)? keuangan", r"qris", r"website", r"aplikasi kasir"),
    "partnership": (r"cari (?:supplier|pemasok|mitra|reseller|distributor)", r"(?:find|looking for) (?:a )?(?:supplier|partner|distributor)"),
}
_PROBLEM = re.compile("|".join(rf"(?P<{code}>\b(?:{'|'.join(words)})\b)" for code, words in _PROBLEMS.items()), re.I)


def problem_area(text: str) -> str | None:
    """The service area of a problem described in plain words ("sambel sy cepet basi" →
    production, "BPJS karyawan" → hr, "ga laku di marketplace" → marketing), or None."""
    m = _PROBLEM.search((text or "")[:2000])
    return m.lastgroup if m is not None else None
