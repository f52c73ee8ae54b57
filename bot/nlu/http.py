"""`POST /model/parse` with Rasa's request and response shape, on the `frontdesk run` server.

Request: `{"text": "...", "message_id": "...", "lang": "id"}` (only `text` is required;
`lang` and `tz` are our additions). Response: the parse, as Rasa returns it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.edge import BodyRefused, clean_text, parse_json, read_body

MAX_BODY_TEXT = 10_000
MAX_BODY = 64 * 1024
"""Bytes of a request body; a text is cut to `MAX_BODY_TEXT` characters anyway."""


def routes(app_or_getter: Any) -> list[BaseRoute]:
    """Routes for the running FrontDesk (with `.nlu` and `.clock`), given itself or a
    function returning it (when the app is built after the routes)."""
    app_getter: Callable[[], Any] = (lambda: app_or_getter) if hasattr(app_or_getter, "nlu") else app_or_getter

    async def parse(request: Request) -> JSONResponse:
        try:
            body = parse_json(await read_body(request, MAX_BODY))
        except BodyRefused as exc:
            message = str(exc) if exc.status == 413 else "send a JSON body like {\"text\": \"halo\"}"
            return JSONResponse({"error": message}, status_code=exc.status)
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return JSONResponse({"error": "the body needs a string field `text`"}, status_code=400)
        text = clean_text(body["text"][:MAX_BODY_TEXT])
        app = app_getter()
        clock = getattr(app, "clock", None)
        now = clock.now() if clock is not None else datetime.now(UTC)
        kwargs: dict[str, Any] = {"now": now, "lang": body.get("lang") if body.get("lang") in ("id", "en") else None}
        if isinstance(body.get("tz"), str):
            try:
                ZoneInfo(body["tz"])
            except (ValueError, KeyError, OSError):
                return JSONResponse({"error": "`tz` must be an IANA zone such as Asia/Makassar"}, status_code=400)
            kwargs["tz"] = body["tz"]
        result = await app.nlu.parse(text, **kwargs)
        if body.get("message_id") is not None:
            message_id = body["message_id"]
            result = {**result, "message_id": clean_text(message_id) if isinstance(message_id, str) else message_id}
        return JSONResponse(result)

    return [Route("/model/parse", parse, methods=["POST"])]
