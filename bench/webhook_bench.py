"""Webhook-to-reply throughput and latency of one `frontdesk run` process on PostgreSQL.

    /work/venv/bin/python bench/webhook_bench.py --channel telegram --users 1000 --rounds 3
    /work/venv/bin/python bench/webhook_bench.py --channel whatsapp --users 1000 --rounds 3 --rate 300

What is measured: the bench posts real-shaped updates to `/telegram/webhook` (or signed
ones to `/whatsapp/webhook`) of a `frontdesk run` subprocess (web server + embedded outbox
worker, one process) and waits for the replies at a local fake Bot API / Graph API. The
latency of a message is from the start of its webhook POST to the arrival of its first
(and of its last) reply at the fake API, as stamped by the fake; throughput is messages
answered per second over the rounds. Every user sends one message per round (`/start`, then
a button, then `/menu`), so each message goes through the engine, the outbox and an HTTP send.

Load: closed loop by default (`--concurrency` POSTs in flight, the next one when one is
answered); with `--rate R`, open loop (a POST every 1/R s on a schedule, whatever the answers,
`--concurrency` being the cap on connections): a platform sends at its own pace, so p99 at a
given offered rate is what a latency target means. The generator is aiohttp on keep-alive
connections; bodies are built before a round starts and the fake's calls (`/__calls`) are read
only after its last POST, so the generator and the fake take as little as possible of the core
they share with PostgreSQL. The CPU per message of the server, of the generator (this process),
of the fake per API call and of PostgreSQL (the backends of the bench's database) is printed.

The bench exits with 1 if a message is unanswered, a webhook POST fails or the server dies,
and ends with a one-line JSON summary. It drops and creates its `--database`; benches on
different names can run at the same time (see `BenchDatabase`).

The platforms' rate limits (Telegram 30/s overall and 1/s per chat, WhatsApp 80/s) are
lifted for the bench through the `*_RATE_PER_SECOND` settings: they would measure the
limiter, not our code. The fake API runs in its own process (uvicorn), like the server.
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


async def _round(http: aiohttp.ClientSession, base: str, probe: aiohttp.ClientSession, fake: RemoteFake,
                 server: subprocess.Popen[bytes], channel: str, round_no: int, users: int, concurrency: int,
                 rate: float | None, timeout: float) -> dict[str, Any]:
    """One message per user: closed loop (`concurrency` in flight) or, with `rate`, open loop (one POST every
    1/rate s whatever the answers; `concurrency` then only caps the connections, further POSTs queue for one)."""
    # Bodies (JSON, WhatsApp signature) are built before the clock starts: the generator only posts.
    cpu0 = time.process_time()
    requests = [(_recipient(channel, u), *_updates(channel, round_no, u)) for u in range(users)]
    cpu_built = time.process_time()
    gate = asyncio.Semaphore(concurrency if rate is None else users)
    started: dict[str, float] = {}
    statuses: list[int] = []
    errors: list[str] = []
    post_lat: list[float] = []
    lag: list[float] = []
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    api_calls = 0
    all_calls = 0
    failed_calls = 0

    async def one(who: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        async with gate:
            t0 = time.monotonic()
            started[who] = t0
            try:
                async with http.post(base + path, data=body, headers=headers) as r:
                    await r.read()
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            post_lat.append(time.monotonic() - t0)
            statuses.append(r.status)

    def take(calls: list[list[Any]]) -> None:
        nonlocal api_calls, all_calls, failed_calls
        all_calls += len(calls)
        for method, who, at in calls:
            if method.startswith("failed:"):
                failed_calls += 1
                continue
            if method == "answerCallbackQuery":
                continue
            api_calls += 1
            if who in started:
                first.setdefault(who, at)
                last[who] = at

    t_start = time.monotonic()
    # The fake's calls are read only once every webhook is posted: no polling competes with the posts.
    if rate is None:
        await asyncio.gather(*(one(*req) for req in requests))
        t_sent = time.monotonic()
    else:
        tasks = []
        for i, req in enumerate(requests):
            due = t_start + i / rate
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
                now = time.monotonic()
            lag.append(now - due)
            tasks.append(asyncio.create_task(one(*req)))
        t_sent = time.monotonic()
        await asyncio.gather(*tasks)
    cpu_posted = time.process_time()
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while True:
        calls = await fake.new_calls(probe)
        take(calls)
        now = time.monotonic()
        if calls:
            quiet_since = now
        elif len(first) >= users and now - quiet_since > 1.0:
            break
        if now > deadline or server.poll() is not None:
            break
        await asyncio.sleep(0.25)  # the fake stamps the replies: how often it is read changes no latency
    t_end = max(last.values()) if last else time.monotonic()
    cpu = {"build": cpu_built - cpu0, "post": cpu_posted - cpu_built, "read": time.process_time() - cpu_posted}
    return {"round": round_no, "messages": users, "answered": len(first), "api_calls": api_calls,
            "all_calls": all_calls, "failed_calls": failed_calls,
            "http_errors": sum(1 for s in statuses if s != 200) + len(errors),
            "error_samples": [f"HTTP {s}" for s in statuses if s != 200][:3] + errors[:3],
            "seconds": t_end - t_start, "send_seconds": t_sent - t_start, "cpu": cpu,
            "first_ms": [(first[k] - started[k]) * 1000 for k in first],
            "last_ms": [(last[k] - started[k]) * 1000 for k in last], "post_ms": [x * 1000 for x in post_lat],
            "lag_ms": [x * 1000 for x in lag]}


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    async with BenchDatabase(args.database) as db:
        return await _run(args, db)


async def _run(args: argparse.Namespace, db: BenchDatabase) -> dict[str, Any]:
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
    server: subprocess.Popen[bytes] | None = None
    # The server's log goes to a file, not a pipe nobody reads (a full pipe would stall the server).
    log = tempfile.TemporaryFile()
    results = []
    try:
        upgrade = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT,
                                 capture_output=True)
        if upgrade.returncode:
            raise SystemExit("frontdesk db upgrade failed:\n" + upgrade.stderr.decode(errors="replace")[-4000:])
        port = fakes._free_port()  # noqa: SLF001
        base = f"http://127.0.0.1:{port}"
        profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
        server = subprocess.Popen([sys.executable, *profile, "-m", "bot", "run", "--port", str(port)], env=env,
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
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
                if server.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                server.kill()
                server.wait()
            if server.poll() is not None:
                log.seek(0)
                raise SystemExit("frontdesk run did not start:\n" + log.read().decode(errors="replace")[-4000:])
            # Warm-up, not counted: first imports, connection pools, prepared statements.
            await _round(http, base, probe, fake, server, args.channel, 99, 50, args.concurrency, None, 30)
            cpu0 = _cpu_seconds(server.pid)
            fake_cpu0 = _cpu_seconds(fake.proc.pid)
            pg0 = await db.backends_cpu()
            gen0 = time.process_time()
            for r in range(args.rounds):
                results.append(await _round(http, base, probe, fake, server, args.channel, r, args.users,
                                            args.concurrency, args.rate, args.timeout))
                if server.poll() is not None:
                    break  # the server died: the report says so; further rounds would only fail
            gen_cpu = time.process_time() - gen0
            server_cpu = _cpu_seconds(server.pid) - cpu0 if server.poll() is None else float("nan")
            fake_cpu = _cpu_seconds(fake.proc.pid) - fake_cpu0
            pg_cpu = _pg_cpu_delta(pg0, await db.backends_cpu())
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        fake.stop()
    return _report(args, results, gen_cpu=gen_cpu, server_cpu=server_cpu, fake_cpu=fake_cpu, pg_cpu=pg_cpu,
                   server_log=_log_head(log), server_rc=server.returncode)


def _log_head(log: Any) -> str:
    """The start of the server's log: errors of the run come before the shutdown's messages."""
    log.seek(0)
    return log.read(3000).decode(errors="replace")


def _p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _report(args: argparse.Namespace, results: list[dict[str, Any]], *, gen_cpu: float, server_cpu: float,
            fake_cpu: float, pg_cpu: float, server_log: str, server_rc: int | None) -> dict[str, Any]:
    """Print the human lines; return the summary (also printed as one JSON line by `main`)."""
    total = sum(r["messages"] for r in results)
    answered = sum(r["answered"] for r in results)
    http_errors = sum(r["http_errors"] for r in results)
    seconds = sum(r["seconds"] for r in results)
    all_calls = sum(r["all_calls"] for r in results)
    first = [x for r in results for x in r["first_ms"]]
    last = [x for r in results for x in r["last_ms"]]
    post = [x for r in results for x in r["post_ms"]]
    lag = [x for r in results for x in r["lag_ms"]]
    per_msg = 1000 / max(total, 1)
    mode = "closed loop" if args.rate is None else f"open loop at {args.rate:g}/s"
    print(f"channel={args.channel} users={args.users} rounds={args.rounds} concurrency={args.concurrency} "
          f"({mode}) database=PostgreSQL")
    print(f"messages sent={total} answered={answered} http_errors={http_errors} "
          f"replies at the fake API={sum(r['api_calls'] for r in results)}")
    throughput = answered / seconds if seconds else 0.0
    print(f"throughput: {throughput:.0f} messages/s answered ({seconds:.1f} s)")
    sent_rate = None
    if args.rate is not None:
        send_seconds = sum(r["send_seconds"] for r in results)
        sent_rate = total / send_seconds if send_seconds else float("nan")
        print(f"offered: {args.rate:g} messages/s; sent at {sent_rate:.0f}/s (schedule lag p99 {_pct(lag, 99):.1f} ms, "
              f"max {max(lag, default=0):.1f} ms), answered at {throughput:.0f}/s")
    print(f"server CPU: {server_cpu * per_msg:.1f} ms per message (webhook, engine, outbox and send)")
    part = {k: sum(r["cpu"][k] for r in results) * per_msg for k in ("build", "post", "read")}
    print(f"load generator CPU: {gen_cpu * per_msg:.2f} ms per request (building the bodies {part['build']:.2f}, "
          f"posting {part['post']:.2f}, reading the fake's calls {part['read']:.2f})")
    print(f"fake API CPU: {fake_cpu / max(all_calls, 1) * 1000:.2f} ms per API call ({all_calls} calls)")
    print(f"PostgreSQL CPU: {pg_cpu * per_msg:.1f} ms per message (backends of this database)")
    print(f"webhook POST answered:      p50 {_p50(post):7.1f} ms   p99 {_pct(post, 99):7.1f} ms")
    print(f"webhook → first reply:      p50 {_p50(first):7.1f} ms   p99 {_pct(first, 99):7.1f} ms")
    print(f"webhook → last reply:       p50 {_p50(last):7.1f} ms   p99 {_pct(last, 99):7.1f} ms")
    for r in results:
        print(f"  round {r['round']}: {r['answered']}/{r['messages']} in {r['seconds']:.1f} s, "
              f"first p50 {_p50(r['first_ms']):.1f} ms p99 {_pct(r['first_ms'], 99):.1f} ms")
    problems = []
    if answered < total:
        problems.append(f"{total - answered} message(s) unanswered")
    if http_errors:
        samples = sorted({e for r in results for e in r["error_samples"]})
        problems.append(f"{http_errors} webhook POST(s) failed ({'; '.join(samples)})")
    if server_rc not in (0, None):
        problems.append(f"frontdesk run exited with {server_rc}")
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        if server_log.strip():
            print("server log (start):\n" + server_log, file=sys.stderr)

    def num(x: float, digits: int = 1) -> float | None:
        return None if x != x else round(x, digits)  # NaN (no sample, or the server died) as null

    return {
        "ok": not problems, "problems": problems, "channel": args.channel, "users": args.users,
        "rounds": args.rounds, "concurrency": args.concurrency, "rate": args.rate,
        "sent_rate": None if sent_rate is None else num(sent_rate),
        "messages": total, "answered": answered, "http_errors": http_errors,
        "replies": sum(r["api_calls"] for r in results), "failed_api_calls": sum(r["failed_calls"] for r in results),
        "throughput": round(throughput, 1), "seconds": round(seconds, 2),
        "post_p50_ms": num(_p50(post)), "post_p99_ms": num(_pct(post, 99)),
        "first_p50_ms": num(_p50(first)), "first_p99_ms": num(_pct(first, 99)),
        "last_p50_ms": num(_p50(last)), "last_p99_ms": num(_pct(last, 99)),
        "server_cpu_ms_per_message": num(server_cpu * per_msg, 2),
        "generator_cpu_ms_per_request": num(gen_cpu * per_msg, 3),
        "fake_cpu_ms_per_call": num(fake_cpu / max(all_calls, 1) * 1000, 3),
        "postgres_cpu_ms_per_message": num(pg_cpu * per_msg, 2),
    }


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
    parser.add_argument("--concurrency", type=int, default=32,
                        help="webhook requests in flight (the platform's connections); with --rate, the cap on connections")
    parser.add_argument("--rate", type=float, help="open loop: post this many messages per second on a schedule, "
                        "whatever the answers (default: closed loop of --concurrency in flight)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--profile", help="write a cProfile of the server process to this file")
    parser.add_argument("--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/frontdesk_channels_bench")
    args = parser.parse_args()
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")
    summary = asyncio.run(bench(args))
    print(json.dumps(summary, ensure_ascii=False))
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
