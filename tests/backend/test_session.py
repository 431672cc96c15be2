"""Browser sign-in: the cookie (a signed session, not the token) opens the organisation's pages (GET only), never
changes anything, and ends when it expires or the token is revoked."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from backend.api.deps import SESSION_COOKIE
from backend.models import ApiToken
from backend.services.platform import Platform, hash_token
from backend.services.sessions import issue_session, session_key, session_token_id
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


def test_the_cookie_is_a_session_not_the_token(client: TestClient, platform: Platform, tokens: dict[str, str]) -> None:
    page = f"/organisations/{MANUFACTURER}/suppliers"
    client.post("/login", data={"token": tokens["manufacturer"], "next": page}, follow_redirects=False)
    cookie = client.cookies[SESSION_COOKIE]
    assert tokens["manufacturer"] not in cookie and hash_token(tokens["manufacturer"]) not in cookie
    assert client.get(page).status_code == 200
    # the cookie's value is no API token
    as_bearer = client.get(page, headers={"Authorization": f"Bearer {cookie}", "Accept": "application/json"})
    assert as_bearer.status_code == 401
    # forged: another token's id under the same signature, or a longer life
    version, token_id, expires, mac = cookie.split(".")
    for forged in (f"{version}.{int(token_id) + 1}.{expires}.{mac}", f"{version}.{token_id}.{int(expires) + 9}.{mac}"):
        client.cookies.set(SESSION_COOKIE, forged)
        refused = client.get(page, headers={"Accept": "application/json"})
        assert refused.status_code == 401 and "sign in again" in refused.json()["detail"]
    # expired: made nine hours ago
    old = issue_session(platform.session_key, int(token_id), now=int(time.time()) - 9 * 3600)
    client.cookies.set(SESSION_COOKIE, old)
    assert client.get(page, headers={"Accept": "application/json"}).status_code == 401
    # a session made by another platform (another receipt key) is not this one's
    foreign = issue_session(session_key(b"\x01" * 32), int(token_id), now=int(time.time()))
    client.cookies.set(SESSION_COOKIE, foreign)
    assert client.get(page, headers={"Accept": "application/json"}).status_code == 401
    # revoking the token ends its sessions
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get(page).status_code == 200
    with platform.session() as session:
        row = session.get(ApiToken, int(token_id))
        assert row is not None
        row.revoked_at = 1
        session.add(row)
        session.commit()
    revoked = client.get(page, headers={"Accept": "application/json"})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_malformed_sessions_are_refused() -> None:
    key = session_key(b"\x02" * 32)
    good = issue_session(key, 7, now=1000)
    assert session_token_id(key, good, now=1000) == 7
    assert session_token_id(key, good, now=1000 + 8 * 3600) is None  # expired at its end
    for bad in ("", "v1", "v1.7.99999999999.x", "v2" + good[2:], good.replace(".", ":"), "v1.x.1.y", good + "é"):
        assert session_token_id(key, bad, now=1000) is None, bad
