"""What owners say about days, times, yes and no, through `frontdesk chat --jsonl` (a real
process, SQLite, the clock frozen on Tuesday 24 November 2026 09:00 WIB as in issue 18)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from .test_chat import Chat, payload, texts

TUESDAY = "2026-11-24T09:00:00+07:00"


@pytest.fixture
def chat(tmp_path: Path):  # type: ignore[no-untyped-def]
    c = Chat(tmp_path / "dates.db", now=TUESDAY)
    yield c
    c.close()


def titles(replies: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for r in replies for b in r.get("buttons", []) + r.get("options", [])]


def ics(replies: list[dict[str, Any]]) -> str:
    doc = next(r["document"] for r in replies if "document" in r)
    return base64.b64decode(doc["content_base64"]).decode()


def finish_details(chat: Chat, user: str, *, english: bool = False) -> list[dict[str, Any]]:
    chat.send(user, text="John Doe" if english else "Siti Aminah")
    chat.send(user, text="Doe Coffee" if english else "Keripik Siti")
    chat.send(user, text="coffee" if english else "makanan ringan")
    return chat.send(user, contact={"phone": "0812-3456-7890"})


# --- the day said is the day booked, or the bot asks ---------------------------------------------


def test_a_weekday_with_its_date_beyond_the_horizon_says_until_when(chat: Chat) -> None:
    r = chat.send("i1", text="mau booking konsultasi pemasaran di plut sleman senin tgl 14 jam 10")
    body = texts(r)
    assert "30 November" not in body and "Senin, 14 Desember 2026" in body
    assert "sampai Selasa, 8 Desember 2026" in body
    assert "Senin, 7 Des" in titles(r)  # the nearest days that can be booked
    r = chat.send("i1", button=payload(r, "Senin, 7 Des"))
    assert "Senin, 7 Desember 2026 pukul 10.00 WIB" in texts(r)  # the hour said is kept


def test_thursday_the_17th_in_english(chat: Chat) -> None:
    r = chat.send("e1", text="I want to book a marketing consultation at PLUT Sleman on Thursday the 17th at 10am")
    body = texts(r)
    assert "26 November" not in body and "Thursday, 17 December 2026" in body
    assert "until Tuesday, 8 December 2026" in body


def test_a_date_past_the_horizon_is_not_called_full(chat: Chat) -> None:
    r = chat.send("i2", text="mau booking konsultasi pemasaran di plut sleman tanggal 15 desember jam 9")
    body = texts(r)
    assert "Tidak ada jadwal konsultasi kosong" not in body
    assert "Pemesanan dibuka sampai dua minggu ke depan, yaitu sampai Selasa, 8 Desember 2026" in body
    assert titles(r)


def test_rabu_depan_on_a_tuesday_is_asked_and_half_past_is_read(chat: Chat) -> None:
    r = chat.send("i3", text="mau booking konsultasi pemasaran di plut sleman rabu depan jam setengah 11")
    assert "Yang dimaksud hari apa?" in texts(r)
    assert titles(r) == ["Rabu, 25 November 2026", "Rabu, 2 Desember 2026"]
    r = chat.send("i3", button=payload(r, "Rabu, 2 Desember 2026"))
    assert "Rabu, 2 Desember 2026 pukul 10.30 WIB" in texts(r)  # 10.30 is read, though not a slot here


def test_a_weekday_that_is_not_that_date_is_asked_in_english(chat: Chat) -> None:
    r = chat.send("e2", text="I'd like a marketing consultation at PLUT Sleman on Monday the 1st")
    assert "do not fall together" in texts(r)
    assert titles(r) == ["Monday, 30 November 2026", "Tuesday, 1 December 2026"]


def test_a_part_of_the_day_filters_the_times(chat: Chat) -> None:
    r = chat.send("i4", text="mau booking konsultasi pemasaran di plut sleman minggu depan selasa sore")
    assert "Selasa, 1 Des, sore hari" in texts(r)
    times = [t for t in titles(r) if "WIB" in t]
    assert times and all(int(t[:2]) >= 12 for t in times), times


def test_after_lunch_in_english(chat: Chat) -> None:
    r = chat.send("e3", text="book a marketing consultation at PLUT Sleman next week tuesday after lunch")
    assert "Tuesday, 1 Dec, in the afternoon" in texts(r)
    times = [t for t in titles(r) if "WIB" in t]
    assert times and all(int(t[:2]) >= 12 for t in times), times


def test_a_closed_day_says_so(chat: Chat) -> None:
    r = chat.send("i5", text="mau booking konsultasi pemasaran di plut sleman hari sabtu jam 10")
    assert "tidak membuka konsultasi pada hari Sabtu" in texts(r)
    assert "Jumat, 27 Nov" in titles(r) and "Senin, 30 Nov" in titles(r)


def test_a_holiday_says_so(tmp_path: Path) -> None:
    c = Chat(tmp_path / "holiday.db", now="2026-12-20T09:00:00+07:00")
    try:
        r = c.send("e4", text="book a marketing consultation at PLUT Sleman on December 25 at 10am")
        assert "Friday, 25 December 2026 is a public holiday (Christmas Day)" in texts(r)
    finally:
        c.close()


@pytest.mark.parametrize("text", ["31 februari", "x" * 10_000, "🙂🙂🙂"])
def test_impossible_or_odd_days_are_answered_politely(chat: Chat, text: str) -> None:
    chat.send("i6", button="flow:book_consultation?center=plut-sleman&area=marketing")
    r = chat.send("i6", text=text)
    assert "Hari apa yang" in texts(r) and titles(r)
    r = chat.send("i6", text="besok jam 10")
    assert "Rabu, 25 November 2026 pukul 10.00 WIB" in texts(r)


# --- the booking intent ------------------------------------------------------------------------------


def test_booking_with_a_field_and_a_day_starts_a_booking(chat: Chat) -> None:
    r = chat.send("i7", text="ya udh booking pemasaran aja, hari jumat pagi")
    assert "PLUT mana" in texts(r)
    r = chat.send("i7", text="sleman")
    assert "Jumat, 27 Nov, pagi hari" in texts(r)
    times = [t for t in titles(r) if "WIB" in t]
    assert times and all(int(t[:2]) < 12 for t in times), times


# --- yes and no, as a whole message ---------------------------------------------------------------


def test_a_change_at_the_summary_is_no_yes_and_i_agree_is(chat: Chat) -> None:
    chat.send("e5", text="I want to book a marketing consultation at PLUT Sleman tomorrow at 11am")
    r = finish_details(chat, "e5", english=True)
    assert "Do you agree?" in texts(r)
    r = chat.send("e5", text="I agree")
    assert "Shall I book it?" in texts(r)
    r = chat.send("e5", text="OK. Could you move it to Thursday at 10?")
    body = texts(r)
    assert "booking code" not in body and "Thursday, 26 November 2026 at 10:00 WIB" in body and "Shall I book it?" in body
    r = chat.send("e5", text="hmm")
    assert "Please answer Yes to book or No to stop." in texts(r) and "Yes, book it" in titles(r)
    r = chat.send("e5", text="sure")
    assert "Your booking code is PLUT-" in texts(r)
    calendar = ics(r)
    assert "STATUS:TENTATIVE" in calendar and "DTSTART:20261126T030000Z" in calendar


def test_informal_yes_and_no_in_indonesian(chat: Chat) -> None:
    chat.send("i8", text="mau booking konsultasi pemasaran di plut sleman besok jam 11")
    finish_details(chat, "i8")
    r = chat.send("i8", text="setuju kak")
    assert "Apakah sudah benar dan boleh saya bookingkan?" in texts(r)
    r = chat.send("i8", text="ok tapi bisa ga jamnya diganti")
    assert "Mohon jawab Ya untuk booking atau Tidak" in texts(r) and "Ya, booking" in titles(r)
    r = chat.send("i8", text="nanti aja deh")
    assert "Baik, booking tidak jadi dibuat." in texts(r)
    r = chat.send("i8", button="flow:my_bookings")
    assert "PLUT-" not in texts(r)


def test_cancelling_sends_a_cancelling_calendar_file(chat: Chat) -> None:
    chat.send("i9", text="mau booking konsultasi pemasaran di plut sleman besok jam 13")
    finish_details(chat, "i9")
    chat.send("i9", text="setuju")
    r = chat.send("i9", text="gas")
    first = ics(r)
    ref = texts(r).split("kode ")[1][:9]
    r = chat.send("i9", text=f"batalkan booking {ref}")
    r = chat.send("i9", text="iya")
    cancel = ics(r)
    uid = f"UID:{ref}@plut-frontdesk"
    assert uid in first and uid in cancel
    assert "METHOD:CANCEL" in cancel and "STATUS:CANCELLED" in cancel and "SEQUENCE:2" in cancel


# --- free text is checked -----------------------------------------------------------------------------


def test_a_question_is_not_a_name_and_ga_jadi_is_not_a_kind_of_business(chat: Chat) -> None:
    chat.send("i10", text="mau booking konsultasi pemasaran di plut sleman besok jam 14")
    r = chat.send("i10", text="eh bentar min, konsulnya hrs bawa laptop sendiri ga?")
    assert r[-1]["text"] == "Boleh saya tahu nama Bapak/Ibu?"
    chat.send("i10", text="Siti Aminah")
    chat.send("i10", text="Keripik Siti")
    r = chat.send("i10", text="ga jadi deh")
    assert "Belum ada yang dipesan" in texts(r)
    r = chat.send("i10", text="mau booking konsultasi pemasaran di plut sleman besok jam 10")
    r = finish_details(chat, "i10")
    r = chat.send("i10", text="boleh")
    assert "• Nama: Siti Aminah — Keripik Siti (makanan ringan)" in texts(r)
    assert "laptop" not in json.dumps(r)


def test_a_question_at_the_name_step_in_english(chat: Chat) -> None:
    chat.send("e6", text="I want to book a marketing consultation at PLUT Sleman tomorrow at 2pm")
    r = chat.send("e6", text="What do I need to bring?")
    assert r[-1]["text"] == "May I have your name?"
    r = chat.send("e6", text="never mind")
    assert "Nothing was booked" in texts(r)


def test_a_weekend_at_a_center_closed_on_weekends_is_not_asked_about(chat: Chat) -> None:
    r = chat.send("e7", text="can I book a consultation about financing at plut maros this weekend?")
    assert "holds no consultations on Saturdays" in texts(r) and "Which day do you mean?" not in texts(r)
    assert "Friday, 27 Nov" in titles(r)


def test_an_unsure_question_or_a_request_keeps_the_booking(chat: Chat) -> None:
    chat.send("i11", text="mau booking konsultasi pemasaran di plut sleman besok jam 10")
    r = chat.send("i11", text="konsultasinya berapa lama ya?")
    assert "bisa menanyakannya langsung ke konsultan" in texts(r) and r[-1]["text"] == "Boleh saya tahu nama Bapak/Ibu?"
    r = chat.send("i11", text="tolong kirim alamat plutnya")
    assert "ketik “menu”" in texts(r) and r[-1]["text"] == "Boleh saya tahu nama Bapak/Ibu?"
    r = chat.send("i11", text="Pak Joko")
    assert "nama usaha" in texts(r)
