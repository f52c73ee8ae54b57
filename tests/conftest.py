"""Shared fixtures: a real SQLite file and a real PostgreSQL database for every test that
needs storage, the app built on them, and a runner for the `frontdesk` command.

PostgreSQL is required (these machines run it on 127.0.0.1:5432; `.ci/run` starts it):
`TEST_POSTGRES_URL` names the server's admin database; each test session creates its own
database on it and drops it at the end."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import FrontDesk
from bot.config import load_settings
from bot.storage.db import upgrade_schema

# Property tests explore new examples on every run on a developer's machine; under CI=true the
# same examples every time (Hypothesis's derandomize), so a run passes or fails on the code,
# not on the draw. `HYPOTHESIS_PROFILE=dev` explores under CI too.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
hypothesis_settings.register_profile("dev")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parent.parent
FROZEN_NOW = "2026-11-23T09:00:00+07:00"  # a Monday morning in WIB
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


def _pg_exec(sql: str) -> None:
    async def run() -> None:
        engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head."""
    name = f"frontdesk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade_schema(url)
        yield url
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_schema(f"sqlite+aiosqlite:///{path}")
    return path


async def _truncate_all(url: str) -> None:
    from bot.storage.models import Base

    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "frontdesk.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    asyncio.run(_truncate_all(url))
    return url


@pytest.fixture
def postgres_url(pg_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test (for PostgreSQL-only behaviour)."""
    asyncio.run(_truncate_all(pg_url))
    return pg_url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "frontdesk.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


def make_settings(db_url: str, **env: Any):  # type: ignore[no-untyped-def]
    values = {"DATABASE_URL": db_url, "FRONTDESK_NOW": FROZEN_NOW, "FRONTDESK_DEMO_SEED": "false", **env}
    return load_settings(**values)


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[FrontDesk]:
    frontdesk = FrontDesk(make_settings(db_url))
    await frontdesk.start(migrate=False)
    try:
        yield frontdesk
    finally:
        await frontdesk.close()


class Cli:
    """Runs `python -m bot …` in a subprocess, as a user would run `frontdesk …`."""

    def __init__(self, db_url: str, env: dict[str, str] | None = None) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "FRONTDESK_NOW": FROZEN_NOW,
            "FRONTDESK_DEMO_SEED": "false",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }

    def run(self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", *args], input=input, capture_output=True, text=True,
            env=self.env, cwd=ROOT, timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"frontdesk {' '.join(args)} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def chat(self, *lines: dict[str, Any] | str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Feed JSON lines to `frontdesk chat --jsonl`; return one parsed output per input."""
        text_in = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
        proc = self.run("chat", "--jsonl", input=text_in)
        out = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
        assert len(out) == len(lines), f"expected {len(lines)} output lines, got {len(out)}:\n{proc.stdout}\n{proc.stderr}"
        return out


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url)
