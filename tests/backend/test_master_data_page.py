"""The product page's name (issue 12, items 3 and 6): the owner's signed master data first; an ILMD name only from an
event of an organisation that may speak for the GTIN; never a name another organisation posted (the renaming hole).

The supplier's commissioning event of the maker's serial is stored directly (as an older platform accepted it), so
that these tests hold whatever capture refuses today.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.services.platform import Platform
from supplychain.masterdata import ProductMasterData, build_product, sign_master_data
from tests.backend.documents import GTIN
from tests.backend.prefixes import hold_prefixes
from tests.backend.storing import register_keys, store
from tests.backend.test_product_page import HTML, page
from tests.backend.test_qr import bearer
from tests.chains import MANUFACTURER
from tests.supplychain.factories import ChainBuilder, Org

SERIAL = f"https://id.gs1.org/01/{GTIN}/21/R1"
FORGED = {"@value": "冒名产品", "@language": "zh-CN"}


def _commission(orgs: dict[str, Org], who: str, at: int, ilmd: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning", "epcList": [SERIAL]}
    if ilmd is not None:
        body["ilmd"] = ilmd
    return ChainBuilder().event(orgs[who], body, at)


@pytest.fixture
def orgs(platform: Platform, client: TestClient, tokens: dict[str, str]) -> dict[str, Org]:
    """The cast's keys and prefixes; the maker made serial R1 (no name) and issued its code; then the supplier
    posted, with its own key, a commissioning of the maker's serial naming it as it chose."""
    found = register_keys(platform)
    hold_prefixes(platform)
    t0 = platform.registry.registry.chain.block_timestamp() + 5
    store(platform, [_commission(found, "manufacturer", t0, None)])
    store(platform, [_commission(found, "supplier", t0 + 10, {"gs1:productName": [FORGED]})])
    issued = client.post("/qr/issue", json={"gtin": GTIN, "serials": ["R1"]}, headers=bearer(tokens, "manufacturer"))
    assert issued.status_code in (200, 201), issued.text
    return found


def test_a_name_posted_by_another_organisation_is_not_the_headline(client: TestClient, orgs: dict[str, Org]) -> None:
    text = page(client.get(f"/01/{GTIN}/21/R1", headers=HTML))
    assert "冒名产品" not in text
    assert f"<h1>商品条码 {GTIN}<small>" in text


def test_the_owners_ilmd_name_is_still_used(platform: Platform, client: TestClient, orgs: dict[str, Org]) -> None:
    at = platform.registry.registry.chain.block_timestamp() + 20
    named = {"gs1:productName": [{"@value": "绿源 模块", "@language": "zh-CN"}]}
    store(platform, [_commission(orgs, "manufacturer", at, named)])
    text = page(client.get(f"/01/{GTIN}/21/R1", headers=HTML))
    assert "<h1>绿源 模块<small>" in text and "冒名产品" not in text


def test_the_owners_master_data_names_the_product_and_says_who_signed(
    platform: Platform, client: TestClient, tokens: dict[str, str], orgs: dict[str, Org]
) -> None:
    maker = orgs["manufacturer"]
    at = platform.registry.registry.chain.block_timestamp()
    names = {"zh-CN": "绿源 充电模块", "en": "Charging module"}
    envelope = sign_master_data(maker.key, MANUFACTURER, build_product(ProductMasterData(GTIN, names, 1, at)))
    published = client.post(
        f"/products/{GTIN}/master-data",
        content=json.dumps(envelope).encode(),
        headers={**bearer(tokens, "manufacturer"), "Content-Type": "application/json"},
    )
    assert published.status_code == 201, published.text
    text = page(client.get(f"/01/{GTIN}/21/R1", headers=HTML))
    assert "<h1>绿源 充电模块<small>" in text and "冒名产品" not in text
    assert f'<p class="byline" id="signed-by">由 GLN {MANUFACTURER} 签名的产品主数据（第 1 版）</p>' in text
    english = page(client.get(f"/01/{GTIN}/21/R1?lang=en", headers=HTML), lang="en")
    assert "<h1>Charging module<small>" in english
    assert f"signed by GLN {MANUFACTURER} (product master data, version 1)" in english
    # the label sheet prints the owner's name and whose signature it carries, whatever productName says
    sheet = client.get(
        "/qr/labels", params={"gtin": GTIN, "productName": "别的名字"}, headers=bearer(tokens, "manufacturer")
    )
    assert sheet.status_code == 200, sheet.text
    assert '<div class="name">绿源 充电模块 / Charging module</div>' in sheet.text and "别的名字" not in sheet.text
    assert f'<div class="signed">签名 Signed by: {MANUFACTURER}</div>' in sheet.text


@pytest.mark.usefixtures("orgs")
def test_labels_without_master_data_print_the_name_given(client: TestClient, tokens: dict[str, str]) -> None:
    sheet = client.get(
        "/qr/labels", params={"gtin": GTIN, "productName": "试样"}, headers=bearer(tokens, "manufacturer")
    )
    assert sheet.status_code == 200, sheet.text
    assert '<div class="name">试样</div>' in sheet.text and "Signed by" not in sheet.text
