"""The admin pages in a real headless Chromium (Debian's `chromium` package, driven by
Playwright for Python). Screenshots go to artifacts/ (not committed).

Run only these: `pytest -m browser tests/admin`. Without chromium they skip on a
developer machine and fail under CI=true (CI installs it)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ROOT
from .conftest import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "artifacts"
HELLO = "Halo, selamat datang"
NEW_HELLO = "Selamat datang di versi uji peramban"


def _chromium_or_fail() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"chromium is missing at {CHROMIUM}: CI must `apt-get install -y chromium`")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


@pytest.fixture
def server(frontdesk) -> Iterator[str]:
    import uvicorn

    from bot.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(frontdesk, background=False), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: str):
    from playwright.sync_api import sync_playwright

    path = _chromium_or_fail()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=ARGS, headless=True)
        # a phone, in Indonesian (the try-it chat greets in the browser's language)
        context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                      locale="id-ID")
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        yield pg
        context.close()
        browser.close()


def sign_in(page, who: str = "admin") -> None:
    page.goto("/admin/")
    assert "/admin/login" in page.url
    page.fill("input[name=username]", ACCOUNTS[who].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_sign_in_and_see_the_dashboard(page) -> None:
    from playwright.sync_api import expect

    chat = page.context.new_page()  # some traffic for the charts
    chat.goto("/")
    for text in ("berapa biayanya?", "how do I get an NIB?", "jam buka plut", "asdfgh qwerty"):
        chat.fill("#fd-text", text)
        chat.press("#fd-text", "Enter")
        expect(chat.locator(".log .me")).to_have_count(1 + ("berapa biayanya?", "how do I get an NIB?", "jam buka plut", "asdfgh qwerty").index(text))
    chat.close()
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/admin/dashboard"))
    expect(page.locator("h1")).to_have_text("Dasbor")  # Indonesian by default
    expect(page.locator("#chart-conversations svg")).to_be_visible()
    expect(page.locator("#chart-intents svg")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "admin-dashboard-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("a[href*=\"/admin/lang/en\"]")
    expect(page.locator("h1")).to_have_text("Dashboard")
    page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)


def test_publish_a_flow_see_it_in_the_try_it_chat_then_roll_back(page) -> None:
    from playwright.sync_api import expect

    sign_in(page)
    page.goto("/admin/flows/main_menu")
    text = page.input_value("#yaml")
    page.fill("#yaml", text.replace(HELLO, NEW_HELLO))
    # try it before publishing: only this admin sees the draft
    page.click("#try-restart")
    expect(page.locator("#try-log")).to_contain_text(NEW_HELLO)
    page.click("#publish")
    expect(page.locator("#message")).to_be_visible()
    published_at = time.monotonic()
    chat = page.context.new_page()
    chat.goto("/")
    expect(chat.locator(".log")).to_contain_text(NEW_HELLO, timeout=1000)
    assert time.monotonic() - published_at < 3  # page load included; the content itself was in force at once
    page.screenshot(path=str(ARTIFACTS / "admin-flow-editor.png"), full_page=True)

    page.click("#rollback")
    expect(page.locator("#message")).to_be_visible()
    chat.evaluate("localStorage.clear()")  # a new visitor (the page keeps a visitor's conversation)
    chat.goto("/")
    expect(chat.locator(".log")).to_contain_text(HELLO, timeout=1000)
    expect(chat.locator(".log")).not_to_contain_text(NEW_HELLO)


def test_a_flow_with_an_error_is_refused_with_its_line_number(page) -> None:
    from playwright.sync_api import expect

    sign_in(page)
    page.goto("/admin/flows/main_menu")
    lines = page.input_value("#yaml").splitlines()
    idx = next(i for i, l in enumerate(lines) if "goto: find_center" in l)
    lines[idx] = lines[idx].replace("find_center", "no_such_flow")
    page.fill("#yaml", "\n".join(lines) + "\n")
    page.click("#publish")
    errors = page.locator("#errors")
    expect(errors).to_contain_text(f"baris {idx + 1}")
    expect(errors).to_contain_text("no_such_flow")
    chat = page.context.new_page()
    chat.goto("/")
    expect(chat.locator(".log")).to_contain_text(HELLO)


def test_edit_an_faq_answer_publish_see_it_in_the_try_it_chat_then_roll_back(page) -> None:
    from playwright.sync_api import expect

    question = "berapa biayanya?"  # (a question naming "plut" at the menu fuzzy-matches "Cari PLUT terdekat": reported)
    new_answer = "Konsultasi PLUT gratis, kata jawaban yang baru disunting."
    sign_in(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/faq")
    page.fill("input[name=q]", "biaya")
    page.click("form.filters:has(input[name=q]) button[type=submit]")
    page.click("a[href='/admin/faq/cost']")
    page.fill("textarea[name=answer_id]", new_answer)
    page.fill("#test-form input[name=test]", question)
    page.click("#publish")
    expect(page.locator("#message")).to_be_visible()
    published_at = time.monotonic()
    chat = page.context.new_page()
    chat.goto("/")
    expect(chat.locator(".log .bot").first).to_be_visible()
    chat.fill("#fd-text", question)
    chat.press("#fd-text", "Enter")
    expect(chat.locator(".log")).to_contain_text(new_answer, timeout=1000)
    assert time.monotonic() - published_at < 4  # page loads included; the answer itself was in force at once

    page.fill("#test-form input[name=test]", question)
    page.click("#test-form button")
    expect(page.locator("#test-intent")).to_have_text("faq/cost")
    expect(page.locator("#test-answer")).to_contain_text(new_answer)
    page.screenshot(path=str(ARTIFACTS / "admin-faq-editor.png"), full_page=True)

    page.click("#rollback")
    expect(page.locator("#message")).to_be_visible()
    answers = chat.locator(".log .bot").count()
    chat.fill("#fd-text", question)
    chat.press("#fd-text", "Enter")
    expect(chat.locator(".log .bot")).not_to_have_count(answers)
    expect(chat.locator(".log .bot").last).to_contain_text("gratis", timeout=1000)
    expect(chat.locator(".log .bot").last).not_to_contain_text(new_answer)
