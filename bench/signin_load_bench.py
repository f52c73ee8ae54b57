"""Webhook latency while people sign in to /admin: p50/p99 without and with 20 sign-ins running.

    .venv/bin/python bench/signin_load_bench.py --seconds 10 --rate 20 --signins 20

A `frontdesk`-style server (the app of `frontdesk run`, without the outbox worker: replies
stay in the outbox) runs in a subprocess on a fresh SQLite database, with the Telegram
webhook configured. The bench posts `/start` updates to `/telegram/webhook` on a schedule
(`--rate` per second, open loop) for `--seconds`, twice: alone, then while `--signins`
loops each post sign-ins with an unknown user name, as fast as they are answered. Each
sign-in comes from its own address (`X-Forwarded-For`, which the bench's server trusts) and
name, so the throttle never spares the password check: every sign-in costs one argon2
verification, the work that used to run on the event loop. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAHbenchTokenForSigninLoad_abcdefg"
SECRET = "bench-secret"
FORM = "bench-login-form"

SERVE = """
import sys, uvicorn
from bot.app import FrontDesk
from bot.config import load_settings
from bot.storage.db import upgrade_schema
from bot.web.app import create_app
url, port = sys.argv[1], int(sys.argv[2])
upgrade_schema(url)
settings = load_settings(DATABASE_URL=url, FRONTDESK_DEMO_SEED="false", TELEGRAM_BOT_TOKEN=sys.argv[3],
                         TELEGRAM_WEBHOOK_SECRET=sys.argv[4], TELEGRAM_API_BASE="http://127.0.0.1:9")
app = create_app(FrontDesk(settings), background=False)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
            proxy_headers=True, forwarded_allow_ips="*")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def _webhooks(http: httpx.AsyncClient, seconds: float, rate: float, first_id: int) -> list[float]:
    latencies: list[float] = []
    failures = 0

    async def one(n: int) -> None:
        nonlocal failures
        update = {"update_id": first_id + n, "message": {
            "message_id": n + 1, "date": 1795000000, "text": "/start",
            "chat": {"id": 900000 + n, "type": "private", "first_name": "Siti"},
            "from": {"id": 900000 + n, "is_bot": False, "first_name": "Siti"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}
        started = time.perf_counter()
        r = await http.post("/telegram/webhook", json=update, headers={"x-telegram-bot-api-secret-token": SECRET})
        latencies.append(time.perf_counter() - started)
        if r.status_code != 200:
            failures += 1

    tasks = []
    start = time.perf_counter()
    for n in range(int(seconds * rate)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    if failures:
        raise SystemExit(f"{failures} webhook POSTs failed")
    return latencies


async def _signins(http: httpx.AsyncClient, loops: int, stop: asyncio.Event) -> int:
    done = 0

    async def loop(k: int) -> None:
        nonlocal done
        n = 0
        while not stop.is_set():
            n += 1
            ip = f"10.{k}.{n // 250}.{n % 250 + 1}"
            r = await http.post("/admin/login", data={"csrf": FORM, "username": f"nobody{k}x{n}", "password": "wrong pw!"},
                                headers={"cookie": f"frontdesk_admin_login={FORM}", "x-forwarded-for": ip})
            if r.status_code not in (401, 429):
                raise SystemExit(f"sign-in answered {r.status_code}")
            done += 1

    await asyncio.gather(*(loop(k) for k in range(loops)))
    return done


async def bench(args: argparse.Namespace) -> dict[str, object]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen([sys.executable, "-c", SERVE, url, str(port), TOKEN, SECRET], cwd=ROOT, env=env)
        try:
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits) as http:
                for _ in range(600):
                    try:
                        if (await http.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if server.poll() is not None:
                        raise SystemExit("the server did not start")
                    await asyncio.sleep(0.1)
                await _webhooks(http, 2, args.rate, 1)  # warm-up
                alone = await _webhooks(http, args.seconds, args.rate, 10_000)
                stop = asyncio.Event()
                signing = asyncio.create_task(_signins(http, args.signins, stop))
                await asyncio.sleep(1)
                loaded = await _webhooks(http, args.seconds, args.rate, 100_000)
                stop.set()
                signins = await signing
        finally:
            server.terminate()
            server.wait(timeout=30)

    def ms(values: list[float], p: float) -> float:
        return round(_pct(values, p) * 1000, 1)

    return {"webhooks": len(alone), "rate": args.rate, "signin_loops": args.signins, "signins_done": signins,
            "p50_ms_alone": ms(alone, 50), "p99_ms_alone": ms(alone, 99),
            "p50_ms_with_signins": ms(loaded, 50), "p99_ms_with_signins": ms(loaded, 99),
            "mean_ms_with_signins": round(statistics.mean(loaded) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="webhook POSTs per second")
    parser.add_argument("--signins", type=int, default=20, help="sign-in loops running at once")
    print(json.dumps(asyncio.run(bench(parser.parse_args()))))


if __name__ == "__main__":
    main()
