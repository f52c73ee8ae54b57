"""Log set-up: plain text for a terminal, or one JSON object per line (`FRONTDESK_LOG_FORMAT=json`)
for a log collector.

A JSON line carries the time, level, logger, the message with only its numbers filled in
(`"seeded 12 demo consultants"`, `"booking for <…> failed"`: text and numbers of eight digits
or more, which may be a chat id or a phone number, are left out), the request id of the
HTTP request and the id of the event
(channel and platform message id) being turned, when there is one, and for an error the
exception's type and where it was raised. It carries no text values of the record's arguments
and no exception text: those are where names, phone numbers and message texts would leak
(a database error repeats the row it refused). Numbers that help (`count`, `status`,
`duration_ms`, `outbox_id`) can be passed with `extra={...}`; other extras are dropped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import traceback
from contextvars import ContextVar
from datetime import datetime, timezone

request_id: ContextVar[str | None] = ContextVar("frontdesk_request_id", default=None)
event_id: ContextVar[str | None] = ContextVar("frontdesk_event_id", default=None)

SAFE_EXTRAS = ("count", "status", "duration_ms", "outbox_id", "channel", "attempts")
"""Extras a JSON line may carry: numbers and names of things, never people or their words."""

_counter = itertools.count(1)
_prefix = f"{os.getpid():x}"


def new_request_id(given: bytes | None = None) -> str:
    """The request's id: the load balancer's `X-Request-ID` when it is a short token, else a new one."""
    if given and len(given) <= 64 and given.replace(b"-", b"").replace(b"_", b"").isalnum():
        rid = given.decode()
    else:
        rid = f"{_prefix}-{next(_counter):x}"
    request_id.set(rid)
    return rid


def masked(identifier: object) -> str:
    """The one way to name a person in a log line: a short digest of their chat id or phone
    number (`#3f9a0c1e`), the same each time, so lines about one person can be followed
    without the log holding who they are."""
    digest = hashlib.sha256(str(identifier).encode("utf-8", "surrogatepass")).hexdigest()
    return f"#{digest[:8]}"


def set_event(channel: str, message_id: object) -> None:
    """The event being turned now (a platform message id says nothing about the person)."""
    event_id.set(f"{channel}:{message_id}" if message_id is not None else None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _safe_message(record),
        }
        rid, eid = request_id.get(), event_id.get()
        if rid:
            out["request_id"] = rid
        if eid:
            out["event_id"] = eid
        for key in SAFE_EXTRAS:
            value = record.__dict__.get(key)
            if isinstance(value, (int, float, bool)) or (key == "channel" and isinstance(value, str) and len(value) <= 16):
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _, tb = record.exc_info
            out["exc_type"] = f"{exc_type.__module__}.{exc_type.__qualname__}"
            out["exc_where"] = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)][-8:]
        return json.dumps(out, ensure_ascii=False)


_LARGEST_SHOWN = 10_000_000
"""Counts, durations and row ids are shown; a larger number may be a chat id or a phone number."""


def _safe_message(record: logging.LogRecord) -> str:
    """The template with its numbers filled in and every other value left out as `<…>`."""
    template = str(record.msg)
    args = record.args
    if not args or not isinstance(args, tuple):
        return template
    shown = tuple(a if isinstance(a, (int, float)) and abs(a) < _LARGEST_SHOWN else "<…>" for a in args)
    try:
        return template % shown
    except (TypeError, ValueError):  # a %d given a string, a mapping template: keep the template
        return template


def setup(level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once for a command (`frontdesk run`, `worker`, …)."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    # Alembic narrates every plugin it loads at INFO; the upgrade itself is what matters.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
