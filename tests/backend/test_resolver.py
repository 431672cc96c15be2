"""The Digital Link resolver (200 / 307 / 400 / 404 / 410 in JSON and HTML, linksets) and lot recalls."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from supplychain.gs1 import DigitalLink, dl_to_epc_uri
from supplychain.signing import SigningKey
from tests.backend import documents
from tests.backend.test_qr import BASE, GTIN, OTHER_GTIN, bearer, decode_png, decode_svg, issue, problem
from tests.chains import MANUFACTURER, RETAILER

JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SERIAL_URI = f"{BASE}/01/{GTIN}/10/LOT42/21/0001"
GS1_SERIAL = f"https://id.gs1.org/01/{GTIN}/21/0001"


@pytest.fixture
def issued(client: TestClient, tokens: dict[str, str]) -> None:
    """The manufacturer issued serials 0001..0003 of LOT42 and the lot code of LOT7; the supplier, OTHER_GTIN."""
    issue(client, tokens, lot="LOT42", serialStart=1, serialEnd=3, serialWidth=4)
    issue(client, tokens, lot="LOT7")
    issue(client, tokens, "supplier", gtin=OTHER_GTIN, lot="R1")


def html_page(response: Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["vary"] in ("Accept", "Accept, Accept-Encoding")  # compressed when large
    text = response.text
    assert text.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    return text


# --- 200 ---


@pytest.mark.usefixtures("issued")
def test_serial_as_json(client: TestClient) -> None:
    response = client.get(f"/01/{GTIN}/10/LOT42/21/0001", headers=JSON)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["vary"].startswith("Accept") and response.headers["access-control-allow-origin"] == "*"
    assert f'<{SERIAL_URI}?linkType=all>; rel="linkset"; type="application/linkset+json"' in response.headers["link"]
    assert f"<{BASE}/trace/journey?id={quote(GS1_SERIAL, safe='')}>" in response.headers["link"]
    body = response.json()
    assert {k: body[k] for k in ("id", "gs1Uri", "gtin", "lot", "serial", "issuer", "recalled")} == {
        "id": SERIAL_URI,
        "gs1Uri": GS1_SERIAL,
        "gtin": GTIN,
        "lot": "LOT42",
        "serial": "0001",
        "issuer": MANUFACTURER,
        "recalled": False,
    }
    assert body["linkset"][0]["anchor"] == SERIAL_URI


@pytest.mark.usefixtures("issued")
def test_serial_as_html(client: TestClient) -> None:
    text = html_page(client.get(f"/01/{GTIN}/10/LOT42/21/0001", headers=HTML), 200)
    for expected in ("产品信息", GTIN, "LOT42", "0001", MANUFACTURER, "批号", "序列号", "暂无溯源记录"):
        assert expected in text  # the consumer page (tests/backend/test_product_page.py, tests/web)
    assert f'href="{SERIAL_URI}?linkType=all"' in text
    english = client.get(f"/01/{GTIN}/10/LOT42/21/0001?lang=en", headers=HTML).text
    assert '<html lang="en">' in english and "Product" in english and "No trace records yet" in english
    assert html_page(client.get(f"/01/{GTIN}/10/LOT42/21/0001"), 200) == text  # no Accept: the page


@pytest.mark.usefixtures("issued")
@pytest.mark.parametrize(
    ("path", "uri", "lot", "serial"),
    [
        (f"/01/{GTIN}/21/0002", f"{BASE}/01/{GTIN}/21/0002", "LOT42", "0002"),  # the lot it was issued under
        (f"/01/{GTIN}/21/0002/10/LOT42", f"{BASE}/01/{GTIN}/10/LOT42/21/0002", "LOT42", "0002"),  # reordered
        (f"/01/{GTIN}/ser/0003/lot/LOT42/", f"{BASE}/01/{GTIN}/10/LOT42/21/0003", "LOT42", "0003"),  # short names
        ("/01/6901234000108/10/LOT42", f"{BASE}/01/{GTIN}/10/LOT42", "LOT42", None),  # GTIN-13, a lot of serials
        (f"/01/{GTIN}/10/LOT7", f"{BASE}/01/{GTIN}/10/LOT7", "LOT7", None),  # a lot code
        (f"/01/{GTIN}", f"{BASE}/01/{GTIN}", None, None),
        (f"/01/{GTIN}/10/LOT42/21/0001?17=261231&lang=zh", SERIAL_URI, "LOT42", "0001"),  # attributes ignored
    ],
)
def test_issued_forms_resolve(client: TestClient, path: str, uri: str, lot: str | None, serial: str | None) -> None:
    response = client.get(path, headers=JSON)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["lot"], body["serial"]) == (uri, lot, serial)


@pytest.mark.usefixtures("issued")
def test_linkset(client: TestClient) -> None:
    response = client.get(f"/01/{GTIN}/10/LOT42/21/0001", params={"linkType": "all"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/linkset+json"
    (links,) = response.json()["linkset"]
    assert links["anchor"] == SERIAL_URI
    voc = "https://gs1.org/voc/"
    assert links[voc + "defaultLink"][0]["href"] == SERIAL_URI == links[voc + "pip"][0]["href"]
    assert links[voc + "traceability"] == [
        {
            "href": f"{BASE}/trace/journey?id={quote(GS1_SERIAL, safe='')}",
            "title": "溯源 Traceability",
            "type": "application/json",
        }
    ]
    assert links[voc + "verificationService"][0]["href"] == f"{BASE}/bundles?id={quote(GS1_SERIAL, safe='')}"
    assert links[voc + "recallStatus"][0]["href"] == f"{BASE}/recalls?gtin={GTIN}&lot=LOT42"
    svg, png = links["https://supplychain.dev/voc/qrCode"]
    assert (svg["type"], png["type"]) == ("image/svg+xml", "image/png")
    # the QR links work without a token and carry the resolved URI
    assert decode_svg(client.get(svg["href"].removeprefix(BASE)).content) == SERIAL_URI
    assert decode_png(client.get(png["href"].removeprefix(BASE)).content) == SERIAL_URI


@pytest.mark.usefixtures("issued")
def test_link_type_redirects_or_says_what_there_is(client: TestClient) -> None:
    response = client.get(
        f"/01/{GTIN}/10/LOT42/21/0001", params={"linkType": "gs1:traceability"}, follow_redirects=False
    )
    assert response.status_code == 307
    assert response.headers["location"] == f"{BASE}/trace/journey?id={quote(GS1_SERIAL, safe='')}"
    full = client.get(
        f"/01/{GTIN}/10/LOT42/21/0001",
        params={"linkType": "https://gs1.org/voc/verificationService"},
        follow_redirects=False,
    )
    assert full.status_code == 307 and full.headers["location"].startswith(f"{BASE}/bundles?id=")
    body = problem(client.get(f"/01/{GTIN}/10/LOT42/21/0001", params={"linkType": "gs1:nutritionalInfo"}), 404)
    assert "gs1:traceability" in str(body["detail"]) and "'gs1:nutritionalInfo'" in str(body["detail"])


# --- 404 and 400 ---


@pytest.mark.usefixtures("issued")
@pytest.mark.parametrize(
    "path",
    [
        f"/01/{GTIN}/10/LOT42/21/0009",  # a serial never issued
        f"/01/{GTIN}/21/0009",
        f"/01/{GTIN}/10/LOT7/21/0001",  # an issued serial, another lot
        f"/01/{GTIN}/10/LOT8",  # a lot never issued
        "/01/06901234000306",  # a GTIN never issued (valid check digit)
        f"/01/{GTIN}/22/V1/10/LOT42",  # a variant the platform never issues
        f"/01/{GTIN}/235/TPX1",  # a TPX serial the platform never issues
    ],
)
def test_never_issued_is_404(client: TestClient, path: str) -> None:
    body = problem(client.get(path, headers=JSON), 404)
    assert str(body["detail"]).endswith("was not issued here")
    text = html_page(client.get(path, headers=HTML), 404)
    assert "未找到该产品码" in text and "可能是仿冒产品" in text


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/01/06901234000109/10/LOT42", "check digit"),
        ("/01/0690123400010/10/LOT42", "check digit"),
        (f"/01/{GTIN}/10/{'L' * 21}", "AI 10"),
        (f"/01/{GTIN}/10/LOT42/21/0001/21/0002", "qualifier"),
        (f"/01/{GTIN}/10/LOT%zz", "'%' not followed by two hex digits"),
        (f"/01/{GTIN}/99/X", "qualifiers 99 of AI 01"),
        (f"/01/{GTIN}?19=1", "not a GS1 Application Identifier"),
    ],
)
def test_malformed_link_is_400(client: TestClient, path: str, reason: str) -> None:
    body = problem(client.get(path, headers=JSON), 400)
    assert body["type"] == "https://supplychain.dev/problems/invalid-digital-link"
    assert reason in str(body["detail"]), body["detail"]
    text = html_page(client.get(path, headers=HTML), 400)
    assert "链接无效" in text and reason.replace("'", "&#39;") in text
    assert '<p lang="en">' in text  # the parser's own words stay English, and say so


def test_accept_negotiation(client: TestClient, tokens: dict[str, str]) -> None:
    issue(client, tokens, lot="LOT7")
    path = f"/01/{GTIN}/10/LOT7"
    cases = {
        "application/json": "application/json",
        "application/linkset+json": "application/json",
        "text/html;q=0.5, application/json;q=0.9": "application/json",
        "application/json;q=0.4, text/html": "text/html; charset=utf-8",
        "*/*": "text/html; charset=utf-8",
        "image/png": "text/html; charset=utf-8",
    }
    for accept, expected in cases.items():
        assert client.get(path, headers={"Accept": accept}).headers["content-type"] == expected, accept


# --- recalls and 410 ---


@pytest.mark.usefixtures("issued")
def test_recall_makes_the_lot_gone(client: TestClient, tokens: dict[str, str]) -> None:
    recall = {"gtin": GTIN, "lot": "LOT42", "reason": "微生物超标 / contamination"}
    problem(client.post("/recalls", json=recall), 401)
    refused = problem(client.post("/recalls", json=recall, headers=bearer(tokens, "retailer")), 403)
    assert f"which has not delegated it to organisation {RETAILER}" in str(refused["detail"])
    created = client.post("/recalls", json=recall, headers=bearer(tokens, "manufacturer"))
    assert created.status_code == 201, created.text
    made = created.json()
    assert {k: made[k] for k in ("gtin", "lot", "reason", "recalledBy")} == {**recall, "recalledBy": MANUFACTURER}
    problem(client.post("/recalls", json=recall, headers=bearer(tokens, "manufacturer")), 409)

    for path in (f"/01/{GTIN}/10/LOT42/21/0001", f"/01/{GTIN}/21/0002", f"/01/{GTIN}/10/LOT42"):
        gone = problem(client.get(path, headers=JSON), 410)
        assert gone["recall"]["reason"] == recall["reason"]  # type: ignore[index]
        assert gone["recall"]["recalledBy"] == MANUFACTURER  # type: ignore[index]
        assert str(gone["detail"]) == f"GTIN {GTIN} lot 'LOT42' was recalled: {recall['reason']}"
        assert gone["linkset"][0]["anchor"] == gone["id"]  # type: ignore[index]
        text = html_page(client.get(path, headers=HTML), 410)
        assert "该批次已召回" in text and "微生物超标 / contamination" in text
        assert problem(client.get(path, params={"linkType": "all"}), 410)["status"] == 410
    # the rest still resolves; a code never issued stays 404
    assert client.get(f"/01/{GTIN}/10/LOT7", headers=JSON).status_code == 200
    assert client.get(f"/01/{GTIN}", headers=JSON).status_code == 200
    problem(client.get(f"/01/{GTIN}/10/LOT42/21/0009", headers=JSON), 404)


@pytest.mark.usefixtures("issued")
def test_regulator_recalls_any_lot_and_recalls_are_public(client: TestClient, tokens: dict[str, str]) -> None:
    made = client.post(
        "/recalls", json={"gtin": OTHER_GTIN, "lot": "R1", "reason": "抽检不合格"}, headers=bearer(tokens, "regulator")
    )
    assert made.status_code == 201 and made.json()["recalledBy"] == "regulator"
    client.post(
        "/recalls", json={"gtin": GTIN, "lot": "LOT7", "reason": "labelling"}, headers=bearer(tokens, "manufacturer")
    )
    listed = client.get("/recalls").json()["recalls"]
    assert [(r["gtin"], r["lot"]) for r in listed] == [(GTIN, "LOT7"), (OTHER_GTIN, "R1")]  # newest first
    only = client.get("/recalls", params={"gtin": "6923456000209", "lot": "R1"}).json()["recalls"]
    assert [(r["gtin"], r["reason"]) for r in only] == [(OTHER_GTIN, "抽检不合格")]
    assert client.get("/recalls", params={"gtin": GTIN, "lot": "R1"}).json() == {"recalls": []}
    assert problem(client.get("/recalls", params={"gtin": "123"}), 400)["parameter"] == "gtin"
    problem(client.get(f"/01/{OTHER_GTIN}/10/R1", headers=JSON), 410)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"gtin": "06901234000109", "lot": "L", "reason": "x"}, "gtin"),
        ({"gtin": GTIN, "lot": "a b", "reason": "x"}, "lot"),
        ({"gtin": GTIN, "lot": "L", "reason": ""}, "reason"),
        ({"gtin": GTIN, "lot": "L"}, "reason"),
    ],
)
def test_recall_refuses_bad_input(client: TestClient, tokens: dict[str, str], body: dict[str, str], field: str) -> None:
    result = problem(client.post("/recalls", json=body, headers=bearer(tokens, "regulator")), 422)
    assert str(result["detail"]).startswith(f"body.{field}:")


# --- a lot whose name needs escaping ---


def test_a_lot_with_a_slash_finds_its_events_in_every_form_they_name_it(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    # GS1 allows '/' in a lot; the QR link escapes it (%2F). One event names the lot as its EPC class URN, the next
    # as a Digital Link on the brand's own host: canonical_dl (the Event Hash ID's) leaves the three forms apart.
    code = issue(client, tokens, lot="2026/11")
    qr_uri = str(code["first"])
    assert qr_uri == f"{BASE}/01/{GTIN}/10/2026%2F11"
    lot = DigitalLink("01", GTIN, (("10", "2026/11"),))
    made = documents.object_event(
        "unused",
        epcList=[],
        quantityList=[{"epcClass": dl_to_epc_uri(lot, 7), "quantity": 100, "uom": "KGM"}],
    )
    shipped = documents.object_event(
        "unused",
        biz_step="shipping",
        at_ms=documents.NOW_MS[0] + 1000,
        epcList=[],
        quantityList=[{"epcClass": lot.to_uri("https://brand.example"), "quantity": 100, "uom": "KGM"}],
    )
    body = documents.signed_document(keys[MANUFACTURER], [made, shipped])
    headers = {**bearer(tokens, "manufacturer"), "Content-Type": "application/ld+json"}
    headers["Prefer"] = "return=representation"
    captured = client.post("/capture", content=body, headers=headers)
    assert captured.json()["acceptedCount"] == 2, captured.text

    answer = client.get(qr_uri.removeprefix(BASE), headers=JSON).json()
    assert answer["gs1Uri"] == f"https://id.gs1.org/01/{GTIN}/10/2026%2F11"
    journey = client.get("/trace/journey", params={"id": qr_uri})
    assert journey.status_code == 200, journey.text
    assert [s["eventHashId"] for s in journey.json()["steps"]] == [
        documents.hash_of(made),
        documents.hash_of(shipped),
    ]
    page = html_page(client.get(qr_uri.removeprefix(BASE), headers=HTML), 200)
    assert "批次 2026/11" in page and "批次 2026%2F11" not in page  # the lot as people write it (links stay escaped)
    href = re.search(r'href="(/bundles\?id=[^"]+)"', page)
    assert href is not None
    bundle = client.get(html.unescape(href[1]))  # the page's download link gives the lot's proof bundle
    assert bundle.status_code == 200, bundle.text
    assert [e["envelope"]["eventHashId"] for e in bundle.json()["events"]] == [
        documents.hash_of(made),
        documents.hash_of(shipped),
    ]
    assert page.count("签名有效") >= 2  # both events are on the product's page
