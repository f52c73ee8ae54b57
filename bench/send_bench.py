"""CPU per outbound send of the delivery worker's transports, without the database.

    PYTHONPATH=. /work/venv/bin/python bench/send_bench.py --channel telegram -n 3000
    PYTHONPATH=. /work/venv/bin/python bench/send_bench.py --channel whatsapp -n 3000

What is measured: the real `TelegramTransport` / `WhatsAppTransport` (aiogram / pywa, the
same objects the outbox worker uses) send N realistic parts to the fake Bot API / Graph API
(`tests/channels/fakes.py`, started as its own process so its CPU is not counted), 16 at a
time, on uvloop as under `frontdesk run`. The parts cycle through what a conversation sends:
a text with 4 inline buttons, a text with a list of 6 options, and a button press's
`answerCallbackQuery` (Telegram) or a plain text (WhatsApp). The figure is the sending
process's CPU time (user + system, `time.process_time`) per send over the measured run,
after a warm-up; sends/s is given for orientation only (the machine is shared). The fake's
own CPU per request (from /proc) is shown apart: it shares the cores in the webhook bench.

The platforms' rate limits are lifted: they would measure the limiter, not the send path.
`--parts menu` (or `list`, `third`, comma-separated) sends only those parts; `--heap N` keeps
N objects alive as a server's heap; `--profile FILE` writes a cProfile; `--api URL` uses a
fake already running (to profile the fake itself).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channels import fakes  # noqa: E402

TG_TOKEN = "123456789:AAHbenchTokenForTheFakeServer_x"
WA_TOKEN = "EAAGbench"
WA_PHONE = "106540352242922"

BUTTONS = [{"title": "Booking", "payload": "flow:booking"}, {"title": "Lokasi", "payload": "flow:centers"},
           {"title": "Jam buka", "payload": "flow:hours"}, {"title": "Konsultan", "payload": "flow:talk_to_consultant"}]
OPTIONS = [{"title": f"PLUT {city} — Jl. Merdeka No. {i}", "payload": f"center:pick?id={i}"}
           for i, city in enumerate(["Jakarta Pusat", "Bandung", "Surabaya", "Semarang", "Medan", "Makassar"], 1)]
TEXT = ("Selamat datang di PLUT! 👋 Saya asisten virtual Pusat Layanan Usaha Terpadu.\n"
        "Pilih salah satu menu di bawah, atau tulis pertanyaan Anda.")


PART_NAMES = ("menu", "list", "third")


def _parts(channel: str) -> list[dict[str, Any]]:
    """The three parts the bench cycles through (`PART_NAMES`), as the channel's `reply_parts` makes them."""
    if channel == "telegram":
        from bot.channels.telegram import reply_parts

        menu = reply_parts({"text": TEXT, "buttons": BUTTONS})
        pick = reply_parts({"text": "Pilih pusat layanan terdekat:", "options": OPTIONS, "options_title": "Pusat"})
        return [menu[-1], pick[-1], {"answer_callback": "cbq12345"}]
    from bot.channels.whatsapp import reply_parts

    menu = reply_parts({"text": TEXT, "buttons": BUTTONS[:3]})
    pick = reply_parts({"text": "Pilih pusat layanan terdekat:", "options": OPTIONS, "options_title": "Pusat"})
    return [menu[-1], pick[-1], {"text": "Terima kasih, pesan Anda sudah kami terima."}]


def _start_fake(channel: str, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "tests.channels.fakes", channel, "--port", str(port),
           "--token", TG_TOKEN if channel == "telegram" else WA_TOKEN, "--phone-id", WA_PHONE]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/__calls?since=0", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the fake API did not start")


def _transport(channel: str, base: str) -> Any:
    from bot.channels.settings import load_channel_settings
    from bot.channels.transports import TelegramTransport, WhatsAppTransport

    if channel == "telegram":
        cs = load_channel_settings(TELEGRAM_BOT_TOKEN=TG_TOKEN, TELEGRAM_API_BASE=base,
                                   TELEGRAM_RATE_PER_SECOND="1000000", TELEGRAM_CHAT_RATE_PER_SECOND="1000000",
                                   TELEGRAM_CHAT_BURST="1000000", CHANNEL_SEND_TIMEOUT="10")
        return TelegramTransport(SimpleNamespace(settings=cs))  # type: ignore[arg-type]
    cs = load_channel_settings(WHATSAPP_TOKEN=WA_TOKEN, WHATSAPP_PHONE_ID=WA_PHONE, WHATSAPP_API_BASE=base,
                               WHATSAPP_VERIFY_TOKEN="v", WHATSAPP_APP_SECRET="s",
                               WHATSAPP_RATE_PER_SECOND="1000000", CHANNEL_SEND_TIMEOUT="10")
    return WhatsAppTransport(SimpleNamespace(settings=cs))  # type: ignore[arg-type]


async def _run(transport: Any, channel: str, n: int, concurrency: int, first: int,
               names: tuple[str, ...] = PART_NAMES) -> list[str | None]:
    parts = [p for name, p in zip(PART_NAMES, _parts(channel), strict=True) if name in names]
    queue = iter(range(first, first + n))
    out: list[str | None] = []

    async def one_worker() -> None:
        for i in queue:
            # kind "reply": a WhatsApp reply is inside the 24-hour window, no database look-up
            message = SimpleNamespace(payload=parts[i % len(parts)], recipient=str(10_000_000 + i % 997),
                                      kind="reply", id=i)
            out.append(await transport.send(message))

    await asyncio.gather(*(one_worker() for _ in range(concurrency)))
    return out


def _cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of another process (Linux)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def bench(channel: str, n: int, warmup: int, concurrency: int, base: str, fake_pid: int | None,
                names: tuple[str, ...] = PART_NAMES) -> dict[str, float]:
    transport = _transport(channel, base)
    try:
        await _run(transport, channel, warmup, concurrency, 0, names)
        cpu0, wall0, fake0 = time.process_time(), time.perf_counter(), _cpu_of(fake_pid)
        ids = await _run(transport, channel, n, concurrency, warmup, names)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        fake_cpu = _cpu_of(fake_pid) - fake0
    finally:
        await transport.close()
    # Telegram's answerCallbackQuery has no message id
    expected = n if channel == "whatsapp" or "third" not in names else \
        n - sum(1 for i in range(warmup, warmup + n) if i % len(names) == len(names) - 1)
    got = sum(1 for x in ids if x)
    assert got == expected, f"{got} message ids for {expected} messages"
    return {"sends": n, "cpu_ms_per_send": cpu / n * 1000, "sends_per_s": n / wall, "wall_s": wall,
            "fake_ms_per_send": fake_cpu / n * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channel", choices=["telegram", "whatsapp"], default="telegram")
    parser.add_argument("-n", type=int, default=3000, help="measured sends")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="measured runs; the best (least CPU) is reported too")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the measured runs into FILE")
    parser.add_argument("--parts", default=",".join(PART_NAMES), help="which parts to send: menu, list, third")
    parser.add_argument("--heap", type=int, default=0, metavar="N",
                        help="keep N container objects alive, as a running server's heap (≈ 300000): the garbage "
                             "collector walks them, so allocations per send cost more there")
    parser.add_argument("--api", metavar="URL", help="use this running fake API (python -m tests.channels.fakes "
                                                     "... with the bench's token) instead of starting one")
    args = parser.parse_args()
    names = tuple(n for n in PART_NAMES if n in args.parts.split(","))
    if not names:
        parser.error(f"--parts: some of {', '.join(PART_NAMES)}")

    heap = [{"i": i, "tags": [i]} for i in range(args.heap // 2)]  # noqa: F841  (kept alive on purpose)
    fake = None
    if args.api:
        base = args.api.rstrip("/")
    else:
        port = fakes._free_port()  # noqa: SLF001
        fake = _start_fake(args.channel, port)
        base = f"http://127.0.0.1:{port}"
    if args.loop == "uvloop":
        import uvloop

        uvloop.install()
    try:
        results = []
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
        for _ in range(args.repeat):
            if profiler is not None:
                profiler.enable()
            r = asyncio.run(bench(args.channel, args.n, args.warmup, args.concurrency, base,
                                  fake.pid if fake is not None else None, names))
            if profiler is not None:
                profiler.disable()
            results.append(r)
            fake_cpu = f"; fake API {r['fake_ms_per_send']:.3f} ms CPU/request" if fake is not None else ""
            print(f"{args.channel}: {r['sends']} sends, {r['cpu_ms_per_send']:.3f} ms CPU/send, "
                  f"{r['sends_per_s']:.0f} sends/s (wall {r['wall_s']:.1f}s){fake_cpu}", flush=True)
        cpu = sorted(r["cpu_ms_per_send"] for r in results)
        print(f"{args.channel}: CPU ms/send best {cpu[0]:.3f}, median {cpu[len(cpu) // 2]:.3f} "
              f"(parts {','.join(names)}, concurrency {args.concurrency}, {args.loop})")
        if profiler is not None:
            profiler.dump_stats(args.profile)
    finally:
        if fake is not None:
            fake.terminate()
            fake.wait(5)


if __name__ == "__main__":
    main()
