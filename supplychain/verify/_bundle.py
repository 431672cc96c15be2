"""The proof bundle: what a verifier needs besides the chain, as version-2 JSON (version 1 still read; see the package
docs)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from supplychain.errors import MalformedHashIdError, ProofBundleFormatError
from supplychain.merkle import hash_id_to_bytes32
from supplychain.signing import is_key_id, is_organisation_id

__all__ = [
    "BUNDLE_TYPE",
    "BUNDLE_VERSION",
    "SUMMARY_REASONS",
    "AnchorClaim",
    "BundleEvent",
    "BundleMasterData",
    "EventReference",
    "IdentifierLinks",
    "LinkEntry",
    "ProofBundle",
]

BUNDLE_TYPE = "SupplychainProofBundle"
BUNDLE_VERSION = 2
"""The version written; versions 1 (no story links) and 2 are read."""

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_BYTES32 = re.compile(r"0x[0-9a-f]{64}")
_KEYS = ("type", "version", "chainId", "registryAddress", "product", "events")
_EVENT_KEYS = ("envelope", "proof", "root", "anchor")
_MASTER_KEYS = ("signed", "proof", "root", "anchor")
_ANCHOR_KEYS = ("sequence", "blockNumber", "txHash", "timestamp")
_ANCHOR_OPTIONAL = ("confirmations", "final")
_REFERENCE_KEYS = (
    "eventHashId", "organisationId", "keyId", "signature", "reason", "eventType", "eventTime", "bizStep",
    "identifierCount", "proof", "root", "anchor",
)  # fmt: skip
_SUMMARISED_KEYS = ("counts", "events")
_LINKS_KEYS = ("identifier", "omitted", "chain")
_LINK_KEYS = ("eventHashId", "previous", "root", "proof")
_SIGNER_KEYS = ("organisationId", "keyId", "signature")
SUMMARY_REASONS = ("outside_custody", "too_many_identifiers")
"""Why an event is only referenced: its signer is not in the product's chain of custody (``outside_custody``), or
it names more identifiers than the platform includes in full (``too_many_identifiers``)."""


def _fail(field: str, reason: str) -> ProofBundleFormatError:
    return ProofBundleFormatError(field, reason)


def _path(field: str, key: object) -> str:
    return str(key) if field == "<bundle>" else f"{field}.{key}"


def _object(value: object, field: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(field, f"expected a JSON object, got {type(value).__name__}")
    for key in keys:
        if key not in value:
            raise _fail(_path(field, key), "missing")
    for key in value:
        if key not in keys and key not in optional:
            raise _fail(_path(field, key), f"unknown field; expected {', '.join(keys + optional)}")
    return value


def _integer(value: object, field: str) -> int:
    if type(value) is not int or value < 0:
        raise _fail(field, f"expected a non-negative integer, got {value!r:.40}")
    return value


def _boolean(value: object, field: str) -> bool:
    if type(value) is not bool:
        raise _fail(field, f"expected true or false, got {value!r:.40}")
    return value


def _bytes32(value: object, field: str) -> bytes:
    if not isinstance(value, str) or _BYTES32.fullmatch(value) is None:
        raise _fail(field, f"expected 0x + 64 lowercase hex digits, got {value!r:.80}")
    return bytes.fromhex(value[2:])


def _string(value: object, field: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(field, f"expected a non-empty string, got {value!r:.60}")
    return value


@dataclass(frozen=True, slots=True)
class AnchorClaim:
    """Where the platform says an event's batch was anchored (checked against the chain by the verifier).

    Attributes:
        sequence: The batch's sequence number in the registry.
        block_number: The block of the anchoring transaction.
        tx_hash: Its transaction hash (``0x`` + 64 hex).
        timestamp: The block's time (seconds).
        confirmations: The depth of the anchor's block when the platform made the bundle (1: the newest block), if
            it says (optional ``confirmations``).
        final: Whether the platform held the anchor final then, past its confirmation depth (optional ``final``;
            until final, a reorg may move the anchor to another block and transaction, under the same root).
    """

    sequence: int
    block_number: int
    tx_hash: str
    timestamp: int
    confirmations: int | None = None
    final: bool | None = None


@dataclass(frozen=True, slots=True)
class BundleEvent:
    """One event of a bundle: its signed envelope and, once anchored, its Merkle proof and anchor.

    Attributes:
        envelope: The signed envelope's JSON form, as stored (its shape is checked during verification).
        proof: Sibling nodes from its leaf to the root; ``None`` while not anchored.
        root: The batch's Merkle root; ``None`` while not anchored.
        anchor: The anchor as claimed; ``None`` while not anchored.
        receipt_time: When the platform received the event (seconds), if it says.
    """

    envelope: Mapping[str, Any]
    proof: tuple[bytes, ...] | None
    root: bytes | None
    anchor: AnchorClaim | None
    receipt_time: int | None = None

    @property
    def anchored(self) -> bool:
        """Whether the bundle carries a proof and an anchor for it."""
        return self.root is not None

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "envelope": dict(self.envelope),
            **_proof_json(self.proof, self.root, self.anchor),
            "receiptTime": self.receipt_time,
        }

    @classmethod
    def from_json(cls, obj: object, field: str) -> BundleEvent:
        """Read one entry of ``events`` (``field`` names it in errors)."""
        item = _object(obj, field, _EVENT_KEYS, ("receiptTime",))
        if not isinstance(item["envelope"], Mapping):
            raise _fail(f"{field}.envelope", "expected a JSON object (a signed envelope)")
        receipt = item.get("receiptTime")
        receipt_time = None if receipt is None else _integer(receipt, f"{field}.receiptTime")
        proven = _proven(item, field)
        if proven is None:
            return cls(item["envelope"], None, None, None, receipt_time)
        return cls(item["envelope"], *proven, receipt_time)


def _proven(item: Mapping[str, Any], field: str) -> tuple[tuple[bytes, ...], bytes, AnchorClaim] | None:
    """The proof, root and anchor of a bundle entry; ``None`` when all three are null (not anchored yet)."""
    present = [item[k] is not None for k in ("proof", "root", "anchor")]
    if not any(present):
        return None
    if not all(present):
        raise _fail(field, "proof, root and anchor are given together, or all null (not yet anchored)")
    if not isinstance(item["proof"], list):
        raise _fail(f"{field}.proof", "expected a list of 0x + 64 hex digits")
    proof = tuple(_bytes32(p, f"{field}.proof[{i}]") for i, p in enumerate(item["proof"]))
    raw = _object(item["anchor"], f"{field}.anchor", _ANCHOR_KEYS, _ANCHOR_OPTIONAL)
    if not isinstance(raw["txHash"], str) or _BYTES32.fullmatch(raw["txHash"]) is None:
        raise _fail(f"{field}.anchor.txHash", f"expected 0x + 64 lowercase hex digits, got {raw['txHash']!r:.80}")
    anchor = AnchorClaim(
        sequence=_integer(raw["sequence"], f"{field}.anchor.sequence"),
        block_number=_integer(raw["blockNumber"], f"{field}.anchor.blockNumber"),
        tx_hash=raw["txHash"],
        timestamp=_integer(raw["timestamp"], f"{field}.anchor.timestamp"),
        confirmations=None
        if raw.get("confirmations") is None
        else _integer(raw["confirmations"], f"{field}.anchor.confirmations"),
        final=None if raw.get("final") is None else _boolean(raw["final"], f"{field}.anchor.final"),
    )
    return proof, _bytes32(item["root"], f"{field}.root"), anchor


def _proof_json(proof: tuple[bytes, ...] | None, root: bytes | None, anchor: AnchorClaim | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "proof": None if proof is None else ["0x" + p.hex() for p in proof],
        "root": None if root is None else "0x" + root.hex(),
        "anchor": None,
    }
    if anchor is not None:
        out["anchor"] = {
            "sequence": anchor.sequence,
            "blockNumber": anchor.block_number,
            "txHash": anchor.tx_hash,
            "timestamp": anchor.timestamp,
        }
        if anchor.confirmations is not None:
            out["anchor"]["confirmations"] = anchor.confirmations
        if anchor.final is not None:
            out["anchor"]["final"] = anchor.final
    return out


@dataclass(frozen=True, slots=True)
class BundleMasterData:
    """The product's signed master data in a bundle and, once anchored, its Merkle proof and anchor.

    Attributes:
        signed: The signed master data envelope's JSON form (:mod:`supplychain.masterdata`), checked when verified.
        proof: Sibling nodes from its leaf (the document hash) to the root; ``None`` while not anchored.
        root: The batch's Merkle root; ``None`` while not anchored.
        anchor: The anchor as claimed; ``None`` while not anchored.
    """

    signed: Mapping[str, Any]
    proof: tuple[bytes, ...] | None
    root: bytes | None
    anchor: AnchorClaim | None

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {"signed": dict(self.signed), **_proof_json(self.proof, self.root, self.anchor)}

    @classmethod
    def from_json(cls, obj: object, field: str = "masterData") -> BundleMasterData:
        """Read the bundle's ``masterData``."""
        item = _object(obj, field, _MASTER_KEYS)
        if not isinstance(item["signed"], Mapping):
            raise _fail(f"{field}.signed", "expected a JSON object (a signed master data envelope)")
        proven = _proven(item, field)
        if proven is None:
            return cls(item["signed"], None, None, None)
        return cls(item["signed"], *proven)


@dataclass(frozen=True, slots=True)
class EventReference:
    """An event a bundle names without its content (a summarised event): who signed which Event Hash ID, the
    signature, and once anchored its Merkle proof and anchor, with what the platform says of it.

    A verifier checks the signature, the key and the anchor; the event's content (``event_type``, ``event_time``,
    ``biz_step``, ``identifier_count``) is the platform's word: fetch ``GET /events/{hash}`` to check it.

    Attributes:
        hash_id: Its Event Hash ID.
        organisation_id: The signer.
        key_id: The signer's key (``0x`` + 64 hex).
        signature: The signature of ``hash_id`` (base64url, as in a signed envelope).
        reason: Why it is only referenced (:data:`SUMMARY_REASONS`).
        event_type: Its EPCIS event type, as the platform says.
        event_time: Its event time (seconds), as the platform says.
        biz_step: Its bizStep, as the platform says.
        identifier_count: How many identifiers it names, as the platform says.
        proof: Sibling nodes from its leaf to the root; ``None`` while not anchored.
        root: The batch's Merkle root; ``None`` while not anchored.
        anchor: The anchor as claimed; ``None`` while not anchored.
    """

    hash_id: str
    organisation_id: str
    key_id: str
    signature: str
    reason: str
    event_type: str
    event_time: int
    biz_step: str | None
    identifier_count: int
    proof: tuple[bytes, ...] | None = None
    root: bytes | None = None
    anchor: AnchorClaim | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "eventHashId": self.hash_id,
            "organisationId": self.organisation_id,
            "keyId": self.key_id,
            "signature": self.signature,
            "reason": self.reason,
            "eventType": self.event_type,
            "eventTime": self.event_time,
            "bizStep": self.biz_step,
            "identifierCount": self.identifier_count,
            **_proof_json(self.proof, self.root, self.anchor),
        }

    @classmethod
    def from_json(cls, obj: object, field: str) -> EventReference:
        """Read one entry of ``summarised.events`` (``field`` names it in errors)."""
        item = _object(obj, field, _REFERENCE_KEYS)
        hash_id = str(_string(item["eventHashId"], f"{field}.eventHashId"))
        try:
            hash_id_to_bytes32(hash_id)
        except MalformedHashIdError as exc:
            raise _fail(f"{field}.eventHashId", exc.reason) from None
        if not is_organisation_id(item["organisationId"]):
            raise _fail(f"{field}.organisationId", f"expected a GLN or a USCC, got {item['organisationId']!r:.60}")
        if not is_key_id(item["keyId"]):
            raise _fail(f"{field}.keyId", f"expected 0x + 64 lowercase hex digits, got {item['keyId']!r:.80}")
        if item["reason"] not in SUMMARY_REASONS:
            raise _fail(f"{field}.reason", f"expected one of {', '.join(SUMMARY_REASONS)}, got {item['reason']!r:.60}")
        proof, root, anchor = _proven(item, field) or (None, None, None)
        return cls(
            hash_id=hash_id,
            organisation_id=item["organisationId"],
            key_id=item["keyId"],
            signature=str(_string(item["signature"], f"{field}.signature")),
            reason=item["reason"],
            event_type=str(_string(item["eventType"], f"{field}.eventType")),
            event_time=_integer(item["eventTime"], f"{field}.eventTime"),
            biz_step=_string(item["bizStep"], f"{field}.bizStep", optional=True),
            identifier_count=_integer(item["identifierCount"], f"{field}.identifierCount"),
            proof=proof,
            root=root,
            anchor=anchor,
        )


def _summarised(obj: object) -> tuple[tuple[EventReference, ...], dict[str, int]]:
    """``summarised``: the counts by reason, and the references listed (never more per reason than counted)."""
    doc = _object(obj, "summarised", _SUMMARISED_KEYS)
    counts = _object(doc["counts"], "summarised.counts", (), SUMMARY_REASONS)
    found = {str(k): _integer(v, f"summarised.counts.{k}") for k, v in counts.items()}
    if not isinstance(doc["events"], list):
        raise _fail("summarised.events", "expected a list")
    listed = tuple(EventReference.from_json(e, f"summarised.events[{i}]") for i, e in enumerate(doc["events"]))
    for reason in SUMMARY_REASONS:
        shown = sum(1 for r in listed if r.reason == reason)
        if shown > found.get(reason, 0):
            raise _fail(f"summarised.counts.{reason}", f"counts {found.get(reason, 0)}, but {shown} are listed")
    return listed, found


def _hash_id(value: object, field: str) -> str:
    hash_id = str(_string(value, field))
    try:
        hash_id_to_bytes32(hash_id)
    except MalformedHashIdError as exc:
        raise _fail(field, exc.reason) from None
    return hash_id


@dataclass(frozen=True, slots=True)
class LinkEntry:
    """One story link of an identifier (:mod:`supplychain.links`): the event it commits, the event before it.

    Attributes:
        hash_id: The event's Event Hash ID.
        previous: The Event Hash ID of the identifier's event before it; ``None`` for its first.
        root: The root of the batch that committed the link (the event's own batch).
        proof: Sibling nodes from the link's leaf to that root.
        signer: The event's organisation, key id and signature of its Event Hash ID, when the platform gives them
            (``signer``: ``{"organisationId", "keyId", "signature"}``): an event the bundle neither shows nor lists is
            then known to be signed by someone outside the story, or not.
    """

    hash_id: str
    previous: str | None
    root: bytes
    proof: tuple[bytes, ...]
    signer: tuple[str, str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``signer`` only when given)."""
        out: dict[str, Any] = {
            "eventHashId": self.hash_id,
            "previous": self.previous,
            "root": "0x" + self.root.hex(),
            "proof": ["0x" + p.hex() for p in self.proof],
        }
        if self.signer is not None:
            out["signer"] = dict(zip(_SIGNER_KEYS, self.signer, strict=True))
        return out

    @classmethod
    def from_json(cls, obj: object, field: str) -> LinkEntry:
        """Read one entry of a ``links[].chain``."""
        item = _object(obj, field, _LINK_KEYS, ("signer",))
        signer = None
        if "signer" in item:
            raw = _object(item["signer"], f"{field}.signer", _SIGNER_KEYS)
            if not is_organisation_id(raw["organisationId"]):
                raise _fail(
                    f"{field}.signer.organisationId", f"expected a GLN or a USCC, got {raw['organisationId']!r:.60}"
                )
            if not is_key_id(raw["keyId"]):
                raise _fail(f"{field}.signer.keyId", f"expected 0x + 64 lowercase hex digits, got {raw['keyId']!r:.80}")
            signature = raw["signature"]
            # an empty or non-text signature is taken as no signer given: the event then counts as not shown (never
            # as verified), as the envelope's own empty signature counts as a bad signature, not an unreadable bundle
            if isinstance(signature, str) and signature:
                signer = (raw["organisationId"], raw["keyId"], signature)
        previous = None if item["previous"] is None else _hash_id(item["previous"], f"{field}.previous")
        if not isinstance(item["proof"], list):
            raise _fail(f"{field}.proof", "expected a list of 0x + 64 hex digits")
        proof = tuple(_bytes32(p, f"{field}.proof[{i}]") for i, p in enumerate(item["proof"]))
        hash_id = _hash_id(item["eventHashId"], f"{field}.eventHashId")
        return cls(hash_id, previous, _bytes32(item["root"], f"{field}.root"), proof, signer)


@dataclass(frozen=True, slots=True)
class IdentifierLinks:
    """The story links of one identifier, in anchoring order (oldest first).

    Attributes:
        identifier: The canonical identifier (:func:`supplychain.gs1.identifier_node`).
        chain: Its links, each naming the one before it.
        omitted: How many older links the platform left out (the chain is too long to give in full): the chain then
            starts mid-way, and events before it are not covered.
    """

    identifier: str
    chain: tuple[LinkEntry, ...]
    omitted: int = 0

    def to_json(self) -> dict[str, Any]:
        """The JSON form."""
        return {"identifier": self.identifier, "omitted": self.omitted, "chain": [e.to_json() for e in self.chain]}

    @classmethod
    def from_json(cls, obj: object, field: str) -> IdentifierLinks:
        """Read one entry of ``links``."""
        item = _object(obj, field, _LINKS_KEYS)
        if not isinstance(item["chain"], list):
            raise _fail(f"{field}.chain", "expected a list")
        chain = tuple(LinkEntry.from_json(e, f"{field}.chain[{i}]") for i, e in enumerate(item["chain"]))
        identifier = str(_string(item["identifier"], f"{field}.identifier"))
        return cls(identifier, chain, _integer(item["omitted"], f"{field}.omitted"))


def _links(obj: object) -> tuple[IdentifierLinks, ...]:
    if not isinstance(obj, list):
        raise _fail("links", "expected a list")
    links = tuple(IdentifierLinks.from_json(e, f"links[{i}]") for i, e in enumerate(obj))
    seen: set[str] = set()
    for i, entry in enumerate(links):
        if entry.identifier in seen:
            raise _fail(f"links[{i}].identifier", f"{entry.identifier} is given twice")
        seen.add(entry.identifier)
    return links


@dataclass(frozen=True, slots=True)
class ProofBundle:
    """Everything about a product a verifier cannot read from the chain (format in the package docstring).

    Attributes:
        chain_id: The chain the events were anchored on.
        registry_address: The registry contract there.
        product: The product identifier (EPC URI or GS1 Digital Link).
        events: The product's events (its own and upstream ones).
        master_data: The current signed master data of the product's GTIN, when its owner published some.
        summarised: Events named by reference only (at most some of them: see ``summarised_counts``).
        summarised_counts: How many events were summarised, by reason (:data:`SUMMARY_REASONS`), listed or not.
        links: The story links of the identifiers whose completeness the bundle proves (version 2); ``None``: a
            version-1 bundle, which proves nothing about what it leaves out.
    """

    chain_id: int
    registry_address: str
    product: str
    events: tuple[BundleEvent, ...]
    master_data: BundleMasterData | None = None
    summarised: tuple[EventReference, ...] = ()
    summarised_counts: Mapping[str, int] = field(default_factory=dict)
    links: tuple[IdentifierLinks, ...] | None = None

    @property
    def version(self) -> int:
        """1 without story links, 2 with."""
        return 1 if self.links is None else 2

    @classmethod
    def from_json(cls, obj: object) -> ProofBundle:
        """Read a version-1 or version-2 bundle (``links`` is required in version 2, unknown in version 1).

        Raises:
            ProofBundleFormatError: Not a version-1 or version-2 bundle: ``field`` names the first thing wrong.
        """
        version = obj.get("version") if isinstance(obj, Mapping) else None
        known = version in (1, BUNDLE_VERSION) and type(version) is int
        if isinstance(obj, Mapping) and obj.get("type") == BUNDLE_TYPE and "version" in obj and not known:
            raise _fail("version", f"unsupported version {version!r:.20}; this library reads versions 1 and 2")
        optional = ("masterData", "summarised") + (("links",) if version == BUNDLE_VERSION else ())
        doc = _object(obj, "<bundle>", _KEYS, optional)
        if doc["type"] != BUNDLE_TYPE:
            raise _fail("type", f"expected {BUNDLE_TYPE!r}, got {doc['type']!r:.60}")
        if version == BUNDLE_VERSION and "links" not in doc:
            raise _fail("links", "missing (required in version 2)")
        chain_id = _integer(doc["chainId"], "chainId")
        address = doc["registryAddress"]
        if not isinstance(address, str) or _ADDRESS.fullmatch(address) is None:
            raise _fail("registryAddress", f"expected 0x + 40 hex digits, got {address!r:.60}")
        if not isinstance(doc["product"], str) or not doc["product"]:
            raise _fail("product", "expected a non-empty string (EPC URI or GS1 Digital Link)")
        if not isinstance(doc["events"], list):
            raise _fail("events", "expected a list")
        events = tuple(BundleEvent.from_json(e, f"events[{i}]") for i, e in enumerate(doc["events"]))
        master = doc.get("masterData")
        master_data = None if master is None else BundleMasterData.from_json(master)
        listed, counts = _summarised(doc["summarised"]) if "summarised" in doc else ((), {})
        links = _links(doc["links"]) if "links" in doc else None
        return cls(chain_id, address, doc["product"], events, master_data, listed, counts, links)

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``from_json(b.to_json()) == b``); ``masterData`` and ``summarised`` only when there are,
        version 2 with ``links`` when the bundle has links, else version 1."""
        out: dict[str, Any] = {
            "type": BUNDLE_TYPE,
            "version": self.version,
            "chainId": self.chain_id,
            "registryAddress": self.registry_address,
            "product": self.product,
            "events": [e.to_json() for e in self.events],
        }
        if self.master_data is not None:
            out["masterData"] = self.master_data.to_json()
        if self.summarised or self.summarised_counts:
            out["summarised"] = {
                "counts": dict(self.summarised_counts),
                "events": [r.to_json() for r in self.summarised],
            }
        if self.links is not None:
            out["links"] = [entry.to_json() for entry in self.links]
        return out
