"""Webhook-to-reply throughput and latency of one `frontdesk run` process on PostgreSQL.

    /work/venv/bin/python bench/webhook_bench.py --channel telegram --users 1000 --rounds 3
    /work/venv/bin/python bench/webhook_bench.py --channel whatsapp --users 1000 --rounds 3

What is measured: the bench posts real-shaped updates to `/telegram/webhook` (or signed
ones to `/whatsapp/webhook`) of a `frontdesk run` subprocess (web server + embedded outbox
worker, one process) and waits for the replies at a local fake Bot API / Graph API. The
latency of a message is from the start of its webhook POST to the arrival of its first
(and of its last) reply at the fake API; throughput is messages answered per second over
the whole run. Every user sends one message per round (`/start`, then a button, then
`/menu`), so each message goes through the engine, the outbox and an HTTP send.

The platforms' rate limits (Telegram 30/s overall and 1/s per chat, WhatsApp 80/s) are
lifted for the bench through the `*_RATE_PER_SECOND` settings: they would measure the
limiter, not our code. The fake API runs in its own process (uvicorn), like the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channels import fakes  # noqa: E402

TG_TOKEN = "123456789:AAHbenchTokenForTheFakeServer_x"
TG_SECRET = "bench-secret"
WA_TOKEN = "EAAGbench"
WA_PHONE = "106540352242922"
WA_SECRET = "bench-app-secret"


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


class BenchDatabase:
    """The bench's own database, dropped and created afresh, held for the whole run.

    Benches on different `--database` names run side by side (each has its own ports and processes). Two on the same
    name would share one outbox and deliver each other's replies, so a bench holds an advisory lock on the name (in
    the `postgres` database, through this connection) from before the drop to its end, and refuses to start while
    another holds it or while anything else is connected to the database (say a server left behind by a killed bench).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = url.replace("postgresql+asyncpg://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
        self.name = url.rsplit("/", 1)[1]
        self.conn: Any = None

    async def __aenter__(self) -> BenchDatabase:
        import asyncpg

        self.conn = await asyncpg.connect(self.admin)
        try:
            if not await self.conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", f"webhook_bench:{self.name}"):
                raise SystemExit(f"another bench is running on database {self.name}: give this one its own --database")
            users = await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", self.name)
            if users:
                raise SystemExit(f"database {self.name} is in use ({len(users)} connection(s), pids "
                                 f"{', '.join(str(r['pid']) for r in users)}): end them or give another --database")
            await self.conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            await self.conn.execute(f'CREATE DATABASE "{self.name}"')
        except BaseException:
            await self.conn.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.close()  # releases the lock

    async def backends_cpu(self) -> dict[int, float]:
        """CPU seconds of each PostgreSQL backend connected to the database, by pid."""
        out = {}
        for r in await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", self.name):
            try:
                out[r["pid"]] = _cpu_seconds(r["pid"])
            except OSError:  # the backend ended meanwhile
                pass
        return out


def _updates(channel: str, round_no: int, user: int) -> tuple[str, bytes, dict[str, str]]:
    """(path, body, headers) of one message of `user` in round `round_no`."""
    if channel == "telegram":
        uid = 10_000_000 + user
        update_id = round_no * 1_000_000 + user
        if round_no % 3 == 1:
            upd = fakes.tg_callback(uid, "lang:en", update_id=update_id)
        else:
            upd = fakes.tg_message(uid, text="/start" if round_no % 3 == 0 else "/menu", update_id=update_id)
        return "/telegram/webhook", json.dumps(upd).encode(), {
            "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET}
    wa_id = f"62812{user:08d}"
    mid = f"wamid.BENCH{round_no:02d}{user:08d}"
    if round_no % 3 == 1:
        payload = fakes.wa_button_reply(WA_PHONE, wa_id, "lang:en", "English", msg_id=mid)
    else:
        payload = fakes.wa_text(WA_PHONE, wa_id, "/start" if round_no % 3 == 0 else "menu", msg_id=mid)
    body = json.dumps(payload).encode()
    return "/whatsapp/webhook", body, {"content-type": "application/json",
                                       "x-hub-signature-256": fakes.sign(WA_SECRET, body)}


def _recipient(channel: str, user: int) -> str:
    return str(10_000_000 + user) if channel == "telegram" else f"62812{user:08d}"


class RemoteFake:
    """The fake API in its own process; calls are read over HTTP (`/__calls`)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.port = fakes._free_port()  # noqa: SLF001
        self.url = f"http://127.0.0.1:{self.port}"
        token = TG_TOKEN if kind == "telegram" else WA_TOKEN
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.channels.fakes", kind, "--port", str(self.port),
                                      "--token", token, "--phone-id", WA_PHONE], cwd=ROOT,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.seen = 0

    async def wait_ready(self, probe: aiohttp.ClientSession) -> None:
        for _ in range(200):
            try:
                async with probe.get(f"{self.url}/__calls?since=999999999") as r:
                    await r.read()
                return
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(0.1)
        raise SystemExit("the fake API did not start")

    async def new_calls(self, probe: aiohttp.ClientSession) -> list[list[Any]]:
        async with probe.get(f"{self.url}/__calls?since={self.seen}") as r:
            out = json.loads(await r.read())
        self.seen += len(out)
        return out

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def _round(http: aiohttp.ClientSession, base: str, probe: aiohttp.ClientSession, fake: RemoteFake, channel: str,
                 round_no: int, users: int, concurrency: int, timeout: float) -> dict[str, Any]:
    # Bodies (JSON, WhatsApp signature) are built before the clock starts: the generator only posts.
    cpu0 = time.process_time()
    requests = [(_recipient(channel, u), *_updates(channel, round_no, u)) for u in range(users)]
    cpu_built = time.process_time()
    gate = asyncio.Semaphore(concurrency)
    started: dict[str, float] = {}
    statuses: list[int] = []
    post_lat: list[float] = []
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    api_calls = 0
    all_calls = 0

    async def one(who: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        async with gate:
            t0 = time.monotonic()
            started[who] = t0
            async with http.post(base + path, data=body, headers=headers) as r:
                await r.read()
            post_lat.append(time.monotonic() - t0)
            statuses.append(r.status)

    def take(calls: list[list[Any]]) -> None:
        nonlocal api_calls, all_calls
        all_calls += len(calls)
        for method, who, at in calls:
            if method.startswith("failed:") or method == "answerCallbackQuery":
                continue
            api_calls += 1
            if who in started:
                first.setdefault(who, at)
                last[who] = at

    t_start = time.monotonic()
    # The fake's calls are read only once every webhook is posted: no polling competes with the posts.
    await asyncio.gather(*(one(*req) for req in requests))
    cpu_posted = time.process_time()
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        calls = await fake.new_calls(probe)
        take(calls)
        if calls:
            quiet_since = time.monotonic()
        elif len(first) >= users and time.monotonic() - quiet_since > 1.0:
            break
        await asyncio.sleep(0.25)  # the fake stamps the replies: how often it is read changes no latency
    t_end = max(last.values()) if last else time.monotonic()
    cpu = {"build": cpu_built - cpu0, "post": cpu_posted - cpu_built, "read": time.process_time() - cpu_posted}
    return {"cpu": cpu, "round": round_no, "messages": users, "answered": len(first), "api_calls": api_calls, "all_calls": all_calls,
            "http_errors": sum(1 for s in statuses if s != 200), "seconds": t_end - t_start,
            "first_ms": [(first[k] - started[k]) * 1000 for k in first],
            "last_ms": [(last[k] - started[k]) * 1000 for k in last], "post_ms": [x * 1000 for x in post_lat]}


async def bench(args: argparse.Namespace) -> None:
    async with BenchDatabase(args.database) as db:
        await _run(args, db)


async def _run(args: argparse.Namespace, db: BenchDatabase) -> None:
    fake = RemoteFake(args.channel)
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": args.database, "FRONTDESK_DEMO_SEED": "false",
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TG_SECRET, "TELEGRAM_API_BASE": fake.url,
        "TELEGRAM_RATE_PER_SECOND": "100000", "TELEGRAM_CHAT_RATE_PER_SECOND": "1000", "TELEGRAM_CHAT_BURST": "100",
        "WHATSAPP_TOKEN": WA_TOKEN, "WHATSAPP_PHONE_ID": WA_PHONE, "WHATSAPP_API_BASE": fake.url,
        "WHATSAPP_VERIFY_TOKEN": "v", "WHATSAPP_APP_SECRET": WA_SECRET, "WHATSAPP_RATE_PER_SECOND": "100000",
    }
    if args.channel == "telegram":
        env.pop("WHATSAPP_TOKEN")
    else:
        env.pop("TELEGRAM_BOT_TOKEN")
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = fakes._free_port()  # noqa: SLF001
    base = f"http://127.0.0.1:{port}"
    profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
    server = subprocess.Popen([sys.executable, *profile, "-m", "bot", "run", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    results = []
    try:
        # Keep-alive connections, at most `concurrency` of them (a platform's connections to the webhook).
        connector = aiohttp.TCPConnector(limit=args.concurrency, keepalive_timeout=300)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http, \
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), timeout=timeout) as probe:
            await fake.wait_ready(probe)
            for _ in range(300):
                try:
                    async with http.get(base + "/healthz") as r:
                        if r.status == 200:
                            break
                except (aiohttp.ClientError, OSError):
                    pass
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("frontdesk run did not start: " + (server.stderr.read().decode() if server.stderr else ""))
            # Warm-up, not counted: first imports, connection pools, prepared statements.
            await _round(http, base, probe, fake, args.channel, 99, 50, args.concurrency, 30)
            cpu0 = _cpu_seconds(server.pid)
            fake_cpu0 = _cpu_seconds(fake.proc.pid)
            pg0 = await db.backends_cpu()
            gen0 = time.process_time()
            for r in range(args.rounds):
                results.append(await _round(http, base, probe, fake, args.channel, r, args.users, args.concurrency,
                                            args.timeout))
            gen_cpu = time.process_time() - gen0
            server_cpu = _cpu_seconds(server.pid) - cpu0
            fake_cpu = _cpu_seconds(fake.proc.pid) - fake_cpu0
            pg_cpu = _pg_cpu_delta(pg0, await db.backends_cpu())
    finally:
        import signal

        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        fake.stop()
    total = sum(r["messages"] for r in results)
    answered = sum(r["answered"] for r in results)
    seconds = sum(r["seconds"] for r in results)
    first = [x for r in results for x in r["first_ms"]]
    last = [x for r in results for x in r["last_ms"]]
    post = [x for r in results for x in r["post_ms"]]
    print(f"channel={args.channel} users={args.users} rounds={args.rounds} concurrency={args.concurrency} database=PostgreSQL")
    print(f"messages sent={total} answered={answered} http_errors={sum(r['http_errors'] for r in results)} "
          f"replies at the fake API={sum(r['api_calls'] for r in results)}")
    print(f"throughput: {answered / seconds:.0f} messages/s answered ({seconds:.1f} s)")
    print(f"server CPU: {server_cpu / max(total, 1) * 1000:.1f} ms per message (webhook, engine, outbox and send)")
    part = {k: sum(r["cpu"][k] for r in results) / max(total, 1) * 1000 for k in ("build", "post", "read")}
    print(f"load generator CPU: {gen_cpu / max(total, 1) * 1000:.2f} ms per request (building the bodies "
          f"{part['build']:.2f}, posting {part['post']:.2f}, reading the fake's calls {part['read']:.2f})")
    all_calls = sum(r["all_calls"] for r in results)
    print(f"fake API CPU: {fake_cpu / max(all_calls, 1) * 1000:.2f} ms per API call ({all_calls} calls)")
    print(f"PostgreSQL CPU: {pg_cpu / max(total, 1) * 1000:.1f} ms per message (backends of this database)")
    print(f"webhook POST answered:      p50 {statistics.median(post):7.1f} ms   p99 {_pct(post, 99):7.1f} ms")
    print(f"webhook → first reply:      p50 {statistics.median(first):7.1f} ms   p99 {_pct(first, 99):7.1f} ms")
    print(f"webhook → last reply:       p50 {statistics.median(last):7.1f} ms   p99 {_pct(last, 99):7.1f} ms")
    for r in results:
        print(f"  round {r['round']}: {r['answered']}/{r['messages']} in {r['seconds']:.1f} s, "
              f"first p50 {statistics.median(r['first_ms']):.1f} ms p99 {_pct(r['first_ms'], 99):.1f} ms")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pg_cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two snapshots by the backends alive at the second (whole life for new ones)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channel", choices=["telegram", "whatsapp"], default="telegram")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32, help="webhook requests in flight (the platform's connections)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--profile", help="write a cProfile of the server process to this file")
    parser.add_argument("--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/frontdesk_channels_bench")
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
