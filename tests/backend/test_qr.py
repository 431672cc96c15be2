"""QR codes: issuing (idempotent, bounded, per organisation), images that decode back exactly, ZIP files, labels.

Every image is decoded with zxing-cpp. SVG files are rasterised by :func:`rasterise_svg` below, a renderer of the
one path grammar the platform writes (``M{x} {y}h{w}v1H{x}z`` rectangles in module units), after the file is
checked as XML (svg namespace, square viewBox, white background): no SVG library is installed.
"""

from __future__ import annotations

import csv
import io
import random
import re
import string
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import qrcode  # type: ignore[import-untyped]
import zxingcpp
from defusedxml import ElementTree
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from backend.models import IssuedCode, table_of
from backend.services.platform import Platform
from backend.services.qr import BORDER, CodeKey, QRCapacityError, png_bytes, qr_lines, qr_matrix, svg_bytes
from supplychain.errors import DigitalLinkError
from tests.chains import MANUFACTURER

GTIN = "06901234000108"
OTHER_GTIN = "06923456000209"  # the supplier's (its company prefix 6923456)
BASE = "https://qr.example.cn"
SVG_NS = "{http://www.w3.org/2000/svg}"
_RECT = re.compile(r"M(\d+) (\d+)h(\d+)v1H(\d+)z")


def bearer(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


def decode(image: Image.Image) -> str:
    found = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)  # control characters as themselves
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].ec_level == "M"
    return str(found[0].text)


def decode_png(data: bytes) -> str:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return decode(Image.open(io.BytesIO(data)))


def rasterise_svg(svg: bytes | str, scale: int = 6) -> Image.Image:
    """Check an SVG's structure and paint its path rectangles into an image."""
    root = ElementTree.fromstring(svg)
    assert root.tag == SVG_NS + "svg"
    x0, y0, w, h = (int(v) for v in root.attrib["viewBox"].split())
    assert (x0, y0) == (0, 0) and w == h
    rect = root.find(SVG_NS + "rect")
    assert rect is not None and rect.attrib["fill"] == "#fff" and rect.attrib["width"] == str(w)
    path = root.find(SVG_NS + "path")
    assert path is not None and path.attrib["fill"] == "#000"
    d = path.attrib["d"]
    runs = _RECT.findall(d)
    assert "".join(f"M{x} {y}h{n}v1H{x2}z" for x, y, n, x2 in runs) == d, "unexpected path commands"
    image = Image.new("L", (w * scale, w * scale), 255)
    pixels = image.load()
    assert pixels is not None
    for x, y, n, x2 in runs:
        assert x == x2
        for px in range(int(x) * scale, (int(x) + int(n)) * scale):
            for py in range(int(y) * scale, (int(y) + 1) * scale):
                pixels[px, py] = 0
    return image


def decode_svg(svg: bytes | str) -> str:
    return decode(rasterise_svg(svg))


def issue(client: TestClient, tokens: dict[str, str], who: str = "manufacturer", **body: object) -> dict[str, object]:
    response = client.post("/qr/issue", json={"gtin": GTIN, **body}, headers=bearer(tokens, who))
    assert response.status_code in (200, 201), response.text
    result: dict[str, object] = response.json()
    return result


def problem(response: object, status: int) -> dict[str, object]:
    from httpx import Response

    assert isinstance(response, Response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    return body


# --- the encoder ---


def smallest_version(data: str) -> int:
    """The smallest symbol version holding ``data`` at level M, by the ``qrcode`` library's own segmentation."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    return int(code.best_fit())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.printable, min_size=1, max_size=300))
def test_any_text_makes_the_smallest_symbol_and_decodes_back(data: str) -> None:
    """zxing-cpp writes the symbol; a second library (``qrcode``) says which version is the smallest at level M."""
    lines = qr_lines(data)
    assert len(lines) == 17 + 4 * smallest_version(data) + 2 * BORDER
    assert all(len(line) == len(lines) and set(line) <= {"0", "1"} for line in lines)
    assert decode_png(png_bytes(data, scale=3)) == data


@pytest.mark.parametrize(
    "data",
    [
        "1",
        "HTTPS://QR.EXAMPLE.CN/01/" + "1234567890" * 20,  # alphanumeric and numeric segments
        "HTTPS://QR.EXAMPLE.CN/01/" + "0" * 200,  # a block of zero codewords (qrcode 8.2 itself fails on it)
        "7" * 1500,  # version 17 numeric
        "ab" * 300,  # version 22 bytes (version bits in the symbol)
        "Z" * 3391,  # version 40, the largest alphanumeric symbol at level M
    ],
)
def test_symbols_across_versions_decode_back(data: str) -> None:
    assert len(qr_matrix(data)) == 17 + 4 * smallest_version(data) + 2 * BORDER
    assert decode_png(png_bytes(data, scale=3)) == data
    assert decode_svg(svg_bytes(data)) == data


def test_too_much_data_for_any_symbol() -> None:
    with pytest.raises(QRCapacityError, match="3392 characters do not fit a QR symbol at error correction M"):
        qr_matrix("Z" * 3392)


def test_png_and_svg_decode_exactly_with_a_quiet_zone() -> None:
    uri = CodeKey(GTIN, "LOT/42%x", "A-1.b").uri(BASE)
    assert uri == f"{BASE}/01/{GTIN}/10/LOT%2F42%25x/21/A-1.b"
    png = png_bytes(uri, scale=5)
    assert decode_png(png) == uri
    image = Image.open(io.BytesIO(png)).convert("L")
    modules = len(qr_matrix(uri))
    assert image.size == (modules * 5, modules * 5)
    quiet = BORDER * 5
    assert image.crop((0, 0, image.width, quiet)).getextrema() == (255, 255)
    assert image.crop((0, 0, quiet, image.height)).getextrema() == (255, 255)
    assert image.crop((quiet, quiet, quiet + 5, quiet + 5)).getextrema() == (0, 0)  # finder pattern corner
    svg = svg_bytes(uri)
    assert decode_svg(svg) == uri
    assert f"<title>{uri}</title>".encode() in svg and b'width="' in svg


def test_code_key_validates_and_names_files() -> None:
    assert CodeKey("6901234000108", "L1", "7").gtin == GTIN
    assert CodeKey(GTIN, "L/1", "S%1").filename("png") == f"01-{GTIN}_10-L%2F1_21-S%251.png"
    with pytest.raises(DigitalLinkError, match="check digit"):
        CodeKey("06901234000109")
    with pytest.raises(DigitalLinkError, match="AI 10"):
        CodeKey(GTIN, "x" * 21)


# --- issuing ---


def test_issue_a_lot_code_then_its_images(client: TestClient, tokens: dict[str, str]) -> None:
    body = issue(client, tokens, lot="LOT7")
    assert body["count"] == 1 and body["created"] == 1
    uri = f"{BASE}/01/{GTIN}/10/LOT7"
    assert body["uris"] == [uri] and body["first"] == uri == body["last"]
    png = client.get("/qr/code.png", params={"gtin": GTIN, "lot": "LOT7", "scale": 4})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"] == f'inline; filename="01-{GTIN}_10-LOT7.png"'
    assert decode_png(png.content) == uri
    svg = client.get("/qr/code.svg", params={"gtin": GTIN, "lot": "LOT7"})
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["content-disposition"] == f'inline; filename="01-{GTIN}_10-LOT7.svg"'
    assert decode_svg(svg.content) == uri
    # the link in the answer works
    links = body["links"]
    assert isinstance(links, dict)
    assert decode_svg(client.get(links["image"]).content) == uri


def test_issue_a_range_is_idempotent(client: TestClient, tokens: dict[str, str], platform: Platform) -> None:
    first = issue(client, tokens, lot="LOT42", serialStart=1, serialEnd=20, serialWidth=4)
    assert (first["count"], first["created"]) == (20, 20)
    assert first["uris"] == [f"{BASE}/01/{GTIN}/10/LOT42/21/{n:04d}" for n in range(1, 21)]
    again = client.post(
        "/qr/issue",
        json={"gtin": GTIN, "lot": "LOT42", "serialStart": 1, "serialEnd": 20, "serialWidth": 4},
        headers=bearer(tokens, "manufacturer"),
    )
    assert again.status_code == 200 and again.json()["created"] == 0
    overlap = issue(client, tokens, lot="LOT42", serials=["0019", "0020", "0021", "0021", "X-1"])
    assert (overlap["count"], overlap["created"]) == (4, 2)
    with platform.session() as session:
        rows = session.exec(select(IssuedCode.serial).where(col(IssuedCode.lot) == "LOT42")).all()
    assert sorted(rows) == sorted([f"{n:04d}" for n in range(1, 22)] + ["X-1"])


def test_large_range_answers_a_count_and_links(client: TestClient, tokens: dict[str, str], platform: Platform) -> None:
    body = issue(client, tokens, lot="BIG", serialStart=100_001, serialEnd=200_000, productName="绿色洗衣液")
    assert (body["count"], body["created"], body["uris"]) == (100_000, 100_000, None)
    assert body["first"] == f"{BASE}/01/{GTIN}/10/BIG/21/100001"
    assert body["last"] == f"{BASE}/01/{GTIN}/10/BIG/21/200000"
    links = body["links"]
    assert isinstance(links, dict)
    assert links["zipPng"] == f"/qr/bulk.zip?gtin={GTIN}&lot=BIG&format=png"
    assert links["labels"].startswith(f"/qr/labels?gtin={GTIN}&lot=BIG&productName=%E7%BB%BF")
    with platform.session() as session:
        assert session.exec(select(func.count()).select_from(IssuedCode)).one() == 100_000


def test_serial_is_unique_per_gtin(client: TestClient, tokens: dict[str, str]) -> None:
    issue(client, tokens, lot="A", serials=["7", "8"])
    response = client.post(
        "/qr/issue", json={"gtin": GTIN, "lot": "B", "serials": ["6", "7"]}, headers=bearer(tokens, "manufacturer")
    )
    body = problem(response, 409)
    assert "'7'" in str(body["detail"]) and body["serials"] == ["7"]


def test_only_the_gtins_owner_on_chain_issues_its_codes(client: TestClient, tokens: dict[str, str]) -> None:
    # the manufacturer holds the company prefix 6901234 (tests.chains.PREFIXES), the retailer holds none
    issue(client, tokens, lot="A")
    response = client.post("/qr/issue", json={"gtin": GTIN, "lot": "Z"}, headers=bearer(tokens, "retailer"))
    refused = problem(response, 403)
    assert refused["type"] == "https://supplychain.dev/problems/not-gtin-owner"
    assert f"GTIN {GTIN} belongs to organisation {MANUFACTURER} (GS1 Company Prefix 6901234)" in str(refused["detail"])
    # the supplier's own GTIN is fine for the supplier
    issue(client, tokens, "supplier", gtin="06923456000209")


def test_issue_needs_an_organisation_token(client: TestClient, tokens: dict[str, str]) -> None:
    problem(client.post("/qr/issue", json={"gtin": GTIN}), 401)
    problem(client.post("/qr/issue", json={"gtin": GTIN}, headers={"Authorization": "Bearer nope"}), 401)
    problem(client.post("/qr/issue", json={"gtin": GTIN}, headers=bearer(tokens, "regulator")), 403)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"gtin": "06901234000109"}, "gtin", "check digit"),
        ({"gtin": "06901234001"}, "gtin", "length 11"),
        ({"gtin": GTIN, "lot": "ä"}, "lot", "character set 82"),
        ({"gtin": GTIN, "lot": "L" * 21}, "lot", "20"),
        ({"gtin": GTIN, "serialStart": 20, "serialEnd": 10}, "serialEnd", "before serialStart 20"),
        ({"gtin": GTIN, "serialStart": 1, "serialEnd": 100_001}, "serialEnd", "at most 100000"),
        ({"gtin": GTIN, "serialStart": 1}, "serialEnd", "required"),
        ({"gtin": GTIN, "serialEnd": 1}, "serialEnd", "serialStart is required"),
        ({"gtin": GTIN, "serialStart": -1, "serialEnd": 1}, "serialStart", "greater than or equal"),
        ({"gtin": GTIN, "serialWidth": 21, "serialStart": 1, "serialEnd": 2}, "serialWidth", "less than or equal"),
        ({"gtin": GTIN, "serials": ["ok", "no space"]}, "serials", "serials[1]"),
        ({"gtin": GTIN, "serials": []}, "serials", "empty"),
        ({"gtin": GTIN, "serials": ["1"], "serialStart": 1, "serialEnd": 2}, "serials", "not both"),
        ({"gtin": GTIN, "serials": [str(n) for n in range(100_001)]}, "serials", "at most 100000"),
        ({"gtin": GTIN, "colour": "green"}, "colour", "Extra inputs"),
    ],
)
def test_issue_refuses_bad_input_naming_the_field(
    client: TestClient, tokens: dict[str, str], body: dict[str, object], field: str, message: str
) -> None:
    response = client.post("/qr/issue", json=body, headers=bearer(tokens, "manufacturer"))
    result = problem(response, 422)
    assert result["detail"].startswith(f"body.{field}:"), result["detail"]  # type: ignore[union-attr]
    assert message in str(result["detail"])


def test_images_of_codes_never_issued_or_malformed(client: TestClient, tokens: dict[str, str]) -> None:
    issue(client, tokens, lot="LOT42", serials=["1"])
    missing = problem(client.get("/qr/code.png", params={"gtin": GTIN, "lot": "LOT42", "serial": "2"}), 404)
    assert missing["detail"] == f"{BASE}/01/{GTIN}/10/LOT42/21/2 was not issued here"
    problem(client.get("/qr/code.svg", params={"gtin": OTHER_GTIN}), 404)
    bad = problem(client.get("/qr/code.png", params={"gtin": "06901234000109"}), 400)
    assert bad["parameter"] == "gtin" and "check digit" in str(bad["detail"])
    assert problem(client.get("/qr/code.png", params={"gtin": GTIN, "serial": "a b"}), 400)["parameter"] == "serial"
    problem(client.get("/qr/code.gif", params={"gtin": GTIN}), 422)
    problem(client.get("/qr/code.png", params={"gtin": GTIN, "serial": "1", "scale": 0}), 422)
    # a serial issued under a lot is also the code /01/{gtin}/21/{serial}
    assert (
        decode_png(client.get("/qr/code.png", params={"gtin": GTIN, "serial": "1"}).content) == f"{BASE}/01/{GTIN}/21/1"
    )


# --- bulk ---


def test_zip_of_1000_png_codes(client: TestClient, tokens: dict[str, str]) -> None:
    issue(client, tokens, lot="LOT42", serialStart=1, serialEnd=1000, serialWidth=5)
    response = client.get(
        "/qr/bulk.zip",
        params={"gtin": GTIN, "lot": "LOT42", "format": "png", "scale": 3, "limit": 1000},
        headers=bearer(tokens, "manufacturer"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == f'attachment; filename="01-{GTIN}_10-LOT42.png.zip"'
    assert response.headers["x-code-count"] == "1000"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = archive.namelist()
    expected = {f"01-{GTIN}_10-LOT42_21-{n:05d}.png": f"{BASE}/01/{GTIN}/10/LOT42/21/{n:05d}" for n in range(1, 1001)}
    assert set(names) == {*expected, "manifest.csv"} and len(names) == 1001
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert {row["file"]: row["uri"] for row in manifest} == expected
    assert [row["serial"] for row in manifest] == [f"{n:05d}" for n in range(1, 1001)]  # issue order
    sample = random.Random(42).sample(sorted(expected), 50)
    for name in sample:
        assert decode_png(archive.read(name)) == expected[name]


def test_zip_of_svg_codes_every_file_decoded(client: TestClient, tokens: dict[str, str]) -> None:
    serials = ["A-1", "A/2", "A%3"]
    issue(client, tokens, serials=serials)  # serials without a lot
    response = client.get(
        "/qr/bulk.zip",
        params={"gtin": GTIN, "format": "svg", "limit": 2, "offset": 1},
        headers=bearer(tokens, "manufacturer"),
    )
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = [n for n in archive.namelist() if n != "manifest.csv"]
    assert names == [f"01-{GTIN}_21-A%2F2.svg", f"01-{GTIN}_21-A%253.svg"]
    assert archive.getinfo(names[0]).compress_type == zipfile.ZIP_DEFLATED
    assert [decode_svg(archive.read(n)) for n in names] == [f"{BASE}/01/{GTIN}/21/A%2F2", f"{BASE}/01/{GTIN}/21/A%253"]


def test_bulk_needs_the_issuing_organisation(client: TestClient, tokens: dict[str, str]) -> None:
    issue(client, tokens, lot="LOT42", serials=["1"])
    params = {"gtin": GTIN, "lot": "LOT42"}
    for route in ("/qr/bulk.zip", "/qr/labels"):
        problem(client.get(route, params=params), 401)
        assert "another organisation" in str(
            problem(client.get(route, params=params, headers=bearer(tokens, "retailer")), 403)["detail"]
        )
        problem(client.get(route, params={"gtin": GTIN, "lot": "NOPE"}, headers=bearer(tokens, "manufacturer")), 404)
        bad = problem(client.get(route, params={"gtin": "123"}, headers=bearer(tokens, "manufacturer")), 400)
        assert bad["parameter"] == "gtin"


def test_label_sheet_has_every_serial(client: TestClient, tokens: dict[str, str]) -> None:
    issue(client, tokens, lot="LOT42", serialStart=1, serialEnd=50, serialWidth=4)
    response = client.get(
        "/qr/labels",
        params={"gtin": GTIN, "lot": "LOT42", "productName": "绿色洗衣液 <Eco>"},
        headers=bearer(tokens, "manufacturer"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == f'inline; filename="labels-01-{GTIN}_10-LOT42.html"'
    html = response.text
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html and "size: A4" in html
    assert html.count('<section class="sheet">') == 3  # 24 labels per A4 page
    assert html.count('<div class="label">') == 50
    for n in range(1, 51):
        assert f'<div class="v">{n:04d}</div>' in html
        assert f"<title>{BASE}/01/{GTIN}/10/LOT42/21/{n:04d}</title>" in html
    assert html.count("批号<small>Lot</small>") == 50 and html.count("序列号<small>Serial</small>") == 50
    assert html.count("绿色洗衣液 &lt;Eco&gt;") == 50 and "<Eco>" not in html
    assert f"(01) {GTIN}" in html
    first_svg = re.search(r"<svg .*?</svg>", html)
    assert first_svg is not None
    assert decode_svg(first_svg.group()) == f"{BASE}/01/{GTIN}/10/LOT42/21/0001"


def test_concurrent_issues_of_the_same_serials_store_each_once(
    client: TestClient, tokens: dict[str, str], platform: Platform
) -> None:
    body = {"gtin": GTIN, "lot": "RACE", "serialStart": 1, "serialEnd": 300, "serialWidth": 4}

    def post() -> int:
        response = client.post("/qr/issue", json=body, headers=bearer(tokens, "manufacturer"))
        assert response.status_code in (200, 201), response.text
        created: int = response.json()["created"]
        return created

    with ThreadPoolExecutor(6) as pool:
        created = list(pool.map(lambda _: post(), range(6)))
    assert sum(created) == 300  # whoever came first created them; the others found them issued
    with platform.session() as session:
        rows = session.exec(select(IssuedCode.serial).where(col(IssuedCode.lot) == "RACE")).all()
    assert sorted(rows) == [f"{n:04d}" for n in range(1, 301)]


def test_the_database_refuses_a_serial_twice_per_gtin(platform: Platform) -> None:
    row = {"gtin": GTIN, "lot": "L1", "serial": "S1", "org_id": "6901234000016", "created_at": 1}
    with platform.session() as session:
        session.exec(insert(table_of(IssuedCode)), params=[row])
        session.commit()
        with pytest.raises(IntegrityError):
            session.exec(insert(table_of(IssuedCode)), params=[{**row, "lot": "L2"}])
        session.rollback()
        lot_codes = [{**row, "serial": None}, {**row, "serial": None, "lot": "L2"}]
        session.exec(insert(table_of(IssuedCode)), params=lot_codes)
        session.commit()  # lot codes (no serial) are not serials: the unique index leaves them alone
