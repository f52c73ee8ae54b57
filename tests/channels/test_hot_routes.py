"""The direct lane for the platform webhooks (`bot/web/hot.py`): same answers, without
Starlette's middleware stack and router."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.app import FrontDesk
from bot.config import load_settings
from bot.web.app import create_app
from bot.web.hot import HotStarlette, hot
from tests.channels import fakes
from tests.channels.conftest import channel_env
from tests.conftest import FROZEN_NOW


class Seen:
    """A middleware that records the paths going through Starlette's stack."""

    paths: list[str] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            Seen.paths.append(scope["path"])
        await self.app(scope, receive, send)


async def echo(request: Request) -> Response:
    return PlainTextResponse((await request.body()).decode() + "|" + str(request.app.state.name))


async def broken(request: Request) -> Response:
    raise RuntimeError("a bug in the endpoint")


async def page(request: Request) -> Response:
    return PlainTextResponse("page")


def _app() -> HotStarlette:
    Seen.paths = []
    app = HotStarlette(
        routes=[hot(Route("/hook", echo, methods=["POST"])), hot(Route("/broken", broken, methods=["POST"])),
                Route("/page", page)],
        middleware=[Middleware(Seen)],
    )
    app.state.name = "frontdesk"
    return app


async def test_hot_routes_skip_the_stack_and_the_others_do_not() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as c:
        r = await c.post("/hook", content=b"hello")
        assert (r.status_code, r.text) == (200, "hello|frontdesk"), "the endpoint sees the body and request.app"
        assert (await c.get("/page")).text == "page"
        assert (await c.get("/hook")).status_code == 405, "other methods go to Starlette's router"
        assert (await c.post("/hook/extra")).status_code == 404
    assert Seen.paths == ["/page", "/hook", "/hook/extra"]


async def test_a_failing_hot_endpoint_answers_500_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as c:
        with caplog.at_level(logging.ERROR, logger="bot.web.hot"):
            r = await c.post("/broken")
    assert r.status_code == 500
    assert "a bug in the endpoint" in caplog.text


async def test_hot_routes_behind_a_root_path() -> None:
    transport = httpx.ASGITransport(app=_app(), root_path="/bot")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.post("/bot/hook", content=b"x")).text == "x|frontdesk"
    assert Seen.paths == []


def test_a_hot_route_has_a_fixed_path() -> None:
    with pytest.raises(ValueError):
        hot(Route("/hook/{name}", echo, methods=["POST"]))


def test_the_platform_webhooks_take_the_direct_lane(
    tmp_path, fake_tg: fakes.FakeBotAPI, fake_wa: fakes.FakeGraphAPI  # type: ignore[no-untyped-def]
) -> None:
    app = FrontDesk(load_settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'f.db'}", FRONTDESK_NOW=FROZEN_NOW,
                                  FRONTDESK_DEMO_SEED="false", **channel_env(fake_tg, fake_wa)))
    web = create_app(app, background=False)
    assert set(web.hot_routes) == {("POST", "/telegram/webhook"), ("POST", "/whatsapp/webhook")}
