"""The compose topology as plain processes: PostgreSQL, two `frontdesk run --no-worker`
web processes and one `frontdesk worker`, with Telegram webhooks for the same users spread
over both web processes and every update also delivered to the other one (platforms
retry). Every update must be turned once, every reply sent once, in order per chat."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.channels import fakes
from tests.conftest import PG_ADMIN_URL, ROOT, _pg_exec

TOKEN = "123456789:AAHtopologyTokenForTheFakeServer"
SECRET = "topology-secret"
USERS = 8
SCRIPT = ["/start", "halo, saya mau tanya", "/menu", "jam buka PLUT kapan?"]

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def topology_db() -> Iterator[str]:
    """A database of this test's own on the server, migrated with `frontdesk db upgrade`."""
    name = f"frontdesk_topology_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Processes:
    """Subprocesses with their output in files; all stopped at the end, whatever happened."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}.log"
        proc = subprocess.Popen([sys.executable, "-m", "bot", *args], env=self.env, cwd=ROOT,
                                stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.procs.append((name, proc, log))
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {n} (exit {p.poll()}):\n{log.read_text(errors='replace')[-2000:]}" for n, p, log in self.procs)

    def stop(self) -> None:
        for _, proc, _ in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for _, proc, _ in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _wait_ready(base: str, procs: Processes) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if (await client.get(base + "/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not become ready:\n{procs.logs()}")


async def _rows(url: str, sql: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())
    finally:
        await engine.dispose()


def test_two_web_processes_and_a_worker_answer_every_update_once_in_order(
        topology_db: str, tmp_path: Path, fake_tg: fakes.FakeBotAPI) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": topology_db, "FRONTDESK_DEMO_SEED": "false",
           "FRONTDESK_LOG_LEVEL": "WARNING", "FRONTDESK_LOG_FORMAT": "json",
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": fake_tg.url,
           "TELEGRAM_RATE_PER_SECOND": "10000", "TELEGRAM_CHAT_RATE_PER_SECOND": "1000", "TELEGRAM_CHAT_BURST": "100"}
    env.pop("WHATSAPP_TOKEN", None)
    fake_tg.token = TOKEN
    up = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=ROOT, capture_output=True, timeout=120)
    assert up.returncode == 0, up.stderr.decode(errors="replace")
    procs = Processes(tmp_path, env)
    ports = [fakes._free_port(), fakes._free_port()]  # noqa: SLF001
    webs = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for i, port in enumerate(ports):
            procs.start(f"web{i}", "run", "--no-worker", "--port", str(port))
        worker = procs.start("worker", "worker")
        asyncio.run(_exercise(webs, procs, fake_tg, topology_db))
        assert worker.poll() is None, procs.logs()
    finally:
        procs.stop()


async def _exercise(webs: list[str], procs: Processes, fake: fakes.FakeBotAPI, url: str) -> None:
    await asyncio.gather(*(_wait_ready(base, procs) for base in webs))
    headers = {"content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET}
    statuses: list[int] = []

    async def user(client: httpx.AsyncClient, n: int) -> None:
        uid = 7_000_000 + n
        for i, words in enumerate(SCRIPT):
            body = json.dumps(fakes.tg_message(uid, text=words, update_id=uid * 10 + i)).encode()
            first, second = webs[(n + i) % 2], webs[(n + i + 1) % 2]
            # The update to one process, and its retry to the other at the same time.
            answers = await asyncio.gather(client.post(first + "/telegram/webhook", content=body, headers=headers),
                                           client.post(second + "/telegram/webhook", content=body, headers=headers))
            statuses.extend(r.status_code for r in answers)

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(user(client, n) for n in range(USERS)))
    assert statuses == [200] * (2 * USERS * len(SCRIPT)), procs.logs()

    # The worker delivers; wait until nothing is left to send.
    deadline = time.monotonic() + 60
    while True:
        left = (await _rows(url, "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"))[0][0]
        if left == 0 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert left == 0, procs.logs()

    total = USERS * len(SCRIPT)
    assert (await _rows(url, "SELECT count(*) FROM inbound_messages WHERE channel = 'telegram'"))[0][0] == total
    # Each update turned exactly once, although every one arrived twice.
    assert (await _rows(url, "SELECT count(*) FROM message_log WHERE direction = 'in'"))[0][0] == total
    rows = await _rows(url, "SELECT id, recipient, idempotency_key, status, payload FROM outbox ORDER BY id")
    assert {r.status for r in rows} == {"sent"}
    sends = [c for c in fake.calls if c.method.startswith("send")]
    # Each reply sent exactly once: as many sends as outbox rows, no row twice.
    assert len(sends) == len(rows), procs.logs()
    for n in range(USERS):
        uid = str(7_000_000 + n)
        mine = [r for r in rows if r.recipient == uid]
        # Every update of the user was answered, and in the order they were sent.
        answered = [int(r.idempotency_key.split(":")[2][1:]) for r in mine]
        assert sorted(set(answered)) == [int(uid) * 10 + i for i in range(len(SCRIPT))]
        assert answered == sorted(answered), f"replies of {uid} committed out of order: {answered}"
        # The platform received them in that order too.
        got = [c.params.get("text") for c in sends if str(c.params.get("chat_id")) == uid]
        want = [(r.payload if isinstance(r.payload, dict) else json.loads(r.payload)).get("text") for r in mine]
        assert got == want, f"chat {uid}: sent out of order"
