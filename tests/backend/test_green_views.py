"""The leader's view and the authorities' view over HTTP, on the in-process chain with a three-level product whose raw
material supplier is suspended half-way (tests.backend.green_chain).

The story is built once per module (``shared``) for the tests that only read; tests that write to the chain build
their own on the function-scoped platform.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update

from backend.api.app import create_app
from backend.core.config import Settings
from backend.models import Event, table_of
from backend.services.green_views import iso
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.connection import TESTER_URL
from supplychain.audit import EventChecker
from tests.backend.green_chain import B_ID, C_ID, GreenChain, build
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER, cast
from tests.supplychain.factories import gln

UNKNOWN_ORG = gln("6909999")
P_GTIN = "06901234400014"


@dataclass
class Shared:
    """One platform with the story, its client and the cast's tokens."""

    platform: Platform
    client: TestClient
    tokens: dict[str, str]
    story: GreenChain


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("green") / "data",
        rpc_url=TESTER_URL,
        run_worker=False,
        public_base_url="https://qr.example.cn",
    )
    platform = Platform.open(settings)
    cast(platform.registry.registry.as_signer(dev_account("regulator").account))
    platform.registry.refresh(force=True)
    story = build(platform)
    tokens = {
        "manufacturer": platform.issue_token(org_id=MANUFACTURER, role="organisation"),
        "supplier": platform.issue_token(org_id=SUPPLIER, role="organisation"),
        "retailer": platform.issue_token(org_id=RETAILER, role="organisation"),
        "regulator": platform.issue_token(org_id=None, role="regulator"),
    }
    with TestClient(create_app(platform=platform)) as client:
        yield Shared(platform, client, tokens, story)
    platform.close()


@pytest.fixture
def story(platform: Platform) -> GreenChain:
    """The story on the function-scoped platform (for tests that write to the chain)."""
    return build(platform)


def bearer(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


def ok(response: Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def problem(response: Response, status: int, parameter: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    if parameter is not None:
        assert body["parameter"] == parameter, body
    return body


def page(response: Response, lang: str = "zh-CN") -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = response.text
    assert text.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    return text


# --- the qualified-supplier list ---


def test_the_qualified_supplier_list_puts_recognised_green_factories_first(shared: Shared) -> None:
    client, tokens, story = shared.client, shared.tokens, shared.story
    a = story.recognitions["A"]
    body = ok(client.get(f"/organisations/{MANUFACTURER}/suppliers", headers=bearer(tokens, "manufacturer")))
    assert body["organisation"] == MANUFACTURER and body["rule"]["code"] == "prefer-recognised-green-factories"
    assert "优先纳入绿色工厂为合格供应商" in body["rule"]["zh"] and "receiving events" in body["howFound"]
    order = [(s["rank"], s["organisationId"], s["preference"], s["preferred"]) for s in body["suppliers"]]
    assert order == [
        (1, C_ID, "preferred", True),
        (2, SUPPLIER, "review", False),
        (3, B_ID, "not_recognised", False),
    ]
    c, a_supplier, b = body["suppliers"]
    (c_rec,) = c["recognitions"]
    assert (c_rec["level"], c_rec["status"], c_rec["expiresInDays"], c_rec["warnings"]) == (
        "city",
        "in_force",
        60,
        ["expires_soon"],
    )
    assert [(s["identifier"], s["green"], s["quantity"], s["uom"]) for s in c["supplies"]] == [
        (story.ids["H1"], True, 100, "H87"),
        (story.ids["H2"], True, 100, "H87"),
    ]
    assert c["supplies"][0]["receivedIn"] == story.hash("receive H1")
    assert c["supplies"][0]["consumedIn"] == [story.hash("make L1"), story.hash("make L2")]
    assert (c["greenSupplies"], c["supplyCount"], c["warnings"]) == (2, 2, ["expires_soon"])
    assert a_supplier["region"] == {"division": "320200", "province": "32", "nameZh": "江苏省", "nameEn": "Jiangsu"}
    assert a_supplier["warnings"] == ["suspended", "lapsed_since_supply", "spot_check_failed"]
    (a_rec,) = a_supplier["recognitions"]
    assert (a_rec["status"], a_rec["statusAtLastSupply"], a_rec["statusSince"]) == (
        "suspended",
        "in_force",
        iso(story.times["lapse"]),
    )
    assert [c["passed"] for c in a_rec["spotChecks"]] == [False]
    assert a_rec["changes"][0]["reason"] == "spot_check_failed"
    (s1,) = a_supplier["supplies"]
    assert (s1["identifier"], s1["green"], s1["recognitions"], s1["basis"]) == (story.ids["S1"], True, [a], "shipping")
    assert s1["citedRecognition"] == {"recognitionId": a, "statusAtCapture": "IN_FORCE"}
    assert b["supplies"][0]["citedRecognition"] is None and b["recognitions"] == []
    assert body["unknownOrigin"] == [] and body["truncated"] is False
    regulator = ok(client.get(f"/organisations/{MANUFACTURER}/suppliers", headers=bearer(tokens, "regulator")))
    assert regulator["suppliers"] == body["suppliers"]
    later = ok(
        client.get(
            f"/organisations/{MANUFACTURER}/suppliers", params={"warnDays": "30"}, headers=bearer(tokens, "regulator")
        )
    )
    assert later["suppliers"][0]["warnings"] == [] and later["warnDays"] == 30


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({"recognition_status": "REVOKED"}, "status at the event time 'REVOKED', on chain 'IN_FORCE'"),
        ({"recognition_id": None, "recognition_status": None}, "recognition None, signed"),
        ({"recognition_id": 999}, "recognition 999, signed"),
    ],
)
def test_the_leader_sees_the_cited_recognition_as_signed_whatever_the_stored_columns_say(
    shared: Shared, values: dict[str, Any], shown: str
) -> None:
    client, platform, tokens, story = shared.client, shared.platform, shared.tokens, shared.story
    a, ship = story.recognitions["A"], story.hash("ship S1")
    url, regulator = f"/organisations/{MANUFACTURER}/suppliers", bearer(tokens, "regulator")
    report = ("/reports/green-supply-chain", {"organisation": MANUFACTURER})
    true = {"recognitionId": a, "statusAtCapture": "IN_FORCE"}  # A's recognition was suspended after S1 shipped

    def shown_cited() -> tuple[Any, Any]:
        body = ok(client.get(url, headers=regulator))
        (supply,) = next(s for s in body["suppliers"] if s["organisationId"] == SUPPLIER)["supplies"]
        inputs = ok(client.get(report[0], params=report[1], headers=regulator))["inputs"]
        detail = ok(client.get(f"/events/{ship}"))["recognition"]
        assert detail == {"id": true["recognitionId"], "statusAtCapture": true["statusAtCapture"]}
        return supply["citedRecognition"], next(i for i in inputs if i["suppliedBy"] == ship)["citedRecognition"]

    assert shown_cited() == (true, true)
    events = table_of(Event)
    with platform.session() as session:  # the store edited behind the platform's back
        stored = session.execute(
            select(events.c.recognition_id, events.c.recognition_status).where(events.c.hash_id == ship)
        ).one()
        session.execute(update(events).where(events.c.hash_id == ship).values(**values))
        session.commit()
    try:
        assert shown_cited() == (true, true)  # derived from the signed document and the registry's history
        exported = ok(client.get("/export/events", headers=regulator))["items"]
        record = next(r for r in exported if r["hashId"] == ship)
        checked = EventChecker(platform.registry.refresh(force=True)).check(record)
        (mismatch,) = [f for f in checked.findings if f.code == "column_mismatch"]  # and the audit says so
        assert shown in mismatch.message and mismatch.organisation is None
    finally:
        with platform.session() as session:
            session.execute(update(events).where(events.c.hash_id == ship).values(**stored._asdict()))
            session.commit()


def test_refusals_of_the_leader_routes(shared: Shared) -> None:
    client, tokens = shared.client, shared.tokens
    url = f"/organisations/{MANUFACTURER}/suppliers"
    problem(client.get(url), 401)
    body = problem(client.get(url, headers=bearer(tokens, "retailer")), 403)
    assert RETAILER in body["detail"] and MANUFACTURER in body["detail"]
    problem(client.get(f"/leader/{MANUFACTURER}", headers=bearer(tokens, "supplier")), 403)
    report = "/reports/green-supply-chain"
    problem(client.get(report, params={"organisation": MANUFACTURER}, headers=bearer(tokens, "supplier")), 403)
    unknown = problem(client.get(f"/organisations/{UNKNOWN_ORG}/suppliers", headers=bearer(tokens, "regulator")), 404)
    assert unknown["organisation"] == UNKNOWN_ORG and "not registered" in unknown["detail"]
    problem(client.get(report, params={"organisation": UNKNOWN_ORG}, headers=bearer(tokens, "regulator")), 404)
    problem(client.get(f"/leader/{UNKNOWN_ORG}", headers=bearer(tokens, "regulator")), 404)
    bad = problem(client.get("/organisations/6901234000017/suppliers", headers=bearer(tokens, "regulator")), 400, "org")
    assert "check digit" in bad["detail"]
    problem(
        client.get(report, params={"organisation": "123"}, headers=bearer(tokens, "regulator")), 400, "organisation"
    )
    problem(client.get(url, params={"warnDays": "-1"}, headers=bearer(tokens, "manufacturer")), 400, "warnDays")
    problem(client.get(report, headers=bearer(tokens, "manufacturer")), 422)  # organisation is required


@pytest.mark.parametrize(
    ("params", "parameter", "says"),
    [
        ({"from": "2026-13-01"}, "from", "not a calendar date"),
        ({"to": "yesterday"}, "to", "expected a date"),
        ({"from": "2026-01-01T00:00:00"}, "from", "needs a time zone"),
        ({"from": "2026-03-01", "to": "2026-01-31"}, "to", "the period is empty"),
        ({"from": "2000-01-01", "to": "2026-01-01"}, "from", "at most 3660"),
        ({"format": "xml"}, "format", "json or html"),
        ({"lang": "fr", "format": "html"}, "lang", "expected zh-CN"),
    ],
)
def test_bad_periods_and_formats_name_the_parameter(
    shared: Shared, params: dict[str, str], parameter: str, says: str
) -> None:
    client, tokens = shared.client, shared.tokens
    response = client.get(
        "/reports/green-supply-chain",
        params={"organisation": MANUFACTURER, **params},
        headers=bearer(tokens, "manufacturer"),
    )
    assert says in problem(response, 400, parameter)["detail"]


# --- the report ---


def test_the_report_rolls_the_green_share_up_three_levels(shared: Shared) -> None:
    client, tokens, story = shared.client, shared.tokens, shared.story
    url, headers = "/reports/green-supply-chain", bearer(tokens, "manufacturer")
    body = ok(client.get(url, params={"organisation": MANUFACTURER}, headers=headers))
    lots = {lot["identifier"]: lot for lot in body["lots"]}
    assert list(lots) == [story.ids["L1"], story.ids["L2"]]  # the lots stand for their serials
    l1, l2 = lots[story.ids["L1"]], lots[story.ids["L2"]]
    assert (l1["share"], l1["shareExact"], l1["unit"], l1["madeIn"]) == (0.75, "3/4", "H87", story.hash("make L1"))
    assert (l2["share"], l2["shareExact"], l2["greenQuantity"], l2["totalQuantity"]) == (0.375, "3/8", 37.5, 100)
    h1, h2 = l2["inputs"]
    assert (h1["identifier"], h1["status"], h1["rolledUp"]["shareExact"]) == (story.ids["H1"], "rolled_up", "3/4")
    assert (h2["identifier"], h2["rolledUp"]["shareExact"], h2["greenQuantity"]) == (story.ids["H2"], "0/1", 0)
    s2 = next(i for i in h2["rolledUp"]["inputs"] if i["identifier"] == story.ids["S2"])
    assert (s2["supplier"], s2["status"], s2["recognitions"]) == (SUPPLIER, "not_green", [])
    s1 = next(i for i in h1["rolledUp"]["inputs"] if i["identifier"] == story.ids["S1"])
    assert (s1["status"], s1["recognitions"], s1["suppliedBy"]) == (
        "green",
        [story.recognitions["A"]],
        story.hash("ship S1"),
    )
    assert body["totals"] == [
        {"unit": "H87", "share": 0.5, "shareExact": "1/2", "greenQuantity": 75, "totalQuantity": 150, "lots": 2}
    ]
    assert body["suppliers"] == [C_ID, SUPPLIER, B_ID]
    (lapse,) = body["lapses"]
    assert (lapse["recognitionId"], lapse["holder"], lapse["status"], lapse["at"], lapse["reason"]) == (
        story.recognitions["A"],
        SUPPLIER,
        "suspended",
        iso(story.times["lapse"]),
        "spot_check_failed",
    )
    inputs = {s["identifier"]: s["supplier"] for s in body["inputs"]}
    assert inputs == {story.ids["H1"]: C_ID, story.ids["H2"]: C_ID, story.ids["S1"]: SUPPLIER, story.ids["F1"]: B_ID}
    before = ok(
        client.get(
            url,
            params={"organisation": MANUFACTURER, "from": iso(story.times["start"]), "to": iso(story.times["lapse"])},
            headers=headers,
        )
    )
    assert [lot["identifier"] for lot in before["lots"]] == [story.ids["L1"]] and before["lapses"] == []
    assert before["from"] == iso(story.times["start"]) and before["to"] == iso(story.times["lapse"])


def test_the_report_page_has_a_chart_in_chinese_and_english(shared: Shared) -> None:
    client, tokens = shared.client, shared.tokens
    url, params = "/reports/green-supply-chain", {"organisation": MANUFACTURER}
    browser = {**bearer(tokens, "manufacturer"), "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    text = page(client.get(url, params=params, headers=browser))
    for expected in (
        "绿色供应链报告",
        "各批次投入品绿色占比",
        "<svg",
        "75.0%",
        "37.5%",
        "期内认定失效",
        "暂停",
        SUPPLIER,
    ):
        assert expected in text, expected
    assert 'href="/reports/green-supply-chain?organisation=6901234000016&amp;format=json"' in text
    assert "<script" not in text and "http://" not in text.split("<svg", 1)[0].replace("http://www.w3.org", "")
    same = page(client.get(url, params={**params, "format": "html"}, headers=bearer(tokens, "manufacturer")))
    assert same.split("</header>")[1] == text.split("</header>")[1]
    english = page(client.get(url, params={**params, "format": "html", "lang": "en"}, headers=browser), "en")
    assert "Green supply-chain report" in english and "Recognitions that lapsed in the period" in english
    assert 'href="/reports/green-supply-chain?organisation=6901234000016&amp;format=html&amp;lang=zh-CN"' in english
    ok(client.get(url, params=params, headers={**bearer(tokens, "manufacturer"), "Accept": "*/*"}))  # JSON by default


# --- impact lists ---


def test_the_impact_list_of_the_suspended_supplier(shared: Shared) -> None:
    client, story = shared.client, shared.story
    a = story.recognitions["A"]
    body = ok(client.get(f"/recognitions/{a}/impact"))  # public, like a recall list
    assert (body["holder"], body["lapsed"], body["lapsedAt"]) == (SUPPLIER, True, iso(story.times["lapse"]))
    assert body["recognition"]["status"] == "suspended"
    assert [s["identifier"] for s in body["supplied"]] == [story.ids["S2"], story.ids["S2"]]
    assert body["supplied"][0]["consumedIn"] == story.hash("make H2")
    assert set(body["lots"]) == {story.ids[k] for k in ("S2", "H2", "L2")}
    assert set(body["serials"]) == {story.ids["P-3"], story.ids["P-4"]}
    assert story.ids["L1"] not in body["lots"] and story.ids["P-1"] not in body["serials"]
    items = {i["identifier"]: i for i in body["items"]}
    p3 = items[story.ids["P-3"]]
    assert (p3["madeBy"], p3["fromInput"]) == (MANUFACTURER, story.ids["S2"])
    assert (p3["lastSeen"]["bizStep"], p3["lastSeen"]["organisationId"]) == ("receiving", RETAILER)
    assert p3["lastSeen"]["eventHashId"] == story.hash("receive P-3")
    assert items[story.ids["P-4"]]["lastSeen"]["eventHashId"] == story.hash("make L2")
    mine = ok(client.get(f"/recognitions/{a}/impact", params={"organisation": MANUFACTURER}))
    assert {i["identifier"] for i in mine["items"]} == {story.ids[k] for k in ("H2", "L2", "P-3", "P-4")}
    in_force = ok(client.get(f"/recognitions/{story.recognitions['C']}/impact"))
    assert (in_force["lapsed"], in_force["items"], in_force["supplied"]) == (False, [], [])
    missing = problem(client.get("/recognitions/999/impact"), 404)
    assert missing["recognitionId"] == 999 and "never issued" in missing["detail"]
    problem(client.get("/recognitions/0/impact"), 422)
    problem(client.get(f"/recognitions/{a}/impact", params={"organisation": "x"}), 400, "organisation")


def test_a_revocation_after_the_suspension_keeps_the_impact(
    client: TestClient, platform: Platform, story: GreenChain
) -> None:
    a = story.recognitions["A"]
    regulator = platform.registry.registry.as_signer(dev_account("regulator").account)
    regulator.revoke_recognition(a, 2)  # data falsified: 摘牌
    platform.registry.refresh(force=True)
    body = ok(client.get(f"/recognitions/{a}/impact"))
    assert body["recognition"]["status"] == "revoked" and body["lapsedAt"] != iso(story.times["lapse"])
    assert story.ids["P-3"] not in body["serials"]  # made before the revocation: the lapse is its latest change
    assert [c["status"] for c in body["recognition"]["changes"]] == ["suspended", "revoked"]


# --- the leader's page ---


def test_the_leaders_page(shared: Shared) -> None:
    client, tokens, story = shared.client, shared.tokens, shared.story
    text = page(client.get(f"/leader/{MANUFACTURER}", headers=bearer(tokens, "manufacturer")))
    for expected in (
        "绿色供应链管理看板",
        "合格供应商名录",
        "优先纳入绿色工厂为合格供应商",
        "即将到期",
        "供货后失效",
        "暂停 / 摘牌影响清单",
        "本企业",
        "<svg",
        "37.5%",
        C_ID,
        B_ID,
    ):
        assert expected in text, expected
    assert text.index(C_ID) < text.index(SUPPLIER) < text.index(B_ID)  # the preference order
    impact = text.split("暂停 / 摘牌影响清单", 1)[1]
    assert f"#{story.recognitions['A']}" in impact
    for made_after in ("P-3", "P-4", "/L2"):
        assert made_after in impact, made_after
    assert "P-1" not in impact and "/L1" not in impact  # made before the lapse
    english = page(
        client.get(f"/leader/{MANUFACTURER}", params={"lang": "en"}, headers=bearer(tokens, "regulator")), "en"
    )
    assert "Qualified suppliers" in english and "Impact of suspensions and revocations" in english
    problem(
        client.get(f"/leader/{MANUFACTURER}", params={"lang": "fr"}, headers=bearer(tokens, "manufacturer")),
        400,
        "lang",
    )
    problem(
        client.get(f"/leader/{MANUFACTURER}", params={"to": "2026-02-30"}, headers=bearer(tokens, "manufacturer")),
        400,
        "to",
    )


# --- the Digital Link answers ---


def test_the_digital_link_answer_shows_the_lapse(shared: Shared) -> None:
    client, tokens, story = shared.client, shared.tokens, shared.story
    issued = client.post(
        "/qr/issue",
        json={"gtin": P_GTIN, "lot": "L2", "serials": ["P-3", "P-9"]},
        headers=bearer(tokens, "manufacturer"),
    )
    assert issued.status_code in (200, 201), issued.text
    client.post(
        "/qr/issue", json={"gtin": P_GTIN, "lot": "L1", "serials": ["P-1"]}, headers=bearer(tokens, "manufacturer")
    )
    json_accept = {"Accept": "application/json"}
    p3 = ok(client.get(f"/01/{P_GTIN}/10/L2/21/P-3", headers=json_accept))["greenLapses"]
    assert [(n["recognitionId"], n["input"], n["lapsed"], n["countedGreen"]) for n in p3] == [
        (story.recognitions["A"], story.ids["S1"], "after", True),
        (story.recognitions["A"], story.ids["S2"], "before", False),
    ]
    assert (p3[0]["holder"], p3[0]["status"], p3[0]["since"], p3[0]["reason"]) == (
        SUPPLIER,
        "suspended",
        iso(story.times["lapse"]),
        "spot_check_failed",
    )
    p1 = ok(client.get(f"/01/{P_GTIN}/10/L1/21/P-1", headers=json_accept))["greenLapses"]
    assert [(n["input"], n["lapsed"]) for n in p1] == [(story.ids["S1"], "after")]
    assert ok(client.get(f"/01/{P_GTIN}/10/L2/21/P-9", headers=json_accept))["greenLapses"] == []  # no events yet


# --- the authorities' view ---


def test_published_lists(shared: Shared) -> None:
    client, story = shared.client, shared.story
    a, c = story.recognitions["A"], story.recognitions["C"]
    listed = ok(client.get("/recognitions"))
    assert [r["recognitionId"] for r in listed["recognitions"]] == [c] and listed["filters"]["status"] == "in_force"
    every = ok(client.get("/recognitions", params={"status": "all"}))
    assert [(r["recognitionId"], r["status"]) for r in every["recognitions"]] == [(a, "suspended"), (c, "in_force")]
    jiangsu = ok(client.get("/recognitions", params={"status": "all", "region": "江苏"}))
    assert [r["recognitionId"] for r in jiangsu["recognitions"]] == [a]
    assert jiangsu["recognitions"][0]["holderRegion"]["division"] == "320200"
    assert jiangsu["filters"]["region"] == "江苏省"
    unknown = ok(client.get("/recognitions", params={"region": "unknown", "level": "city", "kind": "green_factory"}))
    assert [r["recognitionId"] for r in unknown["recognitions"]] == [c] and unknown["count"] == 1
    assert ok(client.get("/recognitions", params={"kind": "green_product"}))["recognitions"] == []
    then = ok(client.get("/recognitions", params={"at": iso(story.times["start"])}))
    assert [r["recognitionId"] for r in then["recognitions"]] == [a, c]  # before the suspension
    problem(client.get("/recognitions", params={"kind": "factory"}), 400, "kind")
    problem(client.get("/recognitions", params={"level": "county"}), 400, "level")
    problem(client.get("/recognitions", params={"region": "Atlantis"}), 400, "region")
    problem(client.get("/recognitions", params={"status": "gone"}), 400, "status")
    problem(client.get("/recognitions", params={"at": "2999-01-01"}), 400, "at")


def test_spot_checks_due_and_exempt(client: TestClient, platform: Platform, story: GreenChain) -> None:
    c = story.recognitions["C"]
    due = ok(client.get("/spot-checks"))
    assert [(s["recognitionId"], s["state"], s["checks"]) for s in due["spotChecks"]] == [(c, "due", 0)]
    assert due["state"] == "due" and "365 days" in due["rule"]
    states = {
        s["recognitionId"]: s["state"] for s in ok(client.get("/spot-checks", params={"state": "all"}))["spotChecks"]
    }
    assert states == {story.recognitions["A"]: "not_in_force", c: "due"}
    regulator = platform.registry.registry.as_signer(dev_account("regulator").account)
    for _ in range(3):
        regulator.record_spot_check(c, passed=True, report_hash=b"\x01" * 32)
    platform.registry.refresh(force=True)
    (exempt,) = ok(client.get("/spot-checks", params={"state": "exempt"}))["spotChecks"]
    assert exempt["recognitionId"] == c and exempt["exemptUntil"] is not None and exempt["lastCheck"]["passed"]
    assert ok(client.get("/spot-checks"))["spotChecks"] == []
    problem(client.get("/spot-checks", params={"state": "late"}), 400, "state")


def test_the_seeded_sample(shared: Shared) -> None:
    client, story = shared.client, shared.story
    c = story.recognitions["C"]
    params = {"seed": "2026-Q1 draw 7", "size": "5"}
    body = ok(client.get("/spot-checks/sample", params=params))
    assert (body["seed"], body["size"], body["eligible"], body["eligibleCount"]) == ("2026-Q1 draw 7", 5, [c], 1)
    assert (
        body["algorithm"]["name"] == "sha256-rank-v1" and '"{seed}:{recognitionId}"' in body["algorithm"]["description"]
    )
    (drawn,) = body["drawn"]
    assert drawn["recognitionId"] == c and drawn["rank"] == hashlib.sha256(f"2026-Q1 draw 7:{c}".encode()).hexdigest()
    again = ok(client.get("/spot-checks/sample", params={**params, "at": body["at"]}))
    assert again == body  # the same draw, re-derived
    before = ok(client.get("/spot-checks/sample", params={**params, "at": iso(story.times["start"])}))
    assert before["eligible"] == [story.recognitions["A"], c]  # A was in force then
    assert ok(client.get("/spot-checks/sample", params={**params, "region": "32"}))["eligible"] == []
    for bad, parameter in (
        ({"size": "5"}, "seed"),
        ({"seed": "x" * 129, "size": "5"}, "seed"),
        ({"seed": "a\nb", "size": "5"}, "seed"),
        ({"seed": "x"}, "size"),
        ({"seed": "x", "size": "0"}, "size"),
        ({"seed": "x", "size": "1001"}, "size"),
        ({"seed": "x", "size": "ten"}, "size"),
        ({"seed": "x", "size": "1", "kind": "9"}, "kind"),
        ({"seed": "x", "size": "1", "at": "soon"}, "at"),
    ):
        problem(client.get("/spot-checks/sample", params=bad), 400, parameter)


def test_every_green_route_is_documented(shared: Shared) -> None:
    client = shared.client
    spec = client.get("/openapi.json").json()
    for path in (
        "/organisations/{org}/suppliers",
        "/reports/green-supply-chain",
        "/recognitions/{recognition_id}/impact",
        "/leader/{org}",
        "/recognitions",
        "/spot-checks",
        "/spot-checks/sample",
    ):
        op = spec["paths"][path]["get"]
        assert op["summary"] and op["description"], path
        assert any(code.startswith("4") for code in op["responses"]), path
