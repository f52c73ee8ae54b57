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


def _compile() -> list[tuple[re.Pattern[str], str]]:
    pairs = [(kw, area) for area, kws in KEYWORDS.items() for kw in kws]
    pairs.sort(key=lambda p: -len(p[0]))
    out = []
    for kw, area in pairs:
        tail = r"\b" if kw in _WHOLE_WORD else r"\w*"
        # "IT" only in capitals or after "bidang/pengembangan": "it" is an English word too
        flags = 0 if kw in ("it", "ti", "pos") else re.I
        text = kw.upper() if flags == 0 else re.escape(kw)
        out.append((re.compile(rf"\b{text}{tail}", flags), area))
    return out


_PATTERNS = _compile()


def extract_service_areas(text: str) -> list[dict[str, Any]]:
    taken: list[tuple[int, int]] = []
    out: list[dict[str, Any]] = []
    for pat, area in _PATTERNS:
        for m in pat.finditer(text[:2000]):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            out.append({"entity": "service_area", "value": area, "start": m.start(), "end": m.end(),
                        "text": m.group(), "extractor": "ServiceAreaExtractor"})
    out.sort(key=lambda e: e["start"])
    return out
