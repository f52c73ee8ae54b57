"""Whole conversations through `frontdesk chat --jsonl` (a real process, frozen clock, SQLite)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Chat:
    """Drives one `frontdesk chat --jsonl` process: one line in, one line out."""

    def __init__(self, db: Path, now: str = "2026-11-23T09:00:00+07:00") -> None:
        env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}", "FRONTDESK_NOW": now, "FRONTDESK_LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "chat", "--jsonl"], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def send(self, user: str, **event: Any) -> list[dict[str, Any]]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"user": user, **event}) + "\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        assert out["user"] == user, out
        return out["replies"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def payload(replies: list[dict[str, Any]], title_part: str) -> str:
    for r in replies:
        for b in r.get("buttons", []) + r.get("options", []):
            if title_part in b["title"]:
                return b["payload"]
    raise AssertionError(f"no button with {title_part!r} in {replies}")


@pytest.fixture
def chat(tmp_path: Path):  # type: ignore[no-untyped-def]
    c = Chat(tmp_path / "chat.db")
    yield c
    c.close()


def test_full_booking_in_indonesian_from_one_sentence_then_move_and_cancel(chat: Chat) -> None:
    r = chat.send("u1", command="book mau konsultasi pemasaran di PLUT Maros besok jam 10")
    assert "nama" in texts(r)  # center, field, day and time came from the sentence
    chat.send("u1", text="Siti Aminah")
    chat.send("u1", text="Keripik Siti")
    r = chat.send("u1", text="makanan ringan")
    assert r[-1].get("request_contact") is True
    r = chat.send("u1", contact={"phone": "0812-3456-7890"})
    assert "UU PDP" in texts(r)
    r = chat.send("u1", button="yes")
    summary = texts(r)
    assert "Kabupaten Maros" in summary and "Pemasaran" in summary and "Selasa, 24 November 2026 pukul 10.00 WITA" in summary
    assert "+6281234567890" in summary
    r = chat.send("u1", text="ya")
    body = texts(r)
    assert "tercatat dengan kode PLUT-" in body
    ref = body.split("kode ")[1][:9]
    doc = next(x["document"] for x in r if "document" in x)
    ics = base64.b64decode(doc["content_base64"]).decode()
    assert doc["filename"] == f"{ref}.ics" and "DTSTART:20261124T020000Z" in ics

    # Another user cannot touch it.
    r = chat.send("u2", command=f"bookings batalkan {ref}")
    assert "tidak ditemukan" in texts(r)

    # "bisa pindah ke jumat?" with one booking: it is the one meant.
    r = chat.send("u1", command="bookings bisa pindah ke jumat?")
    assert "Jumat, 27 Nov" in texts(r)
    r = chat.send("u1", text="jam 25")
    assert "Jam tersebut tidak ada" in texts(r)
    r = chat.send("u1", text="jam 9")
    assert "Jumat, 27 November 2026 pukul 09.00 WITA" in texts(r)
    r = chat.send("u1", button="yes")
    assert "dipindahkan ke Jumat, 27 November 2026 pukul 09.00 WITA" in texts(r)

    r = chat.send("u1", command=f"bookings batalkan {ref.lower()}")
    assert f"Batalkan booking {ref}" in texts(r)
    r = chat.send("u1", text="ya")
    assert "sudah dibatalkan" in texts(r)
    r = chat.send("u1", button="flow:my_bookings")
    assert "belum memiliki booking" in texts(r)


def test_full_booking_in_english_by_typing_each_answer(chat: Chat) -> None:
    chat.send("e1", command="lang en")
    r = chat.send("e1", command="book")
    assert "Which PLUT center" in texts(r) and r[-1].get("request_location")
    r = chat.send("e1", text="biak")
    assert "Which topic" in texts(r)
    r = chat.send("e1", text="financing")
    assert "WIT, the local time of PLUT-KUMKM Kabupaten Biak Numfor" in texts(r)
    r = chat.send("e1", text="20/11")  # in the past
    assert "has already passed" in texts(r)
    r = chat.send("e1", text="wednesday")
    assert "Free times on Wednesday, 25 Nov" in texts(r) and "08:00 WIT" in json.dumps(r)
    r = chat.send("e1", text="2pm")
    assert "May I have your name" in texts(r)
    chat.send("e1", text="John Doe")
    chat.send("e1", text="Biak Coffee")
    chat.send("e1", text="coffee roasting")
    r = chat.send("e1", text="not a number")
    assert "does not look like a phone number" in texts(r)
    chat.send("e1", text="+62 812 9999 0000")
    r = chat.send("e1", text="yes")
    assert "Wednesday, 25 November 2026 at 14:00 WIT" in texts(r) and "Shall I book it?" in texts(r)
    r = chat.send("e1", button="yes")
    assert "Your booking code is PLUT-" in texts(r)
    r = chat.send("e1", button="flow:my_bookings")
    assert "Financing at PLUT-KUMKM Kabupaten Biak Numfor" in texts(r) and "waiting for the consultant" in texts(r)


def test_lost_race_offers_the_nearest_free_times(chat: Chat) -> None:
    """Two users pick the same time; the first holds it, the second is told and offered others."""
    for user in ("a", "b"):
        chat.send(user, button="flow:book_consultation?center=plut-sleman&area=it")
        chat.send(user, button="day:2026-11-24")
    r = chat.send("a", text="10")
    assert "nama" in texts(r)
    r = chat.send("b", text="jam 10")
    assert "baru saja diambil orang lain" in texts(r)
    assert payload(r, "11.00 WIB").startswith("time:")
    r = chat.send("b", button=payload(r, "11.00 WIB"))
    assert "nama" in texts(r)


def test_a_request_at_the_name_question_is_not_taken_for_a_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The owner changes their mind mid-booking; a business name that looks like a topic stays a name."""
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    lines = [
        {"user": "w1", "text": "mau konsultasi pemasaran di PLUT Maros besok jam 10"},
        {"user": "w1", "text": "dimana PLUT terdekat dari Kendari?"},
        {"user": "w2", "text": "mau konsultasi pemasaran di PLUT Maros besok jam 11"},
        {"user": "w2", "text": "Siti Aminah"},
        {"user": "w2", "text": "Koperasi Simpan Pinjam Makmur"},
    ]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fd.db'}", "FRONTDESK_NOW": "2026-11-23T09:00:00+08:00",
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bot", "chat", "--jsonl"], input="".join(json.dumps(x) + "\n" for x in lines),
                          capture_output=True, text=True, env=env, cwd=ROOT, check=True, timeout=120)
    outs = [json.loads(x) for x in proc.stdout.splitlines()]
    texts = ["\n".join(r.get("text") or "" for r in o["replies"]) for o in outs]
    assert "nama" in texts[0].lower()
    assert "Kendari" in texts[1] and "nama usaha" not in texts[1].lower()
    assert "nama usaha" in texts[3].lower()
    assert "bidang apa" in texts[4].lower(), "a business name that mentions a topic is still the answer"
