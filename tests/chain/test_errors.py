"""Error mapping: registry custom errors, panics, reverts and transport failures become our exceptions."""

from __future__ import annotations

import pytest
import requests
from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector
from web3.exceptions import ContractCustomError, TimeExhausted, Web3RPCError

from chain.artifacts import load_artifact
from chain.connection import connect
from chain.devchain import free_port
from chain.errors import (
    ChainConnectionError,
    ErrorDecoder,
    RegistryConflictError,
    RegistryPermissionError,
    RpcError,
    TransactionRevertedError,
    TransactionTimeoutError,
    map_errors,
)

DECODER = ErrorDecoder(load_artifact().abi)


def selector(signature: str) -> bytes:
    return function_signature_to_4byte_selector(signature)


def test_custom_errors_decode_with_their_arguments() -> None:
    data = selector("RegistryRootAlreadyAnchored(bytes32,uint64)") + encode(["bytes32", "uint64"], [b"\x01" * 32, 7])
    exc = DECODER.decode(data)
    assert isinstance(exc, RegistryConflictError)
    assert (exc.name, exc.args_by_name) == ("RegistryRootAlreadyAnchored", {"root": b"\x01" * 32, "sequence": 7})
    assert str(exc) == f"RegistryRootAlreadyAnchored(root=0x{'01' * 32}, sequence=7)"


def test_every_registry_error_has_a_family() -> None:
    from chain.errors import ERROR_FAMILIES

    names = {item["name"] for item in load_artifact().abi if item["type"] == "error"}
    assert names - set(ERROR_FAMILIES) == set()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (selector("Panic(uint256)") + encode(["uint256"], [0x11]), "panicked with code 0x11"),
        (selector("Error(string)") + encode(["string"], ["boom"]), "reverted: boom"),
        (b"", "without a reason"),
        (b"\xde\xad\xbe\xef", "unknown error data 0xdeadbeef"),
    ],
)
def test_other_reverts(data: bytes, message: str) -> None:
    exc = DECODER.decode(data)
    assert isinstance(exc, TransactionRevertedError)
    assert message in str(exc)


def test_map_errors_translates_web3_and_transport_failures() -> None:
    data = selector("AccessControlUnauthorizedAccount(address,bytes32)") + encode(
        ["address", "bytes32"], ["0x" + "11" * 20, b"\x22" * 32]
    )
    with pytest.raises(RegistryPermissionError) as info, map_errors(DECODER, action="x"):
        raise ContractCustomError("0x" + data.hex(), data="0x" + data.hex())
    assert info.value.args_by_name["account"] == "0x" + "11" * 20
    with pytest.raises(ChainConnectionError, match="cannot be reached"), map_errors(DECODER, action="reading"):
        raise requests.ConnectionError("refused")
    with pytest.raises(TransactionTimeoutError), map_errors(DECODER, action="waiting"):
        raise TimeExhausted("too slow")
    with pytest.raises(RpcError, match="calling x: nonce too low"), map_errors(DECODER, action="calling x"):
        raise Web3RPCError(
            "nonce too low", rpc_response={"jsonrpc": "2.0", "id": 1, "error": {"code": -1, "message": "n"}}
        )
    with pytest.raises(KeyError), map_errors(DECODER, action="other"):  # not ours to translate
        raise KeyError("x")


def test_connect_to_a_closed_port_fails_clearly() -> None:
    with pytest.raises(ChainConnectionError, match="cannot be reached"):
        connect(f"http://127.0.0.1:{free_port()}", attempts=1, timeout=1)


def test_connect_refuses_unknown_urls() -> None:
    with pytest.raises(ChainConnectionError, match="unsupported chain URL"):
        connect("ws://127.0.0.1:8545")
