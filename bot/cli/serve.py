"""Starting the HTTP server: several processes on one port (`frontdesk run --workers N`),
and what the very first start tells the operator while it prepares things."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bot.observability.metrics import MULTIPROC_ENV

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from bot.config import Settings

BACKGROUND_ENV = "FRONTDESK_RUN_BACKGROUND"
"""Set by `run_workers` for its processes: "1" when each also delivers the outbox."""


def factory() -> Starlette:
    """The app of one of `run_workers`' processes (uvicorn imports it by name in each)."""
    from bot.cli import _setup_logging, make_app
    from bot.web.app import create_app

    _setup_logging()
    frontdesk = make_app()
    return create_app(frontdesk, background=os.environ.get(BACKGROUND_ENV, "1") == "1", settle_heap=True)


def run_workers(host: str, port: int, workers: int, *, background: bool) -> None:
    """uvicorn's own process manager: `workers` processes accept on one socket; a dead one
    is replaced. Their metrics go through prometheus-client's multiprocess mode (a fresh
    folder per run unless `PROMETHEUS_MULTIPROC_DIR` is set), so `/metrics` from any of
    them adds up all of them."""
    import uvicorn

    os.environ[BACKGROUND_ENV] = "1" if background else "0"
    made = None
    if not os.environ.get(MULTIPROC_ENV):
        made = tempfile.mkdtemp(prefix="frontdesk-metrics-")
        os.environ[MULTIPROC_ENV] = made
    try:
        # uvicorn's workers import the app factory by name: the one module named in a string.
        uvicorn.run("bot.cli.serve:factory", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False, log_config=None)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def first_start_notes(settings: Settings) -> list[str]:
    """What a start is about to do that takes a while, so it is not silent: creating the
    embedded database, and training the NLU model when no cached one fits."""
    notes = []
    if settings.is_sqlite:
        path = Path(settings.database_url.split(":///", 1)[1])
        if not path.exists():
            notes.append(f"first start: creating the database {path} (migrations, demo content)…")
    if settings.nlu_backend == "embedded" and not any(Path(settings.nlu_cache_dir).glob("intent-*.pkl")):
        notes.append(f"first start: training the NLU model from {settings.content_dir / 'nlu'} "
                     f"(about 20 s; cached in {settings.nlu_cache_dir} for the next starts)…")
    return notes
