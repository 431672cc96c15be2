"""The platform served for real (uvicorn in a thread, on a free port) with the demo supply chain and a few more lots.

On the in-process chain: the demo's certifiers, organisations, keys and recognitions
(:func:`cli.demo.load_demo_supply_chain`), the makers' company prefixes, their products' signed master data
(:func:`cli.demo_story.publish_demo_master_data`), the demo story posted over HTTP as each organisation would
(:func:`cli.demo_story.post_demo_story`), its QR codes issued; then, posted the same way:

* a second supplier, 新元电子 (its name in its on-chain profile, a ``data:`` URI whose keccak256 is the profile
  hash), recognised as a city-level green design product (绿色设计产品) for its BMS boards, ships 10 boards to the
  maker, which makes lot ``LY-20261122`` (serials 1001-1003) of 40 cells + 10 boards; the recognition is then
  revoked (摘牌) for an environmental incident: a supplier delisted after supplying;
* lot ``LY-20261123`` (serials 2001-2002) made of 40 cells, then recalled by the maker.

Every event is anchored by the anchoring worker (one forced round) a minute after the last one.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.connection import TESTER_URL
from chain.devchain import dev_prefix
from chain.registry import ROLE_ANCHORER
from cli.demo import DEMO_ORGANISATIONS, demo_key, load_demo_supply_chain
from cli.demo_story import (
    CONTEXT,
    DEMO_LOT,
    DEMO_MATERIAL_GTIN,
    DEMO_MATERIAL_LOT,
    DEMO_PRODUCT_GTIN,
    post_demo_story,
    publish_demo_master_data,
    save_demo_codes,
)
from supplychain.gs1 import gs1_check_digit
from supplychain.merkle import keccak256
from supplychain.registry import BusinessRole, Grade, Level, ReasonCode, RecognitionKind, Scope
from supplychain.registry.events import RecognitionTerms
from supplychain.signing import SigningKey, sign_document
from tests.backend.prefixes import hold_prefixes

MAKER, SUPPLIER, CARRIER, SHOP = (o.org_id for o in DEMO_ORGANISATIONS)
BOARDS_MAKER = "690123400005" + gs1_check_digit("690123400005")
BOARDS_NAME = {"zh-CN": "新元电子科技有限公司", "en": "Xinyuan Electronics Co., Ltd."}
BOARDS_GTIN = "06945678000300"  # under the boards maker's company prefix 6945678
BOARDS_LOT = "XY-BMS-7"
DELISTED_LOT = "LY-20261122"
DELISTED_SERIALS = ("1001", "1002", "1003")
RECALLED_LOT = "LY-20261123"
RECALLED_SERIALS = ("2001", "2002")
RECALL_REASON = "电池过热风险 / risk of cells overheating"


@dataclass
class Site:
    """The running platform and what the tests need to know about it."""

    base: str
    platform: Platform
    tokens: dict[str, str]
    recognitions: dict[str, int] = field(default_factory=dict)

    def product_url(self, serial: str, lot: str = DEMO_LOT, gtin: str = DEMO_PRODUCT_GTIN) -> str:
        """The Digital Link of a serial on the platform's domain (what its QR code carries)."""
        return f"{self.base}/01/{gtin}/10/{lot}/21/{serial}"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _dl(gtin: str, lot: str) -> str:
    return f"https://id.gs1.org/01/{gtin}/10/{lot}"


def _event(kind: str, at: int, place: str, **fields: Any) -> dict[str, Any]:
    where = {"id": f"https://id.gs1.org/414/{place}"}
    return {
        "type": kind,
        "eventTime": _iso(at),
        "eventTimeZoneOffset": "+08:00",
        "readPoint": where,
        "bizLocation": where,
        **fields,
    }


def _post(client: httpx.Client, key: SigningKey, token: str, events: list[dict[str, Any]]) -> None:
    document = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _iso(int(time.time())),
        "epcisBody": {"eventList": events},
    }
    answer = client.post(
        "/capture",
        content=json.dumps(sign_document(key, document), ensure_ascii=False).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/ld+json",
            "Prefer": "return=representation",
        },
    )
    body = answer.json()
    assert answer.status_code == 200 and not body.get("rejectedCount"), body


def _register_boards_maker(platform: Platform, site: Site) -> SigningKey:
    """The second supplier, named in its on-chain profile, with a green-product recognition for its boards."""
    registry = platform.registry.registry
    regulator = registry.as_signer(dev_account("regulator").account)
    profile = json.dumps({"id": BOARDS_MAKER, "name": BOARDS_NAME}, ensure_ascii=False, sort_keys=True).encode()
    uri = "data:application/json;base64," + base64.b64encode(profile).decode()
    regulator.register_organisation(
        BOARDS_MAKER, BusinessRole.SUPPLIER, profile_hash=keccak256(profile), profile_uri=uri
    )
    key = demo_key(BOARDS_MAKER)
    regulator.add_key(BOARDS_MAKER, key.public_key_bytes)
    dev_prefix(registry, "6945678", BOARDS_MAKER)
    now = registry.chain.block_timestamp()
    terms = RecognitionTerms(
        holder=BOARDS_MAKER,
        kind=RecognitionKind.GREEN_PRODUCT,
        level=Level.CITY,
        grade=Grade.NONE,
        scope=Scope.PRODUCT,
        subject=BOARDS_GTIN,
        standard_ref="GB/T 32161-2015",
        valid_from=now,
        valid_until=now + 3 * 365 * 86_400,
        evidence_hash=b"\x42" * 32,
    )
    site.recognitions["boards"], _ = registry.as_signer(dev_account("city-certifier").account).issue_recognition(terms)
    return key


def _more_lots(client: httpx.Client, site: Site, boards_key: SigningKey, t: int) -> None:
    """The boards maker's supply, the lot made with it, and the lot to be recalled (see the module docstring)."""
    boards = _dl(BOARDS_GTIN, BOARDS_LOT)
    cells = _dl(DEMO_MATERIAL_GTIN, DEMO_MATERIAL_LOT)
    board_qty = [{"epcClass": boards, "quantity": 10, "uom": "H87"}]
    _post(
        client,
        boards_key,
        site.tokens[BOARDS_MAKER],
        [
            _event(
                "ObjectEvent",
                t,
                BOARDS_MAKER,
                action="ADD",
                bizStep="commissioning",
                quantityList=[{"epcClass": boards, "quantity": 200, "uom": "H87"}],
                ilmd={"cbvmda:lotNumber": BOARDS_LOT},
            ),
            _event("ObjectEvent", t + 1, BOARDS_MAKER, action="OBSERVE", bizStep="shipping", quantityList=board_qty),
        ],
    )
    lots = []
    for i, (lot, serials, inputs) in enumerate(
        (
            (DELISTED_LOT, DELISTED_SERIALS, [{"epcClass": cells, "quantity": 40, "uom": "H87"}, *board_qty]),
            (RECALLED_LOT, RECALLED_SERIALS, [{"epcClass": cells, "quantity": 40, "uom": "H87"}]),
        )
    ):
        lots.append(
            _event(
                "TransformationEvent",
                t + 3 + i,
                MAKER,
                bizStep="commissioning",
                disposition="active",
                inputQuantityList=inputs,
                outputEPCList=[f"https://id.gs1.org/01/{DEMO_PRODUCT_GTIN}/21/{s}" for s in serials],
                ilmd={"cbvmda:lotNumber": lot},
            )
        )
    received = _event("ObjectEvent", t + 2, MAKER, action="OBSERVE", bizStep="receiving", quantityList=board_qty)
    _post(client, demo_key(MAKER), site.tokens[MAKER], [received, *lots])
    headers = {"Authorization": f"Bearer {site.tokens[MAKER]}"}
    for lot, serials in ((DELISTED_LOT, DELISTED_SERIALS), (RECALLED_LOT, RECALLED_SERIALS)):
        answer = client.post(
            "/qr/issue", headers=headers, json={"gtin": DEMO_PRODUCT_GTIN, "lot": lot, "serials": list(serials)}
        )
        assert answer.status_code in (200, 201), answer.text


@contextmanager
def demo_site(tmp: Path) -> Iterator[Site]:
    """Start the platform with the data of the module docstring; stop it afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        environment="test",
        data_dir=tmp / "data",
        rpc_url=TESTER_URL,
        run_worker=False,
        public_base_url=base,
        capture_workers=0,
    )
    platform = Platform.open(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(platform=platform), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    try:
        registry = platform.registry.registry
        regulator = registry.as_signer(dev_account("regulator").account)
        if not registry.has_role(ROLE_ANCHORER, dev_account("anchorer").address):
            regulator.grant_role(ROLE_ANCHORER, dev_account("anchorer").address)
        load_demo_supply_chain(registry, tmp / "keys")
        site = Site(base, platform, {})
        boards_key = _register_boards_maker(platform, site)
        mirror = platform.registry.refresh(force=True)
        site.recognitions["cells"] = next(
            r.recognition_id for r in mirror.recognitions_of(SUPPLIER) if r.terms.kind is RecognitionKind.GREEN_FACTORY
        )
        roles = {"manufacturer": MAKER, "supplier": SUPPLIER, "logistics": CARRIER, "retailer": SHOP}
        for org in (*roles.values(), BOARDS_MAKER):
            site.tokens[org] = platform.issue_token(org_id=org, role="organisation", label="web tests")
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.02)
        hold_prefixes(platform, {"6901234": MAKER, "6923456": SUPPLIER})  # as the demo's registrar assigns them
        start = registry.chain.block_timestamp() + 1
        keys = {org: demo_key(org) for org in roles.values()}
        publish_demo_master_data(base, start, roles, keys, site.tokens)
        # the in-process chain's clock is ahead of the wall clock (a second per block): posted at once, the story is
        # dated ahead of its receipt (within the platform's clock skew); its anchoring comes after the two minutes below
        post_demo_story(base, start, roles, keys, site.tokens, recognition=site.recognitions["cells"], wait=False)
        save_demo_codes(base, site.tokens[MAKER], tmp / "qr")
        with httpx.Client(base_url=base, timeout=60) as client:
            _more_lots(client, site, boards_key, start + 20)
            recalled = client.post(
                "/recalls",
                headers={"Authorization": f"Bearer {site.tokens[MAKER]}"},
                json={"gtin": DEMO_PRODUCT_GTIN, "lot": RECALLED_LOT, "reason": RECALL_REASON},
            )
            assert recalled.status_code == 201, recalled.text
        registry.chain.increase_time(120)
        city = registry.as_signer(dev_account("city-certifier").account)
        city.revoke_recognition(site.recognitions["boards"], ReasonCode.ENVIRONMENTAL_INCIDENT)
        assert AnchoringWorker(platform).run_once(force=True) > 0
        platform.registry.refresh(force=True)
        yield site
    finally:
        server.should_exit = True
        if thread.is_alive():
            thread.join(10)
        platform.close()
