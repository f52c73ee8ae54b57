"""Words that mean the same thing to the front desk, in both languages, as one feature.

The word and character n-grams learn "hapus data saya" and "delete my data" from their own lines;
a rarer synonym ("wipe my data", "lupakan data saya") shares no n-gram with them and was read by
the rest of the message ("data" → `my_data`). The classifier therefore also sees, for each message,
which of these concepts its words name (`DELETE`, `PAY`, `STAFF` …) as a small third feature block,
so what it learned for "hapus"/"delete" carries to "wipe"/"buang" and what it learned for "biaya"
to "tarif"/"fee".

Only plain domain vocabulary, after `normalise` (lower case, chat forms already spelled out). A word
belongs to one concept. Changing the table changes the model: the classifier's cache key includes
its digest (`LEXICON_DIGEST`).
"""

from __future__ import annotations

import hashlib
import re

CONCEPTS: dict[str, str] = {
    "DELETE": "deleting erasing wiped removing forgot dihapusin hapus hapusin apus apusin dihapus menghapus delete deleted erase erased wipe remove removed purge "
              "lupakan forget buang bersihkan musnahkan ilangin hilangkan busak",
    "SHOW": "melihat ditampilkan menampilkan showing lihat tampilkan tunjukin tunjukkan show see view",
    "STORE": "storing saving keeping recorded dicatet simpan disimpan simpen disimpen kesimpen tersimpan menyimpan store stored save saved keep kept "
             "catat dicatat nyatet rekam direkam record records",
    "PAY": "paying membayar bayarnya bayar dibayar bayaran biaya biayanya tarif fee fees cost costs price harga paid pay charge charged "
           "pungutan dipungut ongkos",
    "FREE": "gratis free",
    "STAFF": "petugas staf staff pegawai karyawan officer operator agent cs",
    "PERSON": "manusia person human",
    "BOT": "bot robot mesin chatbot machine",
    "TRAINING": "pelatihan training trainings kursus course courses workshop workshops diklat kelas class webinar "
                "bimtek",
    "MARKET": "pasar market pemasaran marketing sales penjualan promosi promote pembeli "
              "customer customers pelanggan omset",
    "EXPORT": "ekspor export exporting eksportir exporter",
    "LOAN": "pinjaman pinjam kredit loan loans modal funds funding dana pendanaan capital hibah grant grants",
    "PERMIT": "izin ijin perizinan permit permits license licence licensing",
    "BRAND": "merek merk brand trademark trademarks haki copyright logo",
    "PACK": "kemasan packaging package bungkus",
    "HOURS": "opened closes buka tutup open opening closing closed hours",
    "BAD": "reported dilaporkan kecewa disappointed jelek buruk parah lambat slow kasar rude jutek lapor melaporkan report keluhan "
           "complaint komplain",
    "PLACE": "near nearby dekat deket alamat address lokasi location terdekat nearest",
    "HELP": "membantu bantuin helping helped bantu bantuan dibantu help support assistance",
    "BOOKING": "book booked dibooking reserved reserve booking reservasi reservation appointment janji jadwal schedule scheduled",
    "CANCEL": "canceled canceling cancelling dibatalkan batalin batal batalkan membatalkan cancel cancelled",
    "MOVE": "dipindah pindahin diganti gantiin diubah changed moved rescheduled postpone postponed pindah ganti ubah geser reschedule change move majuin mundurin",
    "CONSULTANT": "konsultan consultant pendamping mentor advisor",
}

CONCEPT_OF: dict[str, str] = {w: c for c, words in CONCEPTS.items() for w in words.split()}
"""word -> concept"""

SUFFIXES = ("nya", "es", "s")
"""stripped (one of them, words longer than four letters) when the word itself is not in the table"""

LEXICON_DIGEST = hashlib.sha256(repr((sorted(CONCEPT_OF.items()), SUFFIXES)).encode()).hexdigest()[:12]

_WORD_TOKEN = re.compile(r"(?u)\b\w+\b")


def concept_of(word: str) -> str | None:
    """The concept of a word, also with Indonesian -nya or an English plural -s/-es on it
    ("biayanya", "petugasnya", "appointments", "fees")."""
    found = CONCEPT_OF.get(word)
    if found is None and len(word) > 4:
        for suffix in SUFFIXES:
            if word.endswith(suffix) and (found := CONCEPT_OF.get(word[:-len(suffix)])) is not None:
                break
    return found


def concepts_of(normalised: str) -> list[str]:
    """The concepts a normalised message names, each once, sorted (the analyzer of the block)."""
    return sorted({c for w in _WORD_TOKEN.findall(normalised) if (c := concept_of(w)) is not None})
