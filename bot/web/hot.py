"""Hot routes: the platform webhooks, served without Starlette's middleware stack and router.

Under load nearly every request is a Telegram or WhatsApp webhook. Going through
Starlette's error and exception middleware and its route list costs about as much CPU as
reading and checking the update itself, for nothing those endpoints use: they take a
`Request`, catch their own errors and return a `Response`. A route marked with `hot()` is
looked up by method and exact path in a dict and its endpoint called directly; everything
else (pages, admin, static files) goes through Starlette as before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from bot.channels.routes import hot
from bot.observability.logging import new_request_id

__all__ = ["HotStarlette", "hot"]

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


class HotStarlette(Starlette):
    """Starlette with a direct lane for the routes marked `hot()` (see the module docs)."""

    def __init__(self, *, routes: list[BaseRoute], **kwargs: Any) -> None:
        super().__init__(routes=routes, **kwargs)
        self.hot_routes: dict[tuple[str, str], Endpoint] = {}
        for route in routes:
            if isinstance(route, Route) and getattr(route, "hot", False):
                for method in route.methods or ():
                    self.hot_routes[(method, route.path)] = route.endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            new_request_id(_header(scope, b"x-request-id"))
        if scope["type"] == "http" and self.hot_routes:
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            endpoint = self.hot_routes.get((scope["method"], path))
            if endpoint is not None:
                scope["app"] = self
                try:
                    response = await endpoint(Request(scope, receive, send))
                except Exception:
                    # What Starlette's error middleware would do: log it, answer 500.
                    log.exception("unhandled error in %s %s", scope["method"], path)
                    response = PlainTextResponse("Internal Server Error", status_code=500)
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None
