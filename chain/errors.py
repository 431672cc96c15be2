"""Exceptions of the chain layer, and the one place where web3, RPC and registry failures are mapped to them.

Tree::

    ChainError
    ├── ChainConnectionError          the node cannot be reached (after retries)
    ├── ChainMismatchError            wrong chain id / genesis, or the registry's code is not at the address
    │   └── ChainResetError           the chain the deployment was made on is gone (a restarted dev chain)
    ├── DeploymentError               no deployment file, or it cannot be read
    ├── TransactionError              a transaction failed for a reason other than a registry error
    │   ├── TransactionTimeoutError   no receipt within the timeout (tx_hash: look it up later)
    │   └── TransactionRevertedError  mined with status 0 and no decodable reason
    ├── RpcError                      the node answered with an error that is none of the above
    └── RegistryError                 the registry reverted with one of its named errors (name, args)
        ├── RegistryPermissionError   the caller lacks the role, or is neither issuer nor regulator
        ├── RegistryNotFoundError     unknown organisation, key, recognition, root, certifier
        ├── RegistryConflictError     already registered / anchored / revoked
        ├── RegistryArgumentError     an argument is out of range or missing (ValueError)
        └── RegistryStateError        the change is not allowed in the current state

Every :class:`RegistryError` carries the Solidity error's ``name`` and its decoded ``args`` (a dict by parameter
name). :func:`map_errors` is the only code that looks at web3's exception types.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests
from eth_abi.abi import decode as abi_decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.exceptions import ValidationError as EthValidationError
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    TimeExhausted,
    Web3RPCError,
)


class ChainError(Exception):
    """Root of every exception raised by :mod:`chain`.

    Attributes:
        tx_hash: The transaction concerned, once one was sent (else ``None``).
    """

    tx_hash: str | None = None


class ChainConnectionError(ChainError, ConnectionError):
    """The node could not be reached."""


class ChainMismatchError(ChainError):
    """The node is not the chain, or the address holds not the registry, that was expected."""


class ChainResetError(ChainMismatchError):
    """The chain the registry was deployed on is gone: same chain id, another genesis, or no code at the address."""


class DeploymentError(ChainError):
    """The deployment record is missing or unreadable."""


class TransactionError(ChainError):
    """A transaction failed; ``tx_hash`` is set once it was sent."""

    def __init__(self, message: str, *, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class TransactionTimeoutError(TransactionError, TimeoutError):
    """No receipt arrived in time. The transaction may still be mined: look ``tx_hash`` up later."""


class TransactionRevertedError(TransactionError):
    """Mined with status 0, and the revert reason could not be recovered."""


class FeeCeilingError(TransactionError):
    """A pending transaction cannot be replaced: the smallest fee the node would accept is above the fee ceiling."""


class RpcError(ChainError):
    """The node answered with an error the chain layer has no better name for."""


class RegistryError(ChainError):
    """The registry reverted with one of its named errors.

    Attributes:
        name: The Solidity error's name, e.g. ``RegistryUnknownOrganisation``.
        args_by_name: The decoded arguments by parameter name.
    """

    def __init__(self, name: str, args_by_name: Mapping[str, Any]) -> None:
        self.name = name
        self.args_by_name = dict(args_by_name)
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args_by_name.items())
        super().__init__(f"{name}({shown})")


class RegistryPermissionError(RegistryError, PermissionError):
    """The caller may not do this."""


class RegistryNotFoundError(RegistryError, LookupError):
    """The registry has no such organisation, key, recognition, root or certifier."""


class RegistryConflictError(RegistryError):
    """It is already there (registered, anchored, revoked)."""


class RegistryArgumentError(RegistryError, ValueError):
    """An argument is out of range or missing."""


class RegistryStateError(RegistryError):
    """The change is not allowed in the current state."""


#: Each registry error's family. Errors not listed (none should be) map to :class:`RegistryError` itself.
ERROR_FAMILIES: dict[str, type[RegistryError]] = {
    "AccessControlUnauthorizedAccount": RegistryPermissionError,
    "AccessControlBadConfirmation": RegistryPermissionError,
    "RegistryNotIssuerOrRegulator": RegistryPermissionError,
    "RegistryLevelAboveCertifier": RegistryPermissionError,
    "RegistryCertifierLevelRequired": RegistryArgumentError,
    "RegistryUnknownOrganisation": RegistryNotFoundError,
    "RegistryUnknownKey": RegistryNotFoundError,
    "RegistryUnknownRecognition": RegistryNotFoundError,
    "RegistryUnknownRoot": RegistryNotFoundError,
    "RegistryUnknownCertifier": RegistryNotFoundError,
    "RegistryUnknownRegistrar": RegistryNotFoundError,
    "RegistryPrefixNotHeld": RegistryNotFoundError,
    "RegistryGtinNotOwned": RegistryNotFoundError,
    "RegistryUnknownDelegation": RegistryNotFoundError,
    "RegistryPrefixTaken": RegistryConflictError,
    "RegistryPrefixOverlap": RegistryConflictError,
    "RegistryPrefixExtended": RegistryConflictError,
    "RegistryDelegationAlreadyRevoked": RegistryConflictError,
    "RegistryInvalidPrefix": RegistryArgumentError,
    "RegistryPrefixSameHolder": RegistryArgumentError,
    "RegistryInvalidGtin": RegistryArgumentError,
    "RegistryInvalidGtinRange": RegistryArgumentError,
    "RegistryInvalidDelegate": RegistryArgumentError,
    "RegistryMissingRequest": RegistryArgumentError,
    "RegistryOrganisationExists": RegistryConflictError,
    "RegistryKeyAlreadyRegistered": RegistryConflictError,
    "RegistryRootAlreadyAnchored": RegistryConflictError,
    "RegistryKeyAlreadyRevoked": RegistryConflictError,
    "RegistryInvalidRegulator": RegistryArgumentError,
    "RegistryInvalidLevel": RegistryArgumentError,
    "RegistryInvalidOrganisationId": RegistryArgumentError,
    "RegistryInvalidRoles": RegistryArgumentError,
    "RegistryInvalidKey": RegistryArgumentError,
    "RegistryInvalidKind": RegistryArgumentError,
    "RegistryGradeNotApplicable": RegistryArgumentError,
    "RegistryInvalidScope": RegistryArgumentError,
    "RegistryInvalidValidity": RegistryArgumentError,
    "RegistryMissingEvidence": RegistryArgumentError,
    "RegistryMissingReason": RegistryArgumentError,
    "RegistryEmptyBatch": RegistryArgumentError,
    "MerkleProofInvalidMultiproof": RegistryArgumentError,
    "RegistryOrganisationSuspended": RegistryStateError,
    "RegistryOrganisationNotSuspended": RegistryStateError,
    "RegistryInvalidRecognitionStatus": RegistryStateError,
}

_PANIC_SELECTOR = function_signature_to_4byte_selector("Panic(uint256)")
_ERROR_SELECTOR = function_signature_to_4byte_selector("Error(string)")


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


def abi_type(param: Mapping[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


class ErrorDecoder:
    """Decodes revert data (4-byte selector + ABI-encoded arguments) against a contract's ABI errors."""

    def __init__(self, abi: Sequence[Mapping[str, Any]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [abi_type(p) for p in item["inputs"]]
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            self._errors[selector] = (item["name"], [p["name"] for p in item["inputs"]], types)

    def decode(self, data: bytes) -> ChainError:
        """The exception that ``data`` stands for."""
        selector, body = data[:4], data[4:]
        if selector in self._errors:
            name, names, types = self._errors[selector]
            values = abi_decode(types, body)
            family = ERROR_FAMILIES.get(name, RegistryError)
            return family(name, dict(zip(names, values, strict=True)))
        if selector == _PANIC_SELECTOR:
            (code,) = abi_decode(["uint256"], body)
            return TransactionRevertedError(f"the registry panicked with code 0x{code:02x}")
        if selector == _ERROR_SELECTOR:
            (reason,) = abi_decode(["string"], body)
            return TransactionRevertedError(f"reverted: {reason}")
        if not data:
            return TransactionRevertedError("reverted without a reason (is the registry deployed at this address?)")
        return TransactionRevertedError(f"reverted with unknown error data 0x{data.hex()}")


def _revert_data(exc: BaseException) -> bytes | None:
    """The raw revert bytes carried by a web3 or eth-tester exception, if any."""
    data = getattr(exc, "data", None)
    response = getattr(exc, "rpc_response", None)  # Web3RPCError: the whole JSON-RPC response
    if data is None and isinstance(response, Mapping) and isinstance(response.get("error"), Mapping):
        data = response["error"].get("data")
    while isinstance(data, Mapping):  # Hardhat nests it: {"message": ..., "txHash": ..., "data": "0x..."}
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes):
        return data
    if type(exc).__name__ == "TransactionFailed":  # eth-tester: the message holds the bytes' repr
        message = str(exc.args[0]) if exc.args else ""
        literal = message.removeprefix("execution reverted: ")
        if literal.startswith(("b'", 'b"')):
            with contextlib.suppress(ValueError, SyntaxError):
                value = ast.literal_eval(literal)
                if isinstance(value, bytes):
                    return value
        if "execution reverted" in message or message.startswith("Revert"):
            return b""
    return None


@contextlib.contextmanager
def map_errors(decoder: ErrorDecoder, *, action: str) -> Iterator[None]:
    """Translate web3, eth-tester and transport failures raised inside the block into :class:`ChainError`.

    Args:
        decoder: Decodes the registry's custom errors.
        action: What was being done, for the messages ("calling anchorRoot", ...).
    """
    try:
        yield
    except ChainError:
        raise
    except (ContractCustomError, ContractPanicError, ContractLogicError) as exc:
        data = _revert_data(exc)
        if data is None:
            raise TransactionRevertedError(f"{action}: {exc}") from exc
        raise decoder.decode(data) from exc
    except (requests.ConnectionError, requests.Timeout, ConnectionError) as exc:
        raise ChainConnectionError(f"{action}: the node cannot be reached ({exc})") from exc
    except TimeExhausted as exc:
        raise TransactionTimeoutError(f"{action}: {exc}") from exc
    except Web3RPCError as exc:
        data = _revert_data(exc)
        if data:
            raise decoder.decode(data) from exc
        raise RpcError(f"{action}: {exc}") from exc
    except EthValidationError as exc:  # the in-process chain refusing a transaction (stale nonce, no funds)
        raise RpcError(f"{action}: the chain refused it: {exc}") from exc
    except Exception as exc:
        if type(exc).__name__ == "TransactionFailed":
            data = _revert_data(exc)
            raise decoder.decode(data or b"") from exc
        raise
