"""Realistic small supply chains for the trace, green and verification tests.

:class:`ChainBuilder` makes signed EPCIS events (real Ed25519 keys, real Event Hash IDs) and the registry history
that goes with them (organisations, keys, recognitions, anchored Merkle roots), and :func:`appliance_chain` builds
the reference scenario, a 3-level product::

    steel coil (RAW_A, KGM) --\\
                              +--> housing lots H1, H2 (COMPONENT) --\\
    resin (RAW_B, KGM) -------/                                      +--> appliances A-1..A-4, lot A-LOT1
    packaging film (RAW_A, KGM) ------------------------------------/        (ASSEMBLER)
    -> cases C1 (A-1, A-2), C2 (A-3, A-4) -> pallet P1 -> LOGISTICS -> RETAILER (unpacks, sells A-1)

RAW_B's green-factory recognition is suspended on day 5, between its two resin lots (R1 shipped day 2, R2 day 7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from supplychain.epcis import parse_event
from supplychain.eventhash import event_hash_id
from supplychain.gs1 import gs1_check_digit
from supplychain.links import LinkChain, item_identifiers
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import (
    BusinessRole,
    Grade,
    Level,
    RecognitionKind,
    RegistryMirror,
    Scope,
)
from supplychain.registry.events import (
    KeyAdded,
    KeyRevoked,
    LogPosition,
    OrganisationRegistered,
    RecognitionIssued,
    RecognitionSuspended,
    RecognitionTerms,
    RegistryEvent,
    RootAnchored,
)
from supplychain.signing import RECOGNITION_FIELD, SIGNATURE_NAMESPACE, SigningKey, make_envelope
from supplychain.trace import TracedEvent, TraceIndex, node_id

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z
DAY = 86_400
CHAIN_ID = 31337
REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
ANCHORER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
REGULATOR = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
CERTIFIER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"


def gln(prefix: str) -> str:
    """A GLN (13 digits with its check digit) of a 7-digit company prefix."""
    body = prefix + "00000"
    return body + gs1_check_digit(body)


def iso(t: int) -> str:
    """A Unix time as an EPCIS timestamp."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sgtin(prefix: str, item: str, serial: str) -> str:
    """``urn:epc:id:sgtin:...`` of a serial."""
    return f"urn:epc:id:sgtin:{prefix}.{item}.{serial}"


def lgtin(prefix: str, item: str, lot: str) -> str:
    """``urn:epc:class:lgtin:...`` of a lot."""
    return f"urn:epc:class:lgtin:{prefix}.{item}.{lot}"


def sscc(prefix: str, ref: str) -> str:
    """``urn:epc:id:sscc:...`` of a logistic unit."""
    return f"urn:epc:id:sscc:{prefix}.{ref}"


def sgln(prefix: str, ext: str = "0") -> str:
    """``urn:epc:id:sgln:...`` of a site."""
    return f"urn:epc:id:sgln:{prefix}.00000.{ext}"


def qty(epc_class: str, quantity: float, uom: str | None = None) -> dict[str, Any]:
    """A quantity element."""
    element: dict[str, Any] = {"epcClass": epc_class, "quantity": quantity}
    if uom is not None:
        element["uom"] = uom
    return element


@dataclass
class Org:
    """An organisation of the scenario: id, signing key, roles, company prefix (for its identifiers and site)."""

    name: str
    org_id: str
    key: SigningKey
    roles: BusinessRole
    prefix: str

    @property
    def site(self) -> str:
        """Its site as an SGLN URN."""
        return sgln(self.prefix)


@dataclass
class Anchored:
    """How one event was anchored: root, proof, sequence, block, transaction, time."""

    root: bytes
    proof: list[bytes]
    sequence: int
    block_number: int
    tx_hash: str
    timestamp: int


@dataclass
class ChainBuilder:
    """Collects signed events and registry history; see the module docstring."""

    envelopes: list[dict[str, Any]] = field(default_factory=list)
    registry: list[tuple[int, Any]] = field(default_factory=list)  # (timestamp, event without position)
    anchored: dict[str, Anchored] = field(default_factory=dict)
    orgs: dict[str, Org] = field(default_factory=dict)
    # identifier -> its story links in anchoring order: (event hash, previous hash or None, root, proof)
    links: dict[str, list[tuple[str, str | None, bytes, list[bytes]]]] = field(default_factory=dict)
    link_chain: LinkChain = field(default_factory=LinkChain)
    _seed: int = 1
    _recognition_id: int = 0
    _sequence: int = 0

    # --- registry ---

    def org(self, name: str, prefix: str, roles: BusinessRole, *, org_id: str | None = None, at: int = T0) -> Org:
        """Register an organisation with one signing key."""
        key = SigningKey.from_private_bytes(self._seed.to_bytes(32, "big"))
        self._seed += 1
        org = Org(name, org_id or gln(prefix), key, roles, prefix)
        self.orgs[name] = org
        self.registry.append((at, ("org", org.org_id, roles)))
        self.registry.append((at, ("key", org.org_id, key.public_key_bytes)))
        return org

    def recognise(
        self,
        org: Org,
        kind: RecognitionKind = RecognitionKind.GREEN_FACTORY,
        *,
        at: int = T0,
        level: Level = Level.PROVINCIAL,
        scope: Scope = Scope.ENTERPRISE,
        subject: str = "",
        valid_until: int | None = None,
    ) -> int:
        """Issue a recognition; returns its id."""
        self._recognition_id += 1
        terms = RecognitionTerms(
            org.org_id,
            kind,
            level,
            Grade.NONE,
            scope,
            subject,
            "GB/T 36132-2018",
            at,
            valid_until,
            b"\x01" * 32,
        )
        self.registry.append((at, ("recognition", self._recognition_id, terms)))
        return self._recognition_id

    def suspend(self, recognition_id: int, holder: Org, at: int) -> None:
        """Suspend a recognition (spot check failed)."""
        self.registry.append((at, ("suspend", recognition_id, holder.org_id)))

    def revoke_key(self, org: Org, at: int) -> None:
        """Revoke an organisation's key."""
        self.registry.append((at, ("revoke_key", org.org_id, org.key.public_key_bytes)))

    def registry_events(self) -> list[RegistryEvent]:
        """The registry history in chain order, one log per block."""
        out: list[RegistryEvent] = []
        for block, (t, item) in enumerate(sorted(self.registry, key=lambda entry: entry[0]), start=1):
            pos = LogPosition(block, 0, f"0x{block:064x}")
            match item:
                case ("org", org_id, roles):
                    out.append(OrganisationRegistered(pos, t, org_id, roles, b"\0" * 32, ""))
                case ("key", org_id, key):
                    out.append(KeyAdded(pos, t, org_id, key))
                case ("revoke_key", org_id, key):
                    out.append(KeyRevoked(pos, t, org_id, key, 9))
                case ("recognition", rid, terms):
                    out.append(RecognitionIssued(pos, t, rid, CERTIFIER, terms))
                case ("suspend", rid, holder):
                    out.append(RecognitionSuspended(pos, t, rid, holder, REGULATOR, 1))
                case ("anchor", root, sequence, count):
                    out.append(RootAnchored(pos, t, root, sequence, ANCHORER, count))
        return out

    def mirror(self) -> RegistryMirror:
        """A registry mirror of the history so far."""
        return RegistryMirror().apply_all(self.registry_events())

    # --- events ---

    def event(self, org: Org, body: Mapping[str, Any], t: int) -> dict[str, Any]:
        """Sign an event posted by ``org`` at time ``t``; returns its envelope."""
        event = {"type": body["type"], "eventTime": iso(t), "eventTimeZoneOffset": "+08:00", **body}
        envelope = make_envelope(org.key, org.org_id, event, event_hash_id(event))
        self.envelopes.append(envelope)
        return envelope

    def commission(
        self,
        org: Org,
        t: int,
        *,
        epcs: Sequence[str] = (),
        quantities: Sequence[dict[str, Any]] = (),
        lot: str | None = None,
    ) -> dict[str, Any]:
        """ObjectEvent ADD commissioning at the org's site."""
        body: dict[str, Any] = {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning"}
        body |= {"disposition": "active", "readPoint": {"id": org.site}, "bizLocation": {"id": org.site}}
        if epcs:
            body["epcList"] = list(epcs)
        if quantities:
            body["quantityList"] = list(quantities)
        if lot is not None:
            body["ilmd"] = {"cbvmda:lotNumber": lot}
        return self.event(org, body, t)

    def observe(
        self,
        org: Org,
        t: int,
        biz_step: str,
        *,
        epcs: Sequence[str] = (),
        quantities: Sequence[dict[str, Any]] = (),
        location: str | None = None,
        cites: int | None = None,
    ) -> dict[str, Any]:
        """ObjectEvent OBSERVE (shipping, receiving, selling...) at ``location`` (default: the org's site), citing
        the recognition ``cites`` (``sc:recognition``, by its full IRI) when given."""
        where = location or org.site
        body: dict[str, Any] = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": biz_step}
        body |= {"readPoint": {"id": where}, "bizLocation": {"id": where}}
        if cites is not None:
            body[SIGNATURE_NAMESPACE + RECOGNITION_FIELD] = cites
        if epcs:
            body["epcList"] = list(epcs)
        if quantities:
            body["quantityList"] = list(quantities)
        return self.event(org, body, t)

    def transform(
        self,
        org: Org,
        t: int,
        *,
        input_epcs: Sequence[str] = (),
        inputs: Sequence[dict[str, Any]] = (),
        output_epcs: Sequence[str] = (),
        outputs: Sequence[dict[str, Any]] = (),
        lot: str | None = None,
        transformation_id: str | None = None,
    ) -> dict[str, Any]:
        """TransformationEvent at the org's site."""
        body: dict[str, Any] = {"type": "TransformationEvent", "bizStep": "commissioning"}
        body |= {"readPoint": {"id": org.site}, "bizLocation": {"id": org.site}}
        for key, value in (
            ("inputEPCList", input_epcs),
            ("inputQuantityList", inputs),
            ("outputEPCList", output_epcs),
            ("outputQuantityList", outputs),
        ):
            if value:
                body[key] = list(value)
        if lot is not None:
            body["ilmd"] = {"cbvmda:lotNumber": lot}
        if transformation_id is not None:
            body["transformationID"] = transformation_id
        return self.event(org, body, t)

    def pack(
        self,
        org: Org,
        t: int,
        parent: str,
        children: Sequence[str] = (),
        *,
        action: str = "ADD",
        event_type: str = "AggregationEvent",
    ) -> dict[str, Any]:
        """AggregationEvent (or AssociationEvent) ADD packing / DELETE unpacking (no children: empty it)."""
        step = {"ADD": "packing", "DELETE": "unpacking", "OBSERVE": "inspecting"}[action]
        if event_type == "AssociationEvent":
            step = "assembling" if action == "ADD" else "disassembling" if action == "DELETE" else step
        body: dict[str, Any] = {"type": event_type, "action": action, "bizStep": step, "parentID": parent}
        body |= {"readPoint": {"id": org.site}, "bizLocation": {"id": org.site}}
        if children:
            body["childEPCs"] = list(children)
        return self.event(org, body, t)

    # --- anchoring ---

    def anchor(self, envelopes: Sequence[Mapping[str, Any]], t: int) -> bytes:
        """Anchor these events in one Merkle batch at time ``t``; returns the root."""
        hashes = [e["eventHashId"] for e in envelopes]
        digests = {hash_id_to_bytes32(h): h for h in hashes}
        made = [
            link
            for e in envelopes
            for link in self.link_chain.add(
                hash_id_to_bytes32(e["eventHashId"]), item_identifiers(parse_event(e["event"]))
            )
        ]
        tree = MerkleTree.build([*digests, *(link.value for link in made)])
        for i, link in enumerate(made):
            previous = None if link.previous is None else digests.get(link.previous) or self._hash_of(link.previous)
            self.links.setdefault(link.identifier, []).append(
                (digests[link.digest], previous, tree.root, tree.proof(len(hashes) + i))
            )
        self._sequence += 1
        self.registry.append((t, ("anchor", tree.root, self._sequence, len(hashes))))
        block = sum(1 for entry in self.registry if entry[0] <= t)  # provisional; fixed in finish_anchors
        for i, h in enumerate(hashes):
            self.anchored[h] = Anchored(tree.root, tree.proof(i), self._sequence, block, "", t)
        return tree.root

    def _hash_of(self, digest: bytes) -> str:
        return next(h for h in self.anchored if hash_id_to_bytes32(h) == digest)

    def anchor_positions(self) -> None:
        """Fill each anchored event's block number and tx hash from the registry history's chain order."""
        by_root = {}
        for event in self.registry_events():
            if isinstance(event, RootAnchored):
                by_root[event.root] = event.position
        for anchored in self.anchored.values():
            position = by_root[anchored.root]
            anchored.block_number, anchored.tx_hash = position.block_number, position.tx_hash

    # --- views ---

    def traced(self, envelopes: Iterable[Mapping[str, Any]] | None = None) -> list[TracedEvent]:
        """The events as the trace graph reads them."""
        return [TracedEvent.from_envelope(e) for e in (self.envelopes if envelopes is None else envelopes)]

    def story_of(self, product: str) -> list[dict[str, Any]]:
        """The envelopes naming something of ``product``'s story: itself, what went into it (its backward trace) and
        the containers it travelled in (a sibling's own events are not part of it)."""
        index = TraceIndex.build(self.traced())
        nodes = {n.identifier for n in index.backward(product).nodes()}
        nodes |= {c.parent for c in index.journey(product).containments}
        related = {r.hash_id for n in nodes for r in index.mentions(n)}
        return [e for e in self.envelopes if e["eventHashId"] in related]

    def links_json(self, identifier: str) -> dict[str, Any]:
        """The whole story-link chain of an identifier, as a version-2 bundle gives it."""
        chain = self.links.get(node_id(identifier), [])
        signed = {e["eventHashId"]: e for e in self.envelopes}
        return {
            "identifier": node_id(identifier),
            "omitted": 0,
            "chain": [
                {
                    "eventHashId": h,
                    "previous": previous,
                    "root": "0x" + root.hex(),
                    "proof": ["0x" + p.hex() for p in proof],
                    "signer": {k: signed[h][k] for k in ("organisationId", "keyId", "signature")},
                }
                for h, previous, root, proof in chain
            ],
        }

    def bundle_json(
        self, product: str, envelopes: Iterable[Mapping[str, Any]] | None = None, *, version: int = 2
    ) -> dict[str, Any]:
        """A proof bundle of these events (by default those of the product's story, :meth:`story_of`); version 2
        gives the whole link chain of the product (as an honest platform does, whatever events are shown)."""
        self.anchor_positions()
        items = []
        for envelope in self.story_of(product) if envelopes is None else envelopes:
            anchored = self.anchored.get(envelope["eventHashId"])
            item: dict[str, Any] = {"envelope": dict(envelope), "receiptTime": None}
            if anchored is None:
                item |= {"proof": None, "root": None, "anchor": None}
            else:
                item |= {
                    "proof": ["0x" + p.hex() for p in anchored.proof],
                    "root": "0x" + anchored.root.hex(),
                    "anchor": {
                        "sequence": anchored.sequence,
                        "blockNumber": anchored.block_number,
                        "txHash": anchored.tx_hash,
                        "timestamp": anchored.timestamp,
                    },
                    "receiptTime": parse_time(envelope) + 1,
                }
            items.append(item)
        bundle = {
            "type": "SupplychainProofBundle",
            "version": version,
            "chainId": CHAIN_ID,
            "registryAddress": REGISTRY,
            "product": product,
            "events": items,
        }
        if version == 2:
            bundle["links"] = [self.links_json(product)]
        return bundle


def parse_time(envelope: Mapping[str, Any]) -> int:
    """An envelope's event time in seconds."""
    return int(parse_event(envelope["event"]).event_time.timestamp())


@dataclass
class Scenario:
    """The reference chain: its builder and named identifiers, envelopes and recognitions."""

    chain: ChainBuilder
    ids: dict[str, str]
    env: dict[str, dict[str, Any]]
    recognitions: dict[str, int]

    @property
    def orgs(self) -> dict[str, Org]:
        """Organisations by name."""
        return self.chain.orgs


def appliance_chain() -> Scenario:
    """Build the reference scenario of the module docstring (events, registry, two anchored batches)."""
    c = ChainBuilder()
    raw_a = c.org("RAW_A", "6901111", BusinessRole.SUPPLIER)
    raw_b = c.org("RAW_B", "6902222", BusinessRole.SUPPLIER)
    comp = c.org("COMPONENT", "6903333", BusinessRole.SUPPLIER | BusinessRole.MANUFACTURER)
    asm = c.org("ASSEMBLER", "6904444", BusinessRole.MANUFACTURER)
    log = c.org("LOGISTICS", "6905555", BusinessRole.LOGISTICS)
    shop = c.org("RETAILER", "6906666", BusinessRole.RETAILER, org_id="91350100M000100Y43")
    rec = {
        "RAW_A": c.recognise(raw_a),
        "RAW_B": c.recognise(raw_b, level=Level.CITY),
        "COMPONENT": c.recognise(comp, level=Level.NATIONAL),
        "ASSEMBLER": c.recognise(asm, RecognitionKind.GREEN_SUPPLY_CHAIN),
    }
    ids = {
        "S1": lgtin("6901111", "010001", "S1"),
        "F1": lgtin("6901111", "010002", "F1"),
        "R1": lgtin("6902222", "020001", "R1"),
        "R2": lgtin("6902222", "020001", "R2"),
        "H1": lgtin("6903333", "030001", "H1"),
        "H2": lgtin("6903333", "030001", "H2"),
        "A-LOT1": lgtin("6904444", "040001", "A-LOT1"),
        "C1": sscc("6904444", "0000000001"),
        "C2": sscc("6904444", "0000000002"),
        "P1": sscc("6905555", "0000000001"),
    }
    for n in range(1, 5):
        ids[f"A-{n}"] = sgtin("6904444", "040001", f"A-{n}")
    serials = [ids[f"A-{n}"] for n in range(1, 5)]
    d = DAY
    env: dict[str, dict[str, Any]] = {}
    env["commission S1"] = c.commission(raw_a, T0 + d, quantities=[qty(ids["S1"], 1000, "KGM")])
    env["commission F1"] = c.commission(raw_a, T0 + d + 60, quantities=[qty(ids["F1"], 50, "KGM")])
    env["commission R1"] = c.commission(raw_b, T0 + d, quantities=[qty(ids["R1"], 500, "KGM")])
    env["ship S1"] = c.observe(raw_a, T0 + 2 * d, "shipping", quantities=[qty(ids["S1"], 1000, "KGM")])
    env["ship F1"] = c.observe(raw_a, T0 + 2 * d + 60, "shipping", quantities=[qty(ids["F1"], 50, "KGM")])
    env["ship R1"] = c.observe(raw_b, T0 + 2 * d, "shipping", quantities=[qty(ids["R1"], 500, "KGM")])
    env["receive S1"] = c.observe(comp, T0 + 3 * d, "receiving", quantities=[qty(ids["S1"], 1000, "KGM")])
    env["make H1"] = c.transform(
        comp,
        T0 + 4 * d,
        inputs=[qty(ids["S1"], 600, "KGM"), qty(ids["R1"], 200, "KGM")],
        outputs=[qty(ids["H1"], 100, "H87")],
    )
    c.anchor(list(c.envelopes), T0 + 4 * d + 3600)
    first_batch = len(c.envelopes)
    c.suspend(rec["RAW_B"], raw_b, T0 + 5 * d)
    env["commission R2"] = c.commission(raw_b, T0 + 6 * d, quantities=[qty(ids["R2"], 500, "KGM")])
    env["ship R2"] = c.observe(raw_b, T0 + 7 * d, "shipping", quantities=[qty(ids["R2"], 500, "KGM")])
    env["make H2"] = c.transform(
        comp,
        T0 + 8 * d,
        inputs=[qty(ids["S1"], 300, "KGM"), qty(ids["R2"], 300, "KGM")],
        outputs=[qty(ids["H2"], 100, "H87")],
    )
    env["ship H"] = c.observe(
        comp, T0 + 9 * d, "shipping", quantities=[qty(ids["H1"], 100, "H87"), qty(ids["H2"], 100, "H87")]
    )
    env["assemble"] = c.transform(
        asm,
        T0 + 10 * d,
        inputs=[qty(ids["H1"], 50, "H87"), qty(ids["H2"], 50, "H87"), qty(ids["F1"], 2, "KGM")],
        output_epcs=serials,
        lot="A-LOT1",
    )
    env["pack C1"] = c.pack(asm, T0 + 11 * d, ids["C1"], serials[:2])
    env["pack C2"] = c.pack(asm, T0 + 11 * d + 60, ids["C2"], serials[2:])
    env["pack P1"] = c.pack(asm, T0 + 11 * d + 120, ids["P1"], [ids["C1"], ids["C2"]])
    env["ship P1"] = c.observe(asm, T0 + 12 * d, "shipping", epcs=[ids["P1"]])
    env["receive P1 (logistics)"] = c.observe(log, T0 + 13 * d, "receiving", epcs=[ids["P1"]])
    env["depart P1"] = c.observe(log, T0 + 14 * d, "departing", epcs=[ids["P1"]], location=sgln("6905555", "7"))
    env["receive P1 (retail)"] = c.observe(shop, T0 + 15 * d, "receiving", epcs=[ids["P1"]])
    env["unpack P1"] = c.pack(shop, T0 + 15 * d + 60, ids["P1"], action="DELETE")
    env["unpack C1"] = c.pack(shop, T0 + 15 * d + 120, ids["C1"], serials[:2], action="DELETE")
    env["stock A-1"] = c.observe(shop, T0 + 15 * d + 180, "stocking", epcs=[serials[0]])
    env["sell A-1"] = c.observe(shop, T0 + 16 * d, "retail_selling", epcs=[serials[0]])
    c.anchor(c.envelopes[first_batch:], T0 + 16 * d + 3600)
    return Scenario(c, ids, env, rec)
