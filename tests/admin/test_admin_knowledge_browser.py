"""The knowledge editor in a real headless Chromium on a phone-sized screen (390×844):
edit an entry, publish, see it in the try-it chat and the test box, roll back."""

from __future__ import annotations

import time

import pytest

from .test_admin_browser import ARTIFACTS, page, server, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

OLD = "bunga 3% efektif per tahun"
NEW = "bunga 3% efektif per tahun, kata versi uji peramban"
QUESTION = "bunga kur super mikro brp persen?"


def test_edit_a_knowledge_entry_on_a_phone_publish_and_roll_back(page) -> None:  # noqa: F811
    from playwright.sync_api import expect

    sign_in(page)
    page.click("nav a[href='/admin/knowledge']")
    expect(page.locator("h1")).to_have_text("Basis pengetahuan")
    page.click("a[href='/admin/knowledge/kur']")
    text = page.input_value("#yaml")
    assert OLD in text
    page.fill("#yaml", text.replace(OLD, NEW))
    # the editor and the publish button fit the phone's width: nothing to scroll sideways for
    box = page.locator("#publish").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#publish")
    expect(page.locator("#message")).to_be_visible()
    published_at = time.monotonic()

    chat = page.context.new_page()
    chat.goto("/")
    expect(chat.locator(".log .bot").first).to_be_visible()
    chat.fill("#fd-text", QUESTION)
    chat.press("#fd-text", "Enter")
    expect(chat.locator(".log")).to_contain_text("kata versi uji peramban", timeout=2000)
    assert time.monotonic() - published_at < 5

    page.fill("#test-form input[name=test]", QUESTION)
    page.click("#test-form button")
    expect(page.locator("#test-match")).to_have_text("kur/figures")
    expect(page.locator("#test-answer")).to_contain_text("kata versi uji peramban")
    page.screenshot(path=str(ARTIFACTS / "admin-knowledge-editor-phone.png"), full_page=True)

    page.click("#rollback")
    expect(page.locator("#message")).to_be_visible()
    chat.fill("#fd-text", QUESTION)
    chat.press("#fd-text", "Enter")
    expect(chat.locator(".log .bot").last).to_contain_text(OLD, timeout=2000)
    expect(chat.locator(".log .bot").last).not_to_contain_text("kata versi uji peramban")
