"""One user floods the bot while others chat: do the others notice, and how long does it last?

    nice /work/venv/bin/python bench/flood_bench.py                     # 1,000 messages in 5 s, 50 others
    nice /work/venv/bin/python bench/flood_bench.py --flood 1000 --flood-seconds 5 --others 50

A `frontdesk run` process (web server + embedded outbox worker) on PostgreSQL answers
Telegram webhooks; replies go to a fake Bot API in its own process, which stamps each call
(the same parts as `bench/webhook_bench.py`). Telegram's own limits are kept as in
production (30 messages/s overall, 1/s and a burst of 3 per chat), since they are what
makes a flooder's backlog slow to drain.

Timeline: `--others` users write at a normal pace (one message every 8-12 s each, each
waiting for its answer) for `--before` s; then one user posts `--flood` messages within
`--flood-seconds` s (each webhook POSTed on a schedule, whatever the answers); the others
go on for `--after` s more. Reported:

- the others' first-reply latency (POST start to the first reply at the fake) p50/p99
  before, during (from the flood's start to its end + 5 s) and after the flood;
- the time from the flood's start until the others' latency is back at baseline: the start
  of the first 1-second bucket from which every later bucket's worst first reply is within
  max(2 × baseline p99, baseline p99 + 50 ms);
- how many flood messages the engine read (message log), how many notices went out,
  how many replies the flooder was sent, and when the flooder's backlog in the outbox was
  gone (waited for up to `--drain` s; past that, the rows left and the time they would
  take at the rate seen).

`--code DIR` runs the server from another checkout (one without the flood limit, to compare). Exits 1 if another user's message went unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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

from bench.webhook_bench import TG_SECRET, TG_TOKEN, BenchDatabase, RemoteFake, _cpu_seconds, _pct  # noqa: E402
from tests.channels import fakes  # noqa: E402

FLOODER = 10_999_999
OTHER_TEXTS = ["halo min", "berapa biaya sertifikasi halal?", "syarat bikin NIB apa aja ya", "menu",
               "PLUT terdekat dari Maros dmn", "mau konsultasi pemasaran", "jam buka PLUT kapan?", "makasih min"]
HEADERS = {"content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET}


async def _run(args: argparse.Namespace, db: BenchDatabase) -> dict[str, Any]:
    fake = RemoteFake("telegram")
    code = Path(args.code).resolve() if args.code else ROOT
    env = {
        **os.environ, "PYTHONPATH": str(code), "DATABASE_URL": args.database, "FRONTDESK_DEMO_SEED": "true",
        "FRONTDESK_LOG_LEVEL": "WARNING", "TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_BASE": fake.url,
    }
    env.pop("FRONTDESK_NOW", None)
    upgrade = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=code, capture_output=True)
    if upgrade.returncode:
        raise SystemExit("frontdesk db upgrade failed:\n" + upgrade.stderr.decode(errors="replace")[-4000:])
    port = fakes._free_port()  # noqa: SLF001
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], env=env, cwd=code,
                              stdout=subprocess.DEVNULL, stderr=log)
    import asyncpg

    conn = await asyncpg.connect(args.database.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=300)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http, \
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), timeout=timeout) as probe:
            await fake.wait_ready(probe)
            for _ in range(3000):  # ready: flows and NLU loaded (minutes on a busy machine the first time)
                try:
                    async with http.get(base + "/readyz") as r:
                        if r.status == 200:
                            break
                except (aiohttp.ClientError, OSError):
                    pass
                if server.poll() is not None:
                    log.seek(0)
                    raise SystemExit("frontdesk run did not start:\n" + log.read().decode(errors="replace")[-4000:])
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("frontdesk run was not ready after 300 s")
            # Warm-up, not counted: every other user's first message and each of the texts once (connections,
            # statements, the knowledge base, which is loaded on its first question), until all are answered.
            warm = [(20_000_000 + u, "/start") for u in range(args.others)]
            warm += [(30_000_000 + i, text) for i, text in enumerate(OTHER_TEXTS)]
            for i, (uid, text) in enumerate(warm):
                body = json.dumps(fakes.tg_message(uid, text=text, update_id=9_000_000 + i)).encode()
                async with http.post(base + "/telegram/webhook", data=body, headers=HEADERS) as r:
                    await r.read()
            answered: set[str] = set()
            deadline = time.monotonic() + 300
            while len(answered) < len(warm) and time.monotonic() < deadline:
                answered |= {who for _, who, _ in await fake.new_calls(probe)}
                await asyncio.sleep(0.5)
            await asyncio.sleep(3)
            await fake.new_calls(probe)
            return await _timeline(args, http, base, probe, fake, server, conn)
    finally:
        await conn.close()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        fake.stop()


async def _timeline(args: argparse.Namespace, http: aiohttp.ClientSession, base: str, probe: aiohttp.ClientSession,
                    fake: RemoteFake, server: subprocess.Popen[bytes], conn: Any) -> dict[str, Any]:
    rng = random.Random(7)
    update_ids = iter(range(1, 10_000_000))
    posts: list[tuple[str, float]] = []  # (recipient, POST start) of the others
    errors: list[str] = []
    calls: list[tuple[str, float]] = []  # (recipient, at) of every send at the fake
    flood_posts: list[float] = []

    async def post(uid: int, text: str) -> float:
        t0 = time.monotonic()
        body = json.dumps(fakes.tg_message(uid, text=text, update_id=next(update_ids))).encode()
        try:
            async with http.post(base + "/telegram/webhook", data=body, headers=HEADERS) as r:
                await r.read()
                if r.status != 200:
                    errors.append(f"HTTP {r.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        return t0

    t_start = time.monotonic()
    flood_at = t_start + args.before
    end_at = flood_at + args.flood_seconds + args.after

    async def other(u: int) -> None:
        uid = 20_000_000 + u
        await asyncio.sleep(rng.uniform(0, 10))
        while time.monotonic() < end_at:
            t0 = await post(uid, rng.choice(OTHER_TEXTS))
            posts.append((str(uid), t0))
            await asyncio.sleep(rng.uniform(8, 12))

    async def flood() -> None:
        await asyncio.sleep(max(0.0, flood_at - time.monotonic()))
        tasks = []
        for i in range(args.flood):
            due = flood_at + i * args.flood_seconds / args.flood
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
            flood_posts.append(time.monotonic())
            tasks.append(asyncio.create_task(post(FLOODER, f"halo min tolong dibalas {i}")))
        await asyncio.gather(*tasks)
        flood_posts.append(time.monotonic())  # the last: every flood POST answered

    left_seen: list[tuple[float, int]] = []  # (when, the flooder's rows still to send)

    async def watch_backlog() -> None:
        await asyncio.sleep(max(0.0, flood_at - time.monotonic()))
        while True:
            left_seen.append((time.monotonic(), await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE recipient = $1 AND status IN ('pending', 'sending')", str(FLOODER))))
            await asyncio.sleep(0.5)

    async def read_calls() -> None:
        while True:
            for method, who, at in await fake.new_calls(probe):
                if not method.startswith("failed:") and method != "answerCallbackQuery":
                    calls.append((who, at))
            await asyncio.sleep(0.5)

    reader = asyncio.create_task(read_calls())
    watcher = asyncio.create_task(watch_backlog())
    cpu0 = _cpu_seconds(server.pid)
    await asyncio.gather(flood(), *(other(u) for u in range(args.others)))
    await asyncio.sleep(15)  # the others' last answers
    server_cpu = _cpu_seconds(server.pid) - cpu0

    # The flooder's backlog: gone at the first look, after its last POST was answered, that finds no row to send.
    while time.monotonic() < flood_at + args.drain and not (left_seen and left_seen[-1][1] == 0):
        await asyncio.sleep(1.0)
    watcher.cancel()
    reader.cancel()
    flood_done = flood_posts[-1] if flood_posts else flood_at
    drained_at = next((t for t, left in left_seen if t > flood_done and left == 0), None)
    last_to_flooder = max((at for who, at in calls if who == str(FLOODER)), default=None)

    # Each other message's first reply: the first send to its user at or after its POST.
    by_user: dict[str, list[float]] = {}
    for who, at in calls:
        by_user.setdefault(who, []).append(at)
    for v in by_user.values():
        v.sort()
    lat: list[tuple[float, float]] = []  # (POST start relative to the flood, first-reply latency in ms)
    unanswered = 0
    for who, t0 in posts:
        first = next((at for at in by_user.get(who, []) if at >= t0), None)
        if first is None:
            unanswered += 1
            continue
        lat.append((t0 - flood_at, (first - t0) * 1000))
    flood_end = args.flood_seconds + 5
    before = [ms for t, ms in lat if t < 0]
    during = [ms for t, ms in lat if 0 <= t < flood_end]
    after = [ms for t, ms in lat if t >= flood_end]
    base_p99 = _pct(before, 99)
    limit = max(2 * base_p99, base_p99 + 50)
    buckets: dict[int, float] = {}
    for t, ms in lat:
        if t >= 0:
            buckets[int(t)] = max(buckets.get(int(t), 0.0), ms)
    recovered = 0
    for b in sorted(buckets):
        if buckets[b] > limit:
            recovered = b + 1
    flood_user = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE m.kind <> 'throttled') AS read, count(*) FILTER (WHERE m.kind = 'throttled') AS cut "
        "FROM message_log m JOIN users u ON u.id = m.user_id WHERE u.external_id = $1 AND m.direction = 'in'", str(FLOODER))
    sent = await conn.fetchrow(
        "SELECT count(*) AS rows, count(*) FILTER (WHERE payload::text LIKE '%masuk cepat sekali%') AS notices, "
        "count(*) FILTER (WHERE status = 'sent') AS sent FROM outbox WHERE recipient = $1", str(FLOODER))
    backlog = None
    if drained_at is None and len(left_seen) > 1:
        (t_a, n_a), (t_b, n_b) = max(left_seen, key=lambda x: x[1]), left_seen[-1]  # from the peak to the end
        rate = (n_a - n_b) / (t_b - t_a) if t_b > t_a else 0.0
        backlog = {"left": n_b, "after_s": round(t_b - flood_at, 1),
                   "rate_per_s": round(rate, 2), "gone_after_min": round((t_b - flood_at + n_b / rate) / 60, 1) if rate > 0 else None}
    return {
        "others": args.others, "other_messages": len(posts), "other_unanswered": unanswered, "errors": errors[:5],
        "error_count": len(errors), "flood": args.flood, "flood_seconds": args.flood_seconds,
        "flood_posts_answered_s": round(flood_posts[-1] - flood_at, 2) if flood_posts else None,
        "first_reply_ms": {name: {"n": len(v), "p50": round(statistics.median(v), 1) if v else None,
                                  "p99": round(_pct(v, 99), 1) if v else None}
                           for name, v in (("before", before), ("during", during), ("after", after))},
        "others_back_at_baseline_s": recovered, "baseline_limit_ms": round(limit, 1),
        "flood_messages_read": flood_user["read"], "flood_notice_rows_in_log": flood_user["cut"],
        "flooder_outbox_rows": sent["rows"], "flooder_notices": sent["notices"], "flooder_sent_by_end": sent["sent"],
        "flooder_backlog_gone_s": round(drained_at - flood_at, 1) if drained_at else None,
        "flooder_last_reply_s": round(last_to_flooder - flood_at, 1) if last_to_flooder else None,
        "flooder_backlog_left": backlog, "server_cpu_s": round(server_cpu, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/frontdesk_flood_bench")
    parser.add_argument("--flood", type=int, default=1000, help="messages the flooder sends")
    parser.add_argument("--flood-seconds", type=float, default=5.0)
    parser.add_argument("--others", type=int, default=50)
    parser.add_argument("--before", type=float, default=30.0, help="seconds of normal chat before the flood")
    parser.add_argument("--after", type=float, default=40.0, help="seconds of normal chat after the flood")
    parser.add_argument("--code", help="run the server from this checkout (e.g. one without the flood limit)")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds from the flood's start to wait for its backlog")
    args = parser.parse_args()

    async def go() -> dict[str, Any]:
        async with BenchDatabase(args.database) as db:
            return await _run(args, db)

    out = asyncio.run(go())
    print(json.dumps(out, indent=1))
    sys.exit(1 if out["other_unanswered"] or out["error_count"] else 0)


if __name__ == "__main__":
    main()
