"""The consumer pages without a browser: the product page's HTML, escaping, bad input, scans, the scan page's files.

The browser tests (tests/web) check what a person sees; these check the HTML and the data behind it quickly, on
the in-process chain with the stored story of :func:`tests.backend.storing.green_product` (anchored for real).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import col, select

from backend.api.app import create_app
from backend.api.routes.pages import static_paths
from backend.core.config import Settings
from backend.models import Event, Scan
from backend.services.issuance import issue_codes
from backend.services.platform import Platform, now_ms
from backend.services.product_page import (
    load_trace,
    network_of,
    org_label,
    origin_of,
    record_scan,
    registry_state,
    scan_salt,
)
from backend.services.qr import CodeKey
from backend.services.scans import (
    DAY_MS,
    SCAN_DAY_BLOCKS,
    SCAN_WARN_BLOCKS,
    SCAN_WINDOW_DAYS,
    block_of,
    block_origin_of,
)
from backend.services.tracing import proof_bundle
from benchmarks.page import bench_page
from supplychain.gs1 import canonical_dl
from supplychain.merkle import keccak256
from supplychain.registry import BusinessRole, RegistryMirror
from supplychain.registry.events import LogPosition, OrganisationRegistered
from tests.backend.green_chain import build
from tests.backend.prefixes import hold_prefixes
from tests.backend.storing import Product, anchor, green_product, register_keys, store
from tests.backend.test_qr import BASE, bearer, problem
from tests.chains import MANUFACTURER
from tests.supplychain.factories import ChainBuilder, lgtin, qty, sgtin

HTML = {"Accept": "text/html"}
LOT = "A-LOT1"
GTIN = (canonical_dl(sgtin("6901234", "040001", "A-1")) or "").split("/01/")[1][:14]
PATH = f"/01/{GTIN}/10/{LOT}/21/A-1"


@dataclass
class Story:
    """The stored, anchored story and its issued codes."""

    product: Product
    hashes: list[str]


@pytest.fixture
def story(platform: Platform, client: TestClient, tokens: dict[str, str]) -> Story:
    """The green product's events, anchored; the maker issued serials A-1..A-4 of lot A-LOT1."""
    product = green_product(platform)
    hashes = [e["eventHashId"] for e in product.env.values()]
    anchor(platform, hashes)
    serials = ["A-1", "A-2", "A-3", "A-4"]
    answer = client.post(
        "/qr/issue", json={"gtin": GTIN, "lot": LOT, "serials": serials}, headers=bearer(tokens, "manufacturer")
    )
    assert answer.status_code in (200, 201), answer.text
    return Story(product, hashes)


def page(response: Response, status: int = 200, lang: str = "zh-CN") -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == lang
    assert response.headers["cache-control"] == "no-store"
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script runs
    text = response.text
    assert text.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in text
    assert "<script" not in text and "http://" not in text.replace(BASE, "").replace('"http://www.w3.org', "")
    return text


def sections(text: str) -> set[str]:
    return set(re.findall(r'<section class="[^"]*" id="([a-z-]+)"', text))


# --- the page ---


@pytest.mark.usefixtures("story")
def test_a_verified_product(client: TestClient) -> None:
    text = page(client.get(PATH, headers=HTML))
    assert {"verdict", "product", "authenticity", "journey", "supply", "green", "verification"} <= sections(text)
    assert 'data-status="verified"' in text and "已验证：每一步都有有效签名并已锚定在区块链上" in text
    assert 'id="anchor-depth" data-final="true"' in text  # depth 0 (dev chains): final once anchored
    # the journey: made, packed, shipped, received, unpacked, sold; each with its organisation
    steps = re.findall(r'<li class="(production|logistics|retail)" data-step="([a-z_]+)"', text)
    assert [s for _, s in steps] == ["commissioning", "packing", "shipping", "receiving", "unpacking", "retail_selling"]
    assert steps[-1][0] == "retail"
    # the supply tree: the product and its raw lot R1 (made by the supplier), 200 kg of it went in
    assert text.count('<g class="node"') == 2 and 'data-kind="lot" data-state="not_green"' in text
    assert "200 千克" in text and "本产品 · " in text and "This product" not in text  # the tree's words are Chinese
    # nothing was recognised: 0% green, and every step says so
    assert 'id="green-share">0%</b>' in text and "无绿色认定" in text
    assert text.count("签名有效") == text.count('<li class="step"') > 0
    assert f'href="/bundles?id={quote(f"https://id.gs1.org/01/{GTIN}/21/A-1", safe="")}"' in text
    assert f"scanner verify {BASE}{PATH}" in text
    assert "平台未登记产品名称，以商品条码显示" in text


def test_unanchored_steps_are_pending(platform: Platform, client: TestClient, tokens: dict[str, str]) -> None:
    green_product(platform)  # stored, not anchored yet
    body = {"gtin": GTIN, "lot": LOT, "serials": ["A-1"]}
    assert client.post("/qr/issue", json=body, headers=bearer(tokens, "manufacturer")).status_code in (200, 201)
    text = page(client.get(PATH, headers=HTML))
    assert 'data-status="incomplete"' in text and "正在等待上链锚定" in text
    assert text.count('<li class="warn">等待锚定</li>') == text.count('<li class="step"') > 0


def test_a_tampered_record_fails_the_check(platform: Platform, client: TestClient, story: Story) -> None:
    """Someone with access to the platform's database moves the sale to another shop: the page says so."""
    sold = story.product.hash("sell A-1")
    with platform.session() as session:
        row = session.exec(select(Event).where(col(Event.hash_id) == sold)).one()
        event = json.loads(row.document)
        event["bizLocation"] = {"id": "https://id.gs1.org/414/6901234000993"}
        row.document = json.dumps(event)
        session.add(row)
        session.commit()
    text = page(client.get(PATH, headers=HTML))
    assert 'data-status="failed"' in text and "验证未通过：请勿轻信本页信息" in text
    assert "记录被改动过（哈希不符）" in text
    tampered = re.search(rf'<li class="step" data-status="failed" data-hash="{re.escape(sold)}">', text)
    assert tampered is not None and text.count('data-status="failed" data-hash=') == 1


@pytest.mark.usefixtures("story")
@pytest.mark.parametrize(("query", "lang"), [("?lang=en", "en"), ("?lang=EN-us", "en"), ("?lang=fr", "zh-CN")])
def test_languages(client: TestClient, query: str, lang: str) -> None:
    text = page(client.get(PATH + query, headers=HTML), lang=lang)
    if lang == "en":
        assert "Verified: every step is validly signed and anchored on the blockchain" in text
        assert '<a class="lang" href="?lang=zh-CN" hreflang="zh-CN" lang="zh-CN">中文</a>' in text
    else:
        assert "已验证" in text and '<a class="lang" href="?lang=en" hreflang="en" lang="en">English</a>' in text


@pytest.mark.usefixtures("story")
def test_bad_language_values_are_not_echoed(client: TestClient) -> None:
    text = page(client.get(PATH, params={"lang": '"><script>alert(1)</script>'}, headers=HTML))
    assert "alert(1)" not in text


def test_the_page_verifies_the_bundle_the_api_serves(platform: Platform, client: TestClient, story: Story) -> None:
    node = f"https://id.gs1.org/01/{GTIN}/21/A-1"
    registry = registry_state(platform)
    assert registry is not None
    with platform.session() as session:
        trace = load_trace(session, node, registry)
        served = proof_bundle(session, node, chain_id=registry.chain_id, registry_address=registry.address)
    assert trace is not None and trace.bundle is not None
    assert trace.bundle.to_json() == served.bundle.to_json() == client.get("/bundles", params={"id": node}).json()
    assert len(trace.bundle.events) == len(served.bundle.events) >= 6


def test_everything_is_escaped(platform: Platform, client: TestClient, tokens: dict[str, str]) -> None:
    orgs = register_keys(platform)
    hold_prefixes(platform)  # the maker owns the GTIN: its ILMD names the product
    t0 = platform.registry.registry.chain.block_timestamp() + 5
    made = ChainBuilder().event(
        orgs["manufacturer"],
        {
            "type": "TransformationEvent",
            "bizStep": "commissioning",
            "outputEPCList": [f"https://id.gs1.org/01/{GTIN}/21/X1"],
            "ilmd": {"cbvmda:lotNumber": "L<b>&\"'1", "gs1:productName": '<script>alert("name")</script>'},
            "readPoint": {"id": "https://example.com/site?a=1&b='x'"},  # a place with '<' is no URI: refused
        },
        t0,
    )
    store(platform, [made])
    odd = "L<b>&\"'1"  # all of them allowed in a GS1 lot (character set 82)
    for lot, serials in (("ESC", ["X1"]), (odd, None)):
        body = {"gtin": GTIN, "lot": lot, "serials": serials}
        assert client.post("/qr/issue", json=body, headers=bearer(tokens, "manufacturer")).status_code in (200, 201)
    text = page(client.get(f"/01/{GTIN}/10/ESC/21/X1", headers=HTML))
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in text  # the name, from the maker's ILMD
    assert "名称来自制造商签名的生产记录" in text
    assert "https://example.com/site?a=1&amp;b=&#39;x&#39;" in text  # the place
    path = f"/01/{GTIN}/10/{quote(odd, safe='')}"
    lot_page = page(client.get(path, headers=HTML))
    assert "L&lt;b&gt;&amp;&#34;&#39;1" in lot_page  # the lot of the link
    assert "签名有效" in lot_page  # its trace: the lot the maker's ILMD named, though its name needs escaping
    recall = {"gtin": GTIN, "lot": odd, "reason": "<img src=x onerror=alert(1)> 召回"}
    assert client.post("/recalls", json=recall, headers=bearer(tokens, "manufacturer")).status_code == 201
    gone = page(client.get(path, headers=HTML), 410)
    assert "&lt;img src=x onerror=alert(1)&gt; 召回" in gone and "<img" not in gone


def test_the_name_in_each_language(platform: Platform, client: TestClient, tokens: dict[str, str]) -> None:
    orgs = register_keys(platform)
    hold_prefixes(platform)
    names = [{"@value": "绿源 充电模块", "@language": "zh-CN"}, {"@value": "Charging module", "@language": "en"}]
    made = ChainBuilder().event(
        orgs["manufacturer"],
        {
            "type": "ObjectEvent",
            "action": "ADD",
            "bizStep": "commissioning",
            "epcList": [f"https://id.gs1.org/01/{GTIN}/21/N1"],
            "ilmd": {"gs1:productName": names},
        },
        platform.registry.registry.chain.block_timestamp() + 5,
    )
    store(platform, [made])
    body = {"gtin": GTIN, "serials": ["N1"]}
    assert client.post("/qr/issue", json=body, headers=bearer(tokens, "manufacturer")).status_code in (200, 201)
    assert "<h1>绿源 充电模块<small>" in page(client.get(f"/01/{GTIN}/21/N1", headers=HTML))
    assert "<h1>Charging module<small>" in page(client.get(f"/01/{GTIN}/21/N1?lang=en", headers=HTML), lang="en")


@pytest.mark.usefixtures("story")
def test_recalled_lot_is_its_page_under_a_banner(client: TestClient, tokens: dict[str, str]) -> None:
    recall = {"gtin": GTIN, "lot": LOT, "reason": "电池过热 / overheating"}
    assert client.post("/recalls", json=recall, headers=bearer(tokens, "manufacturer")).status_code == 201
    text = page(client.get(PATH, headers=HTML), 410)
    assert (
        text.index('id="recall"') < text.index("<h1>") and "该批次已召回" in text and "电池过热 / overheating" in text
    )
    assert {"journey", "supply", "verification"} <= sections(text)  # the trace is kept for checking
    assert client.get(PATH, headers={"Accept": "application/json"}).json()["recall"]["reason"] == recall["reason"]
    english = page(client.get(PATH + "?lang=en", headers=HTML), 410, lang="en")
    assert "This lot has been recalled" in english


@pytest.mark.usefixtures("story")
@pytest.mark.parametrize(
    ("path", "known"),
    [(f"/01/{GTIN}/10/{LOT}/21/A-9", True), (f"/01/{GTIN}/21/nope", True), ("/01/06901234000306/21/1", False)],
)
def test_never_issued_warns_of_a_counterfeit(client: TestClient, path: str, known: bool) -> None:
    text = page(client.get(path, headers=HTML), 404)
    assert "可能是仿冒产品" in text and "本平台从未签发过这个码" in text and 'id="counterfeit"' in text
    assert ("在本平台签发，但其中没有这个批号或序列号" in text) is known
    assert f"GLN {MANUFACTURER}" in text or not known
    english = page(client.get(path + "?lang=en", headers=HTML), 404, lang="en")
    assert "Possibly counterfeit" in english


def test_invalid_link_page_says_what_is_wrong(client: TestClient) -> None:
    text = page(client.get(f"/01/{GTIN}/10/LOT%zz", headers=HTML), 400)
    assert "链接无效" in text and "&#39;%&#39; not followed by two hex digits" in text


def test_issued_code_without_events(client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/qr/issue", json={"gtin": GTIN, "lot": "EMPTY"}, headers=bearer(tokens, "manufacturer"))
    text = page(client.get(f"/01/{GTIN}/10/EMPTY", headers=HTML))
    assert 'data-status="none"' in text and "暂无溯源记录" in text and "暂无流通记录" in text
    assert "这是批次码" in text and 'id="bundle-link"' not in text


# --- scans ---


def test_scans_are_counted_per_network_and_day_and_never_store_the_address(platform: Platform) -> None:
    salt = scan_salt(b"secret")
    key = CodeKey(GTIN, LOT, "A-1")
    t = now_ms()

    def scan(host: str, at: int, code: CodeKey = key) -> tuple[int, int, int | None, bool]:
        with platform.session() as session:
            stats = record_scan(session, code, LOT, origin_of(host, salt), at, block=block_origin_of(host, salt))
        return stats.scans, stats.places, stats.first_at, stats.suspicious

    assert scan("203.0.113.5", t) == (1, 1, t, False)
    assert scan("203.0.113.77", t + 1000)[:2] == (1, 1)  # the same /24 the same day: the same look-up
    assert scan("203.0.113.5", t + DAY_MS)[:3] == (2, 1, t)  # the next day: one more
    assert scan("198.51.100.1", t + 2, CodeKey(GTIN, None, "A-1"))[:2] == (2, 2)  # the same serial, other link
    with platform.session() as session:
        stored = session.exec(select(col(Scan.origin), col(Scan.block))).all()
    hashes = [h for row in stored for h in row]
    assert all(h is not None and re.fullmatch(r"[0-9a-f]{16}", h) for h in hashes)
    assert len({o for o, _ in stored}) == 2 and len({b for _, b in stored}) == 2
    assert not {network_of("203.0.113.5"), block_of("203.0.113.5"), "203.0.113.5"} & set(hashes)


@pytest.mark.parametrize(
    ("host", "network", "block"),
    [
        ("203.0.113.77", "203.0.113.0/24", "203.0.0.0/16"),
        ("::ffff:203.0.113.9", "203.0.113.0/24", "203.0.0.0/16"),
        ("2001:db8:1:ffff::2", "2001:db8:1::/48", "2001:db8::/32"),
        ("testclient", "host:testclient", "host:testclient"),
        (None, "host:", "host:"),
    ],
)
def test_networks_and_blocks(host: str | None, network: str, block: str) -> None:
    assert network_of(host) == network and block_of(host) == block
    assert origin_of(host, scan_salt(b"a")) != origin_of(host, scan_salt(b"b"))  # salted
    assert block_origin_of(host, scan_salt(b"a")) != block_origin_of(host, scan_salt(b"b"))
    assert block_origin_of(host, scan_salt(b"a")) != origin_of(host, scan_salt(b"a"))  # even where both are the host


def test_a_serial_looked_up_from_many_blocks_over_days_gets_the_hint(
    platform: Platform, client: TestClient, story: Story
) -> None:
    salt = scan_salt(platform.receipt_key.private_bytes())
    key = CodeKey(GTIN, LOT, "A-2")
    days = SCAN_WARN_BLOCKS // SCAN_DAY_BLOCKS  # this many days of look-ups from new blocks, ending yesterday
    t = now_ms() - days * DAY_MS
    with platform.session() as session:
        for n in range(SCAN_WARN_BLOCKS - 1):  # a block short: the test client's look-up makes the count
            host = f"{100 + n}.{n}.1.1"
            day = n // SCAN_DAY_BLOCKS
            stats = record_scan(
                session, key, LOT, origin_of(host, salt), t + day * DAY_MS, block=block_origin_of(host, salt)
            )
        assert stats.blocks == SCAN_WARN_BLOCKS - 1 and not stats.suspicious
    text = page(client.get(f"/01/{GTIN}/10/{LOT}/21/A-2", headers=HTML))  # "testclient": a block of its own
    assert 'id="cloned"' in text and 'data-reason="spread"' in text and "可能是被复制的二维码" in text
    assert f"最近 {SCAN_WINDOW_DAYS} 天内，此序列号在 {days + 1} 天里从 {SCAN_WARN_BLOCKS} 个不同网段被查询" in text
    assert f"（共 {SCAN_WARN_BLOCKS} 次，来自 {SCAN_WARN_BLOCKS} 个网络）" in text
    assert f"<dt>计入提示的网段</dt><dd>{SCAN_WARN_BLOCKS} / {SCAN_WARN_BLOCKS}</dd>" in text
    assert f"至少 {SCAN_WARN_BLOCKS} 个不同网段" in text  # the rule, with its thresholds, is on the page
    english = page(client.get(f"/01/{GTIN}/10/{LOT}/21/A-2", params={"lang": "en"}, headers=HTML), lang="en")
    assert "Possibly a copied code" in english and f"from {SCAN_WARN_BLOCKS} different address blocks" in english


@pytest.mark.usefixtures("story")
def test_a_lot_code_never_gets_the_copied_code_hint(
    platform: Platform, client: TestClient, tokens: dict[str, str]
) -> None:
    client.post("/qr/issue", json={"gtin": GTIN, "lot": LOT}, headers=bearer(tokens, "manufacturer"))
    salt = scan_salt(platform.receipt_key.private_bytes())
    t = now_ms() - 10 * DAY_MS
    with platform.session() as session:
        for n in range(SCAN_WARN_BLOCKS + 3):
            host = f"192.{n}.0.1"
            at = t + (n // SCAN_DAY_BLOCKS) * DAY_MS
            stats = record_scan(
                session, CodeKey(GTIN, LOT), LOT, origin_of(host, salt), at, block=block_origin_of(host, salt)
            )
    assert stats.blocks > SCAN_WARN_BLOCKS and not stats.suspicious
    text = page(client.get(f"/01/{GTIN}/10/{LOT}", headers=HTML))
    assert 'id="cloned"' not in text and "这是批次码" in text
    assert 'id="scan-rule"' not in text and "计入提示的网段" not in text  # the rule is a serial's


# --- organisations' names ---


def _mirror(uri: str, digest: bytes) -> RegistryMirror:
    event = OrganisationRegistered(LogPosition(1, 0), 1, MANUFACTURER, BusinessRole.MANUFACTURER, digest, uri)
    return RegistryMirror().apply_all([event])


@pytest.mark.parametrize(
    ("profile", "encode", "names"),
    [
        ({"name": {"zh-CN": "绿源汽车", "en": "Lvyuan Auto"}}, "base64", {"zh-CN": "绿源汽车", "en": "Lvyuan Auto"}),
        ({"name": "绿源汽车"}, "percent", {"zh-CN": "绿源汽车"}),
        ({"name": {"fr": "Lvyuan"}}, "base64", {}),
        (["not", "an", "object"], "base64", {}),
    ],
)
def test_names_come_from_the_profile_the_chain_vouches_for(profile: object, encode: str, names: dict[str, str]) -> None:
    data = json.dumps(profile, ensure_ascii=False).encode()
    if encode == "base64":
        uri = "data:application/json;base64," + base64.b64encode(data).decode()
    else:
        uri = "data:application/json," + quote(data)
    assert dict(org_label(_mirror(uri, keccak256(data)), MANUFACTURER).names) == names
    assert not org_label(_mirror(uri, hashlib.sha256(data).digest()), MANUFACTURER).names  # another hash: no name


@pytest.mark.parametrize(
    "uri", ["https://example.com/profile.json", "data:text/plain,hello", "data:application/json;base64,@@@", ""]
)
def test_other_profiles_give_no_name(uri: str) -> None:
    label = org_label(_mirror(uri, keccak256(uri.encode())), MANUFACTURER)
    assert label.registered and not label.names and label.name("zh-CN") is None
    assert not org_label(None, MANUFACTURER).registered


# --- the chain out of reach ---


def test_without_the_chain_the_page_says_it_is_not_verified(tmp_path: Path) -> None:
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        rpc_url="http://127.0.0.1:9",  # discard: nothing answers
        rpc_attempts=1,
        run_worker=False,
        public_base_url=BASE,
        capture_workers=0,
    )
    platform = Platform.open(settings)
    try:
        builder = ChainBuilder()
        maker = builder.org("maker", "6901234", BusinessRole.MANUFACTURER, org_id=MANUFACTURER)
        serial = sgtin("6901234", "040001", "Z-1")
        made = builder.transform(
            maker, 1_700_000_000, inputs=[qty(lgtin("6902222", "020001", "R"), 5)], output_epcs=[serial]
        )
        store(platform, [made])
        with platform.session() as session:
            issue_codes(session, org_id=MANUFACTURER, gtin=GTIN, lot=None, serials=["Z-1"], now=now_ms())
        with TestClient(create_app(platform=platform)) as client:
            text = page(client.get(f"/01/{GTIN}/21/Z-1", headers=HTML))
    finally:
        platform.close()
    assert 'data-status="warn"' in text and "暂时无法连接区块链：本页信息尚未验证" in text
    assert 'id="journey"' in text and "生产赋码" in text and 'id="verification"' not in text


# --- the scan page and its files ---


def test_scan_page(client: TestClient) -> None:
    response = client.get("/scan")
    assert (
        response.status_code == 200
        and "script-src 'self' 'wasm-unsafe-eval'" in response.headers["content-security-policy"]
    )
    assert response.headers["permissions-policy"] == "camera=(self)"
    paths = static_paths()
    text = response.text
    assert f'<script src="{paths["script"]}" defer></script>' in text and '<html lang="zh-CN">' in text
    assert f'data-decoder="{paths["decoder"]}"' in text and f'data-wasm="{paths["wasm"]}"' in text
    assert '<input type="file" id="photo" accept="image/*">' in text and "<script>" not in text
    assert response.headers["content-language"] == "zh-CN"
    english = client.get("/scan", params={"lang": "en"})
    assert '<html lang="en">' in english.text and english.headers["content-language"] == "en"


def test_scan_page_files_are_served_for_a_year(client: TestClient) -> None:
    paths = static_paths()
    script = client.get(paths["script"])
    assert script.status_code == 200 and script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert hashlib.sha256(script.content).hexdigest()[:16] in paths["script"]
    assert "ZXingWASM.prepareZXingModule" in script.text
    decoder = client.get(paths["decoder"])
    assert decoder.status_code == 200 and decoder.headers["cache-control"].endswith("immutable")
    assert decoder.text.startswith("var ZXingWASM=")
    wasm = client.get(paths["wasm"])
    assert wasm.headers["content-type"] == "application/wasm" and wasm.content.startswith(b"\0asm")


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/static/scan.0123456789abcdef.js", "the current script is scan."),
        ("/static/zxing-wasm@0.0.1/zxing-reader.js", "the decoder's files: /static/zxing-wasm@"),
        ("/static/zxing-wasm@{v}/index.js", "no static file /static/zxing-wasm@"),
        ("/static/zxing-wasm@{v}/..%2Fpackage.json", "Not Found"),  # no route: a name has no slash
    ],
)
def test_unknown_static_files_are_404(client: TestClient, path: str, says: str) -> None:
    version = static_paths()["decoder"].split("@", 1)[1].split("/", 1)[0]
    body = problem(client.get(path.replace("{v}", version)), 404)
    assert says in str(body["detail"])


# --- the benchmark ---


def test_bench_page_measures_a_verified_product(tmp_path: Path) -> None:
    figures = bench_page(3000, repeats=10, db=tmp_path / "page.db")
    assert (figures.events, figures.bundle_events) == (3000, 26)  # bench_page raises if the product does not verify
    assert figures.page_bytes > 10_000 and 0 < figures.p50_ms <= figures.p99_ms <= figures.max_ms
    assert 0 < figures.cpu_p50_ms <= figures.cpu_p99_ms
    assert figures.scan_write_p50_ms > 0
    again = bench_page(3000, repeats=10, db=tmp_path / "page.db")  # the store is reused as it is
    assert (again.events, again.bundle_events) == (3000, 26)


def test_recognitions_as_they_stood_when_each_input_was_supplied(
    platform: Platform, client: TestClient, tokens: dict[str, str]
) -> None:
    """Lot L2 (tests.backend.green_chain): housings H1 (steel supplied while A was a green factory) and H2 (steel
    supplied after A's suspension): the tree shows A's badge in force for S1 and not for S2, and the notices say so."""
    build(platform)
    body = {"gtin": GTIN, "lot": "L2", "serials": ["P-3"]}
    assert client.post("/qr/issue", json=body, headers=bearer(tokens, "manufacturer")).status_code in (200, 201)
    text = page(client.get(f"/01/{GTIN}/10/L2/21/P-3", headers=HTML))
    assert 'id="green-share">37.5%</b>' in text  # 50 H1 x 3/4 + 50 H2 x 0, of 100
    assert "绿色工厂·省级 ✓ 现已暂停" in text and "绿色工厂·省级 ✗ 暂停" in text
    lapses = re.findall(r'<li data-lapsed="(after|before)">', text)
    assert sorted(lapses) == ["after", "before"]
    assert "供货时认定已经失效，不计入绿色占比" in text and "当时认定有效，仍计入绿色占比" in text
    assert "抽查未通过" in text  # the reason of the suspension
