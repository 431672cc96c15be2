"""The demo supply chain's events, posted to the running service over HTTP as the organisations would post them.

A battery-materials supplier (a provincial green factory) commissions and ships a lot of cells; the car maker
receives it, turns 40 cells into 10 serialised charging modules of one lot, packs them into a case and ships it;
the logistics firm moves the case; the retailer receives it, unpacks it and sells one module. Each organisation
signs its own events with its key; before them, each maker publishes its product's signed master data (its name in
Chinese and English, brand, net content, country of origin), which pages and labels show. Then the maker issues
the lot's QR codes, and the demo saves them (PNG files, a ZIP and a printable label sheet) under ``DATA/qr``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from cli.common import _
from supplychain.masterdata import ProductMasterData, build_product, sign_master_data
from supplychain.signing import SigningKey, sign_document

__all__ = [
    "DEMO_LOT",
    "DEMO_MASTER_DATA",
    "DEMO_PRODUCT_GTIN",
    "DEMO_SERIALS",
    "post_demo_story",
    "publish_demo_master_data",
    "save_demo_codes",
]

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"sc": "https://ns.supplychain.dev/epcis/"}]
DEMO_PRODUCT_GTIN = "06901234000108"  # 绿源 充电模块 charging module
DEMO_MATERIAL_GTIN = "06923456000209"  # 锡城 磷酸铁锂电芯 LFP cells (the supplier's company prefix 6923456)
DEMO_MATERIAL_LOT = "XC-20261121-A"
DEMO_LOT = "LY-20261121"
DEMO_SERIALS = [f"{n:04d}" for n in range(1, 11)]
DEMO_CASE = "urn:epc:id:sscc:6901234.0000000011"


DEMO_MASTER_DATA: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "manufacturer": (DEMO_PRODUCT_GTIN, {"zh-CN": "绿源 充电模块", "en": "Charging module"}, {"zh-CN": "绿源"}),
    "supplier": (DEMO_MATERIAL_GTIN, {"zh-CN": "锡城 磷酸铁锂电芯", "en": "LFP cells"}, {"zh-CN": "锡城"}),
}
"""The master data each maker of the story publishes for its product: role -> (GTIN, names, brand)."""


def _dl(gtin: str, *, lot: str | None = None, serial: str | None = None) -> str:
    uri = f"https://id.gs1.org/01/{gtin}"
    return uri + (f"/10/{lot}" if lot else "") + (f"/21/{serial}" if serial else "")


def _place(gln: str) -> dict[str, str]:
    return {"id": f"https://id.gs1.org/414/{gln}"}


STEP_SECONDS = 0.1
"""The story's steps follow one another this far apart, so that the whole story happened before it is posted."""


def _event(kind: str, at: float, **fields: Any) -> dict[str, Any]:
    when = datetime.fromtimestamp(at, UTC)
    return {
        "type": kind,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "eventTimeZoneOffset": "+08:00",
        **fields,
    }


def _story(t: float, orgs: Mapping[str, str], recognition: int | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(role, event) in time order; ``orgs`` maps the roles to the organisations' ids; the supplier's shipment
    cites its green-factory ``recognition`` (``sc:recognition``) when there is one."""
    cites = {"sc:recognition": recognition} if recognition is not None else {}
    cells = _dl(DEMO_MATERIAL_GTIN, lot=DEMO_MATERIAL_LOT)
    modules = [_dl(DEMO_PRODUCT_GTIN, serial=s) for s in DEMO_SERIALS]
    plant, maker, hub, shop = "6901234000047", orgs["manufacturer"], orgs["logistics"], orgs["retailer"]
    to_maker = [{"type": "owning_party", "destination": f"https://id.gs1.org/417/{maker}"}]
    return [
        (
            "supplier",
            _event(
                "ObjectEvent",
                t,
                action="ADD",
                bizStep="commissioning",
                disposition="active",
                quantityList=[{"epcClass": cells, "quantity": 500, "uom": "H87"}],
                readPoint=_place(plant),
                bizLocation=_place(plant),
                ilmd={"cbvmda:lotNumber": DEMO_MATERIAL_LOT},
            ),
        ),
        (
            "supplier",
            _event(
                "ObjectEvent",
                t + 1 * STEP_SECONDS,
                action="OBSERVE",
                bizStep="shipping",
                disposition="in_transit",
                quantityList=[{"epcClass": cells, "quantity": 40, "uom": "H87"}],
                readPoint=_place(plant),
                destinationList=to_maker,
                **cites,
            ),
        ),
        (
            "manufacturer",
            _event(
                "ObjectEvent",
                t + 2 * STEP_SECONDS,
                action="OBSERVE",
                bizStep="receiving",
                disposition="in_progress",
                quantityList=[{"epcClass": cells, "quantity": 40, "uom": "H87"}],
                readPoint=_place(maker),
                bizLocation=_place(maker),
            ),
        ),
        (
            "manufacturer",
            _event(
                "TransformationEvent",
                t + 3 * STEP_SECONDS,
                bizStep="commissioning",
                disposition="active",
                inputQuantityList=[{"epcClass": cells, "quantity": 40, "uom": "H87"}],
                outputEPCList=modules,
                readPoint=_place(maker),
                bizLocation=_place(maker),
                ilmd={"cbvmda:lotNumber": DEMO_LOT},
            ),
        ),
        (
            "manufacturer",
            _event(
                "AggregationEvent",
                t + 4 * STEP_SECONDS,
                action="ADD",
                bizStep="packing",
                disposition="in_progress",
                parentID=DEMO_CASE,
                childEPCs=modules,
                readPoint=_place(maker),
                bizLocation=_place(maker),
            ),
        ),
        (
            "manufacturer",
            _event(
                "ObjectEvent",
                t + 5 * STEP_SECONDS,
                action="OBSERVE",
                bizStep="shipping",
                disposition="in_transit",
                epcList=[DEMO_CASE],
                readPoint=_place(maker),
            ),
        ),
        (
            "logistics",
            _event(
                "ObjectEvent",
                t + 6 * STEP_SECONDS,
                action="OBSERVE",
                bizStep="departing",
                disposition="in_transit",
                epcList=[DEMO_CASE],
                readPoint=_place(hub),
            ),
        ),
        (
            "logistics",
            _event(
                "ObjectEvent",
                t + 7 * STEP_SECONDS,
                action="OBSERVE",
                bizStep="arriving",
                disposition="in_transit",
                epcList=[DEMO_CASE],
                readPoint=_place(hub),
            ),
        ),
        (
            "retailer",
            _event(
                "ObjectEvent",
                t + 8 * STEP_SECONDS,
                action="OBSERVE",
                bizStep="receiving",
                disposition="in_progress",
                epcList=[DEMO_CASE],
                readPoint=_place(shop),
                bizLocation=_place(shop),
            ),
        ),
        (
            "retailer",
            _event(
                "AggregationEvent",
                t + 9 * STEP_SECONDS,
                action="DELETE",
                bizStep="unpacking",
                disposition="sellable_accessible",
                parentID=DEMO_CASE,
                childEPCs=modules,
                readPoint=_place(shop),
                bizLocation=_place(shop),
            ),
        ),
        (
            "retailer",
            _event(
                "ObjectEvent",
                t + 10 * STEP_SECONDS,
                action="OBSERVE",
                bizStep="retail_selling",
                disposition="retail_sold",
                epcList=[modules[0]],
                readPoint=_place(shop),
                bizLocation=_place(shop),
            ),
        ),
    ]


def _signed_document(key: SigningKey, events: list[dict[str, Any]]) -> bytes:
    document = {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "epcisBody": {"eventList": events},
    }
    return json.dumps(sign_document(key, document), ensure_ascii=False).encode()


def post_demo_story(
    base_url: str,
    start: int,
    orgs: Mapping[str, str],
    keys: Mapping[str, SigningKey],
    tokens: Mapping[str, str],
    *,
    recognition: int | None = None,
    wait: bool = True,
) -> list[str]:
    """Post every organisation's events (one document each, in story order); returns one line per capture.

    ``wait``: post once the story has happened by this machine's clock, so that every event is older than the block
    that anchors it (block times are whole seconds), as a verifier requires. A caller that moves the chain's clock
    past the story before anchoring passes ``False`` (the tests' in-process chain, whose clock runs a second ahead
    per block mined: its story would wait for the wall clock to catch up).

    Raises:
        RuntimeError: an event was refused (the message says why).
    """
    story = _story(start, orgs, recognition)
    if wait:
        time.sleep(max(0.0, start + len(story) * STEP_SECONDS + 2.0 - time.time()))
    lines = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for role, event in story:
            org = orgs[role]
            response = client.post(
                "/capture",
                content=_signed_document(keys[org], [event]),
                headers={
                    "Authorization": f"Bearer {tokens[org]}",
                    "Content-Type": "application/ld+json",
                    "Prefer": "return=representation",
                },
            )
            body = response.json()
            if response.status_code != 200 or body.get("rejectedCount"):
                answer = json.dumps(body, ensure_ascii=False)
                raise RuntimeError(_("the demo event of the {role} was refused: {answer}", role=role, answer=answer))
            outcome = body["events"][0]
            cited = outcome.get("recognition")
            note = f"  recognition {cited['id']}: {cited['status']}" if cited else ""
            lines.append(
                f"{role:<12} {event.get('bizStep', ''):<15} {outcome['status']:<9} {outcome['eventHashId']}{note}"
            )
    return lines


def publish_demo_master_data(
    base_url: str, at: int, orgs: Mapping[str, str], keys: Mapping[str, SigningKey], tokens: Mapping[str, str]
) -> list[str]:
    """Each maker of the story publishes its product's signed master data (:data:`DEMO_MASTER_DATA`), valid from
    ``at`` (s); returns one line per product. A GTIN its maker does not own on chain is reported and skipped.

    Raises:
        RuntimeError: the platform refused the master data for another reason (the message says why).
    """
    lines = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for role, (gtin, names, brand) in DEMO_MASTER_DATA.items():
            org = orgs[role]
            product = ProductMasterData(gtin, names, 1, at, brand=brand, net_content=("1", "H87"), country="CN")
            response = client.post(
                f"/products/{gtin}/master-data",
                content=json.dumps(sign_master_data(keys[org], org, build_product(product)), ensure_ascii=False),
                headers={"Authorization": f"Bearer {tokens[org]}", "Content-Type": "application/json"},
            )
            body = response.json()
            if response.status_code == 403 and str(body.get("type", "")).endswith("/not-gtin-owner"):
                lines.append(f"{role:<12} " + _("{gtin} not published: {detail}", gtin=gtin, detail=body["detail"]))
                continue
            if response.status_code not in (200, 201):
                answer = json.dumps(body, ensure_ascii=False)
                raise RuntimeError(_("the {role}'s master data was refused: {answer}", role=role, answer=answer))
            named = f"{names['zh-CN']} / {names['en']}"
            lines.append(f"{role:<12} {gtin} {named} v{body['version']} {body['documentHash']}")
    return lines


def save_demo_codes(base_url: str, token: str, folder: Path) -> list[Path]:
    """Issue the demo lot's QR codes as the maker and save them: one PNG per serial, the ZIP, the label sheet."""
    folder.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {token}"}
    saved: list[Path] = []
    with httpx.Client(base_url=base_url, timeout=120) as client:
        issued = client.post(
            "/qr/issue",
            headers=headers,
            json={
                "gtin": DEMO_PRODUCT_GTIN,
                "lot": DEMO_LOT,
                "serials": DEMO_SERIALS,
                "productName": "绿源 充电模块 7kW",
            },
        )
        if issued.status_code not in (200, 201):
            raise RuntimeError(_("issuing the demo QR codes failed: {answer}", answer=issued.text))
        query = {"gtin": DEMO_PRODUCT_GTIN, "lot": DEMO_LOT}
        for serial in DEMO_SERIALS:
            png = client.get("/qr/code.png", params={**query, "serial": serial})
            path = folder / f"{DEMO_PRODUCT_GTIN}-{DEMO_LOT}-{serial}.png"
            path.write_bytes(png.content)
            saved.append(path)
        for name, route, params in (
            ("codes.zip", "/qr/bulk.zip", {**query, "format": "png"}),
            ("labels.html", "/qr/labels", {**query, "productName": "绿源 充电模块 7kW"}),
        ):
            answer = client.get(route, params=params, headers=headers)
            (folder / name).write_bytes(answer.content)
            saved.append(folder / name)
    return saved
