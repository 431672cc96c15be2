"""Merkle proofs checked batch after batch, reusing the path nodes already verified.

Events come from the export batch by batch, and the proofs of one batch share their upper nodes. A node reached by a
proof that led to the root is *known* together with the rest of that proof (as written: ``0x`` hex); a later proof
that reaches a known node with the very same remaining siblings leads to the root too, so hashing stops there. Any
other case is computed in full. Each event then costs its leaf hash and about one node hash instead of one per level,
with the same answers as :func:`supplychain.merkle.verify_proof`.
"""

from __future__ import annotations

from collections.abc import Sequence

from supplychain.merkle import keccak256, process_proof, standard_leaf_hash

__all__ = ["ProofChecker"]

_MAX_KNOWN = 1 << 18  # nodes remembered for one root (a batch of 10,000 events needs 20,000)


def _node(text: object) -> bytes | None:
    """A 32-byte node written as ``0x`` + 64 hex digits, else ``None``."""
    if type(text) is str and len(text) == 66 and text[:2] == "0x":
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            return None
    return None


class ProofChecker:
    """Verifies inclusion proofs (OpenZeppelin StandardMerkleTree, ``bytes32`` leaves) with a per-root node memo."""

    def __init__(self) -> None:
        self._root = b""
        self._known: dict[bytes, tuple[str, ...]] = {}

    def verify(self, root: bytes, proof: Sequence[object], value: bytes) -> bool:
        """Whether ``proof`` (siblings as ``0x`` hex) proves the 32-byte ``value`` to be a leaf of the tree of ``root``.

        Malformed input (a node or value that is not 32 bytes) is a proof that does not verify.
        """
        if len(root) != 32 or len(value) != 32:
            return False
        if root != self._root or len(self._known) > _MAX_KNOWN:
            self._root, self._known = root, {root: ()}
        known = self._known
        node = standard_leaf_hash(value)
        steps: list[tuple[bytes, int]] = []
        for i, text in enumerate(proof):
            tail = known.get(node)
            if tail is not None:
                if tail == tuple(proof[i:]):
                    return self._learn(steps, proof)
                return self._in_full(root, proof, value)
            sibling = _node(text)
            if sibling is None:
                return False
            steps.append((node, i))
            node = keccak256(node + sibling if node <= sibling else sibling + node)
        return node == root and self._learn(steps, proof)

    def _learn(self, steps: list[tuple[bytes, int]], proof: Sequence[object]) -> bool:
        for node, i in steps:
            self._known[node] = tuple(proof[i:])  # type: ignore[arg-type] # checked hex text on this path
        return True

    @staticmethod
    def _in_full(root: bytes, proof: Sequence[object], value: bytes) -> bool:
        siblings = [_node(text) for text in proof]
        if None in siblings:
            return False
        return process_proof(standard_leaf_hash(value), siblings) == root  # type: ignore[arg-type] # no None left
