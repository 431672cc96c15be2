"""What a green supply-chain leader sees, in a real headless Chromium on a phone-sized screen: its page and its
report, in both languages, under the pages' Content-Security-Policy (the fixture fails the test on a violation).

Screenshots go to pytest's temporary folder (never committed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.site import MAKER, Site

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]


def fits_the_screen(page: Page) -> None:
    """Nothing makes the page wider than the phone: wide tables scroll inside their own box."""
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width


def test_the_leaders_page_and_report_in_both_languages(page: Page, site: Site, tmp_path: Path) -> None:
    page.set_extra_http_headers({"Authorization": f"Bearer {site.tokens[MAKER]}"})
    page.goto(f"{site.base}/leader/{MAKER}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("绿色供应链管理看板")
    expect(page.locator("body")).to_have_class("wide green")
    expect(page.locator("section h2").first).to_have_text("合格供应商名录")
    expect(page.locator("svg[role=img]")).to_have_count(1)
    fits_the_screen(page)
    page.screenshot(path=str(tmp_path / "leader-zh.png"), full_page=True)

    page.locator("a.lang").click()
    page.wait_for_url(f"{site.base}/leader/{MAKER}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Green supply-chain dashboard")
    expect(page.locator("a.lang")).to_have_attribute("href", f"/leader/{MAKER}?lang=zh-CN")
    fits_the_screen(page)

    page.goto(f"{site.base}/reports/green-supply-chain?organisation={MAKER}&format=html&lang=en")
    expect(page.locator("h1")).to_have_text("Green supply-chain report")
    expect(page.get_by_role("link", name="JSON data")).to_have_attribute(
        "href", f"/reports/green-supply-chain?organisation={MAKER}&format=json"
    )
    fits_the_screen(page)
    page.screenshot(path=str(tmp_path / "report-en.png"), full_page=True)
    page.locator("a.lang").click()
    expect(page.locator("h1")).to_have_text("绿色供应链报告")
    assert page.url.endswith("lang=zh-CN")
