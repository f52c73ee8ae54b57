"""`frontdesk run`: a real server process; the try-it page answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FROZEN_NOW, ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`frontdesk run` on a fresh embedded SQLite file, as a new user starts it."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'frontdesk.db'}", "FRONTDESK_NOW": FROZEN_NOW, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"frontdesk run did not come up (exit {proc.poll()}):\n{out}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_try_it_page_answers(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        page = client.get("/")
        assert page.status_code == 200 and "PLUT-KUMKM" in page.text
        assert "frontdesk_try" in client.cookies
        reply = client.post("/api/try", json={"command": "start", "message_id": "w1"})
        assert reply.status_code == 200
        body = reply.json()
        assert "selamat datang" in body["replies"][0]["text"].lower()
        assert len(body["replies"][1]["options"]) == 6
        again = client.post("/api/try", json={"command": "start", "message_id": "w1"})
        assert again.json() == {"replies": []}
        english = client.post("/api/try", json={"text": "English please"})
        assert "English" in english.json()["replies"][0]["text"]


def test_try_it_refuses_bad_bodies(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as client:
        client.get("/")
        assert client.post("/api/try", content=b"{not json").status_code == 400
        assert client.post("/api/try", json=["a"]).status_code == 400
        assert client.post("/api/try", json={"text": 5}).status_code == 422
        assert client.post("/api/try", content=b"x" * 70_000, headers={"content-type": "application/json"}).status_code == 413
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["now"].startswith("2026-11-23T02:00:00")


def test_the_server_keeps_the_collector_off_what_start_up_built() -> None:
    """`frontdesk run` freezes the start-up heap: full collections no longer walk it."""
    import subprocess
    import sys

    code = ("import gc; from bot.web.app import _settle_heap; before = gc.get_freeze_count(); _settle_heap(); "
            "print(before, gc.get_freeze_count(), gc.get_threshold()[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    before, after, threshold = map(int, out)
    assert before == 0 and after > 10_000 and threshold > 700
