"""A world for the audit tests: a real Hardhat node, the real service over HTTP, a clean supply-chain history.

:func:`start_world` starts a Hardhat node, opens the platform on it (SQLite in a temporary folder), registers the cast
(tests.chains) with a signing key each and a green-factory recognition of the supplier, serves the application with
uvicorn on a free port, posts the clean history over HTTP and anchors it. Then it keeps a copy of the database and a
snapshot of the chain: :meth:`World.restore` brings both back (and reopens the platform) between scenarios.

The clean history (times from ``base``, seconds; events may lie up to the capture skew in the future)::

    SUPPLIER      +0  commissioning of lot LOT-A at its plant        +2  shipping of LOT-A, citing its recognition
    MANUFACTURER  +4  receiving of LOT-A at its site                 +6  commissioning of serials S1..S3 at its site
                  +8  shipping of S1..S3
    RETAILER     +80  receiving of S1..S3 at its shop               +85  retail_selling of S1 at its shop
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import insert, text

from backend.api.app import create_app
from backend.audit import AuditOptions, AuditReport, run_audit
from backend.core.config import Settings
from backend.models import Event, EventIdentifier, table_of
from backend.services.anchoring import AnchoringWorker
from backend.services.capture import event_identifiers
from backend.services.platform import Platform, now_ms
from chain.accounts import dev_account
from chain.connection import Chain, connect
from chain.devchain import Engine, NodeProcess, free_port, start_node, stop_node
from chain.registry import Registry
from supplychain.epcis import parse_event
from supplychain.eventhash import event_hash_id, hash_context
from supplychain.registry import Grade, Level, RecognitionKind, Scope
from supplychain.registry import events as ev
from supplychain.signing import SigningKey, encode_signature, sign_document, sign_hash_id
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER, cast

CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"sc": "https://ns.supplychain.dev/epcis/"}]
PLANT, SITE, SHOP = (f"https://id.gs1.org/414/{gln}" for gln in ("6901234000047", MANUFACTURER, RETAILER))
LOT = "https://id.gs1.org/01/06923456000209/10/LOT-A"  # the supplier's GTIN (its company prefix 6923456)
GTIN = "06901234000108"
KEYS = {
    org: SigningKey.from_private_bytes(bytes([0x41 + n]) * 32)
    for n, org in enumerate((MANUFACTURER, SUPPLIER, RETAILER))
}


def iso(ms: int) -> str:
    """Milliseconds since the epoch as an EPCIS time."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def serial(name: str) -> str:
    """The Digital Link of a serial of the test product."""
    return f"https://id.gs1.org/01/{GTIN}/21/{name}"


def event(kind: str, at_ms: int, step: str, **fields: Any) -> dict[str, Any]:
    """An EPCIS 2.0 event (without ``@context``)."""
    return {"type": kind, "eventTime": iso(at_ms), "eventTimeZoneOffset": "+08:00", "bizStep": step, **fields}


def hash_of(body: dict[str, Any]) -> str:
    """The Event Hash ID of an event of a document with :data:`CONTEXT`."""
    return event_hash_id(body, hash_context(CONTEXT))


@dataclass
class World:
    """See the module docstring."""

    tmp: Path
    port: int
    node: NodeProcess
    process: Any
    settings: Settings
    platform: Platform
    chain: Chain
    registry: Registry
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    url: str
    tokens: dict[str, str]
    recognition: int
    base_ms: int
    clean_db: Path
    snapshot: Any = None
    hashes: list[str] = field(default_factory=list)

    @property
    def db(self) -> Path:
        """The platform's SQLite file."""
        return self.settings.data_dir / "supplychain.db"

    # --- acting as the organisations and the platform ---

    def post(self, org: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        """Capture ``events`` signed by ``org`` over HTTP; every one must be accepted."""
        document = {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": iso(now_ms()),
            "epcisBody": {"eventList": events},
        }
        response = httpx.post(
            self.url + "/capture",
            content=json.dumps(sign_document(KEYS[org], document)).encode(),
            headers={
                "Authorization": f"Bearer {self.tokens[org]}",
                "Content-Type": "application/ld+json",
                "Prefer": "return=representation",
            },
            timeout=60,
        )
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        assert body["acceptedCount"] == len(events), body
        return body

    def anchor(self) -> int:
        """Anchor whatever is pending now, as the worker does."""
        return AnchoringWorker(self.platform).run_once(force=True)

    def execute(self, sql: str, **params: Any) -> None:
        """Change the platform's database behind its back."""
        with self.platform.engine.begin() as connection:
            connection.execute(text(sql), params)

    def renumber(self, old: int, new: int) -> None:
        """Give a stored event another id, with the rows that refer to it (a platform rewriting its store)."""
        with self.platform.engine.begin() as connection:
            connection.execute(text("PRAGMA defer_foreign_keys = ON"))
            for sql in (
                "UPDATE event SET id = :new WHERE id = :old",
                "UPDATE event_identifier SET event_id = :new WHERE event_id = :old",
                "UPDATE event_link SET event_id = :new WHERE event_id = :old",
                "UPDATE event_link SET previous_event_id = :new WHERE previous_event_id = :old",
            ):
                connection.execute(text(sql), {"old": old, "new": new})

    def insert_event(
        self, org: str, key: SigningKey, body: dict[str, Any], *, received_at: int, recognition: int | None = None
    ) -> str:
        """Store a signed event as the platform never would (no capture checks); returns its Event Hash ID."""
        hash_id = hash_of(body)
        document = {**body, "@context": CONTEXT}
        row = {
            "hash_id": hash_id,
            "org_id": org,
            "key_id": key.key_id,
            "signature": encode_signature(sign_hash_id(key, hash_id)),
            "event_type": body["type"],
            "event_time": int(datetime.fromisoformat(body["eventTime"]).timestamp() * 1000),
            "biz_step": body.get("bizStep"),
            "received_at": received_at,
            "capture_id": "inserted",
            "document": json.dumps(document, separators=(",", ":")),
            "recognition_id": recognition,
            "recognition_status": None if recognition is None else "REVOKED",
        }
        named = event_identifiers(parse_event(document))  # its @context declares the extensions (sc:recognition)
        row["identifier_count"] = len(named)
        with self.platform.engine.begin() as connection:
            event_id = connection.execute(insert(table_of(Event)).returning(table_of(Event).c.id), [row]).scalar_one()
            identifiers = [{"event_id": event_id, "identifier": i, "role": r} for i, r in named]
            connection.execute(insert(table_of(EventIdentifier)), identifiers)  # its index rows, as capture writes
        return hash_id

    # --- the audit ---

    def audit(self, state: Path | None = None, out: Path | None = None, **options: Any) -> AuditReport:
        """Run the audit over HTTP and the node, as the regulator would."""
        return run_audit(
            rpc_url=self.node.url,
            registry=self.registry.address,
            platform_url=self.url,
            token=self.tokens["regulator"],
            state_path=state,
            out_dir=out,
            options=AuditOptions(**options),
        )

    # --- between scenarios ---

    def restore(self) -> None:
        """The clean history again: the chain back to its snapshot, the database back to its copy."""
        self.chain.revert(self.snapshot)
        self.snapshot = self.chain.snapshot()
        self.platform.close()
        for suffix in ("-wal", "-shm"):
            self.db.with_name(self.db.name + suffix).unlink(missing_ok=True)
        shutil.copyfile(self.clean_db, self.db)
        self.platform = Platform.open(self.settings)
        self.execute("UPDATE worker_lease SET expires_ms = 0")  # the copy's anchoring lease: its holder is closed
        self.platform.registry.refresh(force=True)
        self.app.state.platform = self.platform

    def restart_node(self) -> None:
        """Stop the Hardhat node and start an empty one on the same port, before the journal's first block."""
        from backend.services.registry_view import journal_start

        stop_node(self.node.pid, process=self.process)
        genesis = journal_start(self.platform.engine)
        assert genesis is not None
        self.node, self.process = start_node(
            "hardhat", port=self.port, log_path=self.tmp / "hardhat.log", genesis_time=genesis
        )

    def close(self) -> None:
        """Stop the server, the platform and the node."""
        self.server.should_exit = True
        self.thread.join(10)
        self.platform.close()
        stop_node(self.node.pid, process=self.process)


def _clean_history(world: World, *, anchor_after_events: bool) -> None:
    t = world.base_ms
    serials = [serial(f"S{n}") for n in (1, 2, 3)]
    world.post(
        SUPPLIER,
        [
            event(
                "ObjectEvent",
                t,
                "commissioning",
                action="ADD",
                quantityList=[{"epcClass": LOT, "quantity": 100, "uom": "KGM"}],
                bizLocation={"id": PLANT},
                ilmd={"cbvmda:lotNumber": "LOT-A"},
            ),
            event(
                "ObjectEvent",
                t + 2000,
                "shipping",
                action="OBSERVE",
                quantityList=[{"epcClass": LOT, "quantity": 40, "uom": "KGM"}],
                readPoint={"id": PLANT},
                **{"sc:recognition": world.recognition},
            ),
        ],
    )
    world.post(
        MANUFACTURER,
        [
            event(
                "ObjectEvent",
                t + 4000,
                "receiving",
                action="OBSERVE",
                quantityList=[{"epcClass": LOT, "quantity": 40, "uom": "KGM"}],
                bizLocation={"id": SITE},
            ),
            event(
                "ObjectEvent",
                t + 6000,
                "commissioning",
                action="ADD",
                epcList=serials,
                bizLocation={"id": SITE},
                ilmd={"cbvmda:lotNumber": "P-LOT"},
            ),
            event("ObjectEvent", t + 8000, "shipping", action="OBSERVE", epcList=serials, readPoint={"id": SITE}),
        ],
    )
    world.post(
        RETAILER,
        [
            event("ObjectEvent", t + 80_000, "receiving", action="OBSERVE", epcList=serials, bizLocation={"id": SHOP}),
            event(
                "ObjectEvent",
                t + 85_000,
                "retail_selling",
                action="OBSERVE",
                epcList=serials[:1],
                bizLocation={"id": SHOP},
            ),
        ],
    )
    if anchor_after_events:  # the chain's clock past the last event, as if anchored a while after it
        world.chain.increase_time(90)
    assert world.anchor() == 7


def start_world(
    tmp: Path,
    engine: Engine = "hardhat",
    *,
    anchor_after_events: bool = False,
    before_history: Callable[[World], None] | None = None,
) -> World:
    """Start everything (see the module docstring) on a node of ``engine``; close it with :meth:`World.close`.

    With ``anchor_after_events`` the chain's clock is moved past the last event before the history is anchored (a
    consumer's scanner fails an event anchored before its own time: the clean history's last events lie up to 85 s
    ahead of the clock). ``before_history`` runs once the cast is registered and the service is up, before the clean
    history is posted (what must be on chain before the events, e.g. a forged registry prepared in advance)."""
    port = free_port()
    node, process = start_node(engine, port=port, log_path=tmp / f"{engine}.log")
    settings = Settings(
        environment="test",
        data_dir=tmp / "data",
        rpc_url=node.url,
        run_worker=False,
        registry_refresh_seconds=0,
        capture_workers=0,
    )
    platform = Platform.open(settings)
    registry = platform.registry.registry
    regulator = registry.as_signer(dev_account("regulator").account)
    cast(regulator)
    for org, key in KEYS.items():
        regulator.add_key(org, key.public_key_bytes)
    chain_now = registry.chain.block_timestamp()
    terms = ev.RecognitionTerms(
        holder=SUPPLIER,
        kind=RecognitionKind.GREEN_FACTORY,
        level=Level.PROVINCIAL,
        grade=Grade.NONE,
        scope=Scope.ENTERPRISE,
        subject="",
        standard_ref="GB/T 36132-2018",
        valid_from=chain_now,
        valid_until=chain_now + 3 * 365 * 86_400,
        evidence_hash=hashlib.sha256(b"green factory evaluation report").digest(),
    )
    recognition, _ = registry.as_signer(dev_account("provincial-certifier").account).issue_recognition(terms)
    platform.registry.refresh(force=True)
    tokens = {org: platform.issue_token(org_id=org, role="organisation") for org in KEYS}
    tokens["regulator"] = platform.issue_token(org_id=None, role="regulator")
    app = create_app(platform=platform)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    base = (max(chain_now, int(time.time())) + 1) * 1000
    world = World(
        tmp, port, node, process, settings, platform, connect(node.url), registry, app, server, thread, url, tokens,
        recognition, base, tmp / "clean.db",
    )  # fmt: skip
    try:
        if before_history is not None:
            before_history(world)
            world.base_ms = (max(world.chain.block_timestamp(), int(time.time())) + 1) * 1000  # after what it did
        _clean_history(world, anchor_after_events=anchor_after_events)
        source, copy = sqlite3.connect(world.db), sqlite3.connect(world.clean_db)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        world.snapshot = world.chain.snapshot()
    except BaseException:
        world.close()
        raise
    return world
