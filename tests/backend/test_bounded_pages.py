"""Issue 12, item 4: what other organisations post about a product never changes what its page says, nor what it costs.

The hole: any registered organisation could capture signed events listing thousands of EPCs that include someone
else's serial; the product page then parsed and verified every one of them on each view, and its proof bundle
carried them in full (13 KB grew to 19.8 MB). These tests attack over HTTP as the tester did: a stranger (a
registered retailer with its own key) captures, through ``POST /capture``, two events listing 3,000 EPCs each and 30
small events, all naming serial A-1 of the stored green product (:func:`tests.backend.storing.green_product`),
after the product was sold; everything is anchored for real. Then the page, ``GET /bundles``, ``GET /trace/journey``
and the leader's supplier list must say what they said before the attack, list the stranger's events by reference
only (bounded: :data:`~backend.services.tracing.MAX_LISTED_SUMMARIES` listed, all counted) and stay small.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backend.services.platform import Platform
from backend.services.tracing import MAX_EVENT_IDENTIFIERS, MAX_LISTED_SUMMARIES, SubgraphLoader, journey_json
from benchmarks.page import bench_page
from chain.accounts import dev_account
from cli.main import app
from supplychain.gs1 import canonical_dl, gs1_check_digit
from supplychain.registry import BusinessRole
from supplychain.signing import SigningKey
from supplychain.trace import node_id
from supplychain.verify import ProofBundle, VerdictStatus, verify_bundle
from tests.backend import documents
from tests.backend.storing import Product, anchor, green_product
from tests.backend.test_qr import bearer
from tests.supplychain.factories import sgtin

STRANGER = "690999900000" + gs1_check_digit("690999900000")
STRANGER_KEY = SigningKey.from_private_bytes(b"\x44" * 32)
GTIN = (canonical_dl(sgtin("6901234", "040001", "A-1")) or "").split("/01/")[1][:14]
PATH = f"/01/{GTIN}/10/A-LOT1/21/A-1"
HTML = {"Accept": "text/html"}
JOURNEY = ["make A", "pack C1", "ship C1", "receive C1", "unpack C1", "sell A-1"]
BUNDLE = ["commission R1", *JOURNEY]
STEPS = ["commissioning", "packing", "shipping", "receiving", "unpacking", "retail_selling"]
BULK_EPCS = 3_000
SMALL = 30


@dataclass
class Attack:
    """The stored product and what the stranger posted about it."""

    product: Product
    bulk: list[str]
    small: list[str]
    last_ms: int

    @property
    def serial(self) -> str:
        return node_id(self.product.ids["A-1"])


def register_stranger(platform: Platform, roles: BusinessRole = BusinessRole.RETAILER) -> str:
    """A registered organisation with its own key and API token: any organisation may become one."""
    regulator = platform.registry.registry.as_signer(dev_account("regulator").account)
    regulator.register_organisation(STRANGER, roles)
    regulator.add_key(STRANGER, STRANGER_KEY.public_key_bytes)
    platform.registry.refresh(force=True)
    return platform.issue_token(org_id=STRANGER, role="organisation")


def capture(client: TestClient, token: str, events: list[dict[str, Any]]) -> list[str]:
    """POST /capture as the stranger; the Event Hash IDs accepted."""
    response = client.post(
        "/capture",
        content=documents.signed_document(STRANGER_KEY, events),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/ld+json",
            "Prefer": "return=representation",
        },
    )
    assert response.status_code == 200, response.text[:2000]
    body = response.json()
    assert body["acceptedCount"] == len(events), json.dumps(body)[:2000]
    return [o["eventHashId"] for o in body["events"]]


def inspecting(at_ms: int, epcs: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": documents.iso(at_ms),
        "eventTimeZoneOffset": "+08:00",
        "epcList": epcs,
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "readPoint": {"id": f"https://id.gs1.org/414/{STRANGER}"},
        **extra,
    }


def product_times(product: Product) -> list[int]:
    return [int(documents_time(e["event"]["eventTime"])) for e in product.env.values()]


def documents_time(text: str) -> float:
    """An event time (RFC 3339) in milliseconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def attack(platform: Platform, client: TestClient, tokens: Mapping[str, str], *, at_ms: int | None = None) -> Attack:
    """Store and anchor the green product with the stranger's events about A-1 (after its sale, unless ``at_ms``);
    the maker issues serials A-1..A-4."""
    product = green_product(platform)
    token = register_stranger(platform)
    last = max(product_times(product))
    t = at_ms if at_ms is not None else last + 10_000
    serial = product.ids["A-1"]
    others = [f"urn:epc:id:sgtin:6901234.040001.X{n}" for n in range(BULK_EPCS - 1)]
    bulk = capture(
        client,
        token,
        [
            inspecting(t, [*others[:1000], serial, *others[1000:]]),
            inspecting(t + 1, [*others, serial], quantityList=[{"epcClass": product.ids["R1"], "quantity": 1}]),
        ],
    )
    small = capture(client, token, [inspecting(t + 2 + n, [serial]) for n in range(SMALL)])
    anchor(platform, [product.hash(n) for n in product.env] + bulk + small)
    issued = client.post(
        "/qr/issue",
        json={"gtin": GTIN, "lot": "A-LOT1", "serials": ["A-1", "A-2", "A-3", "A-4"]},
        headers=bearer(dict(tokens), "manufacturer"),
    )
    assert issued.status_code in (200, 201), issued.text
    return Attack(product, bulk, small, t)


@pytest.fixture
def attacked(platform: Platform, client: TestClient, tokens: dict[str, str]) -> Attack:
    return attack(platform, client, tokens)


def verify(platform: Platform, bundle: ProofBundle) -> Any:
    view = platform.registry
    view.refresh(force=True)
    return verify_bundle(
        bundle,
        view.mirror,
        chain_id=view.chain_id,
        registry_address=view.deployment.address,
        requested=bundle.product,
    )


# --- the proof bundle ---


def test_the_bundle_leaves_the_strangers_events_out_and_lists_them_by_reference(
    client: TestClient, platform: Platform, attacked: Attack
) -> None:
    response = client.get("/bundles", params={"id": attacked.product.ids["A-1"]})
    assert response.status_code == 200, response.text[:500]
    assert len(response.content) <= 100_000, f"the bundle is {len(response.content):,} bytes"
    body = response.json()
    bundle = ProofBundle.from_json(body)
    hashes = sorted(e.envelope["eventHashId"] for e in bundle.events)
    assert hashes == sorted(attacked.product.hash(n) for n in BUNDLE)  # the product's own story, nothing else
    summarised = body["summarised"]
    assert summarised["counts"] == {"outside_custody": 2 + SMALL}
    listed = summarised["events"]
    assert len(listed) == MAX_LISTED_SUMMARIES
    assert {e["eventHashId"] for e in listed[:2]} == set(attacked.bulk)  # the biggest first, then by time
    assert {e["identifierCount"] for e in listed[:2]} == {BULK_EPCS, BULK_EPCS + 1}
    assert all(e["organisationId"] == STRANGER and e["reason"] == "outside_custody" for e in listed)
    assert all(e["eventType"] == "ObjectEvent" and e["bizStep"] == "inspecting" for e in listed)
    assert all("event" not in e and e["root"] for e in listed)  # by reference: no content, but a proof
    verdict = verify(platform, bundle)
    assert verdict.status is VerdictStatus.VERIFIED, verdict.failures
    assert len(verdict.events) == len(BUNDLE)
    assert [r.hash_id for r in verdict.summarised] == [e["eventHashId"] for e in listed]
    checked = {c.name: c.passed for r in verdict.summarised for c in r.checks}
    assert checked == {"signature": True, "key": True, "proof": True, "anchor": True}
    assert dict(verdict.summarised_counts) == {"outside_custody": 2 + SMALL}


def test_a_stranger_cannot_change_what_the_bundle_says(client: TestClient, platform: Platform) -> None:
    """The same product without the attack has the same bundle events (the attack adds only references)."""
    product = green_product(platform)
    anchor(platform, [product.hash(n) for n in product.env])
    body = client.get("/bundles", params={"id": product.ids["A-1"]}).json()
    assert "summarised" not in body  # nothing left out: the bundle is as it always was (version 1, no new field)
    assert sorted(e["envelope"]["eventHashId"] for e in body["events"]) == sorted(product.hash(n) for n in BUNDLE)


# --- the product page ---


def test_the_page_tells_the_same_story_and_says_what_it_left_out(client: TestClient, attacked: Attack) -> None:
    response = client.get(PATH, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    text = response.text
    assert 'data-status="verified"' in text
    steps = re.findall(r'<li class="(?:production|logistics|retail)" data-step="([a-z_]+)"', text)
    assert steps == STEPS  # not one "inspecting" of the stranger's
    assert STRANGER not in text.split('id="summarised"')[0]  # the stranger is named only where it is left out
    section = text.split('id="summarised"', 1)[1].split("</section>", 1)[0]
    assert f"{2 + SMALL} 个事件来自不在本产品流转链上的组织" in section
    links = re.findall(r'href="/events/([0-9a-f]{64})"', section)
    assert len(links) == MAX_LISTED_SUMMARIES
    assert {f"ni:///sha-256;{h}?ver=CBV2.0" for h in links[:2]} == set(attacked.bulk)
    linked = client.get(f"/events/{links[0]}")  # where anyone checks what the page only references
    assert linked.status_code == 200 and linked.json()["eventHashId"] in attacked.bulk
    english = client.get(PATH, params={"lang": "en"}, headers=HTML).text
    section = english.split('id="summarised"', 1)[1].split("</section>", 1)[0]
    assert f"{2 + SMALL} events by organisations outside the chain of custody of this product" in section


def test_the_journey_and_its_counts(client: TestClient, attacked: Attack) -> None:
    body = client.get("/trace/journey", params={"id": attacked.product.ids["A-1"]}).json()
    assert [s["bizStep"] for s in body["steps"]] == STEPS
    assert body["summarised"] == {"outside_custody": 2 + SMALL}
    assert body["custody"] == [attacked.product.orgs[o].org_id for o in ("manufacturer", "retailer")]
    assert body["truncated"] is False


# --- the leader's view ---


def test_the_leaders_supplier_list_ignores_the_strangers_mention_of_its_input(
    client: TestClient, tokens: dict[str, str], attacked: Attack
) -> None:
    """The second bulk event also names the raw lot R1 the manufacturer bought, and every event of the stranger names
    A-1, which the manufacturer made: the supplier list neither reads them nor changes; it counts them."""
    body = client.get(
        f"/organisations/{attacked.product.orgs['manufacturer'].org_id}/suppliers",
        headers=bearer(tokens, "manufacturer"),
    ).json()
    assert [s["organisationId"] for s in body["suppliers"]] == [attacked.product.orgs["supplier"].org_id]
    # the view walks A-1 too (the manufacturer made it), not the case it left in: the shop's sale of A-1 is left out
    assert body["summarised"] == {"outside_custody": 2 + SMALL + 1}
    assert body["truncated"] is False


# --- inside the chain of custody ---


def test_a_stranger_recording_the_item_in_transit_joins_its_custody_but_its_big_event_is_summarised(
    platform: Platform, client: TestClient, tokens: dict[str, str]
) -> None:
    """An organisation that records the case between the maker's shipping and the shop's receipt is taken for a
    carrier (the shipper named no destination): its small event counts; an event of it naming more than
    MAX_EVENT_IDENTIFIERS identifiers is still only referenced, and the page says its content was not checked."""
    product = green_product(platform)
    token = register_stranger(platform, BusinessRole.LOGISTICS)
    shipped = int(documents_time(product.env["ship C1"]["event"]["eventTime"]))
    case = product.ids["C1"]
    big = [f"urn:epc:id:sgtin:6901234.040001.Y{n}" for n in range(MAX_EVENT_IDENTIFIERS)]
    departed, listed = capture(
        client,
        token,
        [
            {**inspecting(shipped + 2000, [case]), "bizStep": "departing"},
            inspecting(shipped + 3000, [case, *big]),
        ],
    )
    anchor(platform, [product.hash(n) for n in product.env] + [departed, listed])
    body = client.get("/bundles", params={"id": product.ids["A-1"]}).json()
    hashes = sorted(e["envelope"]["eventHashId"] for e in body["events"])
    assert hashes == sorted([departed, *(product.hash(n) for n in BUNDLE)])
    assert body["summarised"]["counts"] == {"too_many_identifiers": 1}
    (only,) = body["summarised"]["events"]
    assert (only["eventHashId"], only["identifierCount"], only["reason"]) == (
        listed,
        MAX_EVENT_IDENTIFIERS + 1,
        "too_many_identifiers",
    )
    journey = client.get("/trace/journey", params={"id": product.ids["A-1"]}).json()
    assert [s["bizStep"] for s in journey["steps"]] == [*STEPS[:3], "departing", *STEPS[3:]]
    assert journey["custody"] == [product.orgs["manufacturer"].org_id, STRANGER, product.orgs["retailer"].org_id]
    issued = client.post(
        "/qr/issue", json={"gtin": GTIN, "lot": "A-LOT1", "serials": ["A-1"]}, headers=bearer(tokens, "manufacturer")
    )
    assert issued.status_code in (200, 201), issued.text
    text = client.get(PATH, headers=HTML).text
    assert 'data-status="verified"' in text
    section = text.split('id="summarised"', 1)[1].split("</section>", 1)[0]
    assert "1 个事件列出的标识超过 1,000 个：已核对其签名与上链锚定，未核对其内容" in section
    assert f'href="/events/{listed.split(";")[1][:64]}"' in section


def test_many_events_naming_the_item_in_one_role_never_hide_those_that_made_it_or_moved_it(
    platform: Platform, attacked: Attack
) -> None:
    """More events name A-1 as an EPC than a view looks at (here 5 per role, MAX_MENTIONS in service): the first
    captured of each role are looked at, so the maker's transformation (an output), its packing and the shop's
    unpacking (a child) and the sale (an EPC, captured before the stranger's) still make the story; the answer says
    it was truncated."""
    with platform.session() as session:
        loader = SubgraphLoader(session, max_mentions=5)
        journey = journey_json(loader, attacked.serial)
    assert [s["bizStep"] for s in journey["steps"]] == STEPS
    assert journey["truncated"] is True
    assert journey["summarised"] == {"outside_custody": 4}  # the 4 of the stranger's looked at, beside the sale


# --- the benchmark ---


def test_bench_page_with_an_adversary_measures_a_bounded_bundle(tmp_path: Path) -> None:
    """``supplychain bench page --adversary-events 2 --adversary-epcs 3000``: the product verifies, its bundle holds
    its own 26 events and is small; a reused store keeps the adversary's events (added once)."""
    figures = bench_page(3000, repeats=10, db=tmp_path / "page.db", adversary_events=2, adversary_epcs=3000)
    assert (figures.events, figures.adversary_events, figures.bundle_events) == (3002, 2, 26)
    assert 10_000 < figures.bundle_bytes <= 100_000
    again = bench_page(3000, repeats=10, db=tmp_path / "page.db", adversary_events=2, adversary_epcs=3000)
    assert (again.events, again.adversary_events, again.bundle_bytes) == (3002, 2, figures.bundle_bytes)
    result = CliRunner().invoke(app, ["bench", "page", "--help"], terminal_width=200)
    assert result.exit_code == 0 and "--adversary-events" in result.stdout and "--adversary-epcs" in result.stdout
