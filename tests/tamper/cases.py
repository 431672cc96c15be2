"""The tamper suite's table (issue 13, item 9): every way a dishonest platform, organisation or party in between may
tamper, and what each tool must say about it.

One :class:`Case` per row, in :data:`CASES`. A case says what it tampers (``kind``: ``clean`` nothing, ``store``
signed data or anchoring records in the SQLite store, ``column`` the platform's indexed columns against the signed
document, ``export`` what the export holds, ``chain`` transactions on the chain, ``continued`` the store between two
audit runs, ``bundle`` the proof bundle the scanner reads, ``trust`` the registry the scanner trusts, ``damage``
records that no longer read), does it in ``tamper`` (on a :class:`~tests.tamper.world.Scene`: the clean world
restored; SQL on the store, chain actions, an audit run before the tampering) and, for the scanner only, ``edit``
(on the bundle the platform served over HTTP). Then both tools run and their outcomes must be exactly ``audit`` and
``scanner`` (:func:`~tests.tamper.world.outcome`: the exit code, then every code: the audit's finding codes; the
scanner's failed and not-yet-made checks and its warnings), or ``None`` when the tool cannot see what was tampered
(the audit reads no proof bundle; the bundle carries no indexed column).

A case not caught today keeps its row: ``gap`` says why, and the expected outcome is today's, so the row fails when
it is fixed (then write the new outcome and drop the gap). A tool that says nothing on a tampered case needs a gap.
Clean cases are the clean stores: any code or non-zero exit there is a false finding.

The world (:mod:`tests.backend.audit_world`): events 1-2 the supplier's lot LOT-A (2 cites its green recognition),
3 the manufacturer's receipt of LOT-A, 4 its commissioning of S1..S3 (lot P-LOT), 5 its shipment of S1..S3, 6 the
retailer's receipt, 7 its sale of S1; all in batch 1. S1's bundle holds events 4-7 in that order.

To add a case, append one entry to :data:`CASES`, e.g.::

    Case(
        "my-case", "the shipment's stored signature emptied", "store",
        audit=outcome(1, "bad_signature"), scanner=outcome(1, "bad_signature"),
        tamper=_sql("UPDATE event SET signature = '' WHERE id = 5"),
    ),
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from chain.accounts import dev_account
from chain.deploy import deploy_registry
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import Grade, Level, RecognitionKind, Scope
from supplychain.registry import events as ev
from supplychain.signing import SigningKey, encode_signature, sign_hash_id
from tests.backend.audit_world import GTIN, KEYS, LOT, PLANT, SHOP, SITE, event, serial
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER
from tests.tamper.world import FORGERY, Outcome, Scene, outcome

Kind = Literal["clean", "store", "column", "export", "bundle", "chain", "continued", "trust", "damage"]
CLEAN = outcome(0)


@dataclass(frozen=True)
class Case:
    """One row of the table (see the module docstring)."""

    id: str
    description: str
    kind: Kind
    audit: Outcome | None
    scanner: Outcome | None
    tamper: Callable[[Scene], None] | None = None
    edit: Callable[[Scene, dict[str, Any]], None] | None = None
    gap: str | None = None


@dataclass(frozen=True)
class Observed:
    """What both tools said about a case (``None``: not run, not applicable)."""

    audit: Outcome | None
    scanner: Outcome | None
    audit_detail: str = ""
    scanner_detail: str = ""


def run_case(case: Case, scene: Scene) -> Observed:
    """Tamper as ``case`` says on the restored world, then run each tool the case applies to."""
    if case.tamper is not None:
        case.tamper(scene)
    audit = scanner = None
    audit_detail = scanner_detail = ""
    if case.audit is not None:
        audit, audit_detail = scene.run_audit()
    if case.scanner is not None:
        bundle = None
        if case.edit is not None:
            bundle = scene.bundle()
            case.edit(scene, bundle)
        scanner, scanner_detail = scene.run_scanner(bundle)
    return Observed(audit, scanner, audit_detail, scanner_detail)


# --- tampering with the store (signed data) ---


def _edit_document(scene: Scene) -> None:
    scene.sql("UPDATE event SET document = replace(document, 'S2', 'S9') WHERE id = 4")


def _backdate_document(scene: Scene) -> None:
    """The sale's signed time moved a day back in the stored document (the Event Hash ID left as it was)."""
    scene.sql("UPDATE event SET document = :d WHERE id = 7", d=_document_with(scene, 7, eventTime=_day_back(scene, 7)))


def _rehash(scene: Scene) -> None:
    """The shipment's document edited and its Event Hash ID recomputed to match (the signature left as it was)."""
    from tests.backend.audit_world import hash_of

    body = _stored(scene, 5)
    body["readPoint"] = {"id": SHOP}
    document = {k: v for k, v in body.items() if k != "@context"}
    scene.sql(
        "UPDATE event SET document = :d, hash_id = :h WHERE id = 5",
        d=json.dumps(body, separators=(",", ":")),
        h=hash_of(document),
    )


def _foreign_signature(scene: Scene) -> None:
    """The manufacturer's shipment signed again by the retailer's key (registered, but the retailer's)."""
    hash_id = _hash_id(scene, 5)
    scene.sql(
        "UPDATE event SET signature = :s, key_id = :k WHERE id = 5",
        s=encode_signature(sign_hash_id(KEYS[RETAILER], hash_id)),
        k=KEYS[RETAILER].key_id,
    )


def _random_signature(scene: Scene) -> None:
    stranger = SigningKey.from_private_bytes(b"\x66" * 32)
    scene.sql(
        "UPDATE event SET signature = :s WHERE id = 5", s=encode_signature(sign_hash_id(stranger, _hash_id(scene, 5)))
    )


def _unregistered_key(scene: Scene) -> None:
    """Signed again, with its key id, by a key nobody registered."""
    stranger = SigningKey.from_private_bytes(b"\x67" * 32)
    scene.sql(
        "UPDATE event SET signature = :s, key_id = :k WHERE id = 5",
        s=encode_signature(sign_hash_id(stranger, _hash_id(scene, 5))),
        k=stranger.key_id,
    )


def _replaced_signature(scene: Scene) -> None:
    scene.sql("UPDATE event SET signature = (SELECT signature FROM event WHERE id = 3) WHERE id = 5")


def _delete_event(scene: Scene) -> None:
    _delete(scene, 5)


def _delete(scene: Scene, event_id: int) -> None:
    """Delete a stored event as a dishonest operator would, its index rows and story links with it (the next link
    of each identifier then names no stored event as its previous)."""
    scene.sql("DELETE FROM event_identifier WHERE event_id = :i", i=event_id)
    scene.sql("DELETE FROM event_link WHERE event_id = :i", i=event_id)
    scene.sql("UPDATE event_link SET previous_event_id = NULL WHERE previous_event_id = :i", i=event_id)
    scene.sql("DELETE FROM event WHERE id = :i", i=event_id)


def _never_anchored(scene: Scene) -> None:
    world = scene.world
    body = event("ObjectEvent", world.base_ms + 30_000, "commissioning", action="ADD", epcList=[serial("N1")])
    world.insert_event(MANUFACTURER, KEYS[MANUFACTURER], body, received_at=world.base_ms - 3_600_000)


def _revoked_key(scene: Scene) -> None:
    """An inspection of S1 signed with a key the regulator revoked before the event time, stored and anchored."""
    world = scene.world
    spare = SigningKey.from_private_bytes(b"\x55" * 32)
    regulator = world.registry.as_signer(dev_account("regulator").account)
    regulator.add_key(MANUFACTURER, spare.public_key_bytes)
    regulator.revoke_key(spare.public_key_bytes, 9)
    revoked_at = world.registry.key_info(spare.public_key_bytes).revoked_at
    assert revoked_at
    body = event("ObjectEvent", (revoked_at + 2) * 1000, "inspecting", action="OBSERVE", epcList=[serial("S1")])
    _store(scene, MANUFACTURER, spare, body, received_at=(revoked_at + 3) * 1000)
    world.chain.increase_time(5)
    assert world.anchor() == 1


def _backdated_with_stolen_key(scene: Scene) -> None:
    """A key revoked as compromised; then an inspection of S1 signed with it, dated before the revocation (when the
    key was still valid), received and anchored after it."""
    world = scene.world
    spare = SigningKey.from_private_bytes(b"\x56" * 32)
    regulator = world.registry.as_signer(dev_account("regulator").account)
    regulator.add_key(MANUFACTURER, spare.public_key_bytes)
    world.chain.increase_time(60)
    regulator.revoke_key(spare.public_key_bytes, 9)
    revoked_at = world.registry.key_info(spare.public_key_bytes).revoked_at
    assert revoked_at
    body = event("ObjectEvent", (revoked_at - 30) * 1000, "inspecting", action="OBSERVE", epcList=[serial("S1")])
    _store(scene, MANUFACTURER, spare, body, received_at=(revoked_at + 2) * 1000)
    world.chain.increase_time(5)
    assert world.anchor() == 1


def _recall(scene: Scene) -> None:
    """The maker recalls lot P-LOT (S1..S3) over HTTP; the scanner resolves S3's code, which carries the lot."""
    import httpx

    world = scene.world
    auth = {"Authorization": f"Bearer {world.tokens[MANUFACTURER]}"}
    recalled = httpx.post(
        world.url + "/recalls", json={"gtin": GTIN, "lot": "P-LOT", "reason": "微生物超标"}, headers=auth, timeout=30
    )
    assert recalled.status_code == 201, recalled.text
    scene.serial, scene.lot = "S3", "P-LOT"


def _scan_lot_coded(scene: Scene) -> None:
    scene.serial, scene.lot = "S3", "P-LOT"


def _hidden_recall(scene: Scene) -> None:
    """The recall (the scanner warns of it), then deleted from the platform's store."""
    _recall(scene)
    shown, detail = scene.run_scanner(None)
    assert shown == outcome(0, "recalled"), detail
    scene.sql("DELETE FROM recall")


def _stored_by(org: str, step: str, epc: str, **fields: Any) -> Callable[[Scene], None]:
    """An event the platform stores (and anchors) without its capture checks, signed by ``org``'s own key."""

    def tamper(scene: Scene) -> None:
        world = scene.world
        at = world.chain.block_timestamp() * 1000 + 1000
        action = "ADD" if step == "commissioning" else "OBSERVE"
        body = event("ObjectEvent", at, step, action=action, epcList=[epc], **fields)
        _store(scene, org, KEYS[org], body, received_at=at + 500, recognition=fields.get("sc:recognition"))
        world.chain.increase_time(5)
        assert world.anchor() == 1
        scene.serial = epc.rsplit("/", 1)[1]

    return tamper


def _future_dated(scene: Scene) -> None:
    """The maker's signed inspection of S1 dated a day ahead, stored and anchored now (before its own time)."""
    world = scene.world
    at = (world.chain.block_timestamp() + 86_400) * 1000
    body = event("ObjectEvent", at, "inspecting", action="OBSERVE", epcList=[serial("S1")])
    _store(scene, MANUFACTURER, KEYS[MANUFACTURER], body, received_at=world.chain.block_timestamp() * 1000)
    world.chain.increase_time(5)
    assert world.anchor() == 1


def _anchored_late(scene: Scene) -> None:
    """S1 inspected; the platform received it an hour before it anchored it (its receipt promised 5 minutes)."""
    world = scene.world
    at = world.chain.block_timestamp() * 1000 + 1000
    body = event("ObjectEvent", at, "inspecting", action="OBSERVE", epcList=[serial("S1")])
    _store(scene, MANUFACTURER, KEYS[MANUFACTURER], body, received_at=at + 1000)
    world.chain.increase_time(3600)
    assert world.anchor() == 1


# --- the platform's record (indexed columns) against the signed document ---


def _sql(statement: str, **params: Any) -> Callable[[Scene], None]:
    """Run ``statement`` on the store (``:r`` is the supplier's green recognition; more parameters by name)."""

    def tamper(scene: Scene) -> None:
        scene.sql(statement, r=scene.world.recognition, **params)

    return tamper


def _swap_recognition(scene: Scene) -> None:
    """The supplier's shipment cites recognition 1; its record is made to name another one the supplier holds."""
    world = scene.world
    now = world.chain.block_timestamp()
    terms = ev.RecognitionTerms(
        holder=SUPPLIER, kind=RecognitionKind.GREEN_PRODUCT, level=Level.NATIONAL, grade=Grade.NONE,
        scope=Scope.PRODUCT, subject="06923456000209", standard_ref="GB/T 32161-2015", valid_from=now - 86_400,
        valid_until=now + 86_400, evidence_hash=hashlib.sha256(b"another").digest(),
    )  # fmt: skip
    other, _ = world.registry.as_signer(dev_account("national-certifier").account).issue_recognition(terms)
    scene.sql("UPDATE event SET recognition_id = :r, recognition_status = 'IN_FORCE' WHERE id = 2", r=other)


# --- roots and batches ---


def _swap_root(scene: Scene) -> None:
    scene.sql("UPDATE batch SET root = :fake WHERE id = 1", fake="0x" + "ee" * 32)


def _swap_root_with_anchorer(scene: Scene) -> None:
    _swap_root(scene)
    scene.audit_args += ["--anchorer", dev_account("anchorer").address]


def _withhold_batch(scene: Scene) -> None:
    world = scene.world
    world.post(MANUFACTURER, [event("ObjectEvent", world.base_ms + 90_000, "commissioning", action="ADD",
                                    epcList=[serial("W1")])])  # fmt: skip
    assert world.anchor() == 1
    _delete(scene, 8)
    scene.sql("DELETE FROM batch WHERE id = 2")


def _rogue_anchor(scene: Scene) -> None:
    """Someone the regulator also made an anchorer anchors a root of its own (not the platform's)."""
    from chain.registry import ROLE_ANCHORER

    world = scene.world
    rogue = dev_account("stranger")
    world.registry.as_signer(dev_account("regulator").account).grant_role(ROLE_ANCHORER, rogue.address)
    world.registry.as_signer(rogue.account).anchor_root(b"\x42" * 32, 3)


def _publish_master_data(scene: Scene) -> int:
    """The maker's master data for S1's GTIN published over HTTP and anchored; returns its validity start."""
    import httpx

    from supplychain.masterdata import ProductMasterData, build_product, sign_master_data

    world = scene.world
    t = world.chain.block_timestamp()
    product = ProductMasterData(GTIN, {"zh-CN": "审计样品"}, 1, t)
    published = httpx.post(
        world.url + f"/products/{GTIN}/master-data",
        content=json.dumps(sign_master_data(KEYS[MANUFACTURER], MANUFACTURER, build_product(product))).encode(),
        headers={"Authorization": f"Bearer {world.tokens[MANUFACTURER]}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert published.status_code == 201, published.text
    world.chain.increase_time(5)
    assert world.anchor() == 1
    return t


def _edit_master_data(scene: Scene) -> None:
    _publish_master_data(scene)
    scene.sql("UPDATE master_data SET envelope = replace(envelope, '审计样品', '有机样品')")


def _forged_master_data(scene: Scene) -> None:
    """The maker's master data published and anchored, then a version signed by the supplier stored beside it."""
    from supplychain.masterdata import ProductMasterData, build_product, sign_master_data

    t = _publish_master_data(scene)
    forged = sign_master_data(
        KEYS[SUPPLIER], SUPPLIER, build_product(ProductMasterData(GTIN, {"zh-CN": "冒名"}, 2, t + 1))
    )
    scene.sql(
        "INSERT INTO master_data (gtin, version, org_id, key_id, signature, document_hash, envelope, valid_from, "
        "received_at) VALUES (:gtin, 2, :org, :key, :sig, :hash, :envelope, :t, 0)",
        gtin=GTIN, org=SUPPLIER, key=forged["keyId"], sig=forged["signature"], hash=forged["documentHash"],
        envelope=json.dumps(forged), t=t + 1,
    )  # fmt: skip


# --- continued audits (a first run, then the tampering, then a run from its state) ---


def _new_events_after_audit(scene: Scene) -> None:
    """Honest work after an audit: S2 sold and two serials made, captured and anchored; one more captured only."""
    world = scene.world
    scene.audit_first()
    t = world.chain.block_timestamp() * 1000 + 1000
    world.post(RETAILER, [event("ObjectEvent", t, "retail_selling", action="OBSERVE", epcList=[serial("S2")],
                                bizLocation={"id": SHOP})])  # fmt: skip
    world.post(MANUFACTURER, [
        event("ObjectEvent", t + n, "commissioning", action="ADD", epcList=[serial(f"C{n}")], bizLocation={"id": SITE})
        for n in (1, 2)
    ])  # fmt: skip
    world.chain.increase_time(5)
    assert world.anchor() == 3
    world.post(MANUFACTURER, [event("ObjectEvent", t + 3, "commissioning", action="ADD", epcList=[serial("C3")],
                                    bizLocation={"id": SITE})])  # fmt: skip
    scene.serial = "S2"


def _continued(then: Callable[[Scene], None] | None) -> Callable[[Scene], None]:
    def tamper(scene: Scene) -> None:
        scene.audit_first()
        if then is not None:
            then(scene)

    return tamper


def _insert_below_audited(scene: Scene) -> None:
    """A new event given an id below the last one a first run audited."""
    world = scene.world
    t = world.base_ms + 45_000
    body = event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("G1")])
    world.insert_event(MANUFACTURER, KEYS[MANUFACTURER], body, received_at=t)
    assert world.anchor() == 1
    world.renumber(8, 20)  # a gap in the ids: 1..7, 20
    scene.audit_first()
    later = event("ObjectEvent", t + 1, "commissioning", action="ADD", epcList=[serial("G2")])
    world.insert_event(MANUFACTURER, KEYS[MANUFACTURER], later, received_at=t + 1)
    world.renumber(21, 10)


# --- organisations misbehaving (signed, captured and anchored as the platform should) ---


def _lapsed_claim(scene: Scene) -> None:
    world = scene.world
    world.chain.increase_time(150)
    world.registry.as_signer(dev_account("provincial-certifier").account).revoke_recognition(world.recognition, 2)
    revoked_at = world.registry.status_history(world.recognition)[-1][0]
    claim = event(
        "ObjectEvent", (revoked_at + 1) * 1000, "shipping", action="OBSERVE",
        quantityList=[{"epcClass": LOT, "quantity": 10, "uom": "KGM"}], readPoint={"id": PLANT},
        **{"sc:recognition": world.recognition},
    )  # fmt: skip
    world.post(SUPPLIER, [claim])
    world.chain.increase_time(5)
    assert world.anchor() == 1


def _shipped_before_made(scene: Scene) -> None:
    world = scene.world
    t = world.chain.block_timestamp() * 1000 + 1000
    world.post(
        MANUFACTURER,
        [
            event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("E1")], bizLocation={"id": SITE}),
            event("ObjectEvent", t - 10_000, "shipping", action="OBSERVE", epcList=[serial("E1")]),
        ],
    )
    world.chain.increase_time(5)
    assert world.anchor() == 2
    scene.serial = "E1"


def _sold_before_made(scene: Scene) -> None:
    """E2 made, shipped and received as it should, but the retailer's signed sale is dated before it was made."""
    world = scene.world
    t = world.chain.block_timestamp() * 1000 + 1000
    e2 = [serial("E2")]
    world.post(MANUFACTURER, [
        event("ObjectEvent", t, "commissioning", action="ADD", epcList=e2, bizLocation={"id": SITE}),
        event("ObjectEvent", t + 1000, "shipping", action="OBSERVE", epcList=e2, readPoint={"id": SITE}),
    ])  # fmt: skip
    world.post(RETAILER, [
        event("ObjectEvent", t + 2000, "receiving", action="OBSERVE", epcList=e2, bizLocation={"id": SHOP}),
        event("ObjectEvent", t - 60_000, "retail_selling", action="OBSERVE", epcList=e2, bizLocation={"id": SHOP}),
    ])  # fmt: skip
    world.chain.increase_time(5)
    assert world.anchor() == 4
    scene.serial = "E2"


def _sibling_sale(scene: Scene) -> None:
    """The retailer also sells S2 (captured and anchored): its genuine sale, for the bundle cases to misuse."""
    world = scene.world
    t = world.chain.block_timestamp() * 1000 + 1000
    world.post(RETAILER, [event("ObjectEvent", t, "retail_selling", action="OBSERVE", epcList=[serial("S2")],
                                bizLocation={"id": SHOP})])  # fmt: skip
    world.chain.increase_time(5)
    assert world.anchor() == 1
    scene.extra["sibling"] = scene.bundle("S2")["events"][-1]


# --- editing S1's bundle (what a platform or anyone in between may serve) ---


def _bundle_event(index: int, change: Callable[[dict[str, Any]], None]) -> Callable[[Scene, dict[str, Any]], None]:
    def edit(scene: Scene, bundle: dict[str, Any]) -> None:
        change(bundle["events"][index])

    return edit


def _drop(index: int) -> Callable[[Scene, dict[str, Any]], None]:
    def edit(scene: Scene, bundle: dict[str, Any]) -> None:
        del bundle["events"][index]

    return edit


def _swap_proofs(scene: Scene, bundle: dict[str, Any]) -> None:
    first, second = bundle["events"][0], bundle["events"][1]
    first["root"], second["root"] = second["root"], first["root"]  # one batch: same root, different paths
    first["proof"], second["proof"] = second["proof"], first["proof"]


def _forge_root(scene: Scene, bundle: dict[str, Any]) -> None:
    item = bundle["events"][1]
    leaf = hash_id_to_bytes32(item["envelope"]["eventHashId"])
    forged = MerkleTree.build([leaf, b"\x07" * 32, b"\x08" * 32, b"\x09" * 32])  # a tree never anchored
    item["proof"] = ["0x" + p.hex() for p in forged.proof(forged.index_of(leaf))]
    item["root"] = "0x" + forged.root.hex()


def _duplicate(scene: Scene, bundle: dict[str, Any]) -> None:
    bundle["events"].append(copy.deepcopy(bundle["events"][1]))


def _reverse(scene: Scene, bundle: dict[str, Any]) -> None:
    bundle["events"].reverse()


def _relabel_sibling(scene: Scene, bundle: dict[str, Any]) -> None:
    """S2's genuine sale relabelled as S1's, in place of S1's sale."""
    sale = copy.deepcopy(scene.extra["sibling"])
    sale["envelope"]["event"]["epcList"] = [serial("S1")]
    bundle["events"][-1] = sale


def _sibling_in_place(scene: Scene, bundle: dict[str, Any]) -> None:
    bundle["events"][-1] = copy.deepcopy(scene.extra["sibling"])


def _forged_registry(scene: Scene) -> None:
    """A registry anyone may deploy, named by the bundle; the scanner is run without pinning one."""
    other = deploy_registry(scene.world.chain, dev_account("stranger").account)
    scene.extra["forged"] = other.address
    scene.registry = ""


def _name_forged_registry(scene: Scene, bundle: dict[str, Any]) -> None:
    bundle["registryAddress"] = scene.extra["forged"]


def _full_forgery(scene: Scene) -> None:
    """The forger anchors the platform's batch root on its registry (prepared before the events, see
    :data:`~tests.tamper.world.FORGERY`); the bundle is made to name that registry and that anchor."""
    from chain.registry import Registry

    world = scene.world
    forged = Registry(world.chain, FORGERY["deployment"])
    root = bytes.fromhex(scene.bundle()["events"][0]["root"][2:])
    sequence, tx = forged.as_signer(dev_account("anchorer").account).anchor_root(root, 7)
    info = forged.anchor_of(root)
    scene.extra["anchor"] = {
        "sequence": sequence, "blockNumber": info.block_number, "txHash": tx.tx_hash.lower(),
        "timestamp": info.anchored_at,
    }  # fmt: skip
    scene.registry = ""


def _full_forgery_pinned(scene: Scene) -> None:
    _full_forgery(scene)
    scene.registry = None  # the world's own


def _name_full_forgery(scene: Scene, bundle: dict[str, Any]) -> None:
    bundle["registryAddress"] = FORGERY["deployment"].address
    for item in bundle["events"]:
        item["anchor"] = dict(scene.extra["anchor"])


def _pin_other_registry(scene: Scene) -> None:
    scene.registry = deploy_registry(scene.world.chain, dev_account("stranger").account).address


def _unpinned(scene: Scene) -> None:
    scene.registry = ""


# --- helpers ---


def _store(
    scene: Scene, org: str, key: SigningKey, body: dict[str, Any], *, received_at: int, recognition: int | None = None
) -> None:
    """Store a signed event as a dishonest platform would (no capture checks), with its index rows."""
    hash_id = scene.world.insert_event(org, key, body, received_at=received_at, recognition=recognition)
    if recognition is not None:
        scene.sql("UPDATE event SET recognition_status = 'NOT_HOLDER' WHERE hash_id = :h", h=hash_id)


def _stored(scene: Scene, event_id: int) -> dict[str, Any]:
    with scene.world.platform.engine.connect() as connection:
        from sqlalchemy import text

        raw = connection.execute(text("SELECT document FROM event WHERE id = :i"), {"i": event_id}).scalar_one()
    document: dict[str, Any] = json.loads(raw)
    return document


def _hash_id(scene: Scene, event_id: int) -> str:
    with scene.world.platform.engine.connect() as connection:
        from sqlalchemy import text

        found: str = connection.execute(text("SELECT hash_id FROM event WHERE id = :i"), {"i": event_id}).scalar_one()
    return found


def _day_back(scene: Scene, event_id: int) -> str:
    from datetime import datetime, timedelta

    at = datetime.fromisoformat(_stored(scene, event_id)["eventTime"]) - timedelta(days=1)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _document_with(scene: Scene, event_id: int, **fields: Any) -> str:
    return json.dumps({**_stored(scene, event_id), **fields}, separators=(",", ":"))


FAILED = 1

# fmt: off
CASES: list[Case] = [
    Case("clean", "the clean history, untouched (the scanner on S1)", "clean", audit=CLEAN, scanner=CLEAN),
    Case(
        "clean-s2", "the clean history, the scanner on S2 (shipped, received, not sold)", "clean",
        audit=CLEAN, scanner=CLEAN, tamper=lambda scene: setattr(scene, "serial", "S2"),
    ),
    Case(
        "clean-lot-qr", "the clean history, the scanner on S3's lot-coded QR (/10/P-LOT/21/S3)", "clean",
        audit=None, scanner=CLEAN, tamper=_scan_lot_coded,
    ),
    Case(
        "clean-workers", "the clean history, the audit's checks in 2 worker processes", "clean",
        audit=CLEAN, scanner=None, tamper=lambda scene: scene.audit_args.extend(["--workers", "2"]),
    ),
    Case(
        "continued-untouched", "a continued audit on the untouched store", "clean", audit=CLEAN, scanner=CLEAN,
        tamper=_continued(None),
    ),
    Case(
        "continued-new-events", "honest events captured and anchored after an audit; the next run continues", "clean",
        audit=CLEAN, scanner=CLEAN, tamper=_new_events_after_audit,
    ),
    # --- signed data in the store ---
    Case(
        "edited-document", "the commissioning's stored document edited (S2 -> S9)", "store",
        audit=outcome(FAILED, "hash_mismatch"), scanner=outcome(FAILED, "hash_mismatch"), tamper=_edit_document,
    ),
    Case(
        "backdated-document", "the sale's stored eventTime moved a day back", "store",
        audit=outcome(FAILED, "hash_mismatch"),
        scanner=outcome(
            FAILED, "hash_mismatch", "event_before_origin", "key_not_yet_valid", "organisation_not_registered",
            "role_not_allowed", "sold_without_receipt",
        ),
        tamper=_backdate_document,
    ),
    Case(
        "rehashed-event", "the shipment's document edited and its Event Hash ID recomputed", "store",
        audit=outcome(FAILED, "bad_signature", "column_mismatch", "leaf_withheld", "link_wrong", "proof_invalid"),
        scanner=outcome(FAILED, "bad_signature", "link_invalid", "proof_invalid"), tamper=_rehash,
    ),
    Case(
        "foreign-signature", "the shipment re-signed with the retailer's registered key", "store",
        audit=outcome(FAILED, "key_not_registered"), scanner=outcome(FAILED, "key_not_registered"),
        tamper=_foreign_signature,
    ),
    Case(
        "random-signature", "the shipment's signature made by a stranger's key (key id kept)", "store",
        audit=outcome(FAILED, "bad_signature"), scanner=outcome(FAILED, "bad_signature"), tamper=_random_signature,
    ),
    Case(
        "unregistered-key", "the shipment re-signed by a key nobody registered, with its key id", "store",
        audit=outcome(FAILED, "key_not_registered"), scanner=outcome(FAILED, "key_not_registered"),
        tamper=_unregistered_key,
    ),
    Case(
        "empty-signature", "the shipment's stored signature emptied", "store",
        audit=outcome(FAILED, "bad_signature"), scanner=outcome(FAILED, "bad_signature"),
        tamper=_sql("UPDATE event SET signature = '' WHERE id = 5"),
    ),
    Case(
        "replaced-signature", "the shipment's signature replaced by another event's", "store",
        audit=outcome(FAILED, "bad_signature"), scanner=outcome(FAILED, "bad_signature"), tamper=_replaced_signature,
    ),
    Case(
        "deleted-event", "the anchored shipment deleted from the store", "store",
        audit=outcome(FAILED, "leaf_withheld", "link_wrong"), scanner=outcome(FAILED, "link_invalid"),
        tamper=_delete_event,
    ),
    Case(
        "never-anchored", "an event stored an hour ago and never anchored", "store",
        audit=outcome(FAILED, "not_anchored"), scanner=None, tamper=_never_anchored,
    ),
    Case(
        "revoked-key", "S1 inspected under a key revoked before the event time, stored and anchored", "chain",
        audit=outcome(FAILED, "key_not_valid_at_event_time"), scanner=outcome(FAILED, "key_revoked"),
        tamper=_revoked_key,
    ),
    Case(
        "stored-proof-swapped", "the shipment's stored Merkle proof replaced by another event's", "store",
        audit=outcome(FAILED, "leaf_withheld", "link_wrong", "proof_invalid"), scanner=outcome(FAILED, "proof_invalid"),
        tamper=_sql("UPDATE event SET proof = (SELECT proof FROM event WHERE id = 4) WHERE id = 5"),
    ),
    Case(
        "leaf-count", "the batch's stored leaf count lowered", "store",
        audit=outcome(FAILED, "leaf_count_mismatch"), scanner=None,
        tamper=_sql("UPDATE batch SET leaf_count = 6 WHERE id = 1"),
    ),
    Case(
        "anchored-late", "S1 inspected; anchored an hour after the platform received it", "store",
        audit=outcome(0, "anchored_late"), scanner=None, tamper=_anchored_late,
    ),
    Case(
        "future-dated", "S1 inspected a day ahead of the clock, stored and anchored now", "store",
        audit=outcome(FAILED, "anchored_before_event_time"),
        scanner=outcome(FAILED, "event_after_anchor", "event_in_future", "received_before_event"),
        tamper=_future_dated,
    ),
    Case(
        "role-not-allowed", "the retailer's signed commissioning of a serial, stored and anchored", "store",
        audit=outcome(FAILED, "biz_step_not_allowed", "not_gtin_owner"),
        scanner=outcome(FAILED, "not_gtin_owner", "role_not_allowed"),
        tamper=_stored_by(RETAILER, "commissioning", serial("K1")),
    ),
    Case(
        "not-gtin-owner", "the supplier's signed commissioning of the manufacturer's GTIN, stored and anchored",
        "store", audit=outcome(FAILED, "not_gtin_owner"), scanner=outcome(FAILED, "not_gtin_owner"),
        tamper=_stored_by(SUPPLIER, "commissioning", serial("K1")),
    ),
    Case(
        "unfounded-claim", "the retailer's signed event citing the supplier's recognition, stored and anchored",
        "store", audit=outcome(FAILED, "green_claim_unfounded"), scanner=outcome(FAILED, "citation_not_in_force"),
        tamper=_stored_by(RETAILER, "inspecting", serial("S1"), **{"sc:recognition": 1}),
    ),
    Case(
        "backdated-stolen-key", "S1 inspected under a key revoked as compromised, dated before the revocation,"
        " received and anchored after it", "chain",
        audit=outcome(FAILED, "signed_after_key_compromise"), scanner=outcome(FAILED, "key_compromised"),
        tamper=_backdated_with_stolen_key,
    ),
    Case(
        "hidden-recall", "the maker's recall of S1's lot deleted from the store", "store",
        audit=CLEAN, scanner=CLEAN, tamper=_hidden_recall,
        gap="neither tool: a recall is the platform's word only (not signed, not anchored, not exported)",
    ),
    # --- the platform's record against the signed document ---
    *(
        Case(
            f"column-{name}", f"the stored {name} column contradicts the signed document", "column",
            audit=outcome(FAILED, "column_mismatch"), scanner=None, tamper=_sql(sql),
        )
        for name, sql in (
            ("event_time", "UPDATE event SET event_time = event_time - 86400000 WHERE id = 4"),
            ("biz_location", "UPDATE event SET biz_location = 'https://id.gs1.org/414/6901234000030' WHERE id = 4"),
            ("biz_step", "UPDATE event SET biz_step = 'receiving' WHERE id = 4"),
            ("status", "UPDATE event SET recognition_status = 'REVOKED' WHERE id = 2"),
            ("recognition-dropped", "UPDATE event SET recognition_id = NULL, recognition_status = NULL WHERE id = 2"),
        )
    ),
    Case(
        "column-org", "the shipment attributed to the supplier in the store", "column",
        audit=outcome(FAILED, "key_not_registered"), scanner=outcome(FAILED, "key_not_registered"),
        tamper=_sql("UPDATE event SET org_id = '91320200MA1MX7K3GD' WHERE id = 5"),
    ),
    Case(
        "column-received-at", "the shipment's stored receipt time moved an hour later", "column",
        audit=outcome(FAILED, "received_after_anchor"), scanner=outcome(FAILED, "received_after_anchor"),
        tamper=_sql("UPDATE event SET received_at = received_at + 3600000 WHERE id = 5"),
    ),
    Case(
        "unlinked-sale", "the sale's link to S1 removed from the identifier index", "column",
        audit=outcome(FAILED, "record_unreadable"), scanner=outcome(FAILED, "event_not_shown"),
        tamper=_sql("DELETE FROM event_identifier WHERE event_id = 7"),
    ),
    Case(
        "batch-block", "the batch's stored block number changed", "store",
        audit=outcome(FAILED, "batch_anchor_mismatch"), scanner=outcome(FAILED, "anchor_mismatch"),
        tamper=_sql("UPDATE batch SET block_number = block_number + 1 WHERE id = 1"),
    ),
    Case(
        "linked-foreign-event", "the supplier's LOT-A commissioning linked to S1 in the identifier index (the"
        " platform's MATCH_anyEPC query then answers it for S1; the bundle is rebuilt from documents)", "column",
        audit=outcome(FAILED, "record_unreadable"), scanner=None,
        tamper=_sql("INSERT INTO event_identifier (event_id, identifier, role) VALUES (1, :s, 'epc')", s=serial("S1")),
    ),
    Case(
        "batch-sequence", "the batch's stored anchor sequence changed", "store",
        audit=outcome(FAILED, "batch_anchor_mismatch"), scanner=outcome(FAILED, "anchor_mismatch"),
        tamper=_sql("UPDATE batch SET sequence = sequence + 5 WHERE id = 1"),
    ),
    Case(
        "unanchored-in-store", "the shipment's anchoring removed from the store (batch and proof)", "store",
        audit=outcome(FAILED, "leaf_withheld", "link_wrong"), scanner=outcome(FAILED, "not_anchored"),
        tamper=_sql("UPDATE event SET batch_id = NULL, proof = NULL, leaf_index = NULL WHERE id = 5"),
    ),
    Case(
        "column-event-type", "the shipment's stored event type changed", "column",
        audit=outcome(FAILED, "column_mismatch"), scanner=None,
        tamper=_sql("UPDATE event SET event_type = 'TransactionEvent' WHERE id = 5"),
    ),
    Case(
        "citation-added", "a green citation added by the platform to the manufacturer's commissioning", "column",
        audit=outcome(FAILED, "column_mismatch"), scanner=None,
        tamper=_sql("UPDATE event SET recognition_id = :r, recognition_status = 'IN_FORCE' WHERE id = 4"),
    ),
    Case(
        "recognition-swap", "the cited recognition swapped for another one the supplier holds", "column",
        audit=outcome(FAILED, "column_mismatch"), scanner=None, tamper=_swap_recognition,
    ),
    # --- roots and batches ---
    Case(
        "swapped-root", "the batch's root replaced in the store (audit without --anchorer)", "store",
        audit=outcome(FAILED, "batch_not_on_chain", "root_unknown_to_platform"),
        scanner=outcome(FAILED, "link_invalid", "proof_invalid", "root_not_anchored"), tamper=_swap_root,
    ),
    Case(
        "swapped-root-anchorer", "the batch's root replaced in the store (audit with --anchorer)", "store",
        audit=outcome(FAILED, "batch_not_on_chain", "root_unknown_to_platform"),
        scanner=outcome(FAILED, "link_invalid", "proof_invalid", "root_not_anchored"), tamper=_swap_root_with_anchorer,
    ),
    Case(
        "withheld-batch", "a whole anchored batch removed from the store and the export", "export",
        audit=outcome(FAILED, "root_unknown_to_platform"), scanner=None, tamper=_withhold_batch,
    ),
    Case(
        "rogue-anchor", "a root anchored by another anchorer than the platform's", "chain",
        audit=outcome(0, "root_unattributed"), scanner=None, tamper=_rogue_anchor,
    ),
    Case(
        "edited-master-data", "the maker's anchored master data edited in the store (the product's name)", "store",
        audit=outcome(FAILED, "master_data_invalid"), scanner=outcome(FAILED, "master_data_hash_mismatch"),
        tamper=_edit_master_data,
    ),
    Case(
        "forged-master-data", "master data signed by the supplier for the maker's GTIN, stored beside the maker's",
        "store", audit=outcome(FAILED, "master_data_invalid"), scanner=outcome(FAILED, "not_gtin_owner"),
        tamper=_forged_master_data,
    ),
    # --- continued audits ---
    Case(
        "continued-edit", "a document edited after an audit; the next run continues", "continued",
        audit=outcome(FAILED, "audited_event_changed"), scanner=outcome(FAILED, "hash_mismatch"),
        tamper=_continued(_edit_document),
    ),
    Case(
        "continued-signature", "a signature replaced after an audit; the next run continues", "continued",
        audit=outcome(FAILED, "audited_event_changed"), scanner=outcome(FAILED, "bad_signature"),
        tamper=_continued(_replaced_signature),
    ),
    Case(
        "continued-delete", "an audited event deleted; the next run continues", "continued",
        audit=outcome(FAILED, "audited_event_changed", "audited_event_missing"),
        scanner=outcome(FAILED, "link_invalid"), tamper=_continued(_delete_event),
    ),
    Case(
        "continued-insert", "an event inserted below the last audited id; the next run continues", "continued",
        audit=outcome(FAILED, "event_inserted_into_audited_range"), scanner=None, tamper=_insert_below_audited,
    ),
    # --- organisations misbehaving, the platform storing and anchoring what they signed ---
    Case(
        "lapsed-claim", "a green claim made after the recognition was revoked", "chain",
        audit=outcome(FAILED, "green_claim_while_lapsed"), scanner=None, tamper=_lapsed_claim,
    ),
    Case(
        "shipped-before-made", "a signed shipment dated before the serial's commissioning", "chain",
        audit=outcome(0, "chronology_shipped_before_produced"), scanner=outcome(FAILED, "event_before_origin"),
        tamper=_shipped_before_made,
    ),
    Case(
        "sold-before-made", "a signed sale dated before the serial was made", "chain",
        audit=outcome(FAILED, "chronology_sold_before_produced", "chronology_sold_before_received"),
        scanner=outcome(FAILED, "event_before_origin", "sold_without_receipt"),
        tamper=_sold_before_made,
    ),
    # --- S1's bundle edited ---
    Case(
        "bundle-edited-event", "an event of the bundle edited", "bundle", audit=None,
        scanner=outcome(FAILED, "hash_mismatch"),
        edit=_bundle_event(0, lambda e: e["envelope"]["event"].update(bizLocation={"id": SHOP})),
    ),
    Case(
        "bundle-swapped-proofs", "two events' Merkle proofs swapped", "bundle", audit=None,
        scanner=outcome(FAILED, "proof_invalid"), edit=_swap_proofs,
    ),
    Case(
        "bundle-forged-root", "an event proved into a root never anchored", "bundle", audit=None,
        scanner=outcome(FAILED, "root_not_anchored"), edit=_forge_root,
    ),
    Case(
        "bundle-anchor-block", "an anchor's block number changed", "bundle", audit=None,
        scanner=outcome(FAILED, "anchor_mismatch"),
        edit=_bundle_event(1, lambda e: e["anchor"].update(blockNumber=e["anchor"]["blockNumber"] + 1)),
    ),
    Case(
        "bundle-other-chain", "the bundle names another chain", "bundle", audit=None,
        scanner=outcome(FAILED, "other_chain"), edit=lambda s, b: b.update(chainId=1),
    ),
    Case(
        "bundle-dropped-origin", "the commissioning dropped from the bundle", "bundle", audit=None,
        scanner=outcome(FAILED, "event_not_shown", "origin_missing"), edit=_drop(0),
    ),
    Case(
        "bundle-dropped-shipment", "the manufacturer's shipment dropped from the bundle", "bundle", audit=None,
        scanner=outcome(FAILED, "event_not_shown", "received_not_shipped"), edit=_drop(1),
    ),
    Case(
        "bundle-dropped-receipt", "the retailer's receipt dropped from the bundle", "bundle", audit=None,
        scanner=outcome(FAILED, "event_not_shown", "sold_without_receipt"), edit=_drop(2),
    ),
    Case(
        "bundle-duplicated-event", "an event listed twice", "bundle", audit=None,
        scanner=outcome(FAILED, "duplicate_event"), edit=_duplicate,
    ),
    Case(
        "bundle-reordered", "the events listed last to first: the same story, which the scanner tells in time order",
        "clean", audit=None, scanner=CLEAN, edit=_reverse,
    ),
    Case(
        "bundle-receipt-late", "a receiptTime moved after the anchor", "bundle", audit=None,
        scanner=outcome(FAILED, "received_after_anchor"),
        edit=_bundle_event(1, lambda e: e.update(receiptTime=e["anchor"]["timestamp"] + 3600)),
    ),
    Case(
        "bundle-receipt-early", "a receiptTime moved before the event", "bundle", audit=None,
        scanner=outcome(FAILED, "received_before_event"),
        edit=_bundle_event(1, lambda e: e.update(receiptTime=e["receiptTime"] - 86_400)),
    ),
    Case(
        "bundle-sibling-event", "S2's genuine sale put in place of S1's", "bundle", audit=None,
        scanner=outcome(FAILED, "event_not_shown", "unrelated_event"), tamper=_sibling_sale, edit=_sibling_in_place,
    ),
    Case(
        "bundle-relabelled-sibling", "S2's genuine sale relabelled as S1's", "bundle", audit=None,
        scanner=outcome(FAILED, "event_not_shown", "hash_mismatch", "link_missing"),
        tamper=_sibling_sale, edit=_relabel_sibling,
    ),
    # --- trust anchors ---
    Case(
        "unpinned-registry", "the scanner run with no registry pinned", "trust", audit=None,
        scanner=outcome(FAILED, "registry_not_pinned", "registry_from_bundle"), tamper=_unpinned,
    ),
    Case(
        "forged-registry", "the bundle names a forged registry; no registry pinned", "trust", audit=None,
        scanner=outcome(
            FAILED, "registry_not_pinned", "registry_from_bundle", "key_not_registered", "organisation_not_registered",
            "role_not_allowed", "root_not_anchored", "link_invalid",
        ),
        tamper=_forged_registry, edit=_name_forged_registry,
    ),
    Case(
        "full-forgery-unpinned", "a forged registry prepared before the events (same organisations and keys) with"
        " the batch root anchored on it; the bundle names it; no registry pinned", "trust", audit=None,
        scanner=outcome(FAILED, "registry_not_pinned", "registry_from_bundle"),
        tamper=_full_forgery, edit=_name_full_forgery,
    ),
    Case(
        "full-forgery-pinned", "the same forgery, the real registry pinned", "trust", audit=None,
        scanner=outcome(FAILED, "other_registry"),
        tamper=_full_forgery_pinned,
        edit=_name_full_forgery,
    ),
    Case(
        "other-registry-pinned", "a registry other than the bundle's pinned", "trust", audit=None,
        scanner=outcome(FAILED, "other_registry"), tamper=_pin_other_registry,
    ),
    # --- damaged storage ---
    Case(
        "damaged-document", "the shipment's stored document is not JSON", "damage",
        audit=outcome(FAILED, "hash_mismatch", "record_unreadable"),
        scanner=outcome(FAILED, "event_not_shown", "received_not_shipped"),
        tamper=_sql("UPDATE event SET document = '{broken' WHERE id = 5"),
    ),
    Case(
        "damaged-proof", "the shipment's stored proof is not JSON", "damage",
        audit=outcome(FAILED, "record_unreadable"), scanner=outcome(FAILED, "not_anchored"),
        tamper=_sql("UPDATE event SET proof = '{broken' WHERE id = 5"),
    ),
    Case(
        "damaged-batch-tx", "the batch stored as anchored without its transaction hash", "damage",
        audit=outcome(FAILED, "batch_anchor_mismatch"), scanner=outcome(FAILED, "not_anchored"),
        tamper=_sql("UPDATE batch SET tx_hash = NULL WHERE id = 1"),
    ),
]
# fmt: on
