"""A real headless Chromium (Debian's ``chromium``) driven by Playwright, and the platform it browses.

One platform (:mod:`tests.web.site`) and one browser for the package's tests: both modules are in the xdist group
``browser`` and run one after the other on one worker, so serving the platform and starting Chromium are paid once
(each test is written for a platform that the other tests browse and post to as well: its own serials, or what nobody
changes). Each test gets a fresh browser context (no cookies, a phone-sized window). Chromium starts with a fake
camera that films a QR code of the demo's serial 0005 (``--use-file-for-fake-video-capture``), so the scan page's
camera path runs for real. Playwright's own browser downloads are never used (``executable_path``).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from cli.demo_story import DEMO_LOT, DEMO_PRODUCT_GTIN
from tests.web.site import Site, demo_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CAMERA_SERIAL = "0005"


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The platform with the demo supply chain, served on a free port."""
    with demo_site(tmp_path_factory.mktemp("site")) as running:
        yield running


def qr_video(png: bytes, path: Path) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of a QR code on white, 640x480, one frame (it loops)."""
    code = Image.open(io.BytesIO(png)).convert("L")
    code = code.resize((300, 300), Image.Resampling.NEAREST)
    frame = Image.new("L", (640, 480), 255)
    frame.paste(code, (170, 90))
    chroma = bytes([128]) * (320 * 240)
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\nFRAME\n" + frame.tobytes() + chroma + chroma)
    return path


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: `apt-get install chromium` (the Makefile's chromium target)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    query = {"gtin": DEMO_PRODUCT_GTIN, "lot": DEMO_LOT, "serial": CAMERA_SERIAL}
    png = httpx.get(f"{site.base}/qr/code.png", params=query).content
    video = qr_video(png, tmp_path_factory.mktemp("camera") / "qr.y4m")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
    yield launched
    launched.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """The Content-Security-Policy violations the browser reported on its console during the test (kept empty)."""
    return []


@pytest.fixture
def page(browser: Browser, site: Site, csp_violations: list[str]) -> Iterator[Page]:
    """A phone-sized page in a fresh context, allowed the camera on the platform's origin. Every test fails when
    the browser reported a Content-Security-Policy violation (something the pages need was blocked)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.grant_permissions(["camera"], origin=site.base)
    opened = context.new_page()
    opened.set_default_timeout(20_000)

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            csp_violations.append(message.text)

    opened.on("console", console)
    yield opened
    context.close()
    assert not csp_violations, csp_violations
