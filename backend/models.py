"""The platform's tables (SQLModel). Events are kept exactly as received, beside indexed columns for queries.

Times are integers: milliseconds since the epoch (UTC) for event and receipt times, seconds for block times.
Schema changes go through Alembic migrations (``backend/migrations``); a test fails when the models and the
migrations disagree.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import BigInteger, Index, Table, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

__all__ = [
    "ApiToken",
    "Batch",
    "BrowserSession",
    "Capture",
    "CopyCheck",
    "Event",
    "EventIdentifier",
    "EventLink",
    "GtinClaim",
    "IssuedCode",
    "MasterData",
    "PlatformSecret",
    "Recall",
    "RegistryTx",
    "WorkerLease",
    "table_of",
]


class ApiToken(SQLModel, table=True):
    """An API token, stored as its SHA-256; an organisation's or the regulator's."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    org_id: str | None = Field(default=None, index=True, max_length=18)
    role: str = Field(max_length=16)  # "organisation" | "regulator"
    label: str = Field(default="", max_length=200)
    created_at: int = Field(sa_type=BigInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)


class BrowserSession(SQLModel, table=True):
    """A browser's sign-in (``/login``), ended by ``/logout`` (:mod:`backend.services.sessions`).

    ``id`` is the SHA-256 (hex) of the session's random id, which only its cookie holds.
    """

    __tablename__ = "browser_session"

    id: str = Field(primary_key=True, max_length=64)
    token_id: int = Field(foreign_key="api_token.id", index=True)
    created_at: int = Field(sa_type=BigInteger)
    expires_at: int = Field(index=True, sa_type=BigInteger)
    revoked_at: int | None = Field(default=None, sa_type=BigInteger)


class Capture(SQLModel, table=True):
    """One POST /capture (or POST /events) and its outcome."""

    __tablename__ = "capture"
    __table_args__ = (Index("ix_capture_org_received", "org_id", "received_at", "id"),)  # GET /capture, newest first

    id: str = Field(primary_key=True, max_length=32)
    org_id: str = Field(index=True, max_length=18)
    received_at: int = Field(sa_type=BigInteger)
    status: str = Field(max_length=24)  # ACCEPTED | PARTIALLY_ACCEPTED | REJECTED
    total: int
    accepted: int
    duplicates: int
    rejected: int
    outcome: str  # JSON: the per-event results
    error_behaviour: str | None = Field(default=None, max_length=8)  # rollback | proceed (NULL: before 0010)
    finished_at: int | None = Field(default=None, sa_type=BigInteger)  # NULL: before 0010


class Batch(SQLModel, table=True):
    """A Merkle batch of Event Hash IDs and its anchoring transaction.

    Written before its transaction is sent (``prepared``), then with the signed transaction (``sent``), then with
    the anchor (``anchored``); a restart reconciles ``prepared`` and ``sent`` batches with the chain.
    """

    __tablename__ = "batch"

    id: int | None = Field(default=None, primary_key=True)
    root: str = Field(unique=True, max_length=66)
    leaf_count: int
    status: str = Field(index=True, max_length=16)
    created_at: int = Field(sa_type=BigInteger)
    chain_id: int = Field(sa_type=BigInteger)
    tx_hash: str | None = Field(default=None, max_length=66)
    raw_tx: bytes | None = None
    nonce: int | None = None
    sequence: int | None = None
    block_number: int | None = None
    block_time: int | None = None
    anchored_at: int | None = Field(default=None, sa_type=BigInteger)
    # when its anchor was re-made on a dev chain that had been reset
    remade_at: int | None = Field(default=None, sa_type=BigInteger)
    # 0012: the block holding the anchor (a reorg changes or removes it), the confirmations last counted, when it
    # became final (``confirmations`` setting), re-anchorings after reorgs, when its transaction was last sent, and
    # the earlier versions of that transaction replaced with higher fees (JSON [{"txHash", "raw"}], any may be mined)
    block_hash: str | None = Field(default=None, max_length=66)
    confirmations: int | None = None
    final_at: int | None = Field(default=None, sa_type=BigInteger)
    reorgs: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    sent_at: int | None = Field(default=None, sa_type=BigInteger)
    earlier_txs: str | None = Field(default=None, sa_type=Text)


class RegistryTx(SQLModel, table=True):
    """A registry transaction as signed bytes, journaled while its chain lives, replayed if a dev chain is reset."""

    __tablename__ = "registry_tx"

    tx_hash: str = Field(primary_key=True, max_length=66)
    block_number: int
    log_index: int  # of its first registry log: the replay order is (block_number, log_index)
    raw: bytes
    recorded_at: int = Field(sa_type=BigInteger)
    block_time: int | None = None  # its block's timestamp (s): a restore replays it at this time where it can


class Event(SQLModel, table=True):
    """A captured, signed EPCIS event."""

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    hash_id: str = Field(unique=True, max_length=90)
    org_id: str = Field(index=True, max_length=18)
    key_id: str = Field(max_length=66)
    signature: str = Field(max_length=90)
    event_type: str = Field(max_length=32)
    event_time: int = Field(index=True, sa_type=BigInteger)
    biz_step: str | None = Field(default=None, index=True, max_length=200)
    biz_location: str | None = Field(default=None, index=True, max_length=300)
    read_point: str | None = Field(default=None, index=True, max_length=300)
    received_at: int = Field(sa_type=BigInteger)
    capture_id: str = Field(index=True, max_length=32)
    document: str  # the event's JSON-LD as received, with the @context its hash needs
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    leaf_index: int | None = None
    proof: str | None = None  # JSON list of 0x-hex sibling hashes
    # The recognition the event cites (``sc:recognition``), and whether it was in force for the submitter at the
    # event time, as on chain at capture: IN_FORCE, SUSPENDED, REVOKED, EXPIRED, NOT_YET_VALID, NOT_HOLDER, UNKNOWN.
    recognition_id: int | None = Field(default=None, index=True)
    recognition_status: str | None = Field(default=None, max_length=16)
    # How many identifiers the event names (its event_identifier rows), counted at capture: pages and bundles
    # reference an event naming many without reading its document (backend.services.custody). NULL: not counted.
    identifier_count: int | None = None


class MasterData(SQLModel, table=True):
    """A version of a GTIN's product master data, signed by its owner (:mod:`supplychain.masterdata`).

    Stored as received (the signed envelope) beside indexed columns, and anchored like an event: the anchoring worker
    puts ``document_hash`` (the leaf value) into the same Merkle batches as the events' digests.
    """

    __tablename__ = "master_data"
    __table_args__ = (Index("ux_master_data_gtin_version", "gtin", "version", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    gtin: str = Field(max_length=14)
    version: int = Field(sa_type=BigInteger)
    org_id: str = Field(index=True, max_length=18)
    key_id: str = Field(max_length=66)
    signature: str = Field(max_length=90)
    document_hash: str = Field(unique=True, max_length=66)  # 0x + SHA-256 of the document's canonical form
    envelope: str  # the signed envelope's JSON, as received
    valid_from: int = Field(sa_type=BigInteger)  # s: publication, as signed
    valid_until: int | None = Field(default=None, sa_type=BigInteger)
    received_at: int = Field(sa_type=BigInteger)  # ms
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    leaf_index: int | None = None
    proof: str | None = None  # JSON list of 0x-hex sibling hashes


class EventIdentifier(SQLModel, table=True):
    """Which identifiers an event names, and how (for queries and the trace graph).

    Identifiers are canonical GS1 Digital Links where they have one. Roles: epc, class, parent, child, input, output,
    input_class, output_class, lot (a lot named by an event's ILMD for the serials it makes). The covering index
    (identifier, role, event_id) answers "which events name X as Y" from the index alone.
    """

    __tablename__ = "event_identifier"
    __table_args__ = (Index("ix_event_identifier_lookup", "identifier", "role", "event_id"),)

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    identifier: str = Field(primary_key=True, max_length=300)
    role: str = Field(primary_key=True, max_length=16)


class EventLink(SQLModel, table=True):
    """A per-identifier story link committed in an anchoring batch (:mod:`supplychain.links`).

    One row per (event, identifier it names), written with the batch (``prepared``) in the same transaction: ``value``
    is ``sha256(domain || identifier || previous event's digest || event's digest)``, a leaf of the batch's tree, and
    ``proof`` its sibling nodes concatenated (32 bytes each, binary: a tenth of the JSON size). Rows are in anchoring
    order (``id``); the newest row of an identifier gives the ``previous`` of its next link.
    """

    __tablename__ = "event_link"
    __table_args__ = (Index("ix_event_link_identifier", "identifier", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    identifier: str = Field(max_length=300)
    event_id: int = Field(foreign_key="event.id", index=True)
    previous_event_id: int | None = Field(default=None, foreign_key="event.id")
    batch_id: int = Field(foreign_key="batch.id", index=True)
    value: str = Field(max_length=66)  # 0x + 64 hex: the leaf value
    proof: bytes


class Credential(SQLModel, table=True):
    """A verifiable credential of a recognition, imported by (or for) the organisation it is about."""

    __tablename__ = "credential"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(unique=True, max_length=64)  # sha256 hex of the credential as imported
    org_id: str = Field(index=True, max_length=18)
    recognition_id: int = Field(index=True)
    issuer: str = Field(max_length=200)  # the issuer's id (a did:pkh of its chain account)
    credential: str  # as imported (a compact JWS / VC-JOSE credential)
    imported_at: int = Field(sa_type=BigInteger)


class Scan(SQLModel, table=True):
    """One consumer scan of a code (the product page served for a Digital Link), to warn of copied codes
    (:mod:`backend.services.scans`). ``ix_scan_serial`` answers a serial's latest scans from the index alone."""

    __tablename__ = "scan"
    __table_args__ = (
        Index("ix_scan_code", "gtin", "serial", "lot", "scanned_at"),
        Index("ix_scan_serial", "gtin", "serial", "scanned_at", "origin", "block"),
    )

    id: int | None = Field(default=None, primary_key=True)
    gtin: str = Field(max_length=14)
    lot: str | None = Field(default=None, max_length=20)
    serial: str | None = Field(default=None, max_length=20)
    scanned_at: int = Field(sa_type=BigInteger)
    origin: str = Field(max_length=16)  # a salted hash of the client's network (/24 or /48): "many places"
    # a salted hash of the client's address block (/16 or /32): "far apart"; None for scans stored before 0007
    block: str | None = Field(default=None, max_length=16)


class CopyCheck(SQLModel, table=True):
    """The issuer's (or the regulator's) finding on whether a serial's code was copied: ``copied`` confirms the
    copied-code hint on its page, ``cleared`` makes earlier scans count no more. The latest one is in force."""

    __tablename__ = "copy_check"
    __table_args__ = (Index("ix_copy_check_code", "gtin", "serial", "checked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    gtin: str = Field(max_length=14)
    serial: str = Field(max_length=20)
    state: str = Field(max_length=8)  # "copied" | "cleared"
    org_id: str = Field(max_length=18)  # the issuing organisation, or "regulator"
    note: str = Field(default="", max_length=500)
    checked_at: int = Field(sa_type=BigInteger)


class IssuedCode(SQLModel, table=True):
    """A GS1 Digital Link the platform issued as a QR code (the resolver answers 404 for any other)."""

    __tablename__ = "issued_code"
    __table_args__ = (
        # a serial is unique per GTIN (as in an SGTIN): two concurrent issues of it cannot both be stored
        Index(
            "ux_issued_code_gtin_serial",
            "gtin",
            "serial",
            unique=True,
            sqlite_where=text("serial IS NOT NULL"),
            postgresql_where=text("serial IS NOT NULL"),
        ),
        Index("ix_issued_code_gtin_lot", "gtin", "lot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    gtin: str = Field(max_length=14)
    lot: str | None = Field(default=None, max_length=20)
    serial: str | None = Field(default=None, max_length=20)
    org_id: str = Field(max_length=18)
    created_at: int = Field(sa_type=BigInteger)


class Recall(SQLModel, table=True):
    """A recalled lot (the resolver answers 410 Gone for it)."""

    __tablename__ = "recall"

    id: int | None = Field(default=None, primary_key=True)
    gtin: str = Field(index=True, max_length=14)
    lot: str = Field(max_length=20)
    reason: str = Field(max_length=500)
    org_id: str = Field(max_length=18)
    recalled_at: int = Field(sa_type=BigInteger)


class GtinClaim(SQLModel, table=True):
    """A GTIN an organisation claimed by first use, before company prefixes were on chain (listed by migration 0005).

    Until then the first organisation to issue a code for a GTIN owned it on the platform. Those claims are not kept
    silently: each is listed ``PENDING`` for the regulator to ``CONFIRMED`` or ``STRUCK``. A struck claim's codes are
    answered as never issued and its recalls are withdrawn (the rows stay, for the record). New codes need the GTIN's
    owner on chain (or its delegate) whatever the claims say.
    """

    __tablename__ = "gtin_claim"
    __table_args__ = (UniqueConstraint("gtin", "org_id", name="ux_gtin_claim_gtin_org"),)

    id: int | None = Field(default=None, primary_key=True)
    gtin: str = Field(max_length=14)
    org_id: str = Field(max_length=18)
    first_issued_at: int = Field(sa_type=BigInteger)
    codes: int = Field(sa_type=BigInteger)
    recalls: int
    status: str = Field(index=True, max_length=16)  # PENDING | CONFIRMED | STRUCK
    decided_at: int | None = Field(default=None, sa_type=BigInteger)
    note: str = Field(default="", max_length=500)


class PlatformSecret(SQLModel, table=True):
    """A secret every host of the platform shares (the receipt-signing key), kept where they all read it.

    The first host to start stores its key; every other host (and every restart) uses the stored one, so receipts,
    sessions and page tokens signed on one host verify on all. The database's backups therefore hold the key, as the
    data folder's did: protect them alike (docs/operations.md).
    """

    __tablename__ = "platform_secret"

    name: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=256)  # hex
    created_ms: int = Field(sa_type=BigInteger)


class WorkerLease(SQLModel, table=True):
    """Who may run a singleton job (the anchoring worker) now, among the hosts sharing this database
    (:mod:`backend.services.lease`).

    ``epoch`` rises by one each time the lease changes hands: it is the fencing token a holder's writes check, so a
    worker that paused past its lease cannot write after another took over. Times are the database's clock (ms).
    """

    __tablename__ = "worker_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=200)
    epoch: int = Field(sa_type=BigInteger)
    acquired_ms: int = Field(sa_type=BigInteger)
    expires_ms: int = Field(sa_type=BigInteger)


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table of a model, for bulk statements (SQLModel does not type ``__table__``)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]
