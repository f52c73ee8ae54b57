"""Property-based fuzzing of the input edge (issue 15): thousands of bodies on both webhooks
and lines on `frontdesk chat --jsonl`, against a real server on PostgreSQL.

Property: no 5xx (the database is up, so no storage failure can excuse one) and no crash;
every non-blank `chat --jsonl` line gets exactly one JSON line back. The bodies are valid
platform updates with leaves replaced (NUL, lone surrogates, NaN, deep nesting, wrong
types), arbitrary JSON, and raw bytes.

The default run posts about 2,000 bodies and 1,000 lines (well under a minute here);
`FUZZ_EXAMPLES=2000 pytest tests/channels/test_fuzz_edge.py -s` runs ten times more.
The counts are printed at the end of the module (`-s` shows them).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import FrontDesk
from bot.channels.cli import run_jsonl
from bot.config import load_settings
from tests.channels import fakes
from tests.channels.conftest import FROZEN_NOW, TG_SECRET, WA_PHONE, WA_SECRET, channel_env
from tests.conftest import _truncate_all

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
BODIES_PER_EXAMPLE = 5
COUNTS: Counter[str] = Counter()

NASTY = ["\x00", "\ud800", "\udfff", "\ud83d", "a\x00b", "\u202e", "\ufeff", "ا", "😀", "\r\n", "=SUM(A1)", "/start", "%s"]
text = st.one_of(st.text(max_size=30), st.sampled_from(NASTY),
                 st.lists(st.one_of(st.text(max_size=5), st.sampled_from(NASTY)), max_size=5).map("".join))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), text)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(text, inner, max_size=4)), max_leaves=15)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, prefix + (i,))
    return out


def _replace(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        return {**obj, head: _replace(obj[head], rest, value)}
    copy = list(obj)
    copy[head] = _replace(copy[head], rest, value)
    return copy


@st.composite
def mutated(draw: st.DrawFn, templates: list[dict[str, Any]]) -> Any:
    obj = draw(st.sampled_from(templates))
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(obj)
        path = draw(st.sampled_from(paths))
        obj = _replace(obj, path, draw(json_values))
    return obj


def _tg_templates() -> list[dict[str, Any]]:
    return [fakes.tg_message(7001, text="halo", update_id=1), fakes.tg_location(7002, -0.9, 100.3, update_id=2),
            fakes.tg_contact(7003, "+628123", update_id=3), fakes.tg_callback(7004, "goto:main_menu", update_id=4),
            fakes.tg_photo(7005, caption="foto", update_id=5), fakes.tg_message(7006, text="/start", update_id=6)]


def _wa_templates() -> list[dict[str, Any]]:
    return [fakes.wa_text(WA_PHONE, "6281277000001", "halo", msg_id="wamid.1"),
            fakes.wa_location(WA_PHONE, "6281277000002", -0.9, 100.3, msg_id="wamid.2"),
            fakes.wa_button_reply(WA_PHONE, "6281277000003", "goto:main_menu", msg_id="wamid.3"),
            fakes.wa_image(WA_PHONE, "6281277000004", "foto", msg_id="wamid.4"),
            fakes.wa_status(WA_PHONE, "6281277000005", "wamid.5", "delivered")]


def _encode(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def bodies(templates: list[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    deep = st.integers(1, 3000).map(lambda n: b'{"update_id": 1, "message": ' + b"[" * n + b"]" * n + b"}")
    return st.one_of(mutated(templates).map(_encode), mutated(templates).map(_encode), json_values.map(_encode),
                     st.binary(max_size=200), deep)


class Server:
    """FrontDesk and its HTTP server on a loop of their own thread, so Hypothesis drives it
    synchronously."""

    def __init__(self, pg_url: str, tg: fakes.FakeBotAPI, wa: fakes.FakeGraphAPI) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(_truncate_all(pg_url))
        s = load_settings(DATABASE_URL=pg_url, FRONTDESK_NOW=FROZEN_NOW, FRONTDESK_DEMO_SEED="false", **channel_env(tg, wa))
        self.app = FrontDesk(s)
        from bot.web.app import create_app

        web = create_app(self.app, background=False)
        self.port = fakes._free_port()
        self.server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=self.port, log_level="critical",
                                                    access_log=False))
        self.serving: Future[None] = asyncio.run_coroutine_threadsafe(self.server.serve(), self.loop)
        while not self.server.started:
            self.serving.exception(timeout=0.01) if self.serving.done() else threading.Event().wait(0.01)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def close(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.serving.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def server(pg_url: str, fake_tg_server: fakes.FakeBotAPI, fake_wa_server: fakes.FakeGraphAPI) -> Iterator[Server]:
    s = Server(pg_url, fake_tg_server, fake_wa_server)
    try:
        yield s
    finally:
        s.close()
        print(f"\nfuzz counts: {dict(sorted(COUNTS.items()))}")


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@FUZZ
@given(batch=st.lists(bodies(_tg_templates()), min_size=BODIES_PER_EXAMPLE, max_size=BODIES_PER_EXAMPLE))
def test_telegram_webhook_never_answers_5xx(server: Server, batch: list[bytes]) -> None:
    for body in batch:
        r = server.http.post("/telegram/webhook", content=body,
                             headers={"content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET})
        COUNTS["telegram bodies"] += 1
        COUNTS[f"telegram {r.status_code}"] += 1
        assert r.status_code < 500, (body[:300], r.status_code, r.text[:300])


@FUZZ
@given(batch=st.lists(bodies(_wa_templates()), min_size=BODIES_PER_EXAMPLE, max_size=BODIES_PER_EXAMPLE))
def test_whatsapp_webhook_never_answers_5xx(server: Server, batch: list[bytes]) -> None:
    for body in batch:
        r = server.http.post("/whatsapp/webhook", content=body,
                             headers={"content-type": "application/json", "x-hub-signature-256": fakes.sign(WA_SECRET, body)})
        COUNTS["whatsapp bodies"] += 1
        COUNTS[f"whatsapp {r.status_code}"] += 1
        assert r.status_code < 500, (body[:300], r.status_code, r.text[:300])


def _line(obj: Any) -> bytes:
    return json.dumps(obj).encode()


chat_lines = st.one_of(
    st.builds(lambda u, t: _line({"user": u, "text": t}), text, text),
    st.builds(lambda u, k, v: _line({"user": u, k: v}), st.sampled_from(["ani", "\ud800", "b\x00"]),
              st.sampled_from(["text", "button", "command", "location", "contact", "name"]), json_values),
    json_values.map(_line),
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.integers(1, 30_000).map(lambda n: b"[" * n + b"]" * n),
)


@FUZZ
@given(lines=st.lists(chat_lines, min_size=BODIES_PER_EXAMPLE, max_size=BODIES_PER_EXAMPLE))
def test_chat_jsonl_answers_every_line(server: Server, lines: list[bytes]) -> None:
    data = b"".join(line + b"\n" for line in lines)
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")
    expected = [x for x in io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape") if x.strip()]
    stdout = io.StringIO()
    server.call(run_jsonl(server.app, stdin, stdout))  # a crash raises here
    out = [json.loads(x) for x in stdout.getvalue().split("\n") if x]
    COUNTS["chat lines"] += len(expected)
    COUNTS["chat errors"] += sum(1 for o in out if "error" in o)
    assert len(out) == len(expected), (lines, stdout.getvalue())
