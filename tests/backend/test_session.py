"""Browser sign-in: the cookie opens the organisation's pages (GET only), never changes anything."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.api.deps import SESSION_COOKIE
from tests.chains import MANUFACTURER, RETAILER

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_browser_is_sent_to_sign_in_then_back_to_the_page(client: TestClient, tokens: dict[str, str]) -> None:
    page = f"/organisations/{MANUFACTURER}/suppliers"
    first = client.get(page, headers=HTML, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Forganisations%2F6901234000016%2Fsuppliers"
    form = client.get(first.headers["location"])
    assert form.status_code == 200 and 'name="token"' in form.text and "登录" in form.text
    assert 'value="/organisations/6901234000016/suppliers"' in form.text
    signed = client.post(
        "/login", data={"token": tokens["manufacturer"], "next": page, "lang": "zh"}, follow_redirects=False
    )
    assert (signed.status_code, signed.headers["location"]) == (303, page)
    cookie = signed.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get(page).status_code == 200  # the cookie now opens the page
    other = client.get(f"/organisations/{RETAILER}/suppliers")
    assert other.status_code == 403  # signed in as the manufacturer, not as the retailer
    # nothing that changes data accepts the cookie
    issue = client.post("/qr/issue", json={"gtin": "06901234000108", "lot": "L1"})
    assert issue.status_code == 401 and issue.headers["content-type"] == "application/problem+json"
    client.post("/logout", follow_redirects=False)
    assert client.get(page, headers={"Accept": "application/json"}).status_code == 401


def test_a_bad_token_or_a_foreign_next_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    bad = client.post("/login", data={"token": "sc_nope", "next": "/leader/x", "lang": "en"})
    assert bad.status_code == 401 and "unknown or revoked" in bad.text
    assert SESSION_COOKIE not in bad.headers.get("set-cookie", "")
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        signed = client.post("/login", data={"token": tokens["regulator"], "next": target}, follow_redirects=False)
        assert signed.headers["location"] == "/login/done", target
    assert client.post("/login", content=b"token=" + b"x" * 5000).status_code == 400
    assert "English" in client.get("/login").text and "中文" in client.get("/login?lang=en").text
    assert client.get("/login?lang=fr").status_code == 422
    client.cookies.clear()
    assert client.get(f"/organisations/{MANUFACTURER}/suppliers").status_code == 401  # JSON clients get 401
