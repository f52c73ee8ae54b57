"""The terminal channel (`frontdesk chat`): interactive, or JSON lines for scripts and tests."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import uuid
from typing import IO, Any

from bot.edge import BodyRefused, clean_text, parse_json
from bot.engine.events import Contact, Event, Location, Reply

log = logging.getLogger(__name__)

CHANNEL = "cli"


class BadLine(ValueError):
    """An input line that is not one of the accepted shapes; the message says what is wrong."""


def event_from_json(obj: Any, *, channel: str = CHANNEL) -> Event:
    """`{"user": "u1", "text": "halo"}` (or `location`, `button`, `contact`, `command`) → Event."""
    if not isinstance(obj, dict):
        raise BadLine("each line must be a JSON object such as {\"user\": \"u1\", \"text\": \"halo\"}")
    user = obj.get("user")
    if isinstance(user, str):
        user = clean_text(user)
    if not isinstance(user, (str, int)) or str(user).strip() == "" or len(str(user)) > 64:
        raise BadLine("\"user\" must be a non-empty string of at most 64 characters")
    message_id = obj.get("message_id")
    if message_id is not None and not isinstance(message_id, (str, int)):
        raise BadLine("\"message_id\" must be a string or a number")
    kinds = [k for k in ("text", "location", "button", "contact", "command") if k in obj]
    if len(kinds) != 1:
        raise BadLine("give exactly one of \"text\", \"location\", \"button\", \"contact\", \"command\"")
    kind = kinds[0]
    common: dict[str, Any] = {
        "channel": channel,
        "user_id": str(user),
        "message_id": str(message_id) if message_id is not None else None,
        "display_name": obj.get("name") if isinstance(obj.get("name"), str) else None,
    }
    value = obj[kind]
    if kind == "text":
        if not isinstance(value, str):
            raise BadLine("\"text\" must be a string")
        return Event(text=value, **common)
    if kind == "button":
        if not isinstance(value, str) or not value or len(value) > 256:
            raise BadLine("\"button\" must be a payload string of 1 to 256 characters")
        return Event(button=value, **common)
    if kind == "command":
        if not isinstance(value, str) or not value:
            raise BadLine("\"command\" must be a string such as \"start\"")
        name, _, args = value.lstrip("/").partition(" ")
        return Event(command=name, command_args=args, **common)
    if kind == "location":
        try:
            lat, lon = float(value["latitude"]), float(value["longitude"])
        except (TypeError, KeyError, ValueError):
            raise BadLine("\"location\" must be {\"latitude\": number, \"longitude\": number}") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise BadLine("latitude must be within -90..90 and longitude within -180..180")
        return Event(location=Location(lat, lon), **common)
    if not isinstance(value, dict) or not isinstance(value.get("phone"), str) or not value["phone"].strip():
        raise BadLine("\"contact\" must be {\"phone\": \"+62...\"}")
    return Event(contact=Contact(phone=value["phone"].strip()[:32], name=value.get("name")), **common)


async def run_jsonl(app: Any, stdin: IO[str], stdout: IO[str]) -> None:
    """One JSON line in, exactly one JSON line out, flushed. A line that cannot be read or
    answered gets an `{"error": ...}` line, and the next line is read as usual.

    `stdin` should decode with `errors="surrogateescape"` (`text_stdin`), so that bytes that
    are not UTF-8 reach here as a line to refuse rather than ending the stream."""
    while True:
        line = stdin.readline()
        if not line:
            return
        if not line.strip():
            continue
        out = await _answer_line(app, line)
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()


async def _answer_line(app: Any, line: str) -> dict[str, Any]:
    if _NOT_UTF8.search(line):
        return {"error": "the line is not valid UTF-8"}
    try:
        event = event_from_json(parse_json(line))
    except BodyRefused as exc:
        return {"error": str(exc)}
    except BadLine as exc:
        return {"error": str(exc)}
    try:
        replies = await app.engine.handle(event)
    except Exception:
        log.exception("a chat line could not be answered")
        return {"error": "this line could not be answered; the next ones are read as usual"}
    return {"user": event.user_id, "replies": [r.to_dict() for r in replies]}


_NOT_UTF8 = re.compile("[\udc80-\udcff]")
"""What `surrogateescape` makes of bytes that are not UTF-8."""


def text_stdin() -> IO[str]:
    """Standard input as UTF-8 text that survives bytes which are not UTF-8 (see `run_jsonl`)."""
    return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="surrogateescape", newline=None)


def _render(reply: Reply, out: IO[str]) -> list[str]:
    """Print one reply for a person; return the payloads of its numbered choices."""
    payloads: list[str] = []
    if reply.text:
        out.write(f"bot> {reply.text}\n")
    for b in [*reply.buttons, *reply.options]:
        payloads.append(b.payload)
        out.write(f"     [{len(payloads)}] {b.title}\n")
    if reply.request_location:
        out.write("     (share a location: type  loc <latitude> <longitude>)\n")
    if reply.request_contact:
        out.write("     (share your number: type  phone <number>)\n")
    if reply.venue:
        v = reply.venue
        out.write(f"     📍 {v.title} ({v.latitude:.5f}, {v.longitude:.5f}) {v.url}\n")
    if reply.document:
        out.write(f"     📎 {reply.document.filename} ({len(reply.document.content)} bytes)\n")
    return payloads


async def run_interactive(app: Any, user: str, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> None:
    """A person types; numbers press the last buttons; `loc LAT LON` and `phone N` share."""
    payloads: list[str] = []
    stdout.write("PLUT Front Desk — type a message (Ctrl-D to quit)\n")
    while True:
        stdout.write("you> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return
        text = line.strip()
        base: dict[str, Any] = {"user": user, "message_id": uuid.uuid4().hex}
        if text.isdigit() and 1 <= int(text) <= len(payloads):
            obj = {**base, "button": payloads[int(text) - 1]}
        elif text.lower().startswith("loc "):
            parts = text.split()
            obj = {**base, "location": {"latitude": parts[1] if len(parts) > 1 else "", "longitude": parts[2] if len(parts) > 2 else ""}}
        elif text.lower().startswith("phone "):
            obj = {**base, "contact": {"phone": text[6:]}}
        else:
            obj = {**base, "text": text}
        try:
            event = event_from_json(obj)
        except BadLine as exc:
            stdout.write(f"     ({exc})\n")
            continue
        payloads = []
        for reply in await app.engine.handle(event):
            payloads = _render(reply, stdout) or payloads
