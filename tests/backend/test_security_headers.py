"""Security headers (issue 11): every HTML page sends a strict Content-Security-Policy (no inline script, never
framed), nosniff, anti-framing and a Referrer-Policy; signed-in pages are never cached; JSON answers get nosniff."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from backend.api.security_headers import CSP_HTML
from tests.chains import MANUFACTURER

GTIN = "06901234000108"
HTML = {"Accept": "text/html"}


def policy(response: Response) -> dict[str, list[str]]:
    """The response's CSP as directive -> sources."""
    directives = [d.split() for d in response.headers["content-security-policy"].split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_strict_page(response: Response, *, private: bool, cdn: tuple[str, ...] = ()) -> None:
    """The headers every HTML page must send; ``private``: a signed-in page (never stored; public pages may choose:
    the product page is not stored either, as it counts scans)."""
    assert response.headers["content-type"].startswith("text/html"), response.headers
    csp = policy(response)
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "*" not in scripts, csp
    allowed = ("'self'", "'none'", "'wasm-unsafe-eval'", *cdn)
    assert all(s in allowed or s.startswith("'sha256-") for s in scripts), csp
    assert csp.get("object-src", csp["default-src"]) == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] in (["'self'"], ["'none'"])
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] in ("no-referrer", "same-origin", "strict-origin-when-cross-origin")
    if private:
        assert response.headers["cache-control"] == "no-store", response.headers


def test_every_html_page_sends_the_headers(client: TestClient, tokens: dict[str, str]) -> None:
    bearer = {"Authorization": f"Bearer {tokens['manufacturer']}", **HTML}
    issued = client.post("/qr/issue", json={"gtin": GTIN, "lot": "L1", "serials": ["S1"]}, headers=bearer)
    assert issued.status_code in (200, 201), issued.text
    public = {
        "/scan": client.get("/scan"),
        "/01/…/10/L1/21/S1": client.get(f"/01/{GTIN}/10/L1/21/S1", headers=HTML),
        "/01/…/21/S9 (unknown)": client.get(f"/01/{GTIN}/10/L1/21/S9", headers=HTML),
        "/login/done": client.get("/login/done"),
    }
    private = {
        "/login": client.get("/login"),
        "/leader": client.get(f"/leader/{MANUFACTURER}", headers=bearer),
        "/reports": client.get(
            "/reports/green-supply-chain", params={"organisation": MANUFACTURER, "format": "html"}, headers=bearer
        ),
        "/qr/labels": client.get("/qr/labels", params={"gtin": GTIN, "lot": "L1"}, headers=bearer),
        "/login (refused)": client.post("/login", data={"token": "x"}),
    }
    for response in public.values():
        assert_strict_page(response, private=False)
    for name, response in private.items():
        assert response.status_code in (200, 403) and "html" in response.headers["content-type"], name
        assert_strict_page(response, private=True)
    # the platform's own pages use the platform's policy; the scan page also runs the decoder's WebAssembly
    assert private["/login"].headers["content-security-policy"] == CSP_HTML
    assert "/static/zxing-wasm@" in public["/scan"].text and "<script>" not in public["/scan"].text
    assert "'wasm-unsafe-eval'" in policy(public["/scan"])["script-src"]
    # a signed-in browser (the session cookie) gets its pages unstored too
    form = private["/login"].text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    signed = client.post(
        "/login", data={"token": tokens["manufacturer"], "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert signed.status_code == 303 and signed.headers["cache-control"] == "no-store"  # it sets a cookie
    assert_strict_page(client.get(f"/leader/{MANUFACTURER}", headers=HTML), private=True)


def test_json_answers_get_nosniff_and_no_page_policy(client: TestClient, tokens: dict[str, str]) -> None:
    for response in (
        client.get("/health"),
        client.get("/openapi.json"),
        client.get("/events", headers={"Authorization": f"Bearer {tokens['regulator']}"}),
        client.get("/events"),  # a problem+json
        client.get(
            f"/organisations/{MANUFACTURER}/suppliers", headers={"Authorization": f"Bearer {tokens['manufacturer']}"}
        ),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url
        assert "content-security-policy" not in response.headers


def test_the_openapi_pages_allow_only_their_own_scripts(client: TestClient) -> None:
    docs = client.get("/docs")
    assert_strict_page(docs, private=False, cdn=("https://cdn.jsdelivr.net",))
    scripts = policy(docs)["script-src"]
    assert "https://cdn.jsdelivr.net" in scripts and sum(s.startswith("'sha256-") for s in scripts) == 1
