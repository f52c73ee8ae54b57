"""Scaling out on one PostgreSQL: one `frontdesk run`, then two web processes plus a worker.

    .venv/bin/python bench/scale_bench.py                          # both set-ups at 500 messages/s offered
    .venv/bin/python bench/scale_bench.py --rate 1000 --setups one  # one process at 1,000 messages/s offered

Set-ups (`--setups`, comma-separated):
- `one`: one `frontdesk run` (web and the embedded outbox worker in one process);
- `two+worker`: two `frontdesk run --no-worker` processes and one `frontdesk worker`, the
  webhooks spread over the two web processes in turn (a load balancer's round robin).

Each set-up gets a fresh database (`--database`, dropped and created), a fake Bot API
(Telegram, `python -m tests.channels.fakes`) in its own process and the platforms' rate
limits lifted. The load is open loop: one webhook POST every 1/`--rate` s whatever the
answers (at most `--concurrency` connections), `--users` users sending one message per
round for `--rounds` rounds (`/start`, a button, `/menu`), after one uncounted warm-up
round. Figures per set-up: messages answered per second (first POST to last reply), the
webhook → first reply latency p50 / p99 (stamped by the fake), and the CPU per message of
our processes together and of PostgreSQL. Loopback only; bounded by `--users × --rounds`
messages and `--timeout` seconds a round; every process it starts is stopped at the end.
The machine's other load moves the figures: compare runs made in the same minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.channels import fakes  # noqa: E402
from webhook_bench import (TG_SECRET, TG_TOKEN, BenchDatabase, RemoteFake, _cpu_seconds, _pct,  # noqa: E402
                           _pg_cpu_delta, _recipient, _updates)


def _env(database: str, fake_url: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database, "FRONTDESK_DEMO_SEED": "false",
           "FRONTDESK_LOG_LEVEL": "WARNING", "TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
           "TELEGRAM_API_BASE": fake_url, "TELEGRAM_RATE_PER_SECOND": "100000",
           "TELEGRAM_CHAT_RATE_PER_SECOND": "1000", "TELEGRAM_CHAT_BURST": "100"}
    env.pop("WHATSAPP_TOKEN", None)
    return env


async def _round(http: aiohttp.ClientSession, bases: list[str], probe: aiohttp.ClientSession, fake: RemoteFake,
                 round_no: int, users: int, rate: float, timeout: float) -> dict[str, Any]:
    requests = [(_recipient("telegram", u), *_updates("telegram", round_no, u)) for u in range(users)]
    started: dict[str, float] = {}
    first: dict[str, float] = {}
    posted: list[float] = []
    errors = 0

    async def one(i: int, who: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        nonlocal errors
        started[who] = time.monotonic()
        try:
            async with http.post(bases[i % len(bases)] + path, data=body, headers=headers) as r:
                await r.read()
                errors += r.status != 200
                posted.append((time.monotonic() - started[who]) * 1000)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError):
            errors += 1

    t0 = time.monotonic()
    tasks = []
    for i, req in enumerate(requests):
        due = t0 + i / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        tasks.append(asyncio.create_task(one(i, *req)))
    await asyncio.gather(*tasks)
    deadline = time.monotonic() + timeout
    last_at = t0
    while len(first) < users and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        for method, who, at in await fake.new_calls(probe):
            if method.startswith("failed:") or method == "answerCallbackQuery" or who not in started:
                continue
            first.setdefault(who, at)
            last_at = max(last_at, at)
    seconds = max(last_at - t0, 1e-9)
    return {"messages": users, "answered": len(first), "errors": errors, "seconds": seconds,
            "first_ms": [(first[k] - started[k]) * 1000 for k in first], "post_ms": posted}


async def run_setup(name: str, args: argparse.Namespace) -> dict[str, Any]:
    async with BenchDatabase(args.database) as db:
        fake = RemoteFake("telegram")
        env = _env(args.database, fake.url)
        procs: list[subprocess.Popen[bytes]] = []
        logs = tempfile.TemporaryFile()
        try:
            up = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, capture_output=True)
            if up.returncode:
                raise SystemExit(up.stderr.decode(errors="replace")[-3000:])
            ports = [fakes._free_port() for _ in range(1 if name == "one" else 2)]  # noqa: SLF001
            web_args = [] if name == "one" else ["--no-worker"]
            for port in ports:
                procs.append(subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port), *web_args],
                                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=logs))
            if name != "one":
                procs.append(subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env, cwd=ROOT,
                                              stdout=subprocess.DEVNULL, stderr=logs))
            bases = [f"http://127.0.0.1:{p}" for p in ports]
            connector = aiohttp.TCPConnector(limit=args.concurrency, keepalive_timeout=300)
            timeout = aiohttp.ClientTimeout(total=30)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http, \
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), timeout=timeout) as probe:
                await fake.wait_ready(probe)
                for base in bases:
                    for _ in range(600):
                        try:
                            async with probe.get(base + "/readyz") as r:
                                if r.status == 200:
                                    break
                        except (aiohttp.ClientError, OSError):
                            pass
                        if any(p.poll() is not None for p in procs):
                            logs.seek(0)
                            raise SystemExit(f"a process of {name} died:\n" + logs.read().decode(errors="replace")[-3000:])
                        await asyncio.sleep(0.1)
                await _round(http, bases, probe, fake, 99, min(200, args.users), min(args.rate, 200), 30)  # warm-up
                cpu0 = sum(_cpu_seconds(p.pid) for p in procs)
                pg0 = await db.backends_cpu()
                results = [await _round(http, bases, probe, fake, r, args.users, args.rate, args.timeout)
                           for r in range(args.rounds)]
                cpu = sum(_cpu_seconds(p.pid) for p in procs) - cpu0
                pg = _pg_cpu_delta(pg0, await db.backends_cpu())
        finally:
            for p in procs:
                p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            fake.stop()
    total = sum(r["messages"] for r in results)
    answered = sum(r["answered"] for r in results)
    first = [x for r in results for x in r["first_ms"]]
    post = [x for r in results for x in r["post_ms"]]
    return {"setup": name, "processes": len(procs), "rate": args.rate, "messages": total, "answered": answered,
            "errors": sum(r["errors"] for r in results),
            "throughput": round(answered / sum(r["seconds"] for r in results), 1),
            "first_p50_ms": round(statistics.median(first), 1) if first else None,
            "first_p99_ms": round(_pct(first, 99), 1) if first else None,
            "webhook_p50_ms": round(statistics.median(post), 1) if post else None,
            "webhook_p99_ms": round(_pct(post, 99), 1) if post else None,
            "cpu_ms_per_message": round(cpu * 1000 / max(total, 1), 2),
            "postgres_cpu_ms_per_message": round(pg * 1000 / max(total, 1), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", default="one,two+worker")
    parser.add_argument("--rate", type=float, default=500, help="offered messages per second (open loop)")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=64, help="cap on webhook connections")
    parser.add_argument("--timeout", type=float, default=60, help="seconds a round may wait for its replies")
    parser.add_argument("--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/frontdesk_scale_bench")
    args = parser.parse_args()
    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    for s in setups:
        if s not in ("one", "two+worker"):
            parser.error(f"unknown set-up {s!r}")
    if args.users * args.rounds > 50_000 or args.rate <= 0:
        parser.error("keep it bounded: at most 50,000 messages, a positive --rate")
    rows = [asyncio.run(run_setup(s, args)) for s in setups]
    print(f"open loop at {args.rate:g} messages/s offered, {args.users} users × {args.rounds} rounds, Telegram, PostgreSQL")
    print("| set-up | processes | answered/s | webhook answered p50 / p99 | first reply p50 / p99 | our CPU / msg | PostgreSQL CPU / msg | unanswered | HTTP errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['setup']} | {r['processes']} | {r['throughput']:.0f} | {r['webhook_p50_ms']} / {r['webhook_p99_ms']} ms "
              f"| {r['first_p50_ms']} / {r['first_p99_ms']} ms "
              f"| {r['cpu_ms_per_message']} ms | {r['postgres_cpu_ms_per_message']} ms | {r['messages'] - r['answered']} | {r['errors']} |")
    for r in rows:
        print(json.dumps(r))
    sys.exit(0 if all(r["answered"] == r["messages"] and not r["errors"] for r in rows) else 1)


if __name__ == "__main__":
    main()
