"""`frontdesk chat --jsonl`: the scripted conversation a user or a test drives, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tests.conftest import Cli


def texts(out: dict) -> str:
    return "\n".join(r.get("text", "") for r in out["replies"])


def titles(out: dict) -> list[str]:
    return [b["title"] for r in out["replies"] for b in r.get("buttons", []) + r.get("options", [])]


def test_main_menu_in_indonesian(cli: Cli) -> None:
    start, ask, lang_menu = cli.chat(
        {"user": "ani", "command": "start"},
        {"user": "ani", "text": "tanya layanan"},
        {"user": "ani", "button": "goto:language"},
    )
    assert "selamat datang" in texts(start).lower()
    assert titles(start) == [
        "Tanya layanan", "Cari PLUT terdekat", "Booking konsultasi", "Booking saya", "Bicara dgn konsultan", "Ganti bahasa",
    ]
    assert "ketik pertanyaan" in texts(ask)
    assert titles(lang_menu) == ["Bahasa Indonesia", "English"]


def test_main_menu_in_english(cli: Cli) -> None:
    first, menu = cli.chat(
        {"user": "tom", "text": "Hello, I would like some help please"},
        {"user": "tom", "command": "menu"},
    )
    assert "How can I help?" in texts(first)
    assert "Ask a question" in titles(menu) and "Find a center" in titles(menu)
    assert not any("Silakan" in t for t in texts(menu).split("\n"))


def test_language_switches_mid_conversation(cli: Cli) -> None:
    start, switch, menu, back = cli.chat(
        {"user": "budi", "command": "start"},
        {"user": "budi", "text": "English please"},
        {"user": "budi", "text": "menu"},
        {"user": "budi", "command": "lang id"},
    )
    assert "selamat datang" in texts(start).lower()
    assert "reply in English" in texts(switch)
    assert "Welcome to PLUT-KUMKM" in texts(menu) or "How can I help?" in texts(menu)
    assert "Bahasa Indonesia" in texts(back) and "Ada yang bisa saya bantu?" in texts(back)


def test_replayed_message_id_gets_no_second_reply(cli: Cli) -> None:
    first, again, other = cli.chat(
        {"user": "citra", "message_id": "tg-1001", "command": "start"},
        {"user": "citra", "message_id": "tg-1001", "command": "start"},
        {"user": "citra", "message_id": "tg-1002", "command": "start"},
    )
    assert first["replies"]
    assert again == {"user": "citra", "replies": []}
    assert other["replies"]


def test_bad_lines_are_answered_and_the_session_goes_on(cli: Cli) -> None:
    outs = cli.chat(
        "this is not json",
        '{"user": "dewi"',
        {"text": "no user"},
        {"user": "dewi", "text": "a", "button": "b"},
        {"user": "dewi", "location": {"latitude": 200, "longitude": 0}},
        {"user": "dewi", "text": ""},
        {"user": "dewi", "text": "😀🙏🔥"},
        {"user": "dewi", "text": "modal " * 2000},
        {"user": "dewi", "command": "start"},
    )
    for bad in outs[:5]:
        assert set(bad) == {"error"} and bad["error"]
    empty, emoji, long, start = outs[5:]
    assert "teks, lokasi, dan tombol" in texts(empty)
    assert "teks, lokasi, dan tombol" in texts(emoji)
    assert "sangat panjang" in texts(long)
    assert "selamat datang" in texts(start).lower()


def test_bad_lines_get_an_error_line_and_the_next_lines_are_answered(cli: Cli) -> None:
    """NUL (PostgreSQL cannot store it), lone surrogates, bytes that are not UTF-8 and deeply
    nested JSON each get one line back, and the conversation goes on (issue 15, defect 9)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    good = b'{"user": "dewi", "command": "start"}\n'
    lines = [
        b'{"user": "dewi", "text": "halo\\u0000 apa kabar"}\n',
        b'{"user": "dewi\\ud800", "text": "halo \\ud800 \\udfff"}\n',
        b'{"user": "dewi", "text": "caf\xff\xfe"}\n',
        b"[" * 20_000 + b"]" * 20_000 + b"\n",
        b'{"user": "dewi", "text": ' + b"[" * 3000 + b"]" * 3000 + b"}\n",
        b'{"user": "dewi", "location": {"latitude": NaN, "longitude": 1}}\n',
        good,
    ]
    proc = subprocess.run([sys.executable, "-m", "bot", "chat", "--jsonl"], input=b"".join(lines), capture_output=True,
                          env=cli.env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = [json.loads(x) for x in proc.stdout.decode().splitlines() if x.strip()]
    assert len(out) == len(lines), proc.stdout.decode() + proc.stderr.decode(errors="replace")
    assert out[0]["replies"] and out[1]["replies"], out[:2]
    assert out[1]["user"] == "dewi"
    assert "error" in out[2] and "UTF-8" in out[2]["error"]
    assert "error" in out[3] and "error" in out[4] and "error" in out[5]
    assert "selamat datang" in texts(out[6]).lower()
