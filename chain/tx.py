"""Sending transactions: signed locally, with a managed nonce, cached fees, receipts awaited with a timeout.

One :class:`Transactor` per sending account and process. It keeps the account's next nonce itself (read once from
the node), so a burst of transactions needs no round trip per transaction for the nonce, the fees or, when the caller
gives a gas limit, the gas. A transaction is signed once; when the node cannot be reached, the *same signed bytes*
are sent again (same hash), so a retry can never make a second transaction.

On a congested chain a transaction priced too low stays pending. :meth:`Transactor.replacement` signs the same call
at the same nonce with fees raised by at least :data:`MIN_BUMP` (what geth, Besu and anvil require of a replacement)
and at least what the chain asks now, never above a fee ceiling (:class:`FeeCeilingError`); whichever version is mined
first uses the nonce, so the call happens once. :meth:`Transactor.wait_any` waits for any version, and
:meth:`Transactor.dropped` tells a transaction the node forgot (its nonce still unused) so the same bytes can be sent
again.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from eth_account._utils.legacy_transactions import Transaction as LegacyTransaction
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from chain.connection import Chain
from chain.errors import (
    ChainConnectionError,
    ChainError,
    ErrorDecoder,
    FeeCeilingError,
    TransactionRevertedError,
    TransactionTimeoutError,
    map_errors,
)

__all__ = ["MIN_BUMP", "PendingTransaction", "Receipt", "Transactor"]

log = logging.getLogger(__name__)

_PRIORITY_FEE = Web3.to_wei(1, "gwei")
_FEE_TTL = 5.0
MIN_BUMP = 1.125
"""Smallest fee increase a replacement gets: geth and Besu refuse less than 10 % on both fee fields."""


@dataclass(frozen=True)
class Receipt:
    """A mined transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    status: int
    logs: tuple[Any, ...]
    contract_address: str | None = None
    block_hash: str | None = None


@dataclass(frozen=True)
class PendingTransaction:
    """A signed transaction that was handed to the node."""

    tx_hash: str
    raw: bytes
    nonce: int
    action: str
    call: dict[str, Any]

    @classmethod
    def from_raw(cls, raw: bytes, action: str) -> PendingTransaction:
        """A signed transaction recorded as bytes (after a restart, say), with its call read back from them, so that
        it can be sent again or :meth:`Transactor.replacement` can bump it."""
        if raw[:1] and raw[0] < 0xC0:  # a typed transaction (EIP-2718): EIP-1559 here
            fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            fees = {"maxFeePerGas": fields["maxFeePerGas"], "maxPriorityFeePerGas": fields["maxPriorityFeePerGas"]}
            chain_id = int(fields["chainId"])
        else:
            fields = LegacyTransaction.from_bytes(HexBytes(raw)).as_dict()
            fees = {"gasPrice": fields["gasPrice"]}
            chain_id = (int(fields["v"]) - 35) // 2
        call: dict[str, Any] = {
            "data": HexBytes(fields["data"]),
            "gas": int(fields["gas"]),
            "chainId": chain_id,
            **fees,
        }
        if fields.get("to"):
            call["to"] = Web3.to_checksum_address(fields["to"])
        signed_hash = "0x" + keccak(raw).hex()
        return cls(signed_hash, bytes(raw), int(fields["nonce"]), action, call)


class Transactor:
    """Signs and sends transactions from one account; see the module docstring.

    Args:
        chain: The connected chain.
        account: The local signing account.
        decoder: Decodes the registry's custom errors.
        receipt_timeout: Seconds to wait for a receipt before :class:`TransactionTimeoutError`.
        send_retry_window: Seconds during which sending the same bytes is retried while the node is unreachable.
    """

    def __init__(
        self,
        chain: Chain,
        account: LocalAccount,
        decoder: ErrorDecoder,
        *,
        receipt_timeout: float = 30.0,
        send_retry_window: float = 30.0,
    ) -> None:
        self.chain = chain
        self.account = account
        self.address: str = account.address
        self.decoder = decoder
        self.receipt_timeout = receipt_timeout
        self.send_retry_window = send_retry_window
        self._lock = threading.RLock()  # send() holds it across sign and broadcast: nonces reach the node in order
        self._nonce: int | None = None
        self._fees: tuple[float, dict[str, int]] | None = None

    # --- nonce and fees ---

    def _next_nonce(self) -> int:
        if self._nonce is None:
            with map_errors(self.decoder, action=f"reading the nonce of {self.address}"):
                self._nonce = int(self.chain.w3.eth.get_transaction_count(self.account.address, "pending"))
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def resync_nonce(self) -> None:
        """Forget the local nonce; the next transaction reads it from the node again."""
        with self._lock:
            self._nonce = None

    def _fee_fields(self, *, fresh: bool = False) -> dict[str, int]:
        now = time.monotonic()
        if not fresh and self._fees is not None and now - self._fees[0] < _FEE_TTL:
            return self._fees[1]
        with map_errors(self.decoder, action="reading the fees"):
            base = self.chain.w3.eth.get_block("latest").get("baseFeePerGas")
            if base is None:
                fees = {"gasPrice": int(self.chain.w3.eth.gas_price)}
            else:
                fees = {"maxFeePerGas": 2 * int(base) + _PRIORITY_FEE, "maxPriorityFeePerGas": _PRIORITY_FEE}
        self._fees = (now, fees)
        return fees

    # --- sending ---

    def estimate(self, to: str, data: bytes, *, action: str) -> int:
        """Dry-run the call and return a gas limit with head-room; a revert raises its decoded error."""
        with map_errors(self.decoder, action=action):
            gas = int(self.chain.w3.eth.estimate_gas({"from": self.address, "to": to, "data": HexBytes(data)}))
        return gas + gas // 4 + 10_000

    def sign(self, to: str | None, data: bytes, *, gas: int | None = None, action: str) -> PendingTransaction:
        """Sign a transaction with the next nonce, without sending it (see :meth:`broadcast`).

        A caller that must survive a crash records the returned bytes before broadcasting them, so that after a
        restart it can send the *same* transaction again instead of a second one.

        Raises:
            RegistryError: ``gas`` was not given and the dry run reverted with a registry error.
        """
        if gas is None:
            gas = self.estimate(to, data, action=action) if to else 6_000_000
        with self._lock:
            call: dict[str, Any] = {
                "data": HexBytes(data),
                "gas": gas,
                "chainId": self.chain.chain_id,
                **self._fee_fields(),
            }
            if to:
                call["to"] = Web3.to_checksum_address(to)
            nonce = self._next_nonce()
            signed = self.account.sign_transaction({**call, "nonce": nonce})
        return PendingTransaction(
            tx_hash="0x" + bytes(signed.hash).hex(),
            raw=bytes(signed.raw_transaction),
            nonce=nonce,
            action=action,
            call=call,
        )

    def broadcast(self, pending: PendingTransaction) -> None:
        """Hand signed bytes to the node; sending the same bytes again is safe (see :meth:`_broadcast`).

        Raises:
            ChainConnectionError: the node stayed unreachable for ``send_retry_window`` seconds.
        """
        try:
            self._broadcast(pending)
        except BaseException:
            self.resync_nonce()  # the nonce may or may not be used now: ask the node next time
            raise
        log.debug("sent %s as %s (nonce %s)", pending.action, pending.tx_hash, pending.nonce)

    def send(self, to: str | None, data: bytes, *, gas: int | None = None, action: str) -> PendingTransaction:
        """Sign and send a transaction without waiting for it to be mined (:meth:`sign` then :meth:`broadcast`).

        Raises:
            RegistryError: the dry run reverted with a registry error.
            ChainConnectionError: the node stayed unreachable for ``send_retry_window`` seconds.
        """
        if gas is None:
            gas = self.estimate(to, data, action=action) if to else 6_000_000
        with self._lock:
            pending = self.sign(to, data, gas=gas, action=action)
            self.broadcast(pending)
        return pending

    def _broadcast(self, pending: PendingTransaction) -> None:
        deadline = time.monotonic() + self.send_retry_window
        delay = 0.1
        while True:
            try:
                with map_errors(self.decoder, action=pending.action):
                    self.chain.w3.eth.send_raw_transaction(pending.raw)
                return
            except ChainConnectionError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            except ChainError as exc:
                # The node may refuse the bytes because it already has them (an earlier try got through, "nonce too
                # low"), or because it executed them on receipt and they reverted (Hardhat): then the receipt tells.
                if self._known(pending.tx_hash):
                    return
                exc.tx_hash = pending.tx_hash
                raise

    def _known(self, tx_hash: str) -> bool:
        try:
            self.chain.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        except Exception:  # TransactionNotFound, or the node is gone again: not known
            return False
        return True

    # --- congestion: replacing, re-sending ---

    def replacement(
        self, pending: PendingTransaction, *, ceiling_wei: int, bump: float = MIN_BUMP
    ) -> PendingTransaction:
        """The same call at the same nonce with higher fees, signed but not sent (record it, then :meth:`broadcast`).

        Each fee field becomes at least ``bump`` times the old one (rounded up) and at least what the chain asks now
        (twice the latest base fee plus the priority fee), and the fee cap (``maxFeePerGas``, or ``gasPrice`` on a
        chain without a base fee) stays at or below ``ceiling_wei``.

        Raises:
            FeeCeilingError: ``bump`` times the old fee cap is above ``ceiling_wei``: no replacement the node would
                accept fits under the ceiling (keep waiting, or raise the ceiling).
            ValueError: ``bump`` is below :data:`MIN_BUMP`.
        """
        if not bump >= MIN_BUMP:
            raise ValueError(f"a replacement's fees must rise by at least {MIN_BUMP}x, not {bump}x")
        old = pending.call
        now = self._fee_fields(fresh=True)
        cap_field = "gasPrice" if "gasPrice" in old else "maxFeePerGas"
        least_cap = math.ceil(int(old[cap_field]) * bump)
        if least_cap > ceiling_wei:
            raise FeeCeilingError(
                f"{pending.action}: replacing {pending.tx_hash} (nonce {pending.nonce}) needs a fee cap of at least "
                f"{least_cap} wei, above the ceiling of {ceiling_wei} wei",
                tx_hash=pending.tx_hash,
            )
        asked = now.get("maxFeePerGas", now.get("gasPrice", 0))  # what the chain asks now, whichever way it prices
        cap = min(max(least_cap, asked), ceiling_wei)
        fees = {cap_field: cap}
        if cap_field == "maxFeePerGas":
            tip = max(math.ceil(int(old["maxPriorityFeePerGas"]) * bump), now.get("maxPriorityFeePerGas", 0))
            fees["maxPriorityFeePerGas"] = min(tip, cap)
        call = {**old, **fees}
        signed = self.account.sign_transaction({**call, "nonce": pending.nonce})
        bumped = replace(pending, tx_hash="0x" + bytes(signed.hash).hex(), raw=bytes(signed.raw_transaction), call=call)
        log.info(
            "%s: replacing %s with %s at nonce %s (fee cap %s -> %s wei)",
            pending.action,
            pending.tx_hash,
            bumped.tx_hash,
            pending.nonce,
            old[cap_field],
            cap,
        )
        return bumped

    def nonce_used(self, nonce: int) -> bool:
        """Whether a mined transaction of this account has used ``nonce``."""
        with map_errors(self.decoder, action=f"reading the nonce of {self.address}"):
            return int(self.chain.w3.eth.get_transaction_count(self.account.address, "latest")) > nonce

    def dropped(self, pending: PendingTransaction) -> bool:
        """Whether the node forgot ``pending`` (evicted from its pool, or lost in a restart) while its nonce is still
        unused: then :meth:`broadcast` sends the same bytes again."""
        return not self._known(pending.tx_hash) and not self.nonce_used(pending.nonce)

    def wait_any(self, versions: Sequence[PendingTransaction], *, timeout: float | None = None) -> Receipt:
        """Wait until one of several versions of a transaction (same nonce: :meth:`replacement`) is mined.

        Raises:
            TransactionTimeoutError: none was mined in time (``tx_hash`` is the newest version).
            ValueError: the versions do not share one nonce.
            RegistryError, TransactionRevertedError: the mined version reverted (see :meth:`wait`).
        """
        if not versions or len({v.nonce for v in versions}) != 1:
            raise ValueError("wait_any needs versions of one transaction (one nonce)")
        deadline = time.monotonic() + (self.receipt_timeout if timeout is None else timeout)
        while True:
            for version in reversed(versions):  # the newest is the likeliest
                try:
                    return self.wait(version, timeout=0)
                except TransactionTimeoutError:
                    continue
            if time.monotonic() >= deadline:
                raise TransactionTimeoutError(
                    f"{versions[-1].action}: none of {len(versions)} versions at nonce {versions[-1].nonce} was mined",
                    tx_hash=versions[-1].tx_hash,
                )
            time.sleep(0.05)

    # --- waiting ---

    def wait(self, pending: PendingTransaction, *, timeout: float | None = None) -> Receipt:
        """Wait for ``pending`` to be mined; a revert raises its decoded error.

        Raises:
            TransactionTimeoutError: no receipt within the timeout (the transaction may still be mined).
            RegistryError: mined with status 0; the reason was recovered by replaying the call.
            TransactionRevertedError: mined with status 0 and no reason could be recovered.
        """
        deadline = time.monotonic() + (self.receipt_timeout if timeout is None else timeout)
        delay = 0.02
        while True:
            try:
                with map_errors(self.decoder, action=f"waiting for {pending.action}"):
                    try:
                        raw = self.chain.w3.eth.get_transaction_receipt(pending.tx_hash)  # type: ignore[arg-type]
                    except TransactionNotFound:
                        raw = None
                if raw is not None:
                    break
            except ChainConnectionError:
                log.warning("node unreachable while waiting for %s; retrying", pending.tx_hash)
            if time.monotonic() >= deadline:
                raise TransactionTimeoutError(
                    f"{pending.action}: no receipt for {pending.tx_hash} after "
                    f"{self.receipt_timeout if timeout is None else timeout:.0f} s",
                    tx_hash=pending.tx_hash,
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        receipt = Receipt(
            tx_hash=pending.tx_hash,
            block_number=int(raw["blockNumber"]),
            gas_used=int(raw["gasUsed"]),
            status=int(raw["status"]),
            logs=tuple(raw["logs"]),
            contract_address=raw.get("contractAddress"),
            block_hash=Web3.to_hex(raw["blockHash"]) if raw.get("blockHash") is not None else None,
        )
        if receipt.status != 1:
            raise self._revert_reason(pending, receipt)
        return receipt

    def _revert_reason(self, pending: PendingTransaction, receipt: Receipt) -> Exception:
        call = {"from": self.address, "to": pending.call.get("to"), "data": pending.call["data"]}
        try:
            with map_errors(self.decoder, action=pending.action):
                self.chain.w3.eth.call(call, receipt.block_number - 1)  # type: ignore[arg-type]
        except ChainError as exc:
            exc.tx_hash = pending.tx_hash
            return exc
        if receipt.gas_used >= int(pending.call["gas"]):
            return TransactionRevertedError(
                f"{pending.action}: ran out of gas ({receipt.gas_used} used)", tx_hash=pending.tx_hash
            )
        return TransactionRevertedError(
            f"{pending.action}: reverted in block {receipt.block_number}", tx_hash=pending.tx_hash
        )

    def transact(self, to: str | None, data: bytes, *, gas: int | None = None, action: str) -> Receipt:
        """:meth:`send` then :meth:`wait`."""
        return self.wait(self.send(to, data, gas=gas, action=action))
