"""Delivery under faults: a PostgreSQL cluster of the test's own is stopped and restarted
under load, and the delivery worker is killed with SIGKILL under load. Each prints how many
replies were lost and how many went out twice, and holds the outbox to its rules: none lost,
none twice after a database outage (with one worker process and with two), after `kill -9` only the sends in flight at the kill
twice at most, and a chat's later replies held back for a few seconds, not a minute.

The worker is the real `frontdesk worker` process; the platform is the fake Bot API
(`tests/channels/fakes.py`) answering each send after a short delay, so sends are in flight
when the fault strikes. The cluster (`initdb` + `pg_ctl` on a free port) is thrown away at
the end; the shared server is not touched."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import FrontDesk
from bot.outbox import Message, post
from bot.storage.db import upgrade_schema
from tests.channels.fakes import FakeBotAPI, _free_port
from tests.conftest import ROOT, make_settings

pytestmark = pytest.mark.slow

TOKEN = "123456:chaos-test-token_AAAAAAAAAAAAAAAAAAAAAAAAAAA"
CHATS = 20
LEASE = 3.0


class _Cluster:
    """A PostgreSQL cluster of this test's own, run as the `postgres` user when we are root
    (initdb refuses root)."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            pytest.fail("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
        self.bin = Path(bins[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="frontdesk-chaos-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/frontdesk"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        """As a crash would: connections cut, no clean shutdown."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[_Cluster]:
    c = _Cluster()
    try:
        c.start()

        async def create() -> None:
            engine = create_async_engine(c.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("CREATE DATABASE frontdesk"))
            finally:
                await engine.dispose()

        asyncio.run(create())
        upgrade_schema(c.url)
        yield c
    finally:
        c.remove()


class SlowBotAPI(FakeBotAPI):
    """The fake Bot API, answering each send after a second (a slow platform): about ten sends
    are in flight at any moment of the load, so some are when the fault strikes."""

    in_progress = 0

    async def endpoint(self, request: Any) -> Any:
        SlowBotAPI.in_progress += 1
        try:
            await asyncio.sleep(1.0)
            return await super().endpoint(request)
        finally:
            SlowBotAPI.in_progress -= 1


async def _while_sending(api: SlowBotAPI, at_least: int = 2) -> None:
    """Wait until the worker has been delivering for a while and the platform is answering
    several sends: the moment for the fault."""
    deadline = time.monotonic() + 90  # worker processes start slowly on a busy machine
    while time.monotonic() < deadline:
        if len(api.sent()) >= 20 and api.in_progress >= at_least:
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"no sends in flight to strike at ({len(api.sent())} sent, {api.in_progress} in progress)")


@pytest.fixture
def platform() -> Iterator[SlowBotAPI]:
    api = SlowBotAPI(TOKEN)
    api.start()
    try:
        yield api
    finally:
        api.stop()


def _worker(cluster: _Cluster, api: FakeBotAPI, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": cluster.url, "FRONTDESK_DEMO_SEED": "false",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.url, "OUTBOX_LEASE_SECONDS": str(LEASE),
        # The platform's limits would measure the limiter, not delivery.
        "TELEGRAM_RATE_PER_SECOND": "10000", "TELEGRAM_CHAT_RATE_PER_SECOND": "10000", "TELEGRAM_CHAT_BURST": "1000",
    }
    env.pop("FRONTDESK_NOW", None)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env, stdout=out, stderr=out)


async def _empty(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE outbox RESTART IDENTITY"))
    finally:
        await engine.dispose()


class Load:
    """Replies posted to the outbox as the engine posts them, round robin over the chats,
    at about `rate` a second; a post refused while the database is down is not accepted."""

    def __init__(self, app: FrontDesk, rate: float = 10.0) -> None:
        self.app, self.rate = app, rate
        self.accepted: list[str] = []
        self.refused = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            body = f"m{i}"
            try:
                async with self.app.db.transaction() as s:
                    await post(s, [Message("telegram", str(1000 + i % CHATS), {"text": body}, key=f"chaos-{body}")],
                               now=self.app.clock.now())
                self.accepted.append(body)
            except Exception:
                self.refused += 1
                await asyncio.sleep(0.2)
            i += 1
            await asyncio.sleep(1 / self.rate)


def _sent(api: FakeBotAPI) -> Counter[str]:
    return Counter(str(c.params.get("text")) for c in api.sent())


async def _wait_delivered(api: FakeBotAPI, expected: list[str], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if set(expected) <= set(_sent(api)):
            break
        await asyncio.sleep(0.1)
    return time.monotonic() - start


def _report(name: str, api: FakeBotAPI, load: Load, extra: str = "") -> tuple[list[str], dict[str, int]]:
    sent = _sent(api)
    lost = [m for m in load.accepted if m not in sent]
    twice = {m: n for m, n in sent.items() if n > 1}
    print(f"\n[{name}] accepted {len(load.accepted)}, refused while down {load.refused}, "
          f"sends {sum(sent.values())}, lost {len(lost)}, sent twice {len(twice)} {extra}")
    return lost, twice


def _in_order(api: FakeBotAPI) -> bool:
    per_chat: dict[str, list[int]] = {}
    seen: set[str] = set()
    for c in api.sent():
        t = str(c.params.get("text"))
        if t not in seen:
            seen.add(t)
            per_chat.setdefault(str(c.params.get("chat_id")), []).append(int(t[1:]))
    return all(v == sorted(v) for v in per_chat.values())


async def _outage(cluster: _Cluster, platform: SlowBotAPI, tmp_path: Path, workers: int) -> None:
    await _empty(cluster.url)
    app = FrontDesk(make_settings(cluster.url))
    await app.start(migrate=False)
    logs = [tmp_path / f"worker{i}.log" for i in range(workers)]
    procs = [_worker(cluster, platform, log) for log in logs]
    load = Load(app)
    producing = asyncio.create_task(load.run())
    try:
        await asyncio.sleep(4)
        await _while_sending(platform)
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(5)  # longer than the lease
        await asyncio.to_thread(cluster.start)
        restarted = time.monotonic()
        await asyncio.sleep(3)
        load.stop.set()
        await producing
        waited = await _wait_delivered(platform, load.accepted, 60)
        caught_up = time.monotonic() - restarted
        await asyncio.sleep(LEASE + 2)  # a row left `sending` would come back now: wait for it
        name = "database outage" + (f", {workers} workers" if workers > 1 else "")
        lost, twice = _report(name, platform, load, f"(all out {caught_up:.1f}s after the restart)")
    finally:
        load.stop.set()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(30)
        await app.close()
    for proc, log in zip(procs, logs):
        assert proc.returncode == 0, log.read_text()[-3000:]
    assert load.accepted and load.refused, "the load ran through the outage"
    assert not lost, f"lost after {waited:.0f}s: {lost[:10]}"
    assert not twice, twice
    assert _in_order(platform)
    assert caught_up < 45, "a chat's replies were held back behind a lease"


async def test_a_database_outage_under_load_loses_no_reply_and_sends_none_twice(
    cluster: _Cluster, platform: SlowBotAPI, tmp_path: Path
) -> None:
    await _outage(cluster, platform, tmp_path, workers=1)


async def test_two_workers_through_a_database_outage_lose_no_reply_and_send_none_twice(
    cluster: _Cluster, platform: SlowBotAPI, tmp_path: Path
) -> None:
    """Each worker's leases run out during the outage. When the database returns, the worker
    that gets there first must not take the other's rows, whose outcomes are still to be
    written: the replies went out already."""
    await _outage(cluster, platform, tmp_path, workers=2)


async def test_a_worker_killed_under_load_repeats_only_the_sends_in_flight(
    cluster: _Cluster, platform: SlowBotAPI, tmp_path: Path
) -> None:
    await _empty(cluster.url)
    app = FrontDesk(make_settings(cluster.url))
    await app.start(migrate=False)
    log = tmp_path / "worker.log"
    worker = _worker(cluster, platform, log)
    load = Load(app)
    producing = asyncio.create_task(load.run())
    try:
        await asyncio.sleep(5)
        await _while_sending(platform)
        worker.kill()
        worker.wait(10)
        async with app.db.transaction() as s:
            in_flight = {row[0]["text"] for row in await s.execute(text("SELECT payload FROM outbox WHERE status = 'sending'"))}
        worker = _worker(cluster, platform, log)
        restarted = time.monotonic()
        await asyncio.sleep(3)
        load.stop.set()
        await producing
        waited = await _wait_delivered(platform, load.accepted, 60)
        caught_up = time.monotonic() - restarted
        await asyncio.sleep(LEASE + 2)
        lost, twice = _report("kill -9", platform, load,
                              f"(in flight at the kill {len(in_flight)}; all out {caught_up:.1f}s after the restart)")
    finally:
        load.stop.set()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        await app.close()
    assert not lost, f"lost after {waited:.0f}s: {lost[:10]}"
    assert set(twice) <= in_flight, f"sent twice but not in flight at the kill: {set(twice) - in_flight}"
    assert _in_order(platform)
    assert caught_up < 45, "a chat's replies were held back behind a lease"


SECRET = "chaos-webhook-secret"


def _server(cluster: _Cluster, api: FakeBotAPI, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`frontdesk run`: the webhook server with its embedded outbox worker, one process."""
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": cluster.url, "FRONTDESK_DEMO_SEED": "false",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": api.url,
        "OUTBOX_LEASE_SECONDS": str(LEASE),
        "TELEGRAM_RATE_PER_SECOND": "10000", "TELEGRAM_CHAT_RATE_PER_SECOND": "10000", "TELEGRAM_CHAT_BURST": "1000",
    }
    env.pop("FRONTDESK_NOW", None)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=out)


async def _serving(http: Any, base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120  # a busy machine starts a process slowly
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail("frontdesk run exited:\n" + log.read_text()[-3000:])
        try:
            if (await http.get(base + "/healthz")).status_code == 200:
                return
        except Exception:
            pass
        await asyncio.sleep(0.2)
    pytest.fail("frontdesk run did not start")


class Webhooks:
    """Telegram: one new user per message, "/start" at about `rate` a second, each update
    POSTed to the webhook. An update not answered 200 (the server is down, or died with the
    request open) is kept and delivered again later with the same `update_id`, as Telegram
    does."""

    def __init__(self, http: Any, base: str, rate: float = 10.0) -> None:
        from tests.channels.fakes import tg_message

        self.http, self.base, self.rate = http, base, rate
        self.make = tg_message
        self.accepted: list[int] = []  # chat ids whose update was answered 200
        self.unanswered: dict[int, dict[str, Any]] = {}
        self.stop = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()

    async def post(self, chat: int, update: dict[str, Any]) -> None:
        try:
            r = await self.http.post(self.base + "/telegram/webhook", json=update,
                                     headers={"x-telegram-bot-api-secret-token": SECRET})
        except Exception:
            self.unanswered[chat] = update
            return
        if r.status_code == 200:
            self.accepted.append(chat)
            self.unanswered.pop(chat, None)
        else:
            self.unanswered[chat] = update

    async def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            chat = 7_000_000 + i
            task = asyncio.create_task(self.post(chat, self.make(chat, text="/start", update_id=900_000 + i)))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            i += 1
            await asyncio.sleep(1 / self.rate)
        await asyncio.gather(*list(self.tasks))

    async def redeliver(self) -> None:
        for _ in range(20):
            if not self.unanswered:
                return
            await asyncio.gather(*(self.post(chat, update) for chat, update in list(self.unanswered.items())))
        pytest.fail(f"{len(self.unanswered)} updates never answered 200")


async def test_frontdesk_run_killed_while_taking_webhooks_loses_no_accepted_reply(
    cluster: _Cluster, platform: SlowBotAPI, tmp_path: Path
) -> None:
    """`frontdesk run` takes Telegram webhooks and sends the replies from its embedded worker
    to a slow platform; it is killed with SIGKILL under load and started again. A webhook
    answered 200 was committed with its replies: none may be lost. Updates left unanswered are
    delivered again (Telegram does), and the `update_id` keeps a processed one from being
    answered twice; only replies in flight at the kill may go out twice."""
    import httpx

    await _empty(cluster.url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    server = _server(cluster, platform, port, log)
    async with httpx.AsyncClient(timeout=30) as http:
        try:
            await _serving(http, base, server, log)
            hooks = Webhooks(http, base)
            producing = asyncio.create_task(hooks.run())
            await asyncio.sleep(3)
            await _while_sending(platform)
            server.kill()
            server.wait(10)
            engine = create_async_engine(cluster.url)
            try:
                async with engine.connect() as conn:
                    rows = await conn.execute(text("SELECT recipient, payload FROM outbox WHERE status = 'sending'"))
                    in_flight = {(r[0], r[1].get("text")) for r in rows}
            finally:
                await engine.dispose()
            server = _server(cluster, platform, port, log)
            await _serving(http, base, server, log)
            restarted = time.monotonic()
            await asyncio.sleep(2)
            hooks.stop.set()
            await producing
            await hooks.redeliver()

            def replies() -> Counter[tuple[str, str]]:
                return Counter((str(c.params.get("chat_id")), str(c.params.get("text")))
                               for c in platform.sent() if c.method == "sendMessage")

            first = {t for (chat, t) in replies() if chat == str(hooks.accepted[0])}
            assert first, "the first user was answered"

            def missing() -> list[int]:
                got = replies()
                return [c for c in hooks.accepted if any((str(c), t) not in got for t in first)]

            deadline = time.monotonic() + 60
            while missing() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            caught_up = time.monotonic() - restarted
            await asyncio.sleep(LEASE + 2)  # a row left `sending` would come back now: wait for it
            lost = missing()
            twice = {k: n for k, n in replies().items() if n > 1}
            print(f"\n[frontdesk run kill -9] webhooks answered 200: {len(hooks.accepted)}, replies "
                  f"{sum(replies().values())}, lost {len(lost)}, sent twice {len(twice)} (in flight at the kill "
                  f"{len(in_flight)}; all out {caught_up:.1f}s after the restart)")
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(30)
    assert not lost, f"accepted webhooks never answered: {lost[:10]}"
    assert set(twice) <= in_flight, f"sent twice but not in flight at the kill: {set(twice) - in_flight}"
    assert caught_up < 45, "replies were held back behind a lease"
