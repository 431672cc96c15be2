"""Relaying transactions that authorities signed themselves: decode, check, broadcast, wait, decode the outcome.

The platform holds no authority's key. A certifier or the regulator signs a registry call with its own key, offline
if it likes (:func:`prepare` gives the unsigned transaction, :func:`sign_prepared` signs it), and hands the platform
the signed bytes; :func:`relay` checks them against the registry *before* anything reaches the node (the chain id,
the target, the function, the sender's role now, its nonce, fees, gas and balance, then a dry run of the call) and
only then broadcasts them, waits for the receipt and decodes the registry's events. A signature cannot be altered,
so whatever the platform relays is exactly what the authority signed; the chain authorises it by that signature.

The ``supplychain authority`` commands send through the same path (:func:`send`), so a direct send and a relayed
one are checked alike.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account._utils.legacy_transactions import Transaction
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from chain.accounts import account_from_key
from chain.artifacts import load_artifact
from chain.authority import (
    AUTHORITY_FUNCTIONS,
    CallRefusedError,
    authority_function,
    check_authority,
    decode_args,
    encode_args,
    event_json,
    parse_address,
)
from chain.errors import abi_type, map_errors
from chain.registry import Registry
from chain.tx import PendingTransaction, Receipt, Transactor
from supplychain.registry import events as ev

__all__ = [
    "MAX_RAW_BYTES",
    "RelayResult",
    "SignedCall",
    "decode_call",
    "decode_signed",
    "describe_prepared",
    "parse_raw",
    "prepare",
    "relay",
    "send",
    "sign_prepared",
]

log = logging.getLogger(__name__)

#: The largest signed transaction accepted (an authority's call is well under 2 KiB).
MAX_RAW_BYTES = 64 * 1024
_PRIORITY_FEE = Web3.to_wei(1, "gwei")
_TX_FIELDS = ("type", "chainId", "nonce", "to", "value", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas")


def _functions() -> dict[bytes, tuple[str, list[str]]]:
    out = {}
    for item in load_artifact().abi:
        if item["type"] == "function":
            types = [abi_type(p) for p in item["inputs"]]
            out[function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")] = (item["name"], types)
    return out


_BY_SELECTOR = _functions()


@dataclass(frozen=True)
class SignedCall:
    """A signed registry call, decoded.

    Attributes:
        raw: The signed bytes.
        tx_hash: Their hash (the transaction's hash).
        sender: The account that signed them (recovered from the signature).
        function: The registry function called.
        values: Its ABI arguments.
        args: Its arguments as JSON (see :func:`chain.authority.decode_args`).
        max_fee: ``maxFeePerGas``, or ``gasPrice`` of a legacy transaction.
    """

    raw: bytes
    tx_hash: str
    sender: str
    chain_id: int
    to: str
    nonce: int
    gas: int
    max_fee: int
    value: int
    data: bytes
    function: str
    values: tuple[Any, ...]
    args: dict[str, Any]


@dataclass(frozen=True)
class RelayResult:
    """A mined authority call: its receipt and the registry events it emitted."""

    call_function: str
    args: dict[str, Any]
    sender: str
    receipt: Receipt
    events: tuple[ev.RegistryEvent, ...]
    already_mined: bool = False

    @property
    def tx_hash(self) -> str:
        """The transaction hash."""
        return self.receipt.tx_hash

    @property
    def recognition_id(self) -> int | None:
        """The id of the recognition it issued, if it issued one."""
        issued = [e.recognition_id for e in self.events if isinstance(e, ev.RecognitionIssued)]
        return issued[0] if issued else None

    def outcome(self) -> dict[str, Any]:
        """What the call did, in a few fields (``recognitionId``, ``status``, ``consecutivePasses``, ``prefix``,
        ``holder``, ``delegationId``, ...)."""
        out: dict[str, Any] = {}
        for e in self.events:
            match e:
                case ev.RecognitionIssued():
                    out["recognitionId"] = e.recognition_id
                case ev.RecognitionSuspended() | ev.RecognitionReinstated() | ev.RecognitionRevoked():
                    out["recognitionId"] = e.recognition_id
                    out["status"] = {
                        ev.RecognitionSuspended: "suspended",
                        ev.RecognitionReinstated: "active",
                        ev.RecognitionRevoked: "revoked",
                    }[type(e)]
                case ev.SpotCheckRecorded():
                    out.update(recognitionId=e.recognition_id, passed=e.passed, consecutivePasses=e.consecutive_passes)
                case ev.SpotCheckExemptionGranted():
                    out["exemptUntil"] = e.exempt_until
                case ev.CertifierLevelChanged():
                    out.update(certifier=e.certifier, level=e.new_level)
                case ev.PrefixAssigned() | ev.PrefixRenewed():
                    out.update(prefix=e.prefix, holder=e.org_id, validUntil=e.valid_until)
                case ev.PrefixTransferred() | ev.PrefixRevoked():
                    out.update(prefix=e.prefix, holder=e.to_org if isinstance(e, ev.PrefixTransferred) else None)
                case ev.GtinsDelegated() | ev.DelegationRevoked():
                    out["delegationId"] = e.delegation_id
                    if isinstance(e, ev.DelegationRevoked):
                        out["revoked"] = True
                case _:
                    pass
        return out

    def to_json(self) -> dict[str, Any]:
        """The result as the relay API answers it."""
        return {
            "txHash": self.tx_hash,
            "blockNumber": self.receipt.block_number,
            "gasUsed": self.receipt.gas_used,
            "sender": self.sender,
            "function": self.call_function,
            "args": self.args,
            "result": self.outcome(),
            "events": [event_json(e) for e in self.events],
            "alreadyMined": self.already_mined,
        }


# --- decoding ---


def parse_raw(text: str) -> bytes:
    """The bytes of a ``0x``-prefixed hex signed transaction.

    Raises:
        CallRefusedError: ``malformed-transaction``.
    """
    body = text.strip()
    if not body.startswith(("0x", "0X")):
        raise CallRefusedError("malformed-transaction", "rawTransaction must be 0x-prefixed hex")
    if len(body) > 2 + 2 * MAX_RAW_BYTES:
        raise CallRefusedError("malformed-transaction", f"rawTransaction is over {MAX_RAW_BYTES} bytes")
    try:
        raw = bytes.fromhex(body[2:])
    except ValueError:
        raise CallRefusedError("malformed-transaction", "rawTransaction is not hex (0-9, a-f, an even count)") from None
    if not raw:
        raise CallRefusedError("malformed-transaction", "rawTransaction is empty")
    return raw


def decode_call(data: bytes) -> tuple[str, tuple[Any, ...]]:
    """The authority function and ABI arguments of registry call data.

    Raises:
        CallRefusedError: ``unknown-function`` (not a registry function), ``function-not-relayed`` (a registry
            function that is not an authority's, e.g. ``anchorRoot``), ``malformed-call-data``.
    """
    selector = bytes(data[:4])
    if selector not in _BY_SELECTOR:
        raise CallRefusedError(
            "unknown-function", f"the call data's selector 0x{selector.hex()} is no function of the registry"
        )
    name, types = _BY_SELECTOR[selector]
    if name not in AUTHORITY_FUNCTIONS:
        relayed = ", ".join(AUTHORITY_FUNCTIONS)
        raise CallRefusedError(
            "function-not-relayed",
            f"{name} is not an authority's function; the platform relays only {relayed}",
            function=name,
        )
    try:
        values = tuple(abi_decode(types, bytes(data[4:])))
    except (DecodingError, ValueError, OverflowError) as exc:
        raise CallRefusedError("malformed-call-data", f"the arguments of {name} do not decode: {exc}") from None
    if abi_encode(types, values) != bytes(data[4:]):
        raise CallRefusedError("malformed-call-data", f"the arguments of {name} are not canonically encoded")
    return name, values


def _fields(raw: bytes) -> dict[str, Any]:
    if raw[0] <= 0x7F:
        if raw[0] not in (1, 2):
            raise CallRefusedError(
                "malformed-transaction", f"transaction type {raw[0]} is not relayed (types 0, 1 and 2 are)"
            )
        fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
        fields["maxFee"] = fields.get("maxFeePerGas", fields.get("gasPrice"))
        return fields
    legacy = Transaction.from_bytes(raw)
    if legacy.v < 35:
        raise CallRefusedError(
            "malformed-transaction", "a legacy transaction without a chain id (pre-EIP-155) could be replayed anywhere"
        )
    return {
        "chainId": (legacy.v - 35) // 2,
        "nonce": legacy.nonce,
        "gas": legacy.gas,
        "maxFee": legacy.gasPrice,
        "to": legacy.to,
        "value": legacy.value,
        "data": legacy.data,
    }


def decode_signed(raw: bytes, *, chain_id: int, registry: str) -> SignedCall:
    """Decode a signed transaction and check that it is an authority's call of ``registry`` on chain ``chain_id``.

    Nothing here asks the node: see :func:`relay` for the checks against the chain's state.

    Raises:
        CallRefusedError: ``malformed-transaction``, ``wrong-chain``, ``wrong-target``, ``value-not-allowed``, or
            one of :func:`decode_call`'s.
    """
    if len(raw) > MAX_RAW_BYTES:
        raise CallRefusedError("malformed-transaction", f"the transaction is over {MAX_RAW_BYTES} bytes")
    try:
        fields = _fields(raw)
        sender = str(Account.recover_transaction(raw))
    except CallRefusedError:
        raise
    except Exception as exc:  # rlp, eth-keys and eth-account raise many kinds of errors on garbage
        raise CallRefusedError(
            "malformed-transaction", f"not a signed Ethereum transaction ({type(exc).__name__}: {exc})"
        ) from None
    if fields.get("chainId") != chain_id:
        raise CallRefusedError(
            "wrong-chain",
            f"the transaction is signed for chain {fields.get('chainId')}; the registry is on chain {chain_id}",
            chainId=fields.get("chainId"),
            expected=chain_id,
        )
    to = bytes(HexBytes(fields.get("to") or b""))
    if not to:
        raise CallRefusedError("wrong-target", "the transaction creates a contract; it must call the registry")
    target = Web3.to_checksum_address(to)
    if target != Web3.to_checksum_address(registry):
        raise CallRefusedError(
            "wrong-target", f"the transaction calls {target}, not the registry at {registry}", to=target
        )
    if int(fields["value"]):
        raise CallRefusedError("value-not-allowed", "the registry's functions take no ether; value must be 0")
    data = bytes(HexBytes(fields["data"]))
    function, values = decode_call(data)
    return SignedCall(
        raw=raw,
        tx_hash="0x" + keccak(raw).hex(),
        sender=sender,
        chain_id=chain_id,
        to=target,
        nonce=int(fields["nonce"]),
        gas=int(fields["gas"]),
        max_fee=int(fields["maxFee"]),
        value=0,
        data=data,
        function=function,
        values=values,
        args=decode_args(function, values),
    )


# --- checking against the chain, sending, waiting ---


class _Watching:
    """Stands in for the signing account of a :class:`Transactor` that only broadcasts and waits: it never signs."""

    def __init__(self, address: str) -> None:
        self.address = address


def _transactor(registry: Registry, sender: str, timeout: float) -> Transactor:
    return Transactor(registry.chain, cast(LocalAccount, _Watching(sender)), registry.decoder, receipt_timeout=timeout)


def _mined(registry: Registry, tx_hash: str) -> bool:
    with map_errors(registry.decoder, action=f"looking up {tx_hash}"):
        try:
            registry.chain.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
    return True


def _check_state(registry: Registry, call: SignedCall) -> None:
    w3 = registry.chain.w3
    with map_errors(registry.decoder, action=f"checking {call.function} from {call.sender}"):
        nonce = int(w3.eth.get_transaction_count(call.sender, "pending"))  # type: ignore[arg-type]
        base_fee = w3.eth.get_block("latest").get("baseFeePerGas")
        balance = int(w3.eth.get_balance(call.sender))  # type: ignore[arg-type]
    if call.nonce != nonce:
        used = "is already used" if call.nonce < nonce else "leaves a gap"
        raise CallRefusedError(
            "nonce-mismatch",
            f"nonce {call.nonce} of {call.sender} {used}: its next nonce is {nonce}; sign again with it",
            nonce=call.nonce,
            expected=nonce,
        )
    if base_fee is not None and call.max_fee < int(base_fee):
        raise CallRefusedError(
            "fee-too-low",
            f"the fee cap {call.max_fee} wei/gas is below the base fee {int(base_fee)}: it would never be mined",
            maxFee=call.max_fee,
            baseFee=int(base_fee),
        )
    if balance < call.gas * call.max_fee:
        raise CallRefusedError(
            "insufficient-funds",
            f"{call.sender} holds {balance} wei, less than the {call.gas * call.max_fee} the gas may cost",
            balance=balance,
        )


def relay(registry: Registry, raw: bytes, *, timeout: float = 30.0) -> RelayResult:
    """Check an authority's signed call of ``registry`` and, if it passes, broadcast it and wait for its receipt.

    A transaction that is already mined is answered from its receipt (``already_mined``): relaying twice is safe.

    Raises:
        CallRefusedError: refused before sending (see :func:`decode_signed`, :func:`chain.authority.check_authority`;
            also ``nonce-mismatch``, ``fee-too-low``, ``insufficient-funds``, ``gas-too-low``).
        RegistryError: the dry run or the mined transaction reverted (``tx_hash`` set once it was sent).
        TransactionTimeoutError: no receipt within ``timeout`` (it may still be mined: look ``tx_hash`` up later).
    """
    call = decode_signed(raw, chain_id=registry.chain.chain_id, registry=registry.address)
    tx = _transactor(registry, call.sender, timeout)
    pending = PendingTransaction(
        tx_hash=call.tx_hash,
        raw=raw,
        nonce=call.nonce,
        action=call.function,
        call={"to": call.to, "data": HexBytes(call.data), "gas": call.gas},
    )
    if _mined(registry, call.tx_hash):
        receipt = tx.wait(pending)
        return RelayResult(
            call.function, call.args, call.sender, receipt, registry.decode_logs(receipt.logs), already_mined=True
        )
    check_authority(registry, call.sender, call.function, call.values)
    _check_state(registry, call)
    with map_errors(registry.decoder, action=call.function):  # the dry run: a revert raises its decoded error
        needed = int(
            registry.chain.w3.eth.estimate_gas({"from": call.sender, "to": call.to, "data": HexBytes(call.data)})
        )
    if call.gas < needed:
        raise CallRefusedError(
            "gas-too-low", f"the gas limit {call.gas} is below the {needed} {call.function} needs", gas=call.gas
        )
    tx.broadcast(pending)
    receipt = tx.wait(pending)
    log.info("relayed %s from %s as %s (block %s)", call.function, call.sender, call.tx_hash, receipt.block_number)
    return RelayResult(call.function, call.args, call.sender, receipt, registry.decode_logs(receipt.logs))


# --- preparing and signing ---


def _fees(registry: Registry) -> dict[str, int]:
    with map_errors(registry.decoder, action="reading the fees"):
        base = registry.chain.w3.eth.get_block("latest").get("baseFeePerGas")
        if base is None:
            return {"type": 0, "gasPrice": int(registry.chain.w3.eth.gas_price)}
    return {"type": 2, "maxFeePerGas": 2 * int(base) + _PRIORITY_FEE, "maxPriorityFeePerGas": _PRIORITY_FEE}


def prepare(registry: Registry, sender: str, function: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """The unsigned transaction of an authority's call, checked like :func:`relay` checks a signed one: sign it with
    :func:`sign_prepared` (offline if need be) and relay the result.

    Returns:
        The transaction fields (``type``, ``chainId``, ``nonce``, ``to``, ``value``, ``gas``, the fees, ``data``)
        and, for the signer to read, ``from``, ``function`` and ``args``.

    Raises:
        CallRefusedError: unknown function, invalid arguments, a sender without the role.
        RegistryError: the dry run reverted.
    """
    f = authority_function(function)
    try:
        sender = parse_address(sender)
    except ValueError as exc:
        raise CallRefusedError("invalid-arguments", f"from: {exc}") from None
    values = encode_args(f.name, args)
    check_authority(registry, sender, f.name, values)
    data = registry.encode(f.name, *values)
    tx = _transactor(registry, sender, 30.0)
    gas = tx.estimate(registry.address, data, action=f.name)
    with map_errors(registry.decoder, action=f"reading the nonce of {sender}"):
        nonce = int(registry.chain.w3.eth.get_transaction_count(sender, "pending"))  # type: ignore[arg-type]
    return {
        "chainId": registry.chain.chain_id,
        "nonce": nonce,
        "to": registry.address,
        "value": 0,
        "gas": gas,
        **_fees(registry),
        "data": "0x" + data.hex(),
        "from": sender,
        "function": f.name,
        "args": decode_args(f.name, values),
    }


def describe_prepared(prepared: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The function and arguments a prepared transaction's *data* calls (what the signer actually signs).

    Raises:
        CallRefusedError: the data is no authority's call, or it does not call the ``function`` the preparer stated.
    """
    try:
        data = bytes(HexBytes(str(prepared["data"])))
    except (KeyError, ValueError) as exc:
        raise CallRefusedError("malformed-transaction", f"the prepared transaction has no valid data: {exc}") from None
    function, values = decode_call(data)
    stated = prepared.get("function")
    if stated is not None and authority_function(str(stated)).name != function:
        raise CallRefusedError(
            "inconsistent-transaction", f"the prepared transaction says {stated} but its data calls {function}"
        )
    return function, decode_args(function, values)


def sign_prepared(private_key: str, prepared: Mapping[str, Any]) -> bytes:
    """Sign a transaction made by :func:`prepare` with an authority's key; returns the raw signed bytes.

    Raises:
        CallRefusedError: it was prepared for another account, or a field is missing or malformed.
    """
    account = account_from_key(private_key)
    stated = prepared.get("from")
    if stated is not None and parse_address(str(stated)) != account.address:
        raise CallRefusedError(
            "wrong-key", f"the transaction was prepared for {stated}; the key given is {account.address}"
        )
    describe_prepared(prepared)
    fields: dict[str, Any] = {k: prepared[k] for k in _TX_FIELDS if k in prepared}
    fields["data"] = str(prepared["data"])
    if fields.get("type") == 0:
        del fields["type"]
    try:
        signed = account.sign_transaction(fields)
    except (TypeError, ValueError, KeyError) as exc:
        raise CallRefusedError("malformed-transaction", f"cannot sign the prepared transaction: {exc}") from None
    return bytes(signed.raw_transaction)


def send(
    registry: Registry, private_key: str, function: str, args: Mapping[str, Any], *, timeout: float = 30.0
) -> RelayResult:
    """Prepare, sign and relay an authority's call from its own key (what ``supplychain authority`` does)."""
    prepared = prepare(registry, account_from_key(private_key).address, function, args)
    return relay(registry, sign_prepared(private_key, prepared), timeout=timeout)
