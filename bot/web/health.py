"""`/readyz` and `/metrics`: what a load balancer and a Prometheus server ask a process.

`/healthz` (in `app.py`) says the process is alive and answers. `/readyz` says it should get
traffic: the database answers, its schema is the one the code needs (a new release's
processes wait for `frontdesk db upgrade`), and the flows and NLU are loaded. `/metrics` is
the Prometheus text of `bot.observability.metrics` plus three figures read from the
database at scrape time: the outbox's due rows, how long the longest-waiting one has
waited, and the handoffs waiting for a consultant."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.observability import metrics

if TYPE_CHECKING:
    from bot.app import FrontDesk


def routes() -> list[BaseRoute]:
    return [Route("/readyz", readyz, methods=["GET"]), Route("/metrics", metrics_endpoint, methods=["GET"])]


@lru_cache(maxsize=4)
def schema_head(database_url: str) -> str | None:
    """The newest migration the code knows (read once per process from the migration scripts)."""
    from alembic.script import ScriptDirectory

    from bot.storage.db import alembic_config

    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


async def readyz(request: Request) -> Response:
    frontdesk: FrontDesk = request.app.state.frontdesk
    checks: dict[str, str] = {}
    try:
        async with frontdesk.db.engine.connect() as conn:
            current = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar()
        checks["database"] = "ok"
        head = schema_head(frontdesk.settings.database_url)
        checks["schema"] = "ok" if current == head else f"at {current or 'none'}, the code needs {head}: run `frontdesk db upgrade`"
    except Exception as exc:  # the answer reports what is wrong
        checks["database"] = f"error: {type(exc).__name__}"
        checks["schema"] = "unknown"
    flows = len(getattr(frontdesk.flows, "flows", {}) or {})
    checks["content"] = "ok" if flows and frontdesk.nlu is not None else "no flows loaded"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503)


async def metrics_endpoint(request: Request) -> Response:
    frontdesk: FrontDesk = request.app.state.frontdesk
    extra = []
    try:
        extra = await database_figures(frontdesk)
    except Exception:  # the process's own counters are still worth answering with
        extra = [metrics.gauge("frontdesk_database_up", "1 when the database answered this scrape", 0)]
    return Response(metrics.render(extra), media_type=metrics.CONTENT_TYPE_LATEST)


async def database_figures(frontdesk: FrontDesk) -> list[metrics.Metric]:
    from bot.storage.models import HandoffRequest, OutboxMessage
    from bot.storage.models.outbox import PENDING, SENDING

    now: datetime = frontdesk.clock.now()
    due = (OutboxMessage.status.in_((PENDING, SENDING))) & (OutboxMessage.next_attempt_at <= now)
    async with frontdesk.db.engine.connect() as conn:
        depth, oldest = (await conn.execute(
            select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(due))).one()
        waiting = (await conn.execute(
            select(func.count()).select_from(HandoffRequest).where(HandoffRequest.status == "open"))).scalar_one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
        from datetime import timezone

        oldest = oldest.replace(tzinfo=timezone.utc)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return [
        metrics.gauge("frontdesk_database_up", "1 when the database answered this scrape", 1),
        metrics.gauge("frontdesk_outbox_depth", "Outbox messages due now and not yet sent (pending or being sent)", depth),
        metrics.gauge("frontdesk_outbox_oldest_seconds", "How long the longest-waiting due outbox message has waited", age),
        metrics.gauge("frontdesk_handoffs_waiting", "Handoff requests no consultant has taken yet", waiting),
    ]
