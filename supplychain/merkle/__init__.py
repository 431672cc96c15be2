"""Merkle batches in OpenZeppelin's ``StandardMerkleTree`` format (``@openzeppelin/merkle-tree`` 1.0.x).

The anchoring worker puts the Event Hash IDs of a batch into one tree and anchors its root on chain; each
event's proof then verifies with OpenZeppelin's ``MerkleProof`` in Solidity, with
``StandardMerkleTree.verify`` in JavaScript, and with :func:`verify_proof` here. The format is a contract
with everyone holding a proof:

* A value is a tuple of ABI values with a *leaf encoding* (a list of Solidity types). Our batches use the
  encoding ``["bytes32"]``; the value of an event is the 32-byte SHA-256 digest in its Event Hash ID
  (:func:`hash_id_to_bytes32`), and such values are handled as plain ``bytes`` here.
* leaf = ``keccak256(keccak256(abi.encode(value...)))`` (for one ``bytes32`` v: ``keccak256(keccak256(v))``).
* internal node = ``keccak256(min(a, b) || max(a, b))`` (children sorted bytewise), so proofs carry no
  left/right flags.
* The tree is a complete binary tree in an array: ``tree[0]`` is the root, the children of ``i`` are ``2i+1``
  and ``2i+2``; the n leaves fill the last n slots, the first leaf (after sorting the leaf hashes ascending,
  the default) in the very last slot.
* A multiproof is OpenZeppelin's: ``leaves`` (values), ``proof`` (sibling nodes) and ``proof_flags``.
* The dump is OpenZeppelin's ``standard-v1`` JSON: ``{"format", "leafEncoding", "tree", "values":
  [{"value": [...], "treeIndex": i}]}``. :class:`SimpleMerkleTree` reads and writes ``simple-v1`` (leaf = the
  raw ``bytes32`` value, same node hash), without custom node hashes.

Verification functions return ``False`` for a well-formed proof that does not lead to the root and raise
:class:`~supplychain.errors.MerkleValueError` for malformed input (a node that is not 32 bytes, a multiproof
whose counts do not fit together). Values must be distinct: a batch never holds one event twice.

Keccak-256 comes from ``safe-pysha3`` (module ``sha3``) when installed, about six times faster per call than
pycryptodome's ``Crypto.Hash.keccak``, which is the fallback; both are checked against a known digest.
"""

from supplychain.merkle._core import (
    BYTES32,
    AbiValue,
    MultiProof,
    Value,
    bytes32_to_hash_id,
    hash_id_to_bytes32,
    keccak256,
    process_multiproof,
    process_proof,
    standard_leaf_hash,
    verify_multiproof,
    verify_proof,
    verify_simple_proof,
)
from supplychain.merkle._trees import MerkleTree, SimpleMerkleTree

__all__ = [
    "BYTES32",
    "AbiValue",
    "MerkleTree",
    "MultiProof",
    "SimpleMerkleTree",
    "Value",
    "bytes32_to_hash_id",
    "hash_id_to_bytes32",
    "keccak256",
    "process_multiproof",
    "process_proof",
    "standard_leaf_hash",
    "verify_multiproof",
    "verify_proof",
    "verify_simple_proof",
]
