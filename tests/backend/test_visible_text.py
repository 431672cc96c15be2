"""Text that looks like other text is shown visibly on pages (issue 11, defence in depth): a right-to-left override or
a zero-width space that reached a page (stored before capture refused them, or from outside EPCIS, like a label's
product name) is written out as ``\\u202E``, never left to reorder or hide what the reader sees."""

from __future__ import annotations

from fastapi.testclient import TestClient

from supplychain.text import escape_html as escape
from tests.chains import MANUFACTURER

GTIN = "06901234000108"


def test_the_escape_writes_them_out() -> None:
    assert escape('<a href="x">储能</a>') == "&lt;a href=&quot;x&quot;&gt;储能&lt;/a&gt;"
    assert escape("0001\u202e2000") == "0001\\u202E2000"
    assert escape("a\u200bb\ufeffc\u2066d\u061c") == "a\\u200Bb\\uFEFFc\\u2066d\\u061C"
    assert escape(7) == "7" and escape("'", quote=False) == "'"


def test_a_label_sheet_shows_a_spoofed_product_name_escaped(client: TestClient, tokens: dict[str, str]) -> None:
    bearer = {"Authorization": f"Bearer {tokens['manufacturer']}"}
    issued = client.post("/qr/issue", json={"gtin": GTIN, "lot": "L1", "serials": ["S1"]}, headers=bearer)
    assert issued.status_code in (200, 201), issued.text
    name = "储能电池\u202e模组 \u200b"
    sheet = client.get("/qr/labels", params={"gtin": GTIN, "lot": "L1", "productName": name}, headers=bearer)
    assert sheet.status_code == 200, sheet.text
    assert "储能电池\\u202E模组 \\u200B" in sheet.text
    assert "\u202e" not in sheet.text and "\u200b" not in sheet.text


def test_the_sign_in_page_shows_a_spoofed_next_escaped(client: TestClient) -> None:
    page = client.get("/login", params={"next": f"/leader/{MANUFACTURER}\u202e"})
    assert f"/leader/{MANUFACTURER}\\u202E" in page.text and "\u202e" not in page.text
