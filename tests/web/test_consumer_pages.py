"""What a consumer sees, in a real headless Chromium: the product page, its warnings, and the scan page.

The platform runs for real (uvicorn) with the demo supply chain (tests/web/site.py). Screenshots of the product
page in both languages go to pytest's temporary folder (never committed).
"""

from __future__ import annotations

import io
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import qrcode  # type: ignore[import-untyped]
from playwright.sync_api import Page, Request, expect
from sqlmodel import col, func, select

from backend.models import Scan
from backend.services.platform import now_ms
from backend.services.qr import CodeKey
from backend.services.scans import (
    DAY_MS,
    SCAN_DAY_BLOCKS,
    SCAN_WARN_BLOCKS,
    SCAN_WINDOW_DAYS,
    block_origin_of,
    origin_of,
    record_scan,
    scan_salt,
)
from chain.accounts import dev_account
from cli.demo_story import CONTEXT, DEMO_LOT, DEMO_PRODUCT_GTIN
from supplychain.registry import BusinessRole
from supplychain.signing import SigningKey, sign_document
from tests.web.conftest import CAMERA_SERIAL
from tests.web.site import BOARDS_NAME, DELISTED_LOT, MAKER, RECALL_REASON, RECALLED_LOT, Site

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

STRANGER = "6909999000005"  # a registered logistics firm that never handled the demo's modules
STRANGER_KEY = SigningKey.from_private_bytes(b"\x77" * 32)
JOURNEY = ["commissioning", "packing", "shipping", "departing", "arriving", "receiving", "unpacking", "retail_selling"]


def screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 20_000


def recorded(page: Page) -> list[str]:
    """Start recording the URL of every request the page makes; the list fills as it goes."""
    seen: list[str] = []

    def record(request: Request) -> None:
        seen.append(request.url)

    page.on("request", record)
    return seen


def test_the_headline_is_the_owners_signed_name(page: Page, site: Site) -> None:
    response = page.goto(site.product_url("0006"))
    assert response is not None and response.status == 200
    headline = page.locator("h1")
    expect(headline).to_contain_text("绿源 充电模块")
    expect(page.locator("#signed-by")).to_have_text("由 绿源汽车制造有限公司 签名的产品主数据（第 1 版）")
    expect(page.locator("#product")).to_contain_text("名称来自商品条码所有者签名并上链的产品主数据")
    page.goto(site.product_url("0006") + "?lang=en")
    expect(page.locator("h1")).to_contain_text("Charging module")
    expect(page.locator("#signed-by")).to_have_text(
        "signed by Lvyuan Automotive Co., Ltd. (product master data, version 1)"
    )


def wait_for_scans(site: Site, serial: str, at_least: int) -> None:
    """Wait until ``at_least`` scans of the serial are stored (a scan is stored just after its page was sent)."""
    scans = select(func.count()).select_from(Scan).where(col(Scan.serial) == serial)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with site.platform.session() as session:
            if session.exec(scans).one() >= at_least:
                return
        time.sleep(0.05)
    pytest.fail(f"fewer than {at_least} scans of {serial} were stored within 30 s")


def test_product_page_in_chinese(page: Page, site: Site, tmp_path: Path) -> None:
    requests = recorded(page)
    response = page.goto(site.product_url("0001"))
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-status", "verified")
    expect(verdict).to_contain_text("已验证：每一步都有有效签名并已锚定在区块链上")
    expect(page.locator("#product")).to_contain_text("LY-20261121")
    # the journey: production, logistics, retail
    steps = page.locator("#journey ol.timeline > li")
    expect(steps).to_have_count(len(JOURNEY))
    assert steps.evaluate_all("els => els.map(e => e.dataset.step)") == JOURNEY
    assert steps.evaluate_all("els => els.map(e => e.className)")[::3] == ["production", "logistics", "logistics"]
    expect(steps.first).to_contain_text("生产赋码")
    expect(steps.last).to_contain_text("售出")
    expect(steps.last).to_have_class("retail")
    # the supply tree: the module and the supplier's cells, each maker with its green recognition
    tree = page.locator("svg.supply-tree")
    expect(tree).to_be_visible()
    box = tree.bounding_box()
    assert box is not None and box["width"] > 300
    expect(tree.locator("g.node")).to_have_count(2)
    badges = tree.locator("g.badge")
    assert badges.all_text_contents() == ["绿色供应链管理企业·国家级 ✓", "绿色工厂·省级 ✓"]
    expect(tree.locator("g.badge.ok")).to_have_count(2)
    expect(page.locator("#green-share")).to_have_text("100%")
    # the authenticity hints are labelled as such, apart from the trace
    expect(page.locator("#authenticity h2 .tag")).to_have_text("防伪提示")
    expect(page.locator("#journey h2 .tag")).to_have_text("溯源信息")
    # every step, checked: open the details
    page.locator("#verification summary").click()
    checked = page.locator("#verification li.step")
    expect(checked.first).to_be_visible()
    count = checked.count()
    assert count == 9
    for i in range(count):
        expect(checked.nth(i)).to_have_attribute("data-status", "verified")
        expect(checked.nth(i)).to_contain_text("签名有效")
        expect(checked.nth(i)).to_contain_text("已锚定：区块 #")
    expect(page.locator("#verification")).to_contain_text("当时认定有效：绿色工厂·省级")
    # verify it yourself: the bundle, and the scanner's command
    registry = site.platform.registry.registry
    pinned = f"--registry {registry.address} --chain-id {registry.chain.chain_id}"
    expect(page.locator("#scanner-command")).to_have_text(f"scanner verify {site.product_url('0001')} {pinned}")
    link = page.locator("#bundle-link")
    gs1 = f"https://id.gs1.org/01/{DEMO_PRODUCT_GTIN}/21/0001"
    expect(link).to_have_attribute("href", f"/bundles?id={quote(gs1, safe='')}")
    with page.expect_download() as download:
        link.click()
    bundle = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert bundle["type"] == "SupplychainProofBundle" and bundle["product"] == gs1 and len(bundle["events"]) == 9
    screenshot(page, tmp_path / "product-zh.png")
    assert requests and all(url.startswith(site.base + "/") for url in requests), requests


def test_product_page_in_english(page: Page, site: Site, tmp_path: Path) -> None:
    page.goto(site.product_url("0001"))
    page.locator("a.lang").click()
    page.wait_for_url(site.product_url("0001") + "?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#verdict")).to_contain_text(
        "Verified: every step is validly signed and anchored on the blockchain"
    )
    expect(page.locator("#journey ol.timeline > li").first).to_contain_text("Made and coded")
    assert page.locator("svg.supply-tree g.badge").all_text_contents() == [
        "green supply-chain management enterprise (national) ✓",
        "green factory (provincial) ✓",
    ]
    expect(page.locator("#authenticity h2 .tag")).to_have_text("Anti-counterfeit")
    screenshot(page, tmp_path / "product-en.png")
    page.locator("a.lang").click()
    page.wait_for_url(site.product_url("0001") + "?lang=zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_recalled_lot_shows_the_banner(page: Page, site: Site, tmp_path: Path) -> None:
    response = page.goto(site.product_url("2001", RECALLED_LOT))
    assert response is not None and response.status == 410
    banner = page.locator("#recall")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("该批次已召回")
    expect(banner).to_contain_text(RECALL_REASON)
    top, heading = banner.bounding_box(), page.locator("h1").bounding_box()
    assert top is not None and heading is not None and top["y"] < heading["y"]  # above everything
    expect(page.locator("#journey ol.timeline > li")).to_have_count(1)  # the trace is still there
    screenshot(page, tmp_path / "recalled.png")


def test_unknown_serial_warns_of_a_counterfeit(page: Page, site: Site) -> None:
    response = page.goto(site.product_url("9999"))
    assert response is not None and response.status == 404
    warning = page.locator("#counterfeit")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("可能是仿冒产品")
    expect(warning).to_contain_text("本平台从未签发过这个码")
    expect(warning).to_contain_text("在本平台签发，但其中没有这个批号或序列号")  # the GTIN is known here
    page.get_by_role("link", name="扫描其他二维码").click()
    page.wait_for_url(site.base + "/scan")


def test_a_serial_looked_up_far_apart_over_days_warns_of_a_copied_code(page: Page, site: Site, tmp_path: Path) -> None:
    # the serial's code copied onto fakes: their buyers looked it up in cities far apart, a few a day, for four days
    salt = scan_salt(site.platform.receipt_key.private_bytes())
    key = CodeKey(DEMO_PRODUCT_GTIN, DEMO_LOT, "0002")
    start = now_ms() - 5 * DAY_MS
    with site.platform.session() as session:
        for n in range(SCAN_WARN_BLOCKS):
            host, at = f"{60 + n}.{7 * n}.3.4", start + (n // SCAN_DAY_BLOCKS) * DAY_MS + n * 60_000
            record_scan(session, key, DEMO_LOT, origin_of(host, salt), at, block=block_origin_of(host, salt))
    page.goto(site.product_url("0002"))
    warning = page.locator("#cloned")
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("data-reason", "spread")
    expect(warning).to_contain_text("可能是被复制的二维码")
    days = SCAN_WARN_BLOCKS // SCAN_DAY_BLOCKS + 1  # and today, this look-up from one more block
    expect(warning).to_contain_text(f"此序列号在 {days} 天里从 {SCAN_WARN_BLOCKS + 1} 个不同网段被查询")
    screenshot(page, tmp_path / "copied.png")
    page.goto(site.product_url("0004"))  # an untouched serial: no warning, and it says it is the first look-up
    expect(page.locator("#verdict")).to_have_attribute("data-status", "verified")
    expect(page.locator("#cloned")).to_have_count(0)
    expect(page.locator("#authenticity")).to_contain_text("这是该码的首次查询")


def test_a_burst_from_twenty_networks_does_not_warn_and_the_rule_is_explained(
    page: Page, site: Site, tmp_path: Path
) -> None:
    # one attacker, twenty cloud or VPN addresses (each in another /16), twenty look-ups within a minute
    with httpx.Client(headers={"Accept": "text/html"}) as client:
        for n in range(20):
            answer = client.get(site.product_url("0006"), headers={"X-Forwarded-For": f"{20 + n}.{60 + n}.5.9"})
            assert answer.status_code == 200
    wait_for_scans(site, "0006", 20)
    page.goto(site.product_url("0006"))
    expect(page.locator("#verdict")).to_have_attribute("data-status", "verified")
    expect(page.locator("#cloned")).to_have_count(0)
    rule = page.locator("#scan-rule")
    expect(rule).to_be_visible()
    expect(rule).to_contain_text(f"最近 {SCAN_WINDOW_DAYS} 天内")
    expect(rule).to_contain_text(f"至少 {SCAN_WARN_BLOCKS} 个不同网段")
    expect(rule).to_contain_text(f"每天最多计入 {SCAN_DAY_BLOCKS} 个")
    screenshot(page, tmp_path / "burst.png")
    page.goto(site.product_url("0006") + "?lang=en")
    expect(page.locator("#cloned")).to_have_count(0)
    expect(page.locator("#scan-rule")).to_contain_text(f"at least {SCAN_WARN_BLOCKS} different address blocks")
    expect(page.locator("#scan-rule")).to_contain_text("a burst of look-ups cannot trigger it")


def test_a_supplier_delisted_after_supplying(page: Page, site: Site) -> None:
    page.goto(site.product_url("1001", DELISTED_LOT))
    notice = page.locator("#lapses li")
    expect(notice).to_have_count(1)
    expect(notice).to_have_attribute("data-lapsed", "after")
    for text in (BOARDS_NAME["zh-CN"], "绿色设计产品（市级）", "撤销（摘牌）", "环境事件", "仍计入绿色占比"):
        expect(notice).to_contain_text(text)
    lapsed = page.locator("svg.supply-tree g.badge.lapsed")
    expect(lapsed).to_have_count(1)
    expect(lapsed).to_contain_text("绿色设计产品·市级 ✓ 现已撤销（摘牌）")
    expect(page.locator("svg.supply-tree")).to_contain_text(BOARDS_NAME["zh-CN"])  # its name, from its profile
    expect(page.locator("#green-share")).to_have_text("100%")
    page.locator("#verification summary").click()
    expect(page.locator("#verification li.warn")).to_have_text("当时认定有效：绿色设计产品·市级（现已失效）")


def test_scan_page_reads_an_uploaded_photo(page: Page, site: Site, tmp_path: Path) -> None:
    query = {"gtin": DEMO_PRODUCT_GTIN, "lot": DEMO_LOT, "serial": "0003"}
    photo = tmp_path / "code.png"
    photo.write_bytes(httpx.get(f"{site.base}/qr/code.png", params=query).content)
    requests = recorded(page)
    page.goto(site.base + "/scan")
    expect(page.locator("h1")).to_have_text("扫码查验")
    page.set_input_files("#photo", str(photo))
    page.wait_for_url(site.product_url("0003"))
    expect(page.locator("#verdict")).to_have_attribute("data-status", "verified")
    decoder = [url for url in requests if "/static/zxing-wasm@" in url]
    assert any(url.endswith("/zxing_reader.wasm") for url in decoder), requests
    assert all(url.startswith(site.base + "/") for url in requests), requests


def test_scan_page_reads_the_camera(page: Page, site: Site) -> None:
    page.goto(site.base + "/scan")
    page.locator("#camera-start").click()
    page.wait_for_url(site.product_url(CAMERA_SERIAL))
    expect(page.locator("#product")).to_contain_text(CAMERA_SERIAL)


def test_scan_page_opens_only_product_links(page: Page, site: Site, tmp_path: Path) -> None:
    image = qrcode.make("https://example.com/login?next=/01/")
    buffer = io.BytesIO()
    image.save(buffer)
    photo = tmp_path / "other.png"
    photo.write_bytes(buffer.getvalue())
    page.goto(site.base + "/scan?lang=en")
    expect(page.locator("h1")).to_have_text("Scan a product code")
    page.set_input_files("#photo", str(photo))
    status = page.locator("#status")
    expect(status).to_contain_text("This is not a product's GS1 Digital Link, so it is not opened:")
    expect(status).to_contain_text("https://example.com/login?next=/01/")
    assert page.url == site.base + "/scan?lang=en"


def test_a_leader_signs_in_with_the_pages_policies_on(page: Page, site: Site, csp_violations: list[str]) -> None:
    """The sign-in form (its CSRF token, the pre-login cookie, Origin) works in a real browser under the pages'
    Content-Security-Policy; the console listener does see a violation when one happens."""
    leader = f"{site.base}/leader/{MAKER}"
    page.goto(leader)
    page.wait_for_url(re.compile(re.escape(site.base) + r"/login\?next="))
    expect(page.locator("h1")).to_contain_text("登录")
    page.locator("input[name=token]").fill(site.tokens[MAKER])
    with page.expect_response(lambda r: r.url == f"{site.base}/login" and r.request.method == "POST") as sent:
        page.locator("button[type=submit]").click()
    assert sent.value.status == 303
    page.wait_for_url(leader)
    assert page.title() and "登录" not in page.title()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sc_session"]["httpOnly"] and cookies["sc_session"]["sameSite"] == "Strict"
    # no inline script runs here: one added by hand is refused, and the refusal is reported on the console
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'document.title = \\'x\\''; "
        "document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    assert page.title() != "x" and csp_violations, csp_violations
    csp_violations.clear()
    # signing out (a same-origin POST) ends the session: the page asks to sign in again
    assert (
        page.evaluate("async () => (await fetch('/logout', {method: 'POST', redirect: 'manual'})).type")
        == "opaqueredirect"
    )
    page.goto(leader)
    page.wait_for_url(re.compile(re.escape(site.base) + r"/login\?next="))


def test_what_a_stranger_posts_about_a_serial_changes_neither_its_page_nor_its_bundle(page: Page, site: Site) -> None:
    """Issue 12's page hole, in a browser: an organisation outside the serial's chain of custody posts signed events
    each listing 1,500 EPCs, the serial among them. The page still shows its own journey, says what was left out,
    and its proof bundle stays as it was (before: every such event was read, shown and put in the bundle)."""
    serial = "0010"
    gs1 = f"https://id.gs1.org/01/{DEMO_PRODUCT_GTIN}/21/{serial}"
    page.goto(site.product_url(serial) + "?lang=en")
    steps = page.locator("#journey ol.timeline > li")
    journey = steps.evaluate_all("els => els.map(e => e.dataset.step)")
    bundle_before = httpx.get(f"{site.base}/bundles", params={"id": gs1}, timeout=30).json()
    expect(page.locator("#summarised")).to_have_count(0)
    registry = site.platform.registry.registry
    regulator = registry.as_signer(dev_account("regulator").account)
    regulator.register_organisation(STRANGER, BusinessRole.LOGISTICS)
    regulator.add_key(STRANGER, STRANGER_KEY.public_key_bytes)
    site.platform.registry.refresh(force=True)
    token = site.platform.issue_token(org_id=STRANGER, role="organisation", label="a stranger")
    at = registry.chain.block_timestamp() + 1
    crowd = [f"https://id.gs1.org/01/{DEMO_PRODUCT_GTIN}/21/X{n}" for n in range(1_499)]
    events = [
        {
            "type": "ObjectEvent",
            "eventTime": datetime.fromtimestamp(at + n, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventTimeZoneOffset": "+08:00",
            "epcList": [gs1, *crowd],
            "action": "OBSERVE",
            "bizStep": "inspecting",
        }
        for n in range(3)
    ]
    document = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-01T00:00:00Z",
    }
    signed = sign_document(STRANGER_KEY, {**document, "epcisBody": {"eventList": events}})
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/ld+json",
        "Prefer": "return=representation",
    }
    captured = httpx.post(f"{site.base}/capture", json=signed, headers=headers, timeout=60)
    assert captured.status_code == 200 and captured.json()["acceptedCount"] == 3, captured.text[:500]
    page.goto(site.product_url(serial) + "?lang=en")
    expect(steps).to_have_count(len(journey))
    assert steps.evaluate_all("els => els.map(e => e.dataset.step)") == journey
    left_out = page.locator("#summarised")
    expect(left_out).to_contain_text("Records left out")
    expect(left_out.locator("ul.plain > li")).to_have_count(3)
    expect(page.locator("h1")).to_contain_text("Charging module")  # the owner's name, not anything posted since
    bundle = httpx.get(f"{site.base}/bundles", params={"id": gs1}, timeout=30)
    assert [e["envelope"]["eventHashId"] for e in bundle.json()["events"]] == [
        e["envelope"]["eventHashId"] for e in bundle_before["events"]
    ]
    assert len(bundle.content) < 100_000 and sum(bundle.json()["summarised"]["counts"].values()) == 3
