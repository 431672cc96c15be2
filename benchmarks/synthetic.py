"""A synthetic store for the audit benchmark: signed, anchored events and the registry that goes with them.

No chain and no platform: the events are signed and hashed with the core, put into Merkle batches with
:mod:`supplychain.merkle`, written as the platform's export would write them (one JSON line each), and the registry
mirror is folded from synthetic registry events (organisations, keys, one recognition, the anchored roots). The story
of each serial: the maker commissions it at its plant, ships it, the retailer receives it at its shop two hours later
and sells it, so a clean store gives no findings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supplychain.eventhash import event_hash_id, hash_context
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import BusinessRole, RegistryMirror
from supplychain.registry import events as ev
from supplychain.signing import SigningKey, encode_signature, sign_hash_id

__all__ = [
    "ANCHORER",
    "MAKER",
    "RETAILER",
    "START_S",
    "SyntheticStore",
    "build_batch",
    "signing_keys",
    "synthetic_batch",
    "synthetic_registry",
]

MAKER = "6901234000016"
RETAILER = "6901234000030"
ANCHORER = "0x" + "a1" * 20
CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"sc": "https://ns.supplychain.dev/epcis/"}]
GTIN = "06901234000108"
START_S = 1_767_225_600  # 2026-01-01T00:00:00Z
_KEYS = {
    org: SigningKey.from_private_bytes(hashlib.sha256(f"bench {org}".encode()).digest()) for org in (MAKER, RETAILER)
}
_STEPS = (
    (MAKER, "commissioning", "ADD", "https://id.gs1.org/414/6901234000016", 0),
    (MAKER, "shipping", "OBSERVE", None, 600),
    (RETAILER, "receiving", "OBSERVE", "https://id.gs1.org/414/6901234000030", 7200),
    (RETAILER, "retail_selling", "OBSERVE", "https://id.gs1.org/414/6901234000030", 7800),
)


def signing_keys() -> dict[str, SigningKey]:
    """The maker's and the retailer's event-signing keys (fixed, so a store can be rebuilt the same)."""
    return dict(_KEYS)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _event(n: int) -> tuple[str, dict[str, Any], int, str | None]:
    """Event ``n`` of the store: (signer, JSON-LD event with its @context, its time in ms, its place)."""
    serial, step = divmod(n, len(_STEPS))
    org, biz_step, action, place, offset = _STEPS[step]
    at_ms = (START_S + 3600 + offset) * 1000 + serial
    event: dict[str, Any] = {
        "@context": CONTEXT,
        "type": "ObjectEvent",
        "eventTime": _iso(at_ms),
        "eventTimeZoneOffset": "+08:00",
        "epcList": [f"https://id.gs1.org/01/{GTIN}/21/S{serial}"],
        "action": action,
        "bizStep": biz_step,
        "readPoint": {"id": f"https://id.gs1.org/414/{org}"},
    }
    if place is not None:
        event["bizLocation"] = {"id": place}
    return org, event, at_ms, place


def synthetic_batch(first: int, count: int, batch_id: int) -> tuple[list[bytes], dict[str, Any]]:
    """Events ``first .. first+count-1`` as export lines (record id = n + 1), and the batch record that anchors them."""
    ctx = hash_context(CONTEXT)
    built = []
    for n in range(first, first + count):
        org, event, at_ms, place = _event(n)
        body = {k: v for k, v in event.items() if k != "@context"}
        hash_id = event_hash_id(body, ctx)
        built.append((n, org, event, hash_id, at_ms, place))
    tree = MerkleTree.build([hash_id_to_bytes32(b[3]) for b in built])
    root = "0x" + tree.root.hex()
    lines = []
    for n, org, event, hash_id, at_ms, place in built:
        received = (START_S + 3600 + 7800) * 1000 + n
        record = {
            "id": n + 1,
            "hashId": hash_id,
            "organisationId": org,
            "keyId": _KEYS[org].key_id,
            "signature": encode_signature(sign_hash_id(_KEYS[org], hash_id)),
            "eventType": "ObjectEvent",
            "eventTime": at_ms,
            "bizStep": event["bizStep"],
            "bizLocation": place,
            "readPoint": event["readPoint"]["id"],
            "receivedAt": received,
            "captureId": f"c{batch_id}",
            "batchId": batch_id,
            "root": root,
            "leafIndex": tree.tree_index(hash_id_to_bytes32(hash_id)),
            "proof": ["0x" + p.hex() for p in tree.proof(hash_id_to_bytes32(hash_id))],
            "recognition": None,
            "document": event,
        }
        lines.append(json.dumps(record, separators=(",", ":")).encode())
    batch = {
        "id": batch_id,
        "root": root,
        "leafCount": count,
        "status": "anchored",
        "chainId": 31337,
        "txHash": "0x" + hashlib.sha256(root.encode()).hexdigest(),
        "sequence": batch_id,
        "blockNumber": 100 + batch_id,
        "blockTime": START_S + 3600 + 7800 + 60,
        "createdAt": (START_S + 3600 + 7800) * 1000,
        "anchoredAt": (START_S + 3600 + 7800 + 60) * 1000,
        "remadeAt": None,
    }
    return lines, batch


def build_batch(args: tuple[int, int, int]) -> tuple[list[bytes], dict[str, Any]]:
    """:func:`synthetic_batch` of ``(first, count, batch id)`` (for a process pool's ``map``)."""
    return synthetic_batch(*args)


def synthetic_registry(batches: list[dict[str, Any]]) -> RegistryMirror:
    """The registry of the store: the maker and the retailer with their keys (valid from the start), the roots."""
    history: list[ev.RegistryEvent] = []
    position = 0

    def at(block: int) -> ev.LogPosition:
        nonlocal position
        position += 1
        return ev.LogPosition(block, position, "0x" + f"{position:064x}")

    history.append(ev.OrganisationRegistered(at(1), START_S, MAKER, BusinessRole.MANUFACTURER, b"\0" * 32, ""))
    history.append(ev.OrganisationRegistered(at(1), START_S, RETAILER, BusinessRole.RETAILER, b"\0" * 32, ""))
    for org, key in _KEYS.items():
        history.append(ev.KeyAdded(at(2), START_S, org, key.public_key_bytes))
    for batch in batches:
        root = bytes.fromhex(batch["root"][2:])
        block = batch["blockNumber"]
        position += 1
        where = ev.LogPosition(block, position, batch["txHash"])  # the transaction the platform records
        history.append(
            ev.RootAnchored(where, batch["blockTime"], root, batch["sequence"], ANCHORER, batch["leafCount"])
        )
    return RegistryMirror().apply_all(history)


@dataclass
class SyntheticStore:
    """A store of ``events`` events in batches of ``batch_size``, written to ``folder`` (events.ndjson and
    batches.ndjson); build it with :meth:`build` (chunks in parallel with ``workers`` processes)."""

    folder: Path
    events: int
    batch_size: int = 10_000

    @property
    def events_path(self) -> Path:
        """The events, one export record per line."""
        return self.folder / "events.ndjson"

    def batch_ranges(self) -> Iterator[tuple[int, int, int]]:
        """(first event, count, batch id) of each batch."""
        for batch_id, first in enumerate(range(0, self.events, self.batch_size), start=1):
            yield first, min(self.batch_size, self.events - first), batch_id
