"""A typed client for every function and view of the registry.

:class:`Registry` reads (views, history); :meth:`Registry.as_signer` gives a :class:`RegistryWriter` that sends
transactions from one account. Organisation ids are text (GLN or USCC), keys and hashes 32 bytes, times seconds.
Every failure is a :class:`chain.errors.ChainError`; the registry's own errors arrive as named
:class:`chain.errors.RegistryError` subclasses with their decoded arguments.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from chain.artifacts import load_artifact
from chain.connection import Chain
from chain.deploy import Deployment, check_deployment
from chain.errors import ErrorDecoder, abi_type, map_errors
from chain.history import LogDecoder, prefix_text, replay, terms_from_abi
from chain.tx import PendingTransaction, Receipt, Transactor
from supplychain.gs1 import org_id_bytes32
from supplychain.registry import (
    BusinessRole,
    RecognitionStatus,
    RegistryMirror,
    bytes32_text,
    gtin14,
    parse_prefix,
    text_bytes32,
)
from supplychain.registry import events as ev

__all__ = [
    "ANCHOR_GAS",
    "ROLE_ANCHORER",
    "ROLE_CERTIFIER",
    "ROLE_REGISTRAR",
    "ROLE_REGULATOR",
    "AnchorInfo",
    "DelegationInfo",
    "GtinOwner",
    "KeyInfo",
    "OrganisationInfo",
    "PrefixHoldingInfo",
    "RecognitionInfo",
    "Registry",
    "RegistryWriter",
    "SpotCheckInfo",
    "TxResult",
    "gtin_abi",
    "prefix_abi",
    "terms_to_abi",
]

ROLE_REGULATOR = keccak(text="REGULATOR_ROLE")
ROLE_CERTIFIER = keccak(text="CERTIFIER_ROLE")
ROLE_ANCHORER = keccak(text="ANCHORER_ROLE")
ROLE_REGISTRAR = keccak(text="GS1_REGISTRAR_ROLE")
#: Gas limit of ``anchorRoot``: fixed, so anchoring needs no estimation round trip (it uses about 75,000).
ANCHOR_GAS = 120_000


@dataclass(frozen=True)
class OrganisationInfo:
    """An organisation as the registry holds it now."""

    org_id: str
    roles: BusinessRole
    suspended: bool
    profile_hash: bytes
    registered_at: int
    updated_at: int


@dataclass(frozen=True)
class KeyInfo:
    """An event-signing key and its validity."""

    key: bytes
    org_id: str
    valid_from: int
    revoked_at: int | None


@dataclass(frozen=True)
class RecognitionInfo:
    """A recognition as the registry holds it now."""

    recognition_id: int
    terms: ev.RecognitionTerms
    issuer: str
    issued_at: int
    status: RecognitionStatus
    status_changed_at: int


@dataclass(frozen=True)
class SpotCheckInfo:
    """The spot-check record of a recognition."""

    checks: int
    consecutive_passes: int
    last_checked_at: int
    exempt_until: int


@dataclass(frozen=True)
class AnchorInfo:
    """An anchored root."""

    root: bytes
    sequence: int
    anchored_at: int
    block_number: int
    leaf_count: int


@dataclass(frozen=True)
class PrefixHoldingInfo:
    """One holding of a GS1 Company Prefix (``valid_until``/``ended_at`` ``None`` when open/live)."""

    org_id: str
    valid_from: int
    valid_until: int | None
    ended_at: int | None


@dataclass(frozen=True)
class GtinOwner:
    """Who owned a GTIN at a time, and by which company prefix."""

    org_id: str
    prefix: str


@dataclass(frozen=True)
class DelegationInfo:
    """A GTIN delegation as the registry holds it now."""

    delegation_id: int
    owner: str
    delegate: str
    prefix: str
    first_item: int
    last_item: int
    valid_from: int
    valid_until: int | None
    revoked_at: int | None
    request_hash: bytes


@dataclass(frozen=True)
class TxResult:
    """A mined registry transaction and the registry events it emitted."""

    receipt: Receipt
    events: tuple[ev.RegistryEvent, ...]

    @property
    def tx_hash(self) -> str:
        """The transaction hash."""
        return self.receipt.tx_hash


def terms_to_abi(t: ev.RecognitionTerms) -> tuple[Any, ...]:
    """The ``RecognitionTerms`` tuple the registry's ABI takes."""
    return (
        org_id_bytes32(t.holder),
        int(t.kind),
        int(t.level),
        int(t.grade),
        int(t.scope),
        text_bytes32(t.subject) if t.subject else bytes(32),
        text_bytes32(t.standard_ref),
        t.valid_from,
        t.valid_until or 0,
        t.evidence_hash,
    )


def prefix_abi(prefix: str) -> tuple[int, int]:
    """The ``(value, length)`` the registry takes for a prefix's digits (``"0690"`` → ``(690, 4)``).

    Raises:
        ValueError: not 4 to 12 digits.
    """
    return int(parse_prefix(prefix)), len(prefix)


def gtin_abi(gtin: str) -> int:
    """The ``uint64`` the registry takes for a GTIN (8, 12, 13 or 14 digits; as its GTIN-14).

    Raises:
        InvalidGs1KeyError: not a GTIN (a ``ValueError``).
    """
    return int(gtin14(gtin))


def _key32(key: bytes) -> bytes:
    if len(key) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, got {len(key)}")
    return key


class Registry:
    """Read access to a deployed registry.

    Args:
        chain: The connected chain.
        deployment: Where the registry is.
        check: Verify on construction that the chain and the code are the deployment's (see :func:`check_deployment`).
    """

    def __init__(self, chain: Chain, deployment: Deployment, *, check: bool = True) -> None:
        if check:
            check_deployment(chain, deployment)
        self.chain = chain
        self.deployment = deployment
        artifact = load_artifact()
        self.contract: Contract = chain.w3.eth.contract(
            address=Web3.to_checksum_address(deployment.address), abi=artifact.abi
        )
        self.decoder = ErrorDecoder(artifact.abi)
        self._functions: dict[str, tuple[bytes, list[str]]] = {}
        for item in artifact.abi:
            if item["type"] == "function":
                types = [abi_type(p) for p in item["inputs"]]
                signature = f"{item['name']}({','.join(types)})"
                self._functions[item["name"]] = (function_signature_to_4byte_selector(signature), types)
        self._logs = LogDecoder(self.contract, chain.block_timestamp)

    @property
    def address(self) -> str:
        """The registry's address."""
        return str(self.contract.address)

    def _call(self, fn: str, *args: Any) -> Any:
        with map_errors(self.decoder, action=f"calling {fn}"):
            return self.contract.functions[fn](*args).call()

    def encode(self, fn: str, *args: Any) -> bytes:
        """The call data of ``fn(*args)`` (selector + ABI-encoded arguments; web3's own encoder is 50x slower)."""
        selector, types = self._functions[fn]
        return selector + abi_encode(types, args)

    def as_signer(self, account: LocalAccount | Transactor, **options: Any) -> RegistryWriter:
        """A writer sending from ``account`` (reuse the returned writer: it keeps the account's nonce)."""
        tx = account if isinstance(account, Transactor) else Transactor(self.chain, account, self.decoder, **options)
        return RegistryWriter(self, tx)

    def decode_logs(self, logs: Sequence[Any]) -> tuple[ev.RegistryEvent, ...]:
        """The registry events among a receipt's raw logs."""
        address = self.address.lower()
        found = (self._logs.decode(lg) for lg in logs if str(lg["address"]).lower() == address)
        return tuple(e for e in found if e is not None)

    # --- governance ---

    def has_role(self, role: bytes, account: str) -> bool:
        """Whether ``account`` holds ``role`` (one of the ``ROLE_*`` constants)."""
        return bool(self._call("hasRole", role, Web3.to_checksum_address(account)))

    def role_admin(self, role: bytes) -> bytes:
        """The role that administers ``role`` (the regulator's for certifiers and anchorers)."""
        return bytes(self._call("getRoleAdmin", role))

    def certifier_level(self, certifier: str) -> int:
        """The highest level ``certifier`` may grant (0: not a certifier)."""
        return int(self._call("certifierLevel", Web3.to_checksum_address(certifier)))

    # --- organisations and keys ---

    def organisation(self, org_id: str) -> OrganisationInfo:
        """The organisation ``org_id`` (raises :class:`RegistryNotFoundError` when unknown)."""
        o = self._call("organisation", org_id_bytes32(org_id))
        return OrganisationInfo(org_id, BusinessRole(o[3]), bool(o[4]), bytes(o[0]), int(o[1]), int(o[2]))

    def is_registered(self, org_id: str) -> bool:
        """Whether ``org_id`` is registered."""
        return bool(self._call("isRegistered", org_id_bytes32(org_id)))

    def key_info(self, key: bytes) -> KeyInfo:
        """The key ``key`` (raises :class:`RegistryNotFoundError` when unknown)."""
        org, valid_from, revoked_at = self._call("keyInfo", _key32(key))
        return KeyInfo(key, bytes32_text(org), int(valid_from), int(revoked_at) or None)

    def keys_of(self, org_id: str) -> list[bytes]:
        """Every key ever registered for ``org_id``."""
        return [bytes(k) for k in self._call("keysOf", org_id_bytes32(org_id))]

    def is_key_valid_at(self, key: bytes, org_id: str, timestamp: int) -> bool:
        """Whether ``key`` was a valid signing key of ``org_id`` at ``timestamp``."""
        return bool(self._call("isKeyValidAt", _key32(key), org_id_bytes32(org_id), timestamp))

    # --- recognitions ---

    def recognition(self, recognition_id: int) -> RecognitionInfo:
        """Recognition ``recognition_id`` (raises :class:`RegistryNotFoundError` when unknown)."""
        terms, issuer, issued_at, status, changed_at = self._call("recognition", recognition_id)
        t = dict(
            zip(
                (
                    "holder",
                    "kind",
                    "level",
                    "grade",
                    "scope",
                    "subject",
                    "standardRef",
                    "validFrom",
                    "validUntil",
                    "evidenceHash",
                ),
                terms,
                strict=True,
            )
        )
        return RecognitionInfo(
            recognition_id, terms_from_abi(t), issuer, int(issued_at), RecognitionStatus(status), int(changed_at)
        )

    def recognition_count(self) -> int:
        """How many recognitions were issued."""
        return int(self._call("recognitionCount"))

    def status_at(self, recognition_id: int, timestamp: int) -> RecognitionStatus | None:
        """The status of a recognition at ``timestamp`` (``None`` before it existed)."""
        status = int(self._call("statusAt", recognition_id, timestamp))
        return RecognitionStatus(status) if status else None

    def is_in_force_at(self, recognition_id: int, timestamp: int) -> bool:
        """Whether a recognition was in force at ``timestamp``."""
        return bool(self._call("isInForceAt", recognition_id, timestamp))

    def status_history(self, recognition_id: int) -> list[tuple[int, RecognitionStatus, int]]:
        """``(timestamp, status, reason)`` of every status change, oldest first."""
        return [(int(t), RecognitionStatus(s), int(r)) for t, s, r in self._call("statusHistory", recognition_id)]

    def spot_check_state(self, recognition_id: int) -> SpotCheckInfo:
        """The spot-check record of a recognition."""
        checks, passes, last, until = self._call("spotCheckState", recognition_id)
        return SpotCheckInfo(int(checks), int(passes), int(last), int(until))

    def is_spot_check_exempt(self, recognition_id: int) -> bool:
        """Whether a recognition is exempt from spot checks now."""
        return bool(self._call("isSpotCheckExempt", recognition_id))

    # --- company prefixes and delegations ---

    def prefix_history(self, prefix: str) -> list[PrefixHoldingInfo]:
        """Every holding of ``prefix`` (digits), oldest first."""
        return [
            PrefixHoldingInfo(bytes32_text(org), int(start), int(until) or None, int(ended) or None)
            for org, start, until, ended in self._call("prefixHistory", *prefix_abi(prefix))
        ]

    def prefix_holder_at(self, prefix: str, timestamp: int) -> str | None:
        """The organisation that held ``prefix``, valid, at ``timestamp``."""
        return bytes32_text(self._call("prefixHolderAt", *prefix_abi(prefix), timestamp)) or None

    def gtin_owner_at(self, gtin: str, timestamp: int) -> GtinOwner | None:
        """The owner of ``gtin`` at ``timestamp`` and its company prefix (``None``: no prefix held covers it)."""
        org, value, length = self._call("gtinOwnerAt", gtin_abi(gtin), timestamp)
        return GtinOwner(bytes32_text(org), prefix_text(value, length)) if length else None

    def is_delegate_at(self, gtin: str, org_id: str, timestamp: int) -> bool:
        """Whether ``org_id`` could make ``gtin`` for its owner at ``timestamp``."""
        return bool(self._call("isDelegateAt", gtin_abi(gtin), org_id_bytes32(org_id), timestamp))

    def delegation(self, delegation_id: int) -> DelegationInfo:
        """Delegation ``delegation_id`` (raises :class:`RegistryNotFoundError` when unknown)."""
        owner, delegate, value, length, first, last, start, until, revoked, request = self._call(
            "delegation", delegation_id
        )
        return DelegationInfo(
            delegation_id,
            bytes32_text(owner),
            bytes32_text(delegate),
            prefix_text(value, length),
            int(first),
            int(last),
            int(start),
            int(until) or None,
            int(revoked) or None,
            bytes(request),
        )

    def delegation_count(self) -> int:
        """How many delegations were filed."""
        return int(self._call("delegationCount"))

    # --- anchors ---

    def anchor_of(self, root: bytes) -> AnchorInfo:
        """The anchor of ``root`` (raises :class:`RegistryNotFoundError` when it was never anchored)."""
        seq, at, block, leaves = self._call("anchorOf", root)
        return AnchorInfo(root, int(seq), int(at), int(block), int(leaves))

    def is_anchored(self, root: bytes) -> bool:
        """Whether ``root`` was anchored."""
        return bool(self._call("isAnchored", root))

    def anchor_count(self) -> int:
        """How many roots were anchored."""
        return int(self._call("anchorCount"))

    def verify_event(self, root: bytes, proof: Sequence[bytes], event_hash: bytes) -> bool:
        """The registry's own check that ``event_hash`` is in the anchored batch ``root``."""
        return bool(self._call("verifyEvent", root, list(proof), event_hash))

    def verify_events(
        self, root: bytes, proof: Sequence[bytes], flags: Sequence[bool], event_hashes: Sequence[bytes]
    ) -> bool:
        """The registry's multiproof check of several events of one batch."""
        return bool(self._call("verifyEvents", root, list(proof), list(flags), list(event_hashes)))

    # --- history ---

    def history(self, *, from_block: int | None = None, to_block: int | None = None) -> Iterator[ev.RegistryEvent]:
        """The registry's events from the deployment block (or ``from_block``) to ``to_block``, in chain order."""
        start = self.deployment.block_number if from_block is None else from_block
        return replay(self.chain, self.contract, from_block=start, to_block=to_block)

    def mirror(self) -> RegistryMirror:
        """A :class:`RegistryMirror` of the whole history up to the latest block."""
        return RegistryMirror().apply_all(self.history())


class RegistryWriter:
    """Sends registry transactions from one account; each method waits for the receipt and returns a :class:`TxResult`.

    A call the registry would refuse raises its named error before anything is sent (the call is dry-run first),
    except :meth:`anchor_root`, which is sent with a fixed gas limit to save the round trip and raises after mining.
    """

    def __init__(self, registry: Registry, transactor: Transactor) -> None:
        self.registry = registry
        self.tx = transactor

    @property
    def address(self) -> str:
        """The sending account."""
        return self.tx.address

    def send(self, fn: str, *args: Any, gas: int | None = None) -> TxResult:
        """Call the registry function ``fn`` with ABI-ready arguments and wait for it (any function, raw values)."""
        receipt = self.tx.transact(self.registry.address, self.registry.encode(fn, *args), gas=gas, action=fn)
        return TxResult(receipt, self.registry.decode_logs(receipt.logs))

    def submit(self, fn: str, *args: Any, gas: int) -> PendingTransaction:
        """Send ``fn(*args)`` without waiting (for bursts); wait with :meth:`wait`."""
        return self.tx.send(self.registry.address, self.registry.encode(fn, *args), gas=gas, action=fn)

    def wait(self, pending: PendingTransaction) -> TxResult:
        """Wait for a transaction sent with :meth:`submit`."""
        receipt = self.tx.wait(pending)
        return TxResult(receipt, self.registry.decode_logs(receipt.logs))

    # --- governance (regulator) ---

    def register_certifier(self, certifier: str, level: int) -> TxResult:
        """Register ``certifier`` (or change its level) with the highest level it may grant."""
        return self.send("registerCertifier", Web3.to_checksum_address(certifier), level)

    def remove_certifier(self, certifier: str) -> TxResult:
        """Remove a certifier."""
        return self.send("removeCertifier", Web3.to_checksum_address(certifier))

    def grant_role(self, role: bytes, account: str) -> TxResult:
        """Grant an AccessControl role (e.g. :data:`ROLE_ANCHORER` to the platform's account)."""
        return self.send("grantRole", role, Web3.to_checksum_address(account))

    def revoke_role(self, role: bytes, account: str) -> TxResult:
        """Revoke an AccessControl role."""
        return self.send("revokeRole", role, Web3.to_checksum_address(account))

    def renounce_role(self, role: bytes) -> TxResult:
        """Give up one of the sender's own roles (e.g. a retired anchoring account)."""
        return self.send("renounceRole", role, Web3.to_checksum_address(self.address))

    # --- organisations and keys (regulator) ---

    def register_organisation(
        self, org_id: str, roles: BusinessRole, *, profile_hash: bytes = bytes(32), profile_uri: str = ""
    ) -> TxResult:
        """Register an organisation with its business roles and profile."""
        return self.send("registerOrganisation", org_id_bytes32(org_id), int(roles), profile_hash, profile_uri)

    def update_organisation(
        self, org_id: str, roles: BusinessRole, *, profile_hash: bytes = bytes(32), profile_uri: str = ""
    ) -> TxResult:
        """Change an organisation's roles or profile (no event when nothing changed)."""
        return self.send("updateOrganisation", org_id_bytes32(org_id), int(roles), profile_hash, profile_uri)

    def suspend_organisation(self, org_id: str, reason: int) -> TxResult:
        """Suspend an organisation."""
        return self.send("suspendOrganisation", org_id_bytes32(org_id), reason)

    def reinstate_organisation(self, org_id: str, reason: int) -> TxResult:
        """Lift an organisation's suspension."""
        return self.send("reinstateOrganisation", org_id_bytes32(org_id), reason)

    def add_key(self, org_id: str, key: bytes) -> TxResult:
        """Add an Ed25519 event-signing key to an organisation."""
        return self.send("addKey", org_id_bytes32(org_id), _key32(key))

    def revoke_key(self, key: bytes, reason: int) -> TxResult:
        """Revoke an event-signing key."""
        return self.send("revokeKey", _key32(key), reason)

    def rotate_key(self, old_key: bytes, new_key: bytes, reason: int) -> TxResult:
        """Replace an organisation's key by a new one in one transaction."""
        return self.send("rotateKey", _key32(old_key), _key32(new_key), reason)

    # --- recognitions (certifiers; changes also by the regulator) ---

    def issue_recognition(self, terms: ev.RecognitionTerms) -> tuple[int, TxResult]:
        """Issue a recognition; returns its id and the transaction."""
        result = self.send("issueRecognition", terms_to_abi(terms))
        issued = [e for e in result.events if isinstance(e, ev.RecognitionIssued)]
        return issued[0].recognition_id, result

    def suspend_recognition(self, recognition_id: int, reason: int) -> TxResult:
        """Suspend a recognition."""
        return self.send("suspendRecognition", recognition_id, reason)

    def reinstate_recognition(self, recognition_id: int, reason: int) -> TxResult:
        """Reinstate a suspended recognition."""
        return self.send("reinstateRecognition", recognition_id, reason)

    def revoke_recognition(self, recognition_id: int, reason: int) -> TxResult:
        """Revoke a recognition for good (摘牌)."""
        return self.send("revokeRecognition", recognition_id, reason)

    def record_spot_check(self, recognition_id: int, *, passed: bool, report_hash: bytes) -> TxResult:
        """Record a spot check's result (regulator)."""
        return self.send("recordSpotCheck", recognition_id, passed, report_hash)

    # --- company prefixes (regulator: registrars; registrars: the rest) ---

    def register_registrar(self, registrar: str) -> TxResult:
        """Make ``registrar`` a GS1 registrar (regulator)."""
        return self.send("registerRegistrar", Web3.to_checksum_address(registrar))

    def remove_registrar(self, registrar: str) -> TxResult:
        """Remove a GS1 registrar (regulator)."""
        return self.send("removeRegistrar", Web3.to_checksum_address(registrar))

    def assign_prefix(self, prefix: str, org_id: str, *, valid_until: int | None = None) -> TxResult:
        """Assign a GS1 Company Prefix (digits) to an organisation, from now until ``valid_until`` (open)."""
        return self.send("assignPrefix", *prefix_abi(prefix), org_id_bytes32(org_id), valid_until or 0)

    def transfer_prefix(self, prefix: str, to_org: str) -> TxResult:
        """Transfer a live prefix to another organisation."""
        return self.send("transferPrefix", *prefix_abi(prefix), org_id_bytes32(to_org))

    def renew_prefix(self, prefix: str, *, valid_until: int | None = None) -> TxResult:
        """Renew a live prefix's licence until ``valid_until`` (open): a new holding of the same organisation."""
        return self.send("renewPrefix", *prefix_abi(prefix), valid_until or 0)

    def revoke_prefix(self, prefix: str, reason: int) -> TxResult:
        """Revoke a live prefix."""
        return self.send("revokePrefix", *prefix_abi(prefix), reason)

    def delegate_gtins(
        self,
        first_gtin: str,
        delegate: str,
        *,
        last_gtin: str | None = None,
        request_hash: bytes,
        valid_from: int | None = None,
        valid_until: int | None = None,
    ) -> tuple[int, TxResult]:
        """File the delegation of ``first_gtin`` (to ``last_gtin``: a range of one prefix) to ``delegate`` on its
        owner's signed request (``request_hash``: its SHA-256); returns the delegation's id and the transaction."""
        result = self.send(
            "delegateGtins",
            gtin_abi(first_gtin),
            gtin_abi(last_gtin or first_gtin),
            org_id_bytes32(delegate),
            valid_from or 0,
            valid_until or 0,
            request_hash,
        )
        filed = [e for e in result.events if isinstance(e, ev.GtinsDelegated)]
        return filed[0].delegation_id, result

    def revoke_delegation(self, delegation_id: int, reason: int) -> TxResult:
        """Revoke a delegation from now on."""
        return self.send("revokeDelegation", delegation_id, reason)

    # --- anchors (anchorer) ---

    def anchor_root(self, root: bytes, leaf_count: int) -> tuple[int, TxResult]:
        """Anchor a Merkle root; returns its sequence number and the transaction."""
        result = self.send("anchorRoot", root, leaf_count, gas=ANCHOR_GAS)
        anchored = [e for e in result.events if isinstance(e, ev.RootAnchored)]
        return anchored[0].sequence, result
