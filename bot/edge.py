"""Input at the edge: one body reader and one text cleaner for every entry point.

- `read_body` reads a request body with a size cap, refusing a larger `Content-Length`
  before reading and stopping as soon as the stream passes the cap (413), so a large body
  is never held whole in memory.
- `read_form` reads a form (URL-encoded or multipart) through `read_body`'s cap, so an
  admin form post is refused at the same limit (413) and a malformed one gets a clean 400
  (`BodyRefused`), not Starlette's own unlimited read and its plain-text error.
- `parse_json` refuses JSON nested deeper than `MAX_DEPTH` before parsing it (400): the
  standard parser recurses, and a body of 20,000 `[` would otherwise end in a
  `RecursionError`, and a few thousand levels upset the libraries that read the result.
- `clean_text` removes NUL (PostgreSQL cannot store it in text) and unpaired UTF-16
  surrogates (no database can encode them); `Event` applies it to every field it gets.

Used by the webhooks, the try-it page, `/model/parse` and `frontdesk chat --jsonl`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

MAX_DEPTH = 64
"""Deepest JSON nesting accepted; platform updates nest fewer than 10 levels."""

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class BodyRefused(ValueError):
    """A body not read or not parsed: `status` is 413 (too large) or 400 (not acceptable JSON)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most `limit` bytes; `BodyRefused(413)` past that."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.isdigit():
            raise BodyRefused(400, "bad Content-Length")
        if int(declared) > limit:
            raise BodyRefused(413, "the body is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyRefused(413, "the body is too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_form(request: Request, limit: int, *, max_fields: int = 1000, max_files: int = 10) -> FormData:
    """The form of a POST, its body read by `read_body` (413 past `limit`), parsed by
    Starlette's own parsers; `BodyRefused(400)` for a malformed form (a broken multipart
    body, too many fields or files, a field over a megabyte). A body of another type is an
    empty form."""
    body = await read_body(request, limit)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        return await Request(request.scope, replay).form(max_fields=max_fields, max_files=max_files)
    except (MultiPartException, HTTPException) as exc:
        raise BodyRefused(400, "the form could not be read") from exc


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text `body` nests arrays/objects deeper than `limit` (strings skipped).
    A body with no more than `limit` brackets in all cannot, and is not scanned."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def parse_json(body: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` after the depth check; `BodyRefused(400)` for what is not acceptable JSON."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if too_deep(raw, max_depth):
        raise BodyRefused(400, f"the JSON is nested deeper than {max_depth} levels")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BodyRefused(400, "the body is not valid JSON") from exc


def clean_text(value: str) -> str:
    """`value` without NUL and unpaired surrogates (the common case returns `value` itself)."""
    if _BAD_CHARS.search(value) is None:
        return value
    return _BAD_CHARS.sub("", value)


def clean_optional(value: str | None) -> str | None:
    return None if value is None else clean_text(value)


def valid_coordinates(latitude: float, longitude: float) -> bool:
    """A point on Earth: finite, latitude within ±90 and longitude within ±180."""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


__all__ = ["MAX_DEPTH", "BodyRefused", "read_body", "read_form", "too_deep", "parse_json", "clean_text", "clean_optional",
           "valid_coordinates"]
