"""The admin fixes in headless Chromium: no page scrolls sideways on a 360 px phone, the
dashboard's labelled booking counts, the accounts page and the FAQ follow-up picker, at
390×844 and 1280×800. Screenshots: artifacts/admin-accounts-phone.png, admin-accounts.png,
admin-dashboard-counts-phone.png, admin-dashboard-counts.png, admin-faq-follow-ups-phone.png,
admin-faq-follow-ups.png."""

from __future__ import annotations

import pytest

from .test_admin_browser import ARTIFACTS, page, server, sign_in  # noqa: F401  (fixtures)
from .test_admin_inbox import world  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

PAGES = ("/admin/inbox", "/admin/dashboard", "/admin/bookings", "/admin/handoffs", "/admin/consultants", "/admin/closures",
         "/admin/centers", "/admin/faq", "/admin/faq/cost", "/admin/flows", "/admin/flows/main_menu", "/admin/unanswered",
         "/admin/audit", "/admin/accounts", "/admin/accounts/1", "/admin/knowledge", "/admin/knowledge/kur")


def _width(pg) -> tuple[int, int]:
    return pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_no_admin_page_scrolls_sideways_at_360_px(world, page) -> None:  # noqa: F811
    sign_in(page, "admin")
    page.set_viewport_size({"width": 360, "height": 740})
    wide = []
    for path in PAGES:
        page.goto(path)
        scroll, inner = _width(page)
        if scroll > inner:
            wide.append(f"{path}: {scroll} px in {inner}")
    assert not wide, "\n".join(wide)


def test_dashboard_accounts_and_follow_ups_on_a_phone_and_a_desktop(world, page) -> None:  # noqa: F811
    from playwright.sync_api import expect

    sign_in(page, "admin")
    for size, suffix in (({"width": 390, "height": 844}, "-phone"), ({"width": 1280, "height": 800}, "")):
        page.set_viewport_size(size)
        page.goto("/admin/dashboard")
        expect(page.locator("#fig-bookings_made")).to_have_text("4")  # the world's bookings were all made today
        expect(page.get_by_text("Booking dibuat dalam periode ini")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"admin-dashboard-counts{suffix}.png"), full_page=True)

        page.goto("/admin/accounts")
        page.fill("#account-form input[name=username]", f"sari{suffix or '-desk'}")
        page.select_option("#account-form select[name=role]", "consultant")
        page.select_option("#account-form select[name=center_code]", "plut-sumbar")
        page.select_option("#account-form select[name=consultant_id]", "2")
        page.fill("#account-form input[name=password]", "a long enough password")
        page.click("#create")
        expect(page.locator("#message")).to_be_visible()
        expect(page.locator("table")).to_contain_text(f"sari{suffix or '-desk'}")
        page.screenshot(path=str(ARTIFACTS / f"admin-accounts{suffix}.png"), full_page=True)

        page.goto("/admin/faq/cost")
        row = page.locator(".row3").nth(2)
        row.locator("input[name=fu2_id]").fill("")
        row.locator("input[name=fu2_en]").fill("")
        row.locator("select").select_option(label="Bicara dgn konsultan")
        expect(row.locator("input[name=fu2_id]")).to_have_value("Bicara dgn konsultan")  # the name fills the empty titles
        expect(row.locator("input[name=fu2_en]")).to_have_value("Talk to a consultant")
        page.locator(".row3").first.screenshot(path=str(ARTIFACTS / f"admin-faq-follow-ups{suffix}.png"))
