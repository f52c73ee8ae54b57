"""Small local imitations of the Telegram Bot API and the WhatsApp Cloud (Graph) API.

Each runs a real HTTP server on 127.0.0.1 in its own thread, accepts JSON, form and
multipart bodies as the real ones do, records every call, and can be told to answer the
next calls with 429, 500, an error of the platform, or to hang (no answer until the
client gives up). Payload builders for real-shaped inbound updates are at the bottom.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Call:
    method: str  # Bot API method, or "messages" / "media" for the Graph API
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    path: str = ""
    at: float = 0.0
    body: str = ""  # how the parameters came: "json", "form" (urlencoded), "multipart", or "" (query only)


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    times: int
    method: str | None = None
    hang: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class _FakeServer:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.lock = threading.Lock()
        self.port = _free_port()
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.hang_event = threading.Event()
        self.changed = threading.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:  # pragma: no cover - overridden
        raise NotImplementedError

    async def calls_endpoint(self, request: Request) -> Response:
        """`GET /__calls?since=N`: the recorded calls from N on, for a bench in another process."""
        since = int(request.query_params.get("since", "0"))
        with self.lock:
            out = [[c.method, str(c.params.get("chat_id") or c.params.get("to") or ""), c.at] for c in self.calls[since:]]
        return JSONResponse(out)

    def start(self) -> None:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="error", access_log=False,
                                lifespan="off", proxy_headers=False, server_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        self.hang_event.set()
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(5)

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.failures.clear()
        self.hang_event.clear()

    def fail(self, status: int, body: dict[str, Any], *, times: int = 1, method: str | None = None,
             hang: bool = False, headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.failures.append(Failure(status, body, times, method, hang, headers or {}))

    def _take_failure(self, method: str) -> Failure | None:
        with self.lock:
            for f in self.failures:
                if f.times > 0 and (f.method is None or f.method == method):
                    f.times -= 1
                    return f
        return None

    def _record(self, call: Call) -> None:
        with self.changed:
            with self.lock:
                self.calls.append(call)
            self.changed.notify_all()

    def of(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    async def _maybe_fail(self, method: str) -> Response | None:
        failure = self._take_failure(method)
        if failure is None:
            return None
        if failure.hang:
            await asyncio.to_thread(self.hang_event.wait, 30)
        return JSONResponse(failure.body, status_code=failure.status, headers=failure.headers)


def _body_kind(request: Request) -> str:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        return "json"
    if ctype.startswith("multipart/form-data"):
        return "multipart"
    if ctype.startswith("application/x-www-form-urlencoded"):
        return "form"
    return ""


async def _read_params(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    ctype = request.headers.get("content-type", "")
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, bytes] = {}
    if ctype.startswith("application/json"):
        body = await request.body()
        if body:
            params.update(json.loads(body))
    elif ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        for key, value in form.multi_items():
            if hasattr(value, "read"):
                files[key] = await value.read()
                params[key] = f"<file:{getattr(value, 'filename', '')}>"
            else:
                params[key] = _maybe_json(value)
    return params, files


def _maybe_json(value: str) -> Any:
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


# --- Telegram Bot API -------------------------------------------------------------------------


def _refused(params: dict[str, Any]) -> Response | None:
    """What the Bot API refuses whatever the test asks: `callback_data` of 1-64 bytes only."""
    markup = params.get("reply_markup")
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: BUTTON_DATA_INVALID"},
                                    status_code=400)
    return None


class FakeBotAPI(_FakeServer):
    """`/bot<token>/<method>` as api.telegram.org serves it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.ids = itertools.count(1000)
        self.updates: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/__calls", self.calls_endpoint),
                                 Route("/file/bot{token}/{path:path}", self.file, methods=["GET"]),
                                 Route("/bot{token}/{method}", self.endpoint, methods=["GET", "POST"])])

    async def file(self, request: Request) -> Response:
        self._record(Call("download", {"path": request.path_params["path"]}, {}, request.url.path, time.monotonic()))
        return Response(b"\x89PNG-from-telegram", media_type="application/octet-stream")

    async def endpoint(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        method = request.path_params["method"]
        params, files = await _read_params(request)
        failed = await self._maybe_fail(method) or _refused(params)
        self._record(Call(method if failed is None else f"failed:{method}", params, files, request.url.path,
                          time.monotonic(), _body_kind(request)))
        if failed is not None:
            return failed
        return JSONResponse({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 42, "is_bot": True, "first_name": "PLUT", "username": "plut_bot"}
        if method == "getFile":
            return {"file_id": params.get("file_id"), "file_unique_id": "u1", "file_size": 19,
                    "file_path": f"photos/{params.get('file_id')}.jpg"}
        if method == "getUpdates":
            with self.lock:
                out, self.updates = self.updates, []
            return out
        if method.startswith("send"):
            chat = params.get("chat_id")
            msg: dict[str, Any] = {"message_id": next(self.ids), "date": int(time.time()),
                                   "chat": {"id": int(chat) if str(chat).lstrip("-").isdigit() else 0, "type": "private"}}
            if "text" in params:
                msg["text"] = params["text"]
            return msg
        return True

    def blocked(self, *, times: int = 1, method: str | None = None) -> None:
        self.fail(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
                  times=times, method=method)

    def too_many(self, retry_after: int = 1, *, times: int = 1, method: str | None = None) -> None:
        self.fail(429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                        "parameters": {"retry_after": retry_after}}, times=times, method=method)

    def server_error(self, *, times: int = 1, method: str | None = None) -> None:
        self.fail(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}, times=times, method=method)

    def hang(self, *, times: int = 1, method: str | None = None) -> None:
        self.fail(500, {"ok": False, "error_code": 500, "description": "hung"}, times=times, method=method, hang=True)

    def sent(self) -> list[Call]:
        """Successful send* calls, in order."""
        with self.lock:
            return [c for c in self.calls if c.method.startswith("send")]


# --- WhatsApp Cloud API -----------------------------------------------------------------------


class FakeGraphAPI(_FakeServer):
    """`/v<version>/<phone_id>/messages` and `/media` as graph.facebook.com serves them."""

    def __init__(self, token: str, phone_id: str) -> None:
        super().__init__()
        self.token = token
        self.phone_id = phone_id
        self.ids = itertools.count(1)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/__calls", self.calls_endpoint),
            Route("/download/{media_id}", self.download, methods=["GET"]),
            Route("/{version}/{phone_id}/{what}", self.endpoint, methods=["POST"]),
            Route("/{version}/{media_id}", self.media_url, methods=["GET"]),
        ])

    async def endpoint(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}, status_code=401)
        what = request.path_params["what"]
        params, files = await _read_params(request)
        failed = await self._maybe_fail(what)
        self._record(Call(what if failed is None else f"failed:{what}", params, files, request.url.path,
                          time.monotonic(), _body_kind(request)))
        if failed is not None:
            return failed
        if what == "media":
            return JSONResponse({"id": f"media{next(self.ids)}"})
        to = params.get("to") or params.get("recipient")
        return JSONResponse({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                             "messages": [{"id": f"wamid.FAKE{next(self.ids):06d}"}]})

    async def media_url(self, request: Request) -> Response:
        media_id = request.path_params["media_id"]
        return JSONResponse({"url": f"{self.url}/download/{media_id}", "mime_type": "image/jpeg",
                             "sha256": "x", "file_size": 4, "id": media_id, "messaging_product": "whatsapp"})

    async def download(self, request: Request) -> Response:
        self._record(Call("download", {"media_id": request.path_params["media_id"]}, {}, request.url.path, time.monotonic()))
        return Response(b"JPEG-from-whatsapp", media_type="image/jpeg")

    def too_many(self, *, times: int = 1, retry_after: int | None = 1) -> None:
        self.fail(429, {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429,
                                  "fbtrace_id": "Ab"}}, times=times, headers={"retry-after": str(retry_after)} if retry_after else None)

    def server_error(self, *, times: int = 1) -> None:
        self.fail(500, {"error": {"message": "An unknown error has occurred.", "type": "OAuthException", "code": 1,
                                  "is_transient": True, "fbtrace_id": "Ab"}}, times=times)

    def invalid_number(self, *, times: int = 1) -> None:
        self.fail(400, {"error": {"message": "(#131026) Message undeliverable", "type": "OAuthException", "code": 131026,
                                  "fbtrace_id": "Ab"}}, times=times)

    def hang(self, *, times: int = 1) -> None:
        self.fail(500, {"error": {"message": "hung", "code": 1}}, times=times, hang=True)

    def sent(self) -> list[Call]:
        return self.of("messages")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- inbound payloads -----------------------------------------------------------------------------

_tg_ids = itertools.count(500_000)


def tg_user(uid: int, first: str = "Siti", lang: str = "id") -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": first, "language_code": lang}


def tg_message(uid: int, *, text: str | None = None, update_id: int | None = None, first: str = "Siti",
               chat_type: str = "private", **extra: Any) -> dict[str, Any]:
    """A Bot API `Update` with a `message` (text, or `location=`, `contact=`, `sticker=`, `photo=` …)."""
    uid_upd = update_id if update_id is not None else next(_tg_ids)
    msg: dict[str, Any] = {
        "message_id": uid_upd % 100_000, "date": 1795000000,
        "chat": {"id": uid, "type": chat_type, "first_name": first},
        "from": tg_user(uid, first),
    }
    if text is not None:
        msg["text"] = text
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    msg.update(extra)
    return {"update_id": uid_upd, "message": msg}


def tg_location(uid: int, lat: float, lon: float, **kw: Any) -> dict[str, Any]:
    return tg_message(uid, location={"latitude": lat, "longitude": lon}, **kw)


def tg_contact(uid: int, phone: str, **kw: Any) -> dict[str, Any]:
    return tg_message(uid, contact={"phone_number": phone, "first_name": "Siti", "user_id": uid}, **kw)


def tg_sticker(uid: int, **kw: Any) -> dict[str, Any]:
    return tg_message(uid, sticker={"file_id": "CAACAgIAAxkBAAI", "file_unique_id": "AgAD", "type": "regular",
                                    "width": 512, "height": 512, "is_animated": False, "is_video": False}, **kw)


def tg_photo(uid: int, caption: str | None = None, **kw: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {"photo": [{"file_id": "AgACsmall", "file_unique_id": "s", "width": 90, "height": 90},
                                       {"file_id": "AgACbig", "file_unique_id": "b", "width": 800, "height": 800}]}
    if caption:
        extra["caption"] = caption
    return tg_message(uid, **extra, **kw)


def tg_edited(uid: int, text: str) -> dict[str, Any]:
    upd = tg_message(uid, text=text)
    msg = upd.pop("message")
    msg["edit_date"] = 1795000100
    upd["edited_message"] = msg
    return upd


def tg_callback(uid: int, data: str, *, update_id: int | None = None, first: str = "Siti") -> dict[str, Any]:
    uid_upd = update_id if update_id is not None else next(_tg_ids)
    return {
        "update_id": uid_upd,
        "callback_query": {
            "id": f"cbq{uid_upd}", "from": tg_user(uid, first), "chat_instance": "-7", "data": data,
            "message": {"message_id": 7, "date": 1795000000, "chat": {"id": uid, "type": "private"},
                        "from": {"id": 42, "is_bot": True, "first_name": "PLUT"}, "text": "menu"},
        },
    }


_wa_ids = itertools.count(1)


def wa_envelope(phone_id: str, value_extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "6281100000000", "phone_number_id": phone_id},
                    **value_extra,
                },
            }],
        }],
    }


def wa_message(phone_id: str, wa_id: str, *, name: str = "Budi", msg_id: str | None = None, **content: Any) -> dict[str, Any]:
    """A Cloud API webhook with one message (`text="..."`, `location={...}`, `interactive={...}`, `image={...}` …)."""
    mid = msg_id or f"wamid.HBgN{next(_wa_ids):08d}"
    kind = next(iter(content))
    body = content[kind]
    message: dict[str, Any] = {"from": wa_id, "id": mid, "timestamp": "1795000000", "type": kind}
    if kind == "text":
        message["text"] = {"body": body}
    else:
        message[kind] = body
    if kind in ("interactive", "button"):
        message["context"] = {"from": "6281100000000", "id": "wamid.CONTEXT0001"}
    return wa_envelope(phone_id, {
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id, "user_id": f"ID.{wa_id}"}],
        "messages": [message],
    })


def wa_text(phone_id: str, wa_id: str, text: str, **kw: Any) -> dict[str, Any]:
    return wa_message(phone_id, wa_id, text=text, **kw)


def wa_button_reply(phone_id: str, wa_id: str, payload: str, title: str = "OK", **kw: Any) -> dict[str, Any]:
    return wa_message(phone_id, wa_id, interactive={"type": "button_reply", "button_reply": {"id": payload, "title": title}}, **kw)


def wa_list_reply(phone_id: str, wa_id: str, payload: str, title: str = "OK", **kw: Any) -> dict[str, Any]:
    return wa_message(phone_id, wa_id, interactive={"type": "list_reply",
                                                    "list_reply": {"id": payload, "title": title, "description": ""}}, **kw)


def wa_location(phone_id: str, wa_id: str, lat: float, lon: float, **kw: Any) -> dict[str, Any]:
    return wa_message(phone_id, wa_id, location={"latitude": lat, "longitude": lon}, **kw)


def wa_image(phone_id: str, wa_id: str, caption: str = "", **kw: Any) -> dict[str, Any]:
    return wa_message(phone_id, wa_id, image={"id": "1234567890", "mime_type": "image/jpeg", "sha256": "abc", "caption": caption}, **kw)


def wa_sticker(phone_id: str, wa_id: str, **kw: Any) -> dict[str, Any]:
    return wa_message(phone_id, wa_id, sticker={"id": "999", "mime_type": "image/webp", "sha256": "abc", "animated": False}, **kw)


def wa_status(phone_id: str, wa_id: str, message_id: str, status: str, *, error: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"id": message_id, "status": status, "timestamp": "1795000050", "recipient_id": wa_id,
                          "recipient_user_id": f"ID.{wa_id}"}
    if status != "failed":
        st["conversation"] = {"id": "c1", "origin": {"type": "service"}}
        st["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "service"}
    if error:
        st["errors"] = [error]
    return wa_envelope(phone_id, {"contacts": [{"wa_id": wa_id, "user_id": f"ID.{wa_id}"}], "statuses": [st]})


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def main() -> None:
    """`python -m tests.channels.fakes telegram|whatsapp --port P --token T [--phone-id ID]`:
    a fake in its own process (the bench uses it so the fake does not share our GIL)."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["telegram", "whatsapp"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--phone-id", default="1")
    args = parser.parse_args()
    fake: _FakeServer = FakeBotAPI(args.token) if args.kind == "telegram" else FakeGraphAPI(args.token, args.phone_id)
    # It shares the machine with what it measures: the C event loop and HTTP parser, and no
    # proxy-header rewriting (nothing sits in front of it).
    uvicorn.run(fake.app(), host="127.0.0.1", port=args.port, log_level="error", access_log=False, lifespan="off",
                loop="uvloop", http="httptools", proxy_headers=False, server_header=False)


if __name__ == "__main__":
    main()
