"""Stored events for the query, trace and bundle tests, without the capture route.

:func:`store` writes signed envelopes as the capture service does (an ``event`` row plus its ``event_identifier``
rows); :func:`anchor` anchors stored events for real on the in-process chain (a Merkle tree over their Event Hash
IDs, ``anchorRoot`` from the anchoring account, a ``batch`` row marked anchored, each event's proof);
:func:`green_product` registers keys for the cast and builds a small product story::

    SUPPLIER:     commission raw lot R1 (KGM) -> ship R1
    MANUFACTURER: receive R1 -> transform R1 into serials A-1..A-4 (ILMD lot A-LOT1) -> pack A-1, A-2 in case C1
                  -> ship C1; and, unrelated to A, transform R1 into B-1 (a second product from the same lot)
    RETAILER:     receive C1 -> unpack C1 -> sell A-1
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from backend.models import Batch, Event, EventIdentifier, table_of
from backend.services.anchoring import story_links, write_links
from backend.services.capture import event_identifiers
from backend.services.platform import Platform, now_ms
from chain.accounts import dev_account
from supplychain.epcis import (
    parse_event,
)
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import BusinessRole
from supplychain.signing import SigningKey, cited_recognition
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER
from tests.supplychain.factories import ChainBuilder, Org, lgtin, qty, sgtin, sscc


def identifiers_of(event: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The (identifier, role) rows capture writes for an event."""
    return event_identifiers(parse_event(event))


def store(platform: Platform, envelopes: Iterable[Mapping[str, Any]], *, received_at: int | None = None) -> list[int]:
    """Store signed envelopes as captured events; returns their row ids."""
    received = received_at if received_at is not None else now_ms()
    ids: list[int] = []
    envelopes = list(envelopes)
    cites = any(isinstance(cited_recognition(e["event"]), int) for e in envelopes)
    mirror = platform.registry.refresh(force=True) if cites else None  # read before the session writes
    with platform.session() as session:
        for envelope in envelopes:
            event = envelope["event"]
            parsed = parse_event(event)
            row = {
                "hash_id": envelope["eventHashId"],
                "org_id": envelope["organisationId"],
                "key_id": envelope["keyId"],
                "signature": envelope["signature"],
                "event_type": type(parsed).__name__,
                "event_time": int(parsed.event_time.timestamp() * 1000),
                "biz_step": parsed.biz_step,
                "biz_location": parsed.biz_location.id if parsed.biz_location else None,
                "read_point": parsed.read_point.id if parsed.read_point else None,
                "received_at": received,
                "capture_id": "test-capture",
                "document": json.dumps(event, separators=(",", ":")),
            }
            cited = cited_recognition(event)
            if isinstance(cited, int) and mirror is not None:  # as capture records it, with its status then
                status = mirror.citation_status(cited, row["org_id"], row["event_time"] // 1000)
                row |= {"recognition_id": cited, "recognition_status": status}
            named = identifiers_of(event)
            row["identifier_count"] = len(named)  # as capture counts them
            event_id = session.execute(insert(table_of(Event)).values(row).returning(table_of(Event).c.id)).scalar_one()
            links = [{"event_id": event_id, "identifier": i, "role": r} for i, r in named]
            if links:
                session.execute(insert(table_of(EventIdentifier)), links)
            ids.append(event_id)
        session.commit()
    return ids


def anchor(platform: Platform, hash_ids: Sequence[str], *, advance: int = 600) -> int:
    """Anchor stored events for real on the platform's chain, ``advance`` seconds later; returns the batch id."""
    with platform.session() as session:
        ids = dict(session.execute(select(table_of(Event).c.hash_id, table_of(Event).c.id)).all())
        events = {ids[h]: hash_id_to_bytes32(h) for h in sorted(hash_ids, key=lambda h: ids[h])}
        links = story_links(session, events)  # the story links, as the anchoring worker commits them
    tree = MerkleTree.build([hash_id_to_bytes32(h) for h in hash_ids] + [link.value for _, link in links])
    view = platform.registry
    view.registry.chain.increase_time(advance)
    sequence, result = view.writer.anchor_root(tree.root, len(tree))
    block = result.receipt.block_number
    block_time = view.registry.chain.block_timestamp(block)
    with platform.session() as session:
        batch_id = session.execute(
            insert(table_of(Batch))
            .values(
                root="0x" + tree.root.hex(),
                leaf_count=len(tree),
                status="anchored",
                created_at=now_ms(),
                chain_id=view.chain_id,
                tx_hash=result.tx_hash,
                sequence=sequence,
                block_number=block,
                block_time=block_time,
                block_hash=view.registry.chain.block_hash(block),
                anchored_at=now_ms(),
                confirmations=1,
                final_at=now_ms(),  # as the worker records it under the default confirmation depth (0)
            )
            .returning(table_of(Batch).c.id)
        ).scalar_one()
        for h in hash_ids:
            proof = json.dumps(["0x" + p.hex() for p in tree.proof(hash_id_to_bytes32(h))])
            index = tree.index_of(hash_id_to_bytes32(h))
            session.execute(
                update(table_of(Event))
                .where(table_of(Event).c.hash_id == h)
                .values(batch_id=batch_id, leaf_index=index, proof=proof)
            )
        write_links(session, links, events, batch_id=int(batch_id), tree=tree, first=len(hash_ids))
        session.commit()
    view.refresh(force=True)
    return int(batch_id)


@dataclass
class Product:
    """The stored story of :func:`green_product`: identifiers, envelopes by name, the organisations."""

    ids: dict[str, str]
    env: dict[str, dict[str, Any]]
    orgs: dict[str, Org]

    def hash(self, name: str) -> str:
        """The Event Hash ID of the event called ``name``."""
        return str(self.env[name]["eventHashId"])


def register_keys(platform: Platform) -> dict[str, Org]:
    """Give the cast's organisations signing keys on chain; returns them as factory organisations."""
    regulator = platform.registry.registry.as_signer(dev_account("regulator").account)
    orgs = {
        "supplier": Org(
            "supplier", SUPPLIER, SigningKey.from_private_bytes(b"\x11" * 32), BusinessRole.SUPPLIER, "6902222"
        ),
        "manufacturer": Org(
            "manufacturer",
            MANUFACTURER,
            SigningKey.from_private_bytes(b"\x22" * 32),
            BusinessRole.MANUFACTURER,
            "6901234",
        ),
        "retailer": Org(
            "retailer", RETAILER, SigningKey.from_private_bytes(b"\x33" * 32), BusinessRole.RETAILER, "6907777"
        ),
    }
    for org in orgs.values():
        regulator.add_key(org.org_id, org.key.public_key_bytes)
    platform.registry.refresh(force=True)
    return orgs


def green_product(platform: Platform) -> Product:
    """Register the keys and store the story of the module docstring (nothing anchored yet)."""
    orgs = register_keys(platform)
    sup, man, shop = orgs["supplier"], orgs["manufacturer"], orgs["retailer"]
    t0 = platform.registry.registry.chain.block_timestamp() + 5
    ids = {
        "R1": lgtin("6902222", "020001", "R1"),
        "A-LOT1": lgtin("6901234", "040001", "A-LOT1"),
        "C1": sscc("6901234", "0000000001"),
        "B-1": sgtin("6901234", "050001", "B-1"),
    }
    serials = [sgtin("6901234", "040001", f"A-{n}") for n in range(1, 5)]
    for n, serial in enumerate(serials, start=1):
        ids[f"A-{n}"] = serial
    c = ChainBuilder()
    env: dict[str, dict[str, Any]] = {}
    env["commission R1"] = c.commission(sup, t0, quantities=[qty(ids["R1"], 500, "KGM")])
    env["ship R1"] = c.observe(sup, t0 + 10, "shipping", quantities=[qty(ids["R1"], 500, "KGM")])
    env["receive R1"] = c.observe(man, t0 + 20, "receiving", quantities=[qty(ids["R1"], 500, "KGM")])
    env["make A"] = c.transform(man, t0 + 30, inputs=[qty(ids["R1"], 200, "KGM")], output_epcs=serials, lot="A-LOT1")
    env["make B"] = c.transform(man, t0 + 35, inputs=[qty(ids["R1"], 100, "KGM")], output_epcs=[ids["B-1"]])
    env["pack C1"] = c.pack(man, t0 + 40, ids["C1"], serials[:2])
    env["ship C1"] = c.observe(man, t0 + 50, "shipping", epcs=[ids["C1"]])
    env["receive C1"] = c.observe(shop, t0 + 60, "receiving", epcs=[ids["C1"]])
    env["unpack C1"] = c.pack(shop, t0 + 70, ids["C1"], serials[:2], action="DELETE")
    env["sell A-1"] = c.observe(shop, t0 + 80, "retail_selling", epcs=[serials[0]])
    store(platform, env.values())
    return Product(ids, env, orgs)
