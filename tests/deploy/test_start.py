"""A fast, small start: no platform library, scikit-learn or plotting imported unless used;
the first start says what it is doing; `--workers N` shares a port and its metrics."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import load_settings
from bot.cli.serve import first_start_notes
from tests.channels.fakes import _free_port
from tests.conftest import ROOT

HEAVY = ("aiogram", "pywa", "sklearn", "matplotlib", "scipy")


def test_a_start_without_channels_imports_no_platform_library_nor_sklearn(tmp_path: Path, sqlite_template: Path) -> None:
    code = (
        "import asyncio, sys\n"
        "from bot.cli import make_app\n"
        "from bot.web.app import create_app\n"
        "fd = make_app(); web = create_app(fd, background=True)\n"
        "async def main():\n"
        "    await fd.start()\n"
        "    from bot.engine.events import Event\n"
        "    await fd.engine.handle(Event(channel='web', user_id='u1', text='halo, mau urus NIB'))\n"
        "    from bot.channels import jobs\n"
        "    stop = asyncio.Event(); stop.set(); await jobs.run(fd, stop)\n"
        "    await fd.close()\n"
        "asyncio.run(main())\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    db = tmp_path / "fd.db"
    db.write_bytes(sqlite_template.read_bytes())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{db}", "FRONTDESK_DEMO_SEED": "false"}
    for name in ("TELEGRAM_BOT_TOKEN", "WHATSAPP_TOKEN"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1:] in ([], [""]), f"imported at start: {out.stdout}"


def test_the_first_start_says_it_creates_the_database_and_trains_the_model(tmp_path: Path) -> None:
    settings = load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}", NLU_CACHE_DIR=str(tmp_path / "empty-cache"))
    notes = first_start_notes(settings)
    assert any("creating the database" in n for n in notes) and any("training the NLU model" in n for n in notes)
    (tmp_path / "new.db").write_bytes(b"")
    (tmp_path / "empty-cache").mkdir()
    (tmp_path / "empty-cache" / "intent-abc.pkl").write_bytes(b"x")
    assert first_start_notes(settings) == []


@pytest.mark.slow
def test_run_with_workers_shares_the_port_and_adds_up_their_metrics(postgres_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": postgres_url, "FRONTDESK_DEMO_SEED": "true",
           "FRONTDESK_LOG_LEVEL": "WARNING"}
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    for name in ("TELEGRAM_BOT_TOKEN", "WHATSAPP_TOKEN"):
        env.pop(name, None)
    log = tmp_path / "run.log"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--workers", "2", "--no-worker", "--port", str(port)],
                            env=env, cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        # New connections until both processes have turned messages (each writes its
        # counters to a file of its own once it counts something); a process still starting
        # up gets none, so keep sending for a while.
        sent = 0
        writers: set[str] = set()
        deadline = time.monotonic() + 60
        while (len(writers) < 2 or sent < 6) and time.monotonic() < deadline:
            with httpx.Client(base_url=base, timeout=30) as client:
                r = client.post("/api/try", json={"user": f"w{sent}", "text": "halo"})
                assert r.status_code == 200
            sent += 1
            writers = {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}
            if len(writers) < 2:
                time.sleep(0.1)
        assert len(writers) == 2, (writers, log.read_text())
        counts = []
        for _ in range(4):
            body = httpx.get(base + "/metrics", timeout=10).text
            value = sum(s.value for f in text_string_to_metric_families(body) for s in f.samples
                        if s.name == "frontdesk_messages_in_total" and s.labels.get("channel") == "web")
            counts.append(value)
        # Whichever process answers the scrape, it reports the messages of both.
        assert counts == [sent] * 4, (counts, log.read_text())
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_a_worker_serves_its_metrics_on_its_own_port(postgres_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": postgres_url, "FRONTDESK_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "worker.log"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "worker", "--metrics-port", str(port), "--metrics-host", "127.0.0.1"],
                            env=env, cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert r.status_code == 200
        names = {f.name for f in text_string_to_metric_families(r.text)}
        assert {"frontdesk_outbox_sent", "frontdesk_send_failures"} <= names
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
