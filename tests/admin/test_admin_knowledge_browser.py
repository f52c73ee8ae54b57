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


SNI_ID = ("SNI (Standar Nasional Indonesia) adalah standar mutu produk yang ditetapkan BSN. BSN punya program insentif "
          "sertifikasi SNI untuk usaha mikro dan kecil terpilih, dibiayai BSN (versi uji peramban).")
SNI_SOURCE = "https://menara62.com/sebanyak-50-umkm-lolos-seleksi-tahap-pertama-program-insentif-sertifikasi-sni-produk"


PUBLISH_WAIT = 120_000
"""Milliseconds a publish may take: a new topic's names retrain the two small models (seconds; more on a busy machine)."""


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ("#publish",):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, selector


def test_create_a_topic_on_a_small_phone_add_an_entry_and_roll_back(page) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page)
    page.goto("/admin/knowledge")
    page.click("#new-topic")
    expect(page.locator("h1")).to_have_text("Topik baru")
    _fits(page, 360)
    page.fill("#topic", "sni")
    page.select_option("#service_area", "production")
    page.fill("#title_id", "SNI (Standar Nasional Indonesia)")
    page.fill("#title_en", "SNI (Indonesian National Standard)")
    page.fill("#names", "sni, sertifikat sni, standar nasional indonesia, sni certification, indonesian national standard")
    page.fill("#examples", "sni tuh apaan\nwhat is an sni mark")
    page.fill("#answer_id", SNI_ID)
    page.fill("#answer_en", "SNI is the product-quality standard set by BSN; BSN pays an SNI incentive for selected small businesses.")
    page.fill("#source_title", "Menara62: program insentif sertifikasi SNI produk (BSN)")
    page.fill("#source_url", SNI_SOURCE)
    page.click("#publish", timeout=PUBLISH_WAIT)
    expect(page.locator("#message")).to_be_visible()
    assert page.url.endswith("/admin/knowledge/sni?done=published")
    _fits(page, 360)
    page.screenshot(path=str(ARTIFACTS / "admin-knowledge-new-topic-phone.png"), full_page=True)

    chat = page.context.new_page()
    chat.goto("/")
    expect(chat.locator(".log .bot").first).to_be_visible()
    chat.fill("#fd-text", "sertifikat sni itu apa ya")
    chat.press("#fd-text", "Enter")
    expect(chat.locator(".log")).to_contain_text("versi uji peramban", timeout=5000)

    # one more aspect from the form under the editor
    page.click("#add-entry summary")
    page.select_option("#entry-aspect", "where")
    page.fill("#entry-answer-id", "Tempat uji: konsultan produksi PLUT membantu menemukan lembaga sertifikasi (teks uji peramban).")
    page.fill("#entry-answer-en", "Test place: the PLUT production consultant helps find a certification body (browser test text).")
    page.fill("#entry-form input[name=source_title]", "Menara62: program insentif sertifikasi SNI produk (BSN)")
    page.fill("#entry-form input[name=source_url]", SNI_SOURCE)
    box = page.locator("#entry-publish").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360
    page.click("#entry-publish", timeout=PUBLISH_WAIT)
    expect(page.locator("#message")).to_be_visible()
    expect(page.locator("#yaml")).to_contain_text("aspect: where")

    page.click("#rollback", timeout=PUBLISH_WAIT)  # back to the first version: the overview only
    expect(page.locator("#message")).to_be_visible()
    expect(page.locator("#yaml")).not_to_contain_text("aspect: where")
    page.click("#rollback", timeout=PUBLISH_WAIT)  # and the topic is gone from the bot
    expect(page.locator("#message")).to_be_visible()
    chat.fill("#fd-text", "sertifikat sni itu apa ya")
    chat.press("#fd-text", "Enter")
    expect(chat.locator(".log .bot").last).not_to_contain_text("versi uji peramban", timeout=5000)
