"""How fast `frontdesk run` starts on an existing database, and how much memory it holds.

    .venv/bin/python bench/start_bench.py                       # embedded SQLite in a temporary folder
    .venv/bin/python bench/start_bench.py --database postgresql+asyncpg://postgres@127.0.0.1:5432/frontdesk_start_bench

First one start prepares the database (migrations, demo content, and on a fresh checkout
the NLU model; that start is reported apart). Then `--starts` times (default 5) the bench
starts `frontdesk run` as a subprocess and measures the wall time from the spawn until
`/healthz` answers 200 and the process's CPU time up to then; after the last start it sends
one message to the try-it page (`/api/try`) and reads the resident set size (VmRSS) and its
peak (VmHWM) from /proc. It prints the median start and the RSS, then one JSON line.
A PostgreSQL `--database` is dropped and created afresh (migrated with `frontdesk db upgrade`).
Loopback only; every server it starts is stopped before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channels.fakes import _free_port  # noqa: E402


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(url: str, timeout: float = 1.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except (urllib.error.URLError, OSError):
        return 0


def start_once(env: dict[str, str], cwd: Path, *, message: bool = False, timeout: float = 120.0) -> dict[str, float]:
    """One `frontdesk run`: seconds to a 200 from /healthz, CPU by then; with `message`, RSS after one message."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out: dict[str, float] = {}
    try:
        while _get(base + "/healthz", timeout=0.5) != 200:
            if proc.poll() is not None:
                raise SystemExit("frontdesk run exited:\n" + proc.stdout.read().decode(errors="replace")[-3000:])  # type: ignore[union-attr]
            if time.monotonic() - t0 > timeout:
                raise SystemExit(f"no answer from /healthz within {timeout:g} s")
            time.sleep(0.02)
        out["seconds"] = time.monotonic() - t0
        out["cpu"] = _cpu_seconds(proc.pid)
        out["rss_mb_started"] = _status_kb(proc.pid, "VmRSS") / 1024
        if message:
            req = urllib.request.Request(base + "/api/try", data=json.dumps({"user": "bench", "text": "halo, mau urus NIB"}).encode(),
                                         headers={"content-type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as r:
                assert r.status == 200, r.status
                r.read()
            out["rss_mb"] = _status_kb(proc.pid, "VmRSS") / 1024
            out["rss_peak_mb"] = _status_kb(proc.pid, "VmHWM") / 1024
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    return out


async def _recreate(url: str) -> None:
    import asyncpg

    admin = url.replace("postgresql+asyncpg://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres"
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (dropped and created); default: SQLite in a temporary folder")
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "FRONTDESK_LOG_LEVEL": "WARNING"}
        if args.database:
            asyncio.run(_recreate(args.database))
            env["DATABASE_URL"] = args.database
            up = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=tmp, capture_output=True)
            if up.returncode:
                raise SystemExit(up.stderr.decode(errors="replace")[-3000:])
        else:
            env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp}/frontdesk.db"
        first = start_once(env, Path(tmp))
        runs = [start_once(env, Path(tmp), message=(i == args.starts - 1)) for i in range(args.starts)]
    seconds = [r["seconds"] for r in runs]
    cpu = [r["cpu"] for r in runs]
    last = runs[-1]
    db = "PostgreSQL" if args.database else "SQLite"
    print(f"database={db} starts={args.starts}")
    print(f"first start (prepares the database): {first['seconds']:.2f} s")
    print(f"start to /healthz: median {statistics.median(seconds):.2f} s  (each: {', '.join(f'{s:.2f}' for s in seconds)})")
    print(f"CPU by then: median {statistics.median(cpu):.2f} s")
    print(f"RSS: {last['rss_mb_started']:.0f} MB started, {last['rss_mb']:.0f} MB after one message (peak {last['rss_peak_mb']:.0f} MB)")
    print(json.dumps({"database": db, "first_start_s": round(first["seconds"], 2),
                      "start_median_s": round(statistics.median(seconds), 2), "starts_s": [round(s, 2) for s in seconds],
                      "cpu_median_s": round(statistics.median(cpu), 2), "rss_mb": round(last["rss_mb"], 1),
                      "rss_peak_mb": round(last["rss_peak_mb"], 1)}))


if __name__ == "__main__":
    main()
