"""The copied-code hint ("possibly a copied code") against cheap abuse, and a real clone pattern.

Every look-up goes through the real page over HTTP, from the address a reverse proxy reports (uvicorn's
``ProxyHeadersMiddleware``, as ``supplychain serve --forwarded-allow-ips`` runs it), with the page's clock set to when
the look-up happens: a burst is a minute, a clone's spread is weeks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from backend.api.app import create_app
from backend.api.routes import copies
from backend.services import product_html, scans
from backend.services.platform import Platform
from backend.services.qr import CodeKey
from backend.services.scans import (
    SCAN_DAY_BLOCKS,
    SCAN_WARN_BLOCKS,
    SCAN_WINDOW_DAYS,
    count_scans,
    origin_of,
    record_scan,
    scan_salt,
)
from tests.backend.test_product_page import GTIN, HTML, page
from tests.backend.test_qr import bearer, problem
from tests.chains import MANUFACTURER

LOT = "C-LOT1"
SERIALS = ["C-1", "C-2", "C-3", "C-4", "C-5", "C-6"]
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000
BEIJING = timezone(timedelta(hours=8))
T0 = int(datetime(2026, 11, 2, 9, 0, tzinfo=BEIJING).timestamp() * 1000)
"""A Monday, 09:00 in Beijing: the genuine items were sold that morning."""

LookUp = Callable[..., str]


@pytest.fixture
def look_up(platform: Platform, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[LookUp]:
    """``look_up(serial, host, at_ms, lang=None)``: the product page of a serial as a person at ``host`` sees it at
    ``at_ms`` (the maker issued serials C-1..C-6 of lot C-LOT1 beforehand)."""
    app = ProxyHeadersMiddleware(create_app(platform=platform), trusted_hosts="*")  # type: ignore[arg-type]
    with TestClient(app) as client:  # type: ignore[arg-type]
        issued = client.post(
            "/qr/issue", json={"gtin": GTIN, "lot": LOT, "serials": SERIALS}, headers=bearer(tokens, "manufacturer")
        )
        assert issued.status_code in (200, 201), issued.text

        def look(serial: str, host: str, at_ms: int, lang: str | None = None) -> str:
            monkeypatch.setattr(product_html, "now_ms", lambda: at_ms)
            params = {"lang": lang} if lang else None
            answer = client.get(
                f"/01/{GTIN}/10/{LOT}/21/{serial}", params=params, headers={**HTML, "X-Forwarded-For": host}
            )
            return page(answer, lang="en" if lang == "en" else "zh-CN")

        yield look


def flagged(text: str) -> bool:
    return 'id="cloned"' in text


# --- cheap abuse does not flag a genuine serial ---


def test_twenty_look_ups_from_twenty_networks_within_a_minute_do_not_flag_a_genuine_serial(look_up: LookUp) -> None:
    # one attacker with twenty cloud or VPN addresses, each in another /16, fires at a serial it read off a real item
    for n in range(20):
        look_up("C-1", f"{20 + n}.{40 + n}.7.9", T0 + n * 3000)
    consumer = look_up("C-1", "117.136.12.40", T0 + MINUTE)  # the buyer looks it up right after
    assert not flagged(consumer)


def test_bursts_on_three_days_do_not_flag_a_genuine_serial(look_up: LookUp) -> None:
    # the same attacker comes back on each of three days with twenty more networks
    for day in range(3):
        for n in range(20):
            look_up("C-2", f"{20 + n + 20 * day}.{day}.3.{n + 1}", T0 + day * DAY + n * 1000)
    assert not flagged(look_up("C-2", "117.136.12.40", T0 + 3 * DAY))


def test_one_network_looking_up_a_serial_all_day_does_not_flag_it(look_up: LookUp) -> None:
    # a script, or a shop's display item scanned by customer after customer on the shop's Wi-Fi
    for n in range(40):
        text = look_up("C-3", "58.213.4.20", T0 + n * 11 * MINUTE)
    assert not flagged(text)


def test_a_genuine_items_month_does_not_flag_it(look_up: LookUp) -> None:
    # bought at a shop, looked up at home and on the phone, whose address hops through its carrier's pool, then given
    # to someone in another city who looks it up at home and on their phone
    looks = [(0, "58.213.4.20"), (0, "117.136.12.40"), (1, "114.222.9.81")]
    looks += [(d, f"117.136.{40 + 9 * d}.{d}") for d in (3, 5, 7, 10, 12, 14, 17)]  # the phone, 7 more /24s
    looks += [(d, f"117.137.{d}.{d}") for d in (8, 16)]
    looks += [(20, "221.226.7.3"), (20, "223.104.3.77"), (24, "221.226.7.3"), (29, "223.104.9.12")]
    for day, host in looks:
        text = look_up("C-4", host, T0 + day * DAY + 11 * HOUR)
    assert not flagged(text)


# --- a clone is still flagged ---


def _clone_look_ups(serial: str, days: int) -> Iterator[tuple[int, int, str]]:
    """The same serial printed on many fakes, sold in ten cities from the day after the genuine item was sold: two to
    four buyers a day look it up, each on their own network (cities and carriers apart: other /16s)."""
    cities = [(36, 152), (39, 144), (61, 140), (101, 86), (112, 96), (113, 57), (119, 123), (120, 229), (183, 14)]
    cities += [(222, 90)]
    n = 0
    for day in range(1, days + 1):
        for k in range(2 + day % 3):
            a, b = cities[(day * 3 + k) % len(cities)]
            yield day, T0 + day * DAY + (9 + 3 * k) * HOUR, f"{a}.{b + k + day}.{(7 * day + 13 * k) % 250}.{k + 10}"
            n += 1


def test_a_clone_sold_in_many_cities_over_weeks_is_flagged(look_up: LookUp) -> None:
    first_warning = None
    for day, at, host in _clone_look_ups("C-5", 21):
        if flagged(look_up("C-5", host, at)) and first_warning is None:
            first_warning = day
    # it takes a few days of spread for the hint to appear, then it stays
    assert first_warning is not None and 4 <= first_warning <= 7, first_warning
    assert flagged(look_up("C-5", "180.101.49.12", T0 + 22 * DAY))


def test_a_flood_does_not_hide_a_clone(look_up: LookUp, monkeypatch: pytest.MonkeyPatch) -> None:
    # the counterfeiter floods its copied serial from many networks of one block, to push the fakes' look-ups out of
    # what a page reads (fewer here than the real limit, so that a few hundred look-ups would be enough)
    monkeypatch.setattr(scans, "SCAN_READ_LIMIT", 50)
    for _, at, host in _clone_look_ups("C-6", 14):
        look_up("C-6", host, at)
    for n in range(300):
        look_up("C-6", f"47.96.{n % 250}.{n // 250 + 1}", T0 + 15 * DAY + n * 1000)
    assert flagged(look_up("C-6", "180.101.49.12", T0 + 15 * DAY + HOUR))


# --- the issuer checks ---


def _campaign(look_up: LookUp, serial: str, start: int, days: int = 5) -> str:
    """A patient attacker: a burst from twenty addresses in twenty blocks each day, ``days`` days running."""
    text = ""
    for day in range(days):
        for n in range(20):
            text = look_up(serial, f"{30 + n + 20 * day}.{day + 1}.2.3", start + day * DAY + n * 1000)
    return text


def check(client: TestClient, tokens: dict[str, str], who: str | None, **body: object) -> Response:
    """``POST /copy-checks`` of a serial of :data:`GTIN` (``who=None``: without a token)."""
    headers = bearer(tokens, who) if who else {}
    return client.post("/copy-checks", json={"gtin": GTIN, **body}, headers=headers)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Set the time the copy-check routes see (ms)."""

    def set_to(at_ms: int) -> None:
        monkeypatch.setattr(copies, "now_ms", lambda: at_ms)

    return set_to


def test_a_patient_attacker_raises_the_hint_and_the_issuer_clears_it(
    look_up: LookUp, client: TestClient, tokens: dict[str, str], clock: Callable[[int], None]
) -> None:
    # five days of bursts from a hundred addresses in a hundred blocks: what the rule cannot tell from a clone
    assert flagged(_campaign(look_up, "C-1", T0))
    clock(T0 + 5 * DAY)
    evidence = client.get(
        "/copy-checks", params={"gtin": GTIN, "serial": "C-1"}, headers=bearer(tokens, "manufacturer")
    )
    assert evidence.status_code == 200, evidence.text
    assert evidence.json() | {"firstAt": None} == {
        "gtin": GTIN,
        "serial": "C-1",
        "lot": LOT,
        "hint": "suspected",
        "lookUps": 100,
        "networks": 100,
        "blocks": 15,
        "blocksNeeded": SCAN_WARN_BLOCKS,
        "blocksPerDay": SCAN_DAY_BLOCKS,
        "days": 5,
        "windowDays": SCAN_WINDOW_DAYS,
        "firstAt": None,
        "check": None,
    }
    assert evidence.json()["firstAt"] == T0
    note = "售出于 2026-11-02，买家仍持有 / sold on 2026-11-02, the buyer still has it"
    cleared = check(client, tokens, "manufacturer", serial="C-1", state="cleared", note=note)
    assert cleared.status_code == 201, cleared.text
    assert cleared.json() == {
        "id": cleared.json()["id"],
        "gtin": GTIN,
        "serial": "C-1",
        "state": "cleared",
        "note": note,
        "checkedBy": MANUFACTURER,
        "checkedAt": T0 + 5 * DAY,
    }
    text = look_up("C-1", "117.136.12.40", T0 + 5 * DAY + HOUR)
    assert not flagged(text) and "发码企业已于 2026-11-07" in text and "此前的查询不再计入提示" in text
    assert note not in text  # the note is for the record, not for the page
    assert "<dt>计入提示的网段</dt><dd>1 / 12</dd>" in text
    english = look_up("C-1", "117.136.12.40", T0 + 5 * DAY + HOUR, lang="en")
    assert "The organisation that issued it checked this serial on 2026-11-07" in english
    # the same campaign again after the check raises the hint again: the issuer must check again
    assert flagged(_campaign(look_up, "C-1", T0 + 6 * DAY))


def test_the_issuer_confirms_a_copy_and_the_page_says_so_at_once(
    look_up: LookUp, client: TestClient, tokens: dict[str, str], clock: Callable[[int], None]
) -> None:
    assert not flagged(look_up("C-2", "117.136.12.40", T0))
    clock(T0 + HOUR)
    confirmed = check(client, tokens, "manufacturer", serial="C-2", state="copied", note="fakes seized in Wuxi")
    assert confirmed.status_code == 201 and confirmed.json()["state"] == "copied"
    text = look_up("C-2", "117.136.12.40", T0 + 2 * HOUR)
    assert 'id="cloned"' in text and 'data-reason="confirmed"' in text
    assert (
        "已确认：此二维码被复制" in text
        and "发码企业已于 2026-11-02 10:00 确认此序列号的二维码被复制到仿冒品上" in text
    )
    english = look_up("C-2", "117.136.12.40", T0 + 2 * HOUR, lang="en")
    assert "Confirmed: this code has been copied" in english
    assert "The organisation that issued it confirmed on 2026-11-02 10:00" in english
    assert look_up("C-3", "117.136.12.40", T0 + 2 * HOUR).count('id="cloned"') == 0  # that serial only


def test_the_regulator_may_check_any_serial(
    look_up: LookUp, client: TestClient, tokens: dict[str, str], clock: Callable[[int], None]
) -> None:
    look_up("C-4", "117.136.12.40", T0)
    clock(T0 + DAY)
    answer = check(client, tokens, "regulator", serial="C-4", state="copied")
    assert answer.status_code == 201 and answer.json()["checkedBy"] == "regulator"
    assert "监管部门已于 2026-11-03 09:00 确认" in look_up("C-4", "117.136.12.40", T0 + DAY + HOUR)
    clock(T0 + 2 * DAY)
    evidence = client.get("/copy-checks", params={"gtin": GTIN, "serial": "C-4"}, headers=bearer(tokens, "regulator"))
    assert evidence.json()["hint"] == "confirmed" and evidence.json()["check"]["checkedBy"] == "regulator"
    assert evidence.json()["lookUps"] == 2  # reading the evidence is no look-up


# --- the routes refuse what they must ---


@pytest.mark.usefixtures("look_up")
@pytest.mark.parametrize(
    ("who", "body", "status", "detail"),
    [
        (None, {"serial": "C-1", "state": "copied"}, 401, "send an API token"),
        ("supplier", {"serial": "C-1", "state": "copied"}, 403, "GTIN {gtin} belongs to organisation 6901234000016"),
        ("manufacturer", {"serial": "C-99", "state": "copied"}, 404, "serial 'C-99' of GTIN {gtin} was not issued"),
        ("manufacturer", {"serial": "C-1", "state": "genuine"}, 422, "body.state: Input should be 'copied' or"),
        ("manufacturer", {"serial": "C-1"}, 422, "body.state: Field required"),
        ("manufacturer", {"state": "copied"}, 422, "body.serial: Field required"),
        ("manufacturer", {"serial": "C 1", "state": "copied"}, 422, "body.serial: Value error"),
        ("manufacturer", {"serial": "C-1", "state": "copied", "note": "x" * 501}, 422, "body.note: String should"),
        (
            "manufacturer",
            {"serial": "C-1", "state": "copied", "note": "a\u202eb"},
            422,
            "body.note: Value error, control character U+202E at 1",
        ),
        ("manufacturer", {"serial": "C-1", "state": "copied", "lot": "C-LOT1"}, 422, "body.lot: Extra inputs"),
        ("manufacturer", {"serial": "C-1", "state": "copied", "gtin": "06901234000109"}, 422, "body.gtin: Value error"),
    ],
)
def test_a_check_is_refused(
    client: TestClient, tokens: dict[str, str], who: str | None, body: dict[str, object], status: int, detail: str
) -> None:
    found = problem(check(client, tokens, who, **body), status)
    assert str(found["detail"]).startswith(detail.format(gtin=GTIN)), found
    if status == 422:
        assert found["errors"]


@pytest.mark.usefixtures("look_up")
@pytest.mark.parametrize(
    ("who", "params", "status", "detail"),
    [
        (None, {"gtin": GTIN, "serial": "C-1"}, 401, "send an API token"),
        ("retailer", {"gtin": GTIN, "serial": "C-1"}, 403, f"GTIN {GTIN} belongs to organisation 6901234000016"),
        ("manufacturer", {"gtin": GTIN, "serial": "NOPE"}, 404, f"serial 'NOPE' of GTIN {GTIN} was not issued"),
        ("manufacturer", {"gtin": GTIN[:-1] + "0", "serial": "C-1"}, 400, "gtin: "),
        ("manufacturer", {"gtin": GTIN, "serial": "x" * 21}, 400, "serial: "),
        ("manufacturer", {"gtin": GTIN}, 422, "query.serial: Field required"),
    ],
)
def test_evidence_is_refused(
    client: TestClient, tokens: dict[str, str], who: str | None, params: dict[str, str], status: int, detail: str
) -> None:
    headers = bearer(tokens, who) if who else {}
    found = problem(client.get("/copy-checks", params=params, headers=headers), status)
    assert str(found["detail"]).startswith(detail), found
    if status == 400:
        assert found["parameter"] == detail.split(":", maxsplit=1)[0]


def test_unreadable_and_oversized_bodies_are_refused(client: TestClient, tokens: dict[str, str]) -> None:
    headers = {**bearer(tokens, "manufacturer"), "Content-Type": "application/json"}
    truncated = problem(client.post("/copy-checks", content=b'{"gtin": ', headers=headers), 422)
    assert truncated["detail"] == "body.9: JSON decode error"
    not_utf8 = problem(client.post("/copy-checks", content=b'{"gtin": "\xff"}', headers=headers), 400)
    assert str(not_utf8["detail"]).startswith("the body is not UTF-8: byte 10 is 0xff")
    assert problem(client.post("/copy-checks", content=b"[]", headers=headers), 422)["detail"].startswith("body: ")
    huge = b'{"gtin": "' + b"0" * 2_000_000 + b'"}'
    too_large = problem(client.post("/copy-checks", content=huge, headers=headers), 413)
    assert too_large["limit"] == "max_body_bytes"


# --- what a page costs, and what it shows of the counts ---


@pytest.mark.parametrize(("serial", "index"), [("C-1", "ix_scan_serial"), (None, "ix_scan_code")])
def test_counting_reads_the_scans_through_an_index(platform: Platform, serial: str | None, index: str) -> None:
    """Every query the page's counting makes is an index search (no scan of the table), and a serial's newest scans
    come from its covering index alone: however many scans a popular code has, a page reads at most the limit."""
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    salt = scan_salt(b"plan")
    key = CodeKey(GTIN, LOT, serial)
    with platform.session() as session:
        for n in range(30):
            record_scan(session, key, LOT, origin_of(f"10.{n}.0.1", salt), T0 + n * HOUR, block=f"{n:016x}")
    event.listen(platform.engine, "before_cursor_execute", seen)
    try:
        with platform.session() as session:
            count_scans(session, key, LOT, origin_of("10.99.0.1", salt), T0 + DAY, block="f" * 16)
    finally:
        event.remove(platform.engine, "before_cursor_execute", seen)
    reads = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == (3 if serial else 2)  # the newest scans, the first scan, (a serial's) latest check
    with platform.engine.connect() as connection:
        plans = [
            " | ".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p)) for s, p in reads
        ]
    assert all("SEARCH" in plan and not re.search(r"\bSCAN (scan|copy_check)\b", plan) for plan in plans), plans
    assert f"USING {'COVERING ' if serial else ''}INDEX {index}" in plans[0], plans[0]
    assert "LIMIT" in reads[0][0].upper()


def test_the_first_look_up_and_a_capped_count_are_shown(look_up: LookUp, monkeypatch: pytest.MonkeyPatch) -> None:
    first = look_up("C-3", "117.136.12.40", T0)
    assert "这是该码的首次查询" in first and "<dt>查询次数</dt><dd>1</dd>" in first
    again = look_up("C-3", "117.136.12.41", T0 + MINUTE)  # a reload, the same network: still the only one
    assert "这是该码的首次查询" in again and "<dt>查询次数</dt><dd>1</dd>" in again
    other = look_up("C-3", "58.213.4.20", T0 + HOUR)
    assert "这是该码的首次查询" not in other and "<dt>查询网络数</dt><dd>2</dd>" in other
    monkeypatch.setattr(scans, "SCAN_READ_LIMIT", 3)
    for day in range(1, 4):
        text = look_up("C-3", "58.213.4.20", T0 + day * DAY)
    assert "<dt>查询次数</dt><dd>4+</dd>" in text  # it read no more than the limit (and this one), and says so
