"""Replaying the registry's history: its logs, decoded into :mod:`supplychain.registry.events` records.

On a real node the logs come from ``eth_getLogs`` in pages of blocks. On the in-process chain, whose log queries are
quadratic in the chain's length, they are read from the receipts of the blocks' transactions instead (linear).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from hexbytes import HexBytes
from web3.contract import Contract

from chain.connection import Chain
from chain.errors import ErrorDecoder, map_errors
from supplychain.registry import BusinessRole, Grade, Level, RecognitionKind, Scope, bytes32_text
from supplychain.registry import events as ev

__all__ = ["LogDecoder", "iter_logs", "prefix_text", "replay", "terms_from_abi"]

log = logging.getLogger(__name__)
_NO_ERRORS = ErrorDecoder([])


def prefix_text(value: int, length: int) -> str:
    """A prefix's digits from its value and length as the registry keeps them (``690, 4`` → ``"0690"``)."""
    return str(int(value)).zfill(int(length))


def terms_from_abi(t: Any) -> ev.RecognitionTerms:
    return ev.RecognitionTerms(
        holder=bytes32_text(t["holder"]),
        kind=RecognitionKind(t["kind"]),
        level=Level(t["level"]),
        grade=Grade(t["grade"]),
        scope=Scope(t["scope"]),
        subject=bytes32_text(t["subject"]),
        standard_ref=bytes32_text(t["standardRef"]),
        valid_from=int(t["validFrom"]),
        valid_until=int(t["validUntil"]) or None,
        evidence_hash=bytes(t["evidenceHash"]),
    )


def _build(name: str, a: Any, pos: ev.LogPosition, ts: Callable[[], int]) -> ev.RegistryEvent | None:  # noqa: PLR0911, PLR0912
    match name:
        case "RoleGranted" | "RoleRevoked":
            role_cls: type[ev.RoleGranted | ev.RoleRevoked] = (
                ev.RoleGranted if name == "RoleGranted" else ev.RoleRevoked
            )
            return role_cls(pos, ts(), bytes(a["role"]), a["account"], a["sender"])
        case "CertifierLevelChanged":
            return ev.CertifierLevelChanged(pos, a["timestamp"], a["certifier"], a["previousLevel"], a["newLevel"])
        case "OrganisationRegistered" | "OrganisationUpdated":
            org_cls = ev.OrganisationRegistered if name == "OrganisationRegistered" else ev.OrganisationUpdated
            return org_cls(
                pos,
                a["timestamp"],
                bytes32_text(a["orgId"]),
                BusinessRole(a["roles"]),
                bytes(a["profileHash"]),
                a["profileURI"],
            )
        case "OrganisationSuspended" | "OrganisationReinstated":
            s_cls = ev.OrganisationSuspended if name == "OrganisationSuspended" else ev.OrganisationReinstated
            return s_cls(pos, a["timestamp"], bytes32_text(a["orgId"]), a["reason"])
        case "KeyAdded":
            return ev.KeyAdded(pos, a["validFrom"], bytes32_text(a["orgId"]), bytes(a["key"]))
        case "KeyRevoked":
            return ev.KeyRevoked(pos, a["revokedAt"], bytes32_text(a["orgId"]), bytes(a["key"]), a["reason"])
        case "RecognitionIssued":
            return ev.RecognitionIssued(pos, a["issuedAt"], a["id"], a["issuer"], terms_from_abi(a["terms"]))
        case "RecognitionSuspended" | "RecognitionReinstated" | "RecognitionRevoked":
            r_cls: type[ev.RecognitionSuspended | ev.RecognitionReinstated | ev.RecognitionRevoked]
            r_cls = ev.RecognitionSuspended
            if name == "RecognitionReinstated":
                r_cls = ev.RecognitionReinstated
            elif name == "RecognitionRevoked":
                r_cls = ev.RecognitionRevoked
            return r_cls(pos, a["timestamp"], a["id"], bytes32_text(a["holder"]), a["by"], a["reason"])
        case "SpotCheckRecorded":
            return ev.SpotCheckRecorded(
                pos,
                a["timestamp"],
                a["id"],
                bytes32_text(a["holder"]),
                a["passed"],
                bytes(a["reportHash"]),
                a["consecutivePasses"],
            )
        case "SpotCheckExemptionGranted":
            return ev.SpotCheckExemptionGranted(pos, ts(), a["id"], bytes32_text(a["holder"]), a["exemptUntil"])
        case "RootAnchored":
            return ev.RootAnchored(pos, a["anchoredAt"], bytes(a["root"]), a["sequence"], a["anchorer"], a["leafCount"])
        case "PrefixAssigned":
            prefix = prefix_text(a["prefix"], a["length"])
            until = int(a["validUntil"]) or None
            return ev.PrefixAssigned(pos, a["validFrom"], prefix, bytes32_text(a["orgId"]), a["registrar"], until)
        case "PrefixTransferred":
            prefix = prefix_text(a["prefix"], a["length"])
            from_org, to_org = bytes32_text(a["from"]), bytes32_text(a["to"])
            return ev.PrefixTransferred(pos, a["timestamp"], prefix, from_org, to_org, a["registrar"])
        case "PrefixRenewed":
            prefix = prefix_text(a["prefix"], a["length"])
            until = int(a["validUntil"]) or None
            return ev.PrefixRenewed(pos, a["timestamp"], prefix, bytes32_text(a["orgId"]), a["registrar"], until)
        case "PrefixRevoked":
            prefix = prefix_text(a["prefix"], a["length"])
            org = bytes32_text(a["orgId"])
            return ev.PrefixRevoked(pos, a["timestamp"], prefix, org, a["registrar"], a["reason"])
        case "GtinsDelegated":
            d = a["delegation"]
            return ev.GtinsDelegated(
                pos,
                ts(),
                a["id"],
                bytes32_text(d["owner"]),
                bytes32_text(d["delegate"]),
                prefix_text(d["prefix"], d["length"]),
                int(d["firstItem"]),
                int(d["lastItem"]),
                int(d["validFrom"]),
                int(d["validUntil"]) or None,
                bytes(d["requestHash"]),
                a["registrar"],
            )
        case "DelegationRevoked":
            owner, delegate = bytes32_text(a["owner"]), bytes32_text(a["delegate"])
            return ev.DelegationRevoked(pos, a["timestamp"], a["id"], owner, delegate, a["registrar"], a["reason"])
    return None  # RoleAdminChanged: set once in the constructor, nothing to mirror


class LogDecoder:
    """Decodes the registry's raw logs into typed records.

    Args:
        contract: The registry's web3 contract (its ABI and address).
        block_timestamp: Gives a block's timestamp, for the few events that do not carry one.
    """

    def __init__(self, contract: Contract, block_timestamp: Callable[[int], int]) -> None:
        self._contract = contract
        self._block_timestamp = block_timestamp
        self._by_topic: dict[bytes, Any] = {}
        for item in contract.abi:
            if item.get("type") == "event":
                event = contract.events[str(item.get("name"))]()
                self._by_topic[bytes(HexBytes(event.topic))] = event

    def decode(self, raw_log: Any) -> ev.RegistryEvent | None:
        """The typed record of one raw log of the registry (``None`` for events that need no mirroring)."""
        topics = raw_log["topics"]
        event = self._by_topic.get(bytes(HexBytes(topics[0]))) if topics else None
        if event is None:
            return None
        decoded = event.process_log(raw_log)
        block = int(raw_log["blockNumber"])
        tx_hash = "0x" + bytes(HexBytes(raw_log["transactionHash"])).hex()
        pos = ev.LogPosition(block, int(raw_log["logIndex"]), tx_hash)
        return _build(str(decoded["event"]), decoded["args"], pos, lambda: self._block_timestamp(block))


def iter_logs(chain: Chain, address: str, from_block: int, to_block: int, *, page_size: int = 2000) -> Iterator[Any]:
    """The raw logs emitted by ``address`` in ``[from_block, to_block]``, in chain order."""
    if chain.is_tester:
        yield from _logs_from_receipts(chain, address, from_block, to_block)
        return
    start = from_block
    while start <= to_block:
        end = min(start + page_size - 1, to_block)
        with map_errors(_NO_ERRORS, action=f"reading logs of blocks {start}-{end}"):
            page = chain.w3.eth.get_logs({"address": address, "fromBlock": start, "toBlock": end})  # type: ignore[typeddict-item]
        yield from sorted(page, key=lambda lg: (int(lg["blockNumber"]), int(lg["logIndex"])))
        start = end + 1


def _logs_from_receipts(chain: Chain, address: str, from_block: int, to_block: int) -> Iterator[Any]:
    wanted = address.lower()
    for number in range(from_block, to_block + 1):
        block = chain.w3.eth.get_block(number)
        for tx_hash in block["transactions"]:
            receipt = chain.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            for raw in receipt["logs"]:
                if str(raw["address"]).lower() == wanted:
                    yield raw


def replay(
    chain: Chain,
    contract: Contract,
    *,
    from_block: int,
    to_block: int | None = None,
    page_size: int = 2000,
) -> Iterator[ev.RegistryEvent]:
    """Every registry event from ``from_block`` (the deployment block) to ``to_block`` (default: latest)."""
    last = chain.block_number() if to_block is None else to_block
    timestamps: dict[int, int] = {}

    def block_timestamp(number: int) -> int:
        if number not in timestamps:
            timestamps[number] = chain.block_timestamp(number)
        return timestamps[number]

    decoder = LogDecoder(contract, block_timestamp)
    for raw in iter_logs(chain, str(contract.address), from_block, last, page_size=page_size):
        record = decoder.decode(raw)
        if record is not None:
            yield record
