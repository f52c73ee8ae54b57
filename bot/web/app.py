"""The HTTP server of `frontdesk run`: health, the try-it page, and the routes each
configured channel or module adds (Telegram and WhatsApp webhooks, `/model/parse`, `/admin`)."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.admin.routes import routes as admin_routes
from bot.channels import jobs as channel_jobs
from bot.channels import web as web_chat
from bot.channels.cli import BadLine, event_from_json
from bot.edge import BodyRefused, parse_json, read_body
from bot.nlu.http import routes as nlu_routes
from bot.outbox.worker import run_embedded
from bot.web import health
from bot.web.hot import HotStarlette

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
WEB_CHANNEL = "web"
COOKIE = "frontdesk_try"
MAX_BODY = 64 * 1024

RouteProvider = Callable[["FrontDesk"], list[BaseRoute]]
Job = Callable[["FrontDesk", asyncio.Event], Coroutine[Any, Any, None]]


def telegram_routes(frontdesk: FrontDesk) -> list[BaseRoute]:
    """The Telegram webhook, when a token is set. The channel module imports aiogram (seconds
    of import), so it is imported only for a configured channel."""
    if not frontdesk.settings.telegram_configured:
        return []
    from bot.channels import telegram

    return telegram.routes(frontdesk)


def whatsapp_routes(frontdesk: FrontDesk) -> list[BaseRoute]:
    """The WhatsApp webhook, when a token is set (the module imports pywa)."""
    if not frontdesk.settings.whatsapp_configured:
        return []
    from bot.channels import whatsapp

    return whatsapp.routes(frontdesk)


ROUTE_PROVIDERS: tuple[RouteProvider, ...] = (nlu_routes, telegram_routes, whatsapp_routes, web_chat.routes,
                                              admin_routes)
"""What adds routes; a channel that is not configured adds none."""
BACKGROUND_JOBS: tuple[Job, ...] = (run_embedded, channel_jobs.run)
"""Started with the server: the outbox worker, the channels' periodic work."""


def create_app(frontdesk: FrontDesk, *, background: bool = True, settle_heap: bool = False) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/", index, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/api/try", try_message, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    routes = health.routes() + routes
    for provider in ROUTE_PROVIDERS:
        routes = provider(frontdesk) + routes

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await frontdesk.start()
        if settle_heap:
            _settle_heap()
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        if background:
            for job in BACKGROUND_JOBS:
                tasks.append(asyncio.create_task(job(frontdesk, stop), name=f"{job.__module__}.{job.__name__}"))
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                try:
                    await asyncio.wait_for(task, timeout=10)
                except (TimeoutError, asyncio.CancelledError):
                    task.cancel()
            await frontdesk.close()

    app = HotStarlette(routes=routes, lifespan=lifespan)
    app.state.frontdesk = frontdesk
    return app


async def index(request: Request) -> Response:
    response = FileResponse(STATIC / "try.html", media_type="text/html; charset=utf-8")
    if COOKIE not in request.cookies:
        response.set_cookie(COOKIE, secrets.token_urlsafe(12), httponly=True, samesite="lax", max_age=30 * 86400)
    return response


async def healthz(request: Request) -> Response:
    frontdesk: FrontDesk = request.app.state.frontdesk
    try:
        async with frontdesk.db.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # the check itself reports what is wrong
        return JSONResponse({"status": "error", "database": frontdesk.settings.mask(str(exc))[:200]}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok", "now": frontdesk.clock.now().isoformat()})


async def try_message(request: Request) -> Response:
    """One message from the try-it page. The user is the browser's cookie, not the body."""
    frontdesk: FrontDesk = request.app.state.frontdesk
    try:
        obj = parse_json(await read_body(request, MAX_BODY) or b"null")
    except BodyRefused as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    if not isinstance(obj, dict):
        return JSONResponse({"error": "the body must be a JSON object"}, status_code=400)
    user = request.cookies.get(COOKIE) or obj.get("user")
    if not user:
        return JSONResponse({"error": "open / first, it sets the session cookie"}, status_code=400)
    obj = {**obj, "user": str(user)[:64]}
    try:
        event = event_from_json(obj, channel=WEB_CHANNEL)
    except BadLine as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    replies = await frontdesk.engine.handle(event)
    return JSONResponse({"replies": [r.to_dict() for r in replies]})


def _settle_heap() -> None:
    """For a long-running server, once start-up is done: keep the garbage collector off
    what start-up built.

    Imports, aiogram's and pywa's pydantic models, flows and the NLU leave some 300 000
    long-lived objects, and every full collection walked all of them (≈ 200 ms here,
    stalling every request in flight, a few times a minute under load). `gc.freeze()`
    moves them to the permanent generation, so a full collection now walks only what was
    made since (a few ms); the larger first threshold makes young collections rarer, as
    a busy server allocates many short-lived objects that plain reference counting frees."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
