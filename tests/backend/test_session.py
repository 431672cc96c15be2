"""Browser sign-in: the cookie (a signed session, not the token) opens the organisation's pages (GET only), never
changes anything, and ends when it expires, the browser signs out (on the server: a copy stops working too) or the
token is revoked. The sign-in form is CSRF-protected (a signed token bound to a pre-login cookie, and Origin)."""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlmodel import select

from backend.api.app import create_app
from backend.api.deps import SESSION_COOKIE
from backend.api.routes.session import LOGIN_COOKIE
from backend.models import ApiToken, BrowserSession
from backend.services.platform import Platform, hash_token
from backend.services.sessions import (
    issue_login_form,
    login_form_problem,
    open_session,
    session_id,
    session_key,
    session_token,
)
from tests.chains import MANUFACTURER, RETAILER
from tests.web.site import free_port

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
JSON = {"Accept": "application/json"}
SUPPLIERS = f"/organisations/{MANUFACTURER}/suppliers"


def csrf_of(page: str) -> str:
    """The CSRF token in a sign-in page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def sign_in(client: TestClient, token: str, next_path: str = SUPPLIERS, lang: str = "zh") -> str:
    """Open the sign-in page and send its form, as a browser does; the session cookie's value."""
    form = client.get("/login", params={"next": next_path})
    fields = {"token": token, "next": next_path, "lang": lang, "csrf": csrf_of(form.text)}
    signed = client.post("/login", data=fields, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return str(client.cookies[SESSION_COOKIE])


def test_a_browser_is_sent_to_sign_in_then_back_to_the_page(client: TestClient, tokens: dict[str, str]) -> None:
    first = client.get(SUPPLIERS, headers=HTML, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Forganisations%2F6901234000016%2Fsuppliers"
    form = client.get(first.headers["location"])
    assert form.status_code == 200 and 'name="token"' in form.text and "登录" in form.text
    assert 'value="/organisations/6901234000016/suppliers"' in form.text
    pre = form.headers["set-cookie"]
    assert LOGIN_COOKIE in pre and "HttpOnly" in pre and "SameSite=strict" in pre and "Path=/login" in pre
    fields = {"token": tokens["manufacturer"], "next": SUPPLIERS, "lang": "zh", "csrf": csrf_of(form.text)}
    signed = client.post("/login", data=fields, follow_redirects=False)
    assert (signed.status_code, signed.headers["location"]) == (303, SUPPLIERS)
    cookie = signed.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get(SUPPLIERS).status_code == 200  # the cookie now opens the page
    other = client.get(f"/organisations/{RETAILER}/suppliers")
    assert other.status_code == 403  # signed in as the manufacturer, not as the retailer
    # nothing that changes data accepts the cookie
    issue = client.post("/qr/issue", json={"gtin": "06901234000108", "lot": "L1"})
    assert issue.status_code == 401 and issue.headers["content-type"] == "application/problem+json"
    client.post("/logout", follow_redirects=False)
    assert client.get(SUPPLIERS, headers=JSON).status_code == 401


def test_a_bad_token_or_a_foreign_next_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    csrf = csrf_of(client.get("/login").text)
    bad = client.post("/login", data={"token": "sc_nope", "next": "/leader/x", "lang": "en", "csrf": csrf})
    assert bad.status_code == 401 and "unknown or revoked" in bad.text
    assert SESSION_COOKIE not in bad.headers.get("set-cookie", "")
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        fields = {"token": tokens["regulator"], "next": target, "csrf": csrf_of(client.get("/login").text)}
        signed = client.post("/login", data=fields, follow_redirects=False)
        assert signed.headers["location"] == "/login/done", target
    assert client.post("/login", content=b"token=" + b"x" * 5000).status_code == 400
    assert "English" in client.get("/login").text and "中文" in client.get("/login?lang=en").text
    refused = client.get("/login?lang=fr")
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["parameter"] == "lang" and "expected zh-CN" in refused.json()["detail"]
    for spelling, html_lang in (("zh", "zh-CN"), ("zh-CN", "zh-CN"), ("en", "en")):  # one convention, old links work
        assert f'<html lang="{html_lang}">' in client.get(f"/login?lang={spelling}").text, spelling
    client.cookies.clear()
    assert client.get(SUPPLIERS).status_code == 401  # JSON clients get 401


def test_the_sign_in_form_refuses_other_sites(client: TestClient, platform: Platform, tokens: dict[str, str]) -> None:
    form = client.get("/login")
    csrf = csrf_of(form.text)
    good = {"token": tokens["manufacturer"], "next": SUPPLIERS, "csrf": csrf, "lang": "en"}

    def refused(fields: dict[str, str], reason: str, headers: dict[str, str] | None = None) -> None:
        answer = client.post("/login", data=fields, headers=headers, follow_redirects=False)
        assert answer.status_code == 403 and reason in answer.text, answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
        assert csrf_of(answer.text)  # the form again, with a token

    refused({k: v for k, v in good.items() if k != "csrf"}, "no CSRF token")
    version, nonce, mac = csrf.split(".")
    refused(
        {**good, "csrf": f"{version}.{nonce}.{mac[:-1]}A" if mac[-1] != "A" else f"{version}.{nonce}.{mac[:-1]}B"},
        "not valid",
    )
    refused({**good, "csrf": f"{int(version) + 60}.{nonce}.{mac}"}, "not valid")  # a longer life
    refused({**good, "csrf": f"\xb2.{nonce}.{mac}"}, "not valid")
    # signed by this platform, but the form of another browser (the attacker's own form): its nonce is not ours
    _, elsewhere = issue_login_form(platform.session_key, now=int(time.time()))
    refused({**good, "csrf": elsewhere}, "not opened in this browser")
    # from another origin, or said so by the browser
    refused(good, "another origin", {"Origin": "https://evil.example"})
    refused(good, "another origin", {"Origin": "null"})
    refused(good, "another site", {"Sec-Fetch-Site": "cross-site"})
    # without the pre-login cookie
    client.cookies.delete(LOGIN_COOKIE, path="/login")
    refused(good, "not opened in this browser")
    refused({**good, "lang": "zh-CN"}, "表单不是在本浏览器中打开的")  # the reason in the form's language
    # and this browser's own form, from this origin, signs in
    csrf = csrf_of(client.get("/login").text)
    same = {"Origin": str(client.base_url), "Sec-Fetch-Site": "same-origin"}
    signed = client.post("/login", data={**good, "csrf": csrf}, headers=same, follow_redirects=False)
    assert signed.status_code == 303 and SESSION_COOKIE in signed.headers["set-cookie"]


def test_an_expired_sign_in_form_is_refused() -> None:
    key = session_key(b"\x03" * 32)
    nonce, field = issue_login_form(key, now=1000)
    assert login_form_problem(key, field, nonce, now=1000) is None
    assert "expired" in str(login_form_problem(key, field, nonce, now=1000 + 3600))
    assert "not valid" in str(login_form_problem(session_key(b"\x04" * 32), field, nonce, now=1000))
    assert "not opened in this browser" in str(login_form_problem(key, field, "é" * 22, now=1000))


def test_the_cookie_is_a_session_not_the_token(client: TestClient, platform: Platform, tokens: dict[str, str]) -> None:
    cookie = sign_in(client, tokens["manufacturer"])
    assert tokens["manufacturer"] not in cookie and hash_token(tokens["manufacturer"]) not in cookie
    assert client.get(SUPPLIERS).status_code == 200
    # the cookie's value is no API token
    as_bearer = client.get(SUPPLIERS, headers={"Authorization": f"Bearer {cookie}", **JSON})
    assert as_bearer.status_code == 401
    # forged: another session id under the same signature
    version, sid, mac = cookie.split(".")
    for forged in (f"{version}.{sid[:-1]}{'B' if sid[-1] == 'A' else 'A'}.{mac}", f"v1.{sid}.{mac}"):
        client.cookies.set(SESSION_COOKIE, forged)
        refused = client.get(SUPPLIERS, headers=JSON)
        assert refused.status_code == 401 and "sign in again" in refused.json()["detail"]
    with platform.session() as session:
        token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(tokens["manufacturer"]))).one()
        token_id = token.id
        assert token_id is not None
        # expired: made nine hours ago
        old = open_session(session, platform.session_key, token_id, now=int(time.time()) - 9 * 3600)
        # a session made by another platform (another receipt key) is not this one's
        foreign = open_session(session, session_key(b"\x01" * 32), token_id, now=int(time.time()))
    for value in (old, foreign):
        client.cookies.set(SESSION_COOKIE, value)
        assert client.get(SUPPLIERS, headers=JSON).status_code == 401
    # revoking the token ends its sessions
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get(SUPPLIERS).status_code == 200
    with platform.session() as session:
        row = session.get(ApiToken, token_id)
        assert row is not None
        row.revoked_at = 1
        session.add(row)
        session.commit()
    revoked = client.get(SUPPLIERS, headers=JSON)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_a_copied_cookie_stops_working_after_logout(
    client: TestClient, platform: Platform, tokens: dict[str, str]
) -> None:
    cookie = sign_in(client, tokens["manufacturer"])
    with TestClient(client.app) as thief:  # another browser with a copy of the cookie
        thief.cookies.set(SESSION_COOKIE, cookie)
        assert thief.get(SUPPLIERS).status_code == 200
        # signing out from another site is refused, and ends nothing
        forged = client.post("/logout", headers={"Origin": "https://evil.example"}, follow_redirects=False)
        assert forged.status_code == 403 and "表单来自其他来源（&#39;https://evil.example&#39;）" in forged.text
        english = {"Origin": "https://evil.example", "Accept-Language": "en"}
        forged = client.post("/logout", headers=english, follow_redirects=False)
        assert forged.status_code == 403 and "another origin (&#39;https://evil.example&#39;)" in forged.text
        assert thief.get(SUPPLIERS).status_code == 200
        out = client.post("/logout", follow_redirects=False)
        assert (out.status_code, out.headers["location"]) == (303, "/login")
        assert f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
        copied = thief.get(SUPPLIERS, headers=JSON)
        assert copied.status_code == 401 and "ended" in copied.json()["detail"]
    with platform.session() as session:
        rows = session.exec(select(BrowserSession)).all()
        assert len(rows) == 1 and rows[0].revoked_at is not None and rows[0].id != cookie.split(".")[1]
    # a second sign-in is a new session; it works while the ended one stays ended
    again = sign_in(client, tokens["manufacturer"])
    assert again != cookie and client.get(SUPPLIERS).status_code == 200


def test_expired_sessions_are_deleted_a_day_later(platform: Platform, tokens: dict[str, str]) -> None:
    key = platform.session_key
    with platform.session() as session:
        token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(tokens["supplier"]))).one()
        assert token.id is not None
        first = open_session(session, key, token.id, now=1000)
        assert session_token(session, key, first, now=1000) is not None
        assert session_token(session, key, first, now=1000 + 8 * 3600) is None  # expired at its end
        open_session(session, key, token.id, now=1000 + 8 * 3600 + 86_400)  # the first is still kept
        assert len(session.exec(select(BrowserSession)).all()) == 2
        open_session(session, key, token.id, now=1001 + 8 * 3600 + 86_400)
        assert len(session.exec(select(BrowserSession)).all()) == 2  # the first is gone


def test_malformed_sessions_are_refused() -> None:
    key = session_key(b"\x02" * 32)
    sid = "A" * 22
    from backend.services.sessions import _mac

    good = f"v2.{sid}.{_mac(key, f'v2.{sid}')}"
    assert session_id(key, good) == sid
    for bad in ("", "v2", "v1.7.99999999999.x", "v3" + good[2:], good.replace(".", ":"), good + "é", good + ".x"):
        assert session_id(key, bad) is None, bad
    assert session_id(key, f"v2.{'²' * 22}.{good.split('.')[2]}") is None


@pytest.fixture
def served(platform: Platform) -> Iterator[int]:
    """The application on a free port (real HTTP: a test client cannot send a cookie byte that is not UTF-8)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(platform=platform), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(10)


@pytest.mark.parametrize(
    "cookie", [b"v1.\xb2.1.x", b"v1.1.\xb2.x", b"v2.\xb2.x", "v1.\u0661.1.x".encode(), b"\xff" * 40, b"v2..."]
)
def test_a_cookie_with_unicode_digits_is_refused_not_a_500(served: int, cookie: bytes) -> None:
    """Issue 11: ``v1.².…`` passed ``str.isdigit`` and failed on the way to the HMAC: a 500 on any signed-in page."""
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    try:
        connection.putrequest("GET", SUPPLIERS)
        connection.putheader("Accept", "application/json")
        connection.putheader("Cookie", SESSION_COOKIE.encode() + b"=" + cookie)
        connection.endheaders()
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    assert answer.status == 401, body
    assert b"sign in again" in body


def test_the_sign_in_page_in_both_languages_escapes_a_hostile_next(client: TestClient) -> None:
    hostile = '/leader/"><script>alert(1)</script>\u202e'
    zh = client.get("/login", params={"next": hostile})
    en = client.get("/login", params={"next": hostile, "lang": "en"})
    for page, lang, words in ((zh, "zh-CN", "用贵单位的 API 令牌登录"), (en, "en", "Sign in with your organisation")):
        text = page.text
        assert page.status_code == 200 and text.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in text
        assert words in text and '<body class="login">' in text
        assert '<meta name="referrer" content="same-origin">' in text  # no-referrer would post `Origin: null`
        assert "<script>" not in text and "\u202e" not in text
        assert 'value="/leader/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\\u202E"' in text  # shown, not run
        assert f'<input type="hidden" name="lang" value="{lang}">' in text
    # the switch keeps where to go next, as a query value
    switch = "/login?lang=en&amp;next=%2Fleader%2F%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E%E2%80%AE"
    assert f'href="{switch}"' in zh.text
    assert 'hreflang="zh-CN"' in en.text and ">中文</a>" in en.text


def test_signing_in_without_next_lands_on_a_page_in_the_forms_language(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for lang, landing, words in (("en", "/login/done?lang=en", "Signed in."), ("zh", "/login/done", "已登录。")):
        fields = {"token": tokens["manufacturer"], "lang": lang, "csrf": csrf_of(client.get("/login").text)}
        signed = client.post("/login", data=fields, follow_redirects=False)
        assert signed.headers["location"] == landing
        assert words in client.get(landing).text
    fields = {"token": "sc_nope", "lang": "zh-CN", "csrf": csrf_of(client.get("/login").text)}
    wrong = client.post("/login", data=fields)
    assert wrong.status_code == 401 and "令牌无效或已撤销" in wrong.text and '<html lang="zh-CN">' in wrong.text
