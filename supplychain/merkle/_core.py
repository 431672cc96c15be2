"""Keccak-256, Event Hash IDs, leaf hashes, proofs and multiproofs: the part a verifier needs."""

from __future__ import annotations

import importlib
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from Crypto.Hash import keccak as _pycryptodome_keccak

from supplychain.errors import MalformedHashIdError, MerkleValueError
from supplychain.merkle._abi import abi_encode, check_encoding

AbiValue = bytes | str | int | bool
"""One ABI value: ``bytes`` or ``0x`` hex for bytes types and addresses; int or decimal / hex str for ints."""
Value = bytes | tuple[AbiValue, ...]
"""A leaf value: ``bytes`` for the ``["bytes32"]`` encoding, else a tuple matching the leaf encoding."""


BYTES32: tuple[str, ...] = ("bytes32",)
"""The leaf encoding of our batches: one ``bytes32`` per leaf."""

_EMPTY_KECCAK = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


class _Hasher(Protocol):
    def digest(self) -> bytes: ...


def _pycryptodome_new(data: bytes) -> _Hasher:
    hasher: _Hasher = _pycryptodome_keccak.new(digest_bits=256, data=data)
    return hasher


def _select_keccak_new() -> Callable[[bytes], _Hasher]:
    """The fastest correct Keccak-256 constructor: safe-pysha3's (module ``sha3``), else pycryptodome's."""
    try:
        new: Callable[[bytes], _Hasher] = importlib.import_module("sha3").keccak_256
        if new(b"").digest() == _EMPTY_KECCAK:
            return new
    except (ImportError, AttributeError):
        pass
    return _pycryptodome_new


_keccak_new = _select_keccak_new()


def keccak256(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's, not SHA3-256) of ``data``."""
    return _keccak_new(data).digest()


# --- Event Hash IDs ---

_HASH_ID_PREFIX = "ni:///sha-256;"
_HASH_ID_SUFFIX = "?ver=CBV2.0"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def hash_id_to_bytes32(hash_id: str) -> bytes:
    """Map an Event Hash ID ``ni:///sha-256;<64 lowercase hex>?ver=CBV2.0`` to its 32-byte digest.

    Raises:
        MalformedHashIdError: Not a string, or not exactly of that form (the message says which part).
    """
    if not isinstance(hash_id, str):
        raise MalformedHashIdError(hash_id, f"expected a str, got {type(hash_id).__name__}")
    if not hash_id.startswith(_HASH_ID_PREFIX):
        raise MalformedHashIdError(hash_id, f"must start with {_HASH_ID_PREFIX!r}")
    if not hash_id.endswith(_HASH_ID_SUFFIX):
        raise MalformedHashIdError(hash_id, f"must end with {_HASH_ID_SUFFIX!r}")
    digest = hash_id[len(_HASH_ID_PREFIX) : len(hash_id) - len(_HASH_ID_SUFFIX)]
    if not _HEX64.fullmatch(digest):
        if len(digest) == 64 and _HEX64.fullmatch(digest.lower()):
            raise MalformedHashIdError(hash_id, "the digest must be written in lowercase hex")
        raise MalformedHashIdError(hash_id, f"the digest must be 64 hex digits, got {len(digest)} characters")
    return bytes.fromhex(digest)


def bytes32_to_hash_id(value: bytes) -> str:
    """Inverse of :func:`hash_id_to_bytes32`: the Event Hash ID of a 32-byte SHA-256 digest."""
    _check_node(value, "value")
    return f"{_HASH_ID_PREFIX}{value.hex()}{_HASH_ID_SUFFIX}"


def standard_leaf_hash(value: Value | Sequence[AbiValue], leaf_encoding: Sequence[str] = BYTES32) -> bytes:
    """``keccak256(keccak256(abi.encode(value...)))``; a ``bytes`` value stands for ``[value]`` (bytes32)."""
    encoding = BYTES32 if leaf_encoding == BYTES32 else check_encoding(leaf_encoding)
    if encoding == BYTES32 and isinstance(value, bytes):
        _check_node(value, "value")
        return keccak256(keccak256(value))
    return keccak256(keccak256(abi_encode(encoding, value)))


# --- Core: nodes, proofs, multiproofs ---


def _check_node(node: object, what: str) -> bytes:
    if not isinstance(node, bytes) or len(node) != 32:
        shown = f"{len(node)} bytes" if isinstance(node, bytes) else type(node).__name__
        raise MerkleValueError(f"{what} must be 32 bytes, got {shown}")
    return node


def _node_hash(a: bytes, b: bytes) -> bytes:
    return _keccak_new(a + b if a <= b else b + a).digest()


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root reached from a leaf *hash* and its proof (OpenZeppelin ``processProof``)."""
    node = _check_node(leaf, "leaf")
    new = _keccak_new
    for i, sibling in enumerate(proof):
        if type(sibling) is not bytes or len(sibling) != 32:
            _check_node(sibling, f"proof[{i}]")
        node = new(node + sibling if node <= sibling else sibling + node).digest()
    return node


def process_multiproof(leaves: Sequence[bytes], proof: Sequence[bytes], proof_flags: Sequence[bool]) -> bytes:
    """The root reached from leaf *hashes* and a multiproof (OpenZeppelin ``processMultiProof``).

    Raises:
        MerkleValueError: A node is not 32 bytes, or the counts of leaves, proof and flags do not fit.
    """
    stack = [_check_node(leaf, f"leaves[{i}]") for i, leaf in enumerate(leaves)]
    siblings = [_check_node(node, f"proof[{i}]") for i, node in enumerate(proof)]
    if len(siblings) < sum(1 for flag in proof_flags if not flag) or len(stack) + len(siblings) != len(proof_flags) + 1:
        raise MerkleValueError(
            f"invalid multiproof: {len(stack)} leaves and {len(siblings)} proof nodes do not fit "
            f"{len(proof_flags)} flags"
        )
    stack.reverse()  # pop() from the end takes the front of the queue
    siblings.reverse()
    computed: deque[bytes] = deque()

    def take() -> bytes:
        if stack:
            return stack.pop()
        if computed:
            return computed.popleft()
        raise MerkleValueError("invalid multiproof: a step has no leaf or computed node left to hash")

    for flag in proof_flags:
        a = take()
        computed.append(_node_hash(a, take() if flag else siblings.pop()))
    return (computed or stack or siblings)[-1]


@dataclass(frozen=True, slots=True)
class MultiProof:
    """A proof for several values at once (OpenZeppelin's ``{leaves, proof, proofFlags}``).

    Attributes:
        leaves: The proven values, in the order the proof consumes them (``bytes`` for ``["bytes32"]`` trees).
        proof: The sibling nodes needed.
        proof_flags: For each hashing step, ``True`` to take the next leaf / computed node, ``False`` for the
            next proof node.
    """

    leaves: tuple[Value, ...]
    proof: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]


def verify_proof(
    root: bytes,
    proof: Sequence[bytes],
    value: Value | Sequence[AbiValue],
    *,
    leaf_encoding: Sequence[str] = BYTES32,
) -> bool:
    """Whether ``proof`` proves ``value`` (32 bytes by default) to be in the standard tree of ``root``."""
    _check_node(root, "root")
    return process_proof(standard_leaf_hash(value, leaf_encoding), proof) == root


def verify_multiproof(root: bytes, multiproof: MultiProof, *, leaf_encoding: Sequence[str] = BYTES32) -> bool:
    """Whether ``multiproof`` proves all its values to be in the standard tree of ``root``."""
    _check_node(root, "root")
    hashes = [standard_leaf_hash(v, leaf_encoding) for v in multiproof.leaves]
    return process_multiproof(hashes, multiproof.proof, multiproof.proof_flags) == root


def verify_simple_proof(root: bytes, proof: Sequence[bytes], value: bytes) -> bool:
    """Whether ``proof`` proves the raw 32-byte ``value`` to be a leaf of the simple-v1 tree of ``root``."""
    _check_node(root, "root")
    return process_proof(value, proof) == root
