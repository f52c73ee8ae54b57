"""The `service_area` entity: which of the seven consulting fields a message is about.

Values are the booking system's codes: hr, production, financing, marketing,
institutional, it, partnership. Keywords are stems matched at word starts, so
"pemasaran", "pemasarannya" and "marketing" all hit; a phrase wins over a word.
"""

from __future__ import annotations

import re
from typing import Any

SERVICE_AREAS = ("hr", "production", "financing", "marketing", "institutional", "it", "partnership")

KEYWORDS: dict[str, list[str]] = {
    "hr": ["sdm", "sumber daya manusia", "karyawan", "pegawai", "tenaga kerja", "rekrut", "human resource",
           "hrd", "staf", "staff", "employee", "pelatihan karyawan"],
    "production": ["produksi", "production", "proses produksi", "bahan baku", "mesin", "peralatan", "kualitas produk",
                   "mutu", "kemasan", "packaging", "label", "halal", "resep", "manufactur", "raw material"],
    "financing": ["pembiayaan", "modal", "pinjaman", "kredit", "kur", "keuangan", "pembukuan", "laporan keuangan",
                  "financing", "finance", "loan", "capital", "funding", "investor", "hibah", "bank", "akuntansi",
                  "bookkeeping"],
    "marketing": ["pemasaran", "marketing", "promosi", "promotion", "jualan", "penjualan", "marketplace", "ekspor",
                  "export", "pameran", "branding", "iklan", "pembeli", "pelanggan", "sales", "reseller",
                  "online shop", "toko online", "sosmed", "media sosial", "social media"],
    "institutional": ["kelembagaan", "kelembagaan usaha", "izin", "ijin", "perizinan", "nib", "oss", "legalitas",
                      "badan usaha", "badan hukum", "koperasi", "pirt", "bpom", "merek", "haki", "hki", "trademark",
                      "permit", "license", "licence", "legal", "cooperative", "institutional"],
    "it": ["pengembangan it", "pengembangan ti", "teknologi informasi", "website", "aplikasi", "software", "it",
           "ti", "sistem informasi", "kasir digital", "pos", "digitalisasi", "information technology"],
    "partnership": ["jaringan kerjasama", "jaringan kerja sama", "kerjasama", "kerja sama", "kemitraan", "mitra",
                    "partnership", "partner", "networking", "jejaring", "kolaborasi"],
}
# short codes that are also ordinary words match only as whole words
_WHOLE_WORD = {"it", "ti", "pos", "kur", "oss", "nib", "sdm", "hrd", "mutu", "label", "bank", "staf", "staff",
               "mitra", "legal", "sales", "iklan", "resep", "mesin", "izin", "ijin", "modal"}


def _compile() -> tuple[re.Pattern[str], re.Pattern[str], list[str]]:
    """One alternation (longest keyword first) with a group per keyword: one pass per message."""
    pairs = sorted(((kw, area) for area, kws in KEYWORDS.items() for kw in kws), key=lambda p: -len(p[0]))
    areas: list[str] = []
    loose, strict = [], []
    for kw, area in pairs:
        tail = r"\b" if kw in _WHOLE_WORD else r"\w*"
        group = f"g{len(areas)}"
        areas.append(area)
        if kw in ("it", "ti", "pos"):
            # "IT" only in capitals: "it" is an English word too
            strict.append(rf"(?P<{group}>\b{kw.upper()}{tail})")
        else:
            loose.append(rf"(?P<{group}>\b{re.escape(kw)}{tail})")
    return re.compile("|".join(loose), re.I), re.compile("|".join(strict)), areas


_LOOSE, _STRICT, _AREAS = _compile()


def extract_service_areas(text: str) -> list[dict[str, Any]]:
    text = text[:2000]
    out: list[dict[str, Any]] = []
    for pat in (_LOOSE, _STRICT):
        for m in pat.finditer(text):
            if any(e["start"] < m.end() and m.start() < e["end"] for e in out):
                continue
            area = _AREAS[int(m.lastgroup[1:])]  # type: ignore[index]
            out.append({"entity": "service_area", "value": area, "start": m.start(), "end": m.end(),
                        "text": m.group(), "extractor": "ServiceAreaExtractor"})
    out.sort(key=lambda e: e["start"])
    return out
