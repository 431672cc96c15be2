"""Several hosts on one database share the receipt-signing key through it (``platform_secret``, migration 0011):
receipts, sessions and page tokens signed on one host verify on every other (real SQLite file; PostgreSQL in
tests/backend/test_postgres.py). Two hosts on one PostgreSQL database, each its own data folder and platform: a
browser signed in on one is signed in on the other and signing out on either ends it on both; a consumer's scan
counted through one host is in the other's count."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from backend.api.app import create_app
from backend.api.deps import SESSION_COOKIE
from backend.api.routes.session import LOGIN_COOKIE
from backend.core.config import Settings
from backend.core.devdb import DevPostgres
from backend.services.platform import Platform
from chain.connection import TESTER_URL
from tests.backend.test_product_page import GTIN
from tests.chains import MANUFACTURER, RETAILER, CastChain

JSON = {"Accept": "application/json"}
SUPPLIERS = f"/organisations/{MANUFACTURER}/suppliers"


def host(tmp_path: Path, name: str, database_url: str) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / name,
        database_url=database_url,
        rpc_url=TESTER_URL,
        run_worker=False,
        capture_workers=0,
    )


def test_hosts_with_their_own_data_folders_sign_with_one_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first = Platform.open(host(tmp_path, "a", url))
    second = Platform.open(host(tmp_path, "b", url))
    try:
        assert first.receipt_key.public_key_bytes == second.receipt_key.public_key_bytes
        assert first.session_key == second.session_key
        assert (tmp_path / "a" / "keys" / "platform-receipts.key").exists()
        assert not (tmp_path / "b" / "keys" / "platform-receipts.key").exists()  # host b never made its own
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_an_existing_platform_keeps_its_data_folders_key(tmp_path: Path) -> None:
    key_file = tmp_path / "a" / "keys" / "platform-receipts.key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text("42" * 32 + "\n", encoding="ascii")
    platform = Platform.open(host(tmp_path, "a", f"sqlite:///{tmp_path / 'old.db'}"))
    try:
        assert platform.receipt_key.private_bytes() == b"\x42" * 32
        with platform.engine.connect() as connection:
            stored = connection.execute(text("SELECT value FROM platform_secret WHERE name = 'receipt_key'")).scalar()
        assert stored == "42" * 32
    finally:
        platform.engine.dispose()


def test_a_data_folder_with_another_key_is_told_and_the_databases_key_is_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    Platform.open(host(tmp_path, "a", url)).engine.dispose()
    other = tmp_path / "b" / "keys" / "platform-receipts.key"
    other.parent.mkdir(parents=True)
    other.write_text("07" * 32 + "\n", encoding="ascii")
    with caplog.at_level(logging.WARNING):
        platform = Platform.open(host(tmp_path, "b", url))
    try:
        assert platform.receipt_key.private_bytes() != b"\x07" * 32
        assert "differs from the receipt key the platform's database holds" in caplog.text
    finally:
        platform.engine.dispose()


@pytest.mark.parametrize("damaged", ["not hex", "42" * 31, ""])
def test_a_damaged_stored_key_stops_the_start_saying_so(tmp_path: Path, damaged: str) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    Platform.open(host(tmp_path, "a", url)).engine.dispose()
    platform = Platform.open(host(tmp_path, "a", url))
    with platform.engine.begin() as connection:
        connection.execute(text("UPDATE platform_secret SET value = :v"), {"v": damaged})
    platform.engine.dispose()
    with pytest.raises(RuntimeError, match=r"the stored receipt key \(platform_secret 'receipt_key'\) is damaged"):
        Platform.open(host(tmp_path, "a", url))


# --- several hosts on PostgreSQL: what one host records, every other host sees ---


class Host(NamedTuple):
    """One host: its platform and an HTTP client reaching it."""

    platform: Platform
    client: TestClient


@pytest.fixture
def two_hosts(postgres: DevPostgres, cast_chain: CastChain, tmp_path: Path) -> Iterator[tuple[Host, Host]]:
    """Hosts A and B: each its own data folder and :class:`Platform`, one PostgreSQL database, one chain (the
    registry with the cast); each behind a reverse proxy whose ``X-Forwarded-For`` it believes (as ``serve`` runs
    behind a load balancer), reached over HTTP by a client of its own (its own cookie jar)."""
    url = postgres.create_database()
    chain = cast_chain.fresh(tmp_path / "a" / "deployment.json")
    cast_chain.deployment.save(tmp_path / "b" / "deployment.json")
    platforms = [Platform.open(host(tmp_path, name, url), chain=chain) for name in ("a", "b")]
    try:
        with ExitStack() as stack:
            apps = [ProxyHeadersMiddleware(create_app(platform=p), trusted_hosts="*") for p in platforms]  # type: ignore[arg-type]
            a, b = (Host(p, stack.enter_context(TestClient(app))) for p, app in zip(platforms, apps, strict=True))  # type: ignore[arg-type]
            yield a, b
    finally:
        for p in platforms:
            p.close()


def sign_in(form_host: TestClient, post_host: TestClient, token: str) -> str:
    """Open the sign-in page on one host and send its form to another, as a browser behind a load balancer may; the
    session cookie's value."""
    form = form_host.get("/login", params={"next": SUPPLIERS})
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found is not None, form.text
    post_host.cookies.set(LOGIN_COOKIE, str(form_host.cookies[LOGIN_COOKIE]), path="/login")
    fields = {"token": token, "next": SUPPLIERS, "lang": "en", "csrf": found.group(1)}
    signed = post_host.post("/login", data=fields, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return str(post_host.cookies[SESSION_COOKIE])


@pytest.mark.xdist_group("postgres")
def test_a_browser_session_made_on_one_host_is_accepted_and_ended_on_another_on_postgresql(
    two_hosts: tuple[Host, Host],
) -> None:
    (platform, a), (_, b) = two_hosts
    token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
    cookie = sign_in(b, a, token)  # the form from host B, sent to host A
    assert a.get(SUPPLIERS, headers=JSON).status_code == 200
    b.cookies.set(SESSION_COOKIE, cookie)  # the load balancer sends the browser's next request to host B
    assert b.get(SUPPLIERS, headers=JSON).status_code == 200
    assert b.get(f"/organisations/{RETAILER}/suppliers", headers=JSON).status_code == 403  # as on host A
    signed_out = b.post("/logout", follow_redirects=False)
    assert signed_out.status_code == 303
    assert a.get(SUPPLIERS, headers=JSON).status_code == 401  # host A holds a copy of the cookie: it no longer works
    assert b.get(SUPPLIERS, headers=JSON).status_code == 401


@pytest.mark.xdist_group("postgres")
def test_scans_counted_on_one_host_show_in_another_hosts_count_on_postgresql(
    two_hosts: tuple[Host, Host],
) -> None:
    (platform, a), (_, b) = two_hosts
    token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
    bearer = {"Authorization": f"Bearer {token}"}
    issued = a.post("/qr/issue", json={"gtin": GTIN, "lot": "H-LOT", "serials": ["H-1"]}, headers=bearer)
    assert issued.status_code == 201, issued.text
    path = f"/01/{GTIN}/10/H-LOT/21/H-1"

    def look_up(client: TestClient, address: str) -> None:
        answer = client.get(path, headers={"Accept": "text/html", "X-Forwarded-For": address})
        assert answer.status_code == 200, answer.text

    def count(client: TestClient) -> tuple[int, int]:
        answer = client.get("/copy-checks", params={"gtin": GTIN, "serial": "H-1"}, headers=bearer)
        assert answer.status_code == 200, answer.text
        return answer.json()["lookUps"], answer.json()["networks"]

    assert count(a) == count(b) == (0, 0)
    look_up(a, "58.213.4.20")
    assert count(b) == (1, 1)  # counted through host A, seen by host B
    look_up(b, "117.136.12.40")
    assert count(a) == count(b) == (2, 2)
    # the same network again that day, through the other host: one network, once a day, whichever host it reaches
    # (both hash its address with the salt derived from the one shared receipt key)
    look_up(b, "58.213.4.21")
    assert count(a) == count(b) == (2, 2)
