"""Yes/no and free-text answers read as whole messages (bot/domain/answers.py)."""

from __future__ import annotations

import pytest

from bot.domain.answers import free_text_kind, read_yes_no


@pytest.mark.parametrize("text", [
    "ya", "iya kak", "setuju", "boleh", "gas", "sip", "oke deh", "Ok deh min", "siap", "lanjut aja", "ya, boleh",
    "I agree", "sure", "yes please", "of course", "sounds good", "👍", "iya2", "gpp", "ok thanks", "Yes, book it",
])
def test_yes(text: str) -> None:
    assert read_yes_no(text) == "yes"


@pytest.mark.parametrize("text", [
    "tidak", "ga usah", "gak usah kak", "nanti aja", "nanti dulu ya", "ga jadi", "no thanks", "no", "nope",
    "tidak setuju", "I don't agree", "not now", "batal", "jangan dulu",
    "hmm no, never mind, keep it", "eh ga jd deh, biarin aja", "actually no", "i changed my mind",
])
def test_no(text: str) -> None:
    assert read_yes_no(text) == "no"


@pytest.mark.parametrize("text", [
    "OK. Could you move it to Friday?", "ya tapi jamnya diganti", "ok, tapi bisa jam 11?", "boleh ga kalau jumat?",
    "hmm", "ok ga jadi deh", "yes but on monday", "sure, can you make it 2pm instead", "", "x" * 10_000, "🙂🙂🙂",
])
def test_unclear_or_a_change_is_neither(text: str) -> None:
    assert read_yes_no(text) is None


@pytest.mark.parametrize(("text", "kind"), [
    ("eh bentar min, konsulnya hrs bawa laptop sendiri ga?", "question"),
    ("What do I need to bring?", "question"),
    ("apakah konsultasinya bayar", "question"),
    ("ga jadi deh", "escape"),
    ("udah ga jadi", "escape"),
    ("never mind", "escape"),
    ("actually never mind, maybe next month", "escape"),
    ("eh ga jd deh", "escape"),
    ("no, cancel", "escape"),
    ("tolong kirim alamatnya", "request"),
    ("could you send me the address", "request"),
    ("ok lanjut", "proceed"),
    ("Lanjutkan booking", "proceed"),
    ("lanjut aja deh", "proceed"),
    ("continue please", "proceed"),
    ("go on", "proceed"),
    ("back to the booking", "proceed"),
])
def test_not_an_answer(text: str, kind: str) -> None:
    assert free_text_kind(text) == kind


@pytest.mark.parametrize("text", [
    "Siti Aminah", "Keripik Siti", "makanan ringan", "Koperasi Simpan Pinjam Makmur", "Apa Kabar Batik",
    "Warung Apa Aja", "saya jualan keripik", "coffee roaster", "Budi", "Toko Kapan Lagi", "Lanjut Jaya Motor", "Continental Bakery",
])
def test_names_and_kinds_are_answers(text: str) -> None:
    assert free_text_kind(text) is None
