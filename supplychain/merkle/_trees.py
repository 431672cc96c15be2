"""The standard and simple trees: building, proofs, multiproofs, ``standard-v1`` / ``simple-v1`` dumps."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from supplychain.errors import MerkleValueError
from supplychain.merkle._abi import abi_bytes, check_encoding
from supplychain.merkle._core import (
    BYTES32,
    AbiValue,
    MultiProof,
    Value,
    _check_node,
    _keccak_new,
    _node_hash,
    standard_leaf_hash,
)

V = TypeVar("V", bound=Value)


def _make_tree(leaf_hashes: list[bytes], sort_leaves: bool) -> tuple[list[bytes], list[int], dict[bytes, int]]:
    """The node array, each value's index in it, and leaf hash -> value index (OpenZeppelin ``prepare``)."""
    n = len(leaf_hashes)
    if n == 0:
        raise MerkleValueError("cannot build a Merkle tree of zero values")
    lookup = {h: i for i, h in enumerate(leaf_hashes)}
    if len(lookup) != n:
        first: dict[bytes, int] = {}
        for i, h in enumerate(leaf_hashes):
            if h in first:
                raise MerkleValueError(f"values {first[h]} and {i} are equal: each value must appear once")
            first[h] = i
    leaves = sorted(leaf_hashes) if sort_leaves else leaf_hashes
    last = 2 * n - 2
    tree = [b""] * (n - 1) + leaves[::-1]
    tree_indices = [0] * n
    for position, h in enumerate(leaves):
        tree_indices[lookup[h]] = last - position
    new = _keccak_new
    for i in range(n - 2, -1, -1):
        a, b = tree[2 * i + 1], tree[2 * i + 2]
        tree[i] = new(a + b if a <= b else b + a).digest()
    return tree, tree_indices, lookup


def _parse_dump(
    dump: object, fmt: str, keys: frozenset[str]
) -> tuple[Mapping[str, Any], list[bytes], list[tuple[object, int]]]:
    """Check a dump's shape; return it, its nodes and its ``(value, treeIndex)`` pairs."""
    if not isinstance(dump, Mapping):
        raise MerkleValueError(f"a {fmt} dump must be a JSON object, got {type(dump).__name__}")
    if dump.get("format") != fmt:
        raise MerkleValueError(f"unknown dump format {dump.get('format')!r}, expected {fmt!r}")
    if set(dump) != keys:
        missing, extra = sorted(keys - set(dump)), sorted(set(dump) - keys)
        raise MerkleValueError(f"{fmt} dump: missing keys {missing}, unexpected keys {extra}")
    raw_tree, raw_values = dump["tree"], dump["values"]
    if not isinstance(raw_tree, list) or not isinstance(raw_values, list) or not raw_values:
        raise MerkleValueError(f"{fmt} dump: 'tree' and 'values' must be lists, 'values' non-empty")
    if len(raw_tree) != 2 * len(raw_values) - 1:
        raise MerkleValueError(f"{fmt} dump: {len(raw_values)} values need {2 * len(raw_values) - 1} nodes")
    nodes = [_check_node(abi_bytes(node, "node"), f"tree[{i}]") for i, node in enumerate(raw_tree)]
    pairs: list[tuple[object, int]] = []
    for i, entry in enumerate(raw_values):
        index = entry.get("treeIndex") if isinstance(entry, Mapping) else None
        if not isinstance(entry, Mapping) or set(entry) != {"value", "treeIndex"} or type(index) is not int:
            raise MerkleValueError(f"{fmt} dump: values[{i}] must be {{'value': ..., 'treeIndex': int}}")
        if not len(raw_values) - 1 <= index < len(nodes):
            raise MerkleValueError(f"{fmt} dump: values[{i}].treeIndex {index} is not a leaf")
        pairs.append((entry["value"], index))
    if len({index for _, index in pairs}) != len(pairs):
        raise MerkleValueError(f"{fmt} dump: two values share one treeIndex")
    if len({nodes[index] for _, index in pairs}) != len(pairs):
        raise MerkleValueError(f"{fmt} dump: two leaves are equal (duplicate values are not supported)")
    for i in range(len(raw_values) - 1):
        if nodes[i] != _node_hash(nodes[2 * i + 1], nodes[2 * i + 2]):
            raise MerkleValueError(f"{fmt} dump: tree[{i}] is not the hash of its children")
    return dump, nodes, pairs


class _Tree(Generic[V]):
    """The shared part of the standard and simple trees: nodes, values and their positions."""

    __slots__ = ("_lookup", "_tree", "_tree_indices", "_values")
    FORMAT: ClassVar[str]

    def __init__(
        self,
        tree: list[bytes],
        values: list[V],
        tree_indices: list[int],
        lookup: dict[bytes, int] | None = None,
    ) -> None:
        self._tree = tree
        self._values = values
        self._tree_indices = tree_indices
        self._lookup = {tree[t]: i for i, t in enumerate(tree_indices)} if lookup is None else lookup

    def leaf_hash(self, value: Any) -> bytes:
        """The leaf node of ``value`` in this tree's format."""
        raise NotImplementedError  # pragma: no cover - both subclasses define it

    @property
    def root(self) -> bytes:
        """The 32-byte root: what is anchored on chain."""
        return self._tree[0]

    @property
    def tree(self) -> tuple[bytes, ...]:
        """All nodes, ``tree[0]`` being the root and the leaves at the end."""
        return tuple(self._tree)

    @property
    def values(self) -> tuple[V, ...]:
        """The values in the order they were given."""
        return tuple(self._values)

    def __len__(self) -> int:
        """The number of values (leaves)."""
        return len(self._values)

    def __repr__(self) -> str:
        """Show the size and the root."""
        return f"{type(self).__name__}(leaves={len(self)}, root=0x{self.root.hex()})"

    def index_of(self, index_or_value: int | Value | Sequence[AbiValue]) -> int:
        """The position of a value among :attr:`values` (an int is checked and returned as is).

        Raises:
            MerkleValueError: Out-of-range index, or a value that is not in the tree.
        """
        if isinstance(index_or_value, int) and not isinstance(index_or_value, bool):
            if not 0 <= index_or_value < len(self._values):
                raise MerkleValueError(f"index {index_or_value} is out of range for {len(self)} values")
            return index_or_value
        index = self._lookup.get(self.leaf_hash(index_or_value))
        if index is None:
            raise MerkleValueError(f"value {index_or_value!r} is not in the tree")
        return index

    def tree_index(self, index_or_value: int | Value | Sequence[AbiValue]) -> int:
        """The position of a value's leaf in :attr:`tree`."""
        return self._tree_indices[self.index_of(index_or_value)]

    def proof(self, index_or_value: int | Value | Sequence[AbiValue]) -> list[bytes]:
        """The sibling nodes from the value's leaf up to the root (OpenZeppelin ``getProof``)."""
        tree = self._tree
        i = self._tree_indices[self.index_of(index_or_value)]
        proof = []
        while i:
            proof.append(tree[((i - 1) ^ 1) + 1])  # the sibling: i + 1 for a left child, i - 1 for a right one
            i = (i - 1) >> 1
        return proof

    def multiproof(self, indices_or_values: Iterable[int | Value | Sequence[AbiValue]]) -> MultiProof:
        """One proof for several values (OpenZeppelin ``getMultiProof``); an empty list proves nothing.

        Raises:
            MerkleValueError: An unknown index or value, or one given twice.
        """
        tree, tree_indices = self._tree, self._tree_indices
        chosen = sorted(((tree_indices[i], i) for i in map(self.index_of, indices_or_values)), reverse=True)
        indices = [t for t, _ in chosen]
        if len(set(indices)) != len(indices):
            raise MerkleValueError("cannot prove the same value twice in one multiproof")
        queue = deque(indices)
        proof: list[bytes] = []
        flags: list[bool] = []
        while queue and queue[0] > 0:
            j = queue.popleft()
            sibling = ((j - 1) ^ 1) + 1
            if queue and queue[0] == sibling:
                flags.append(True)
                queue.popleft()
            else:
                flags.append(False)
                proof.append(tree[sibling])
            queue.append((j - 1) >> 1)
        if not indices:
            proof.append(tree[0])
        leaves = tuple(self._values[i] for _, i in chosen)
        return MultiProof(leaves=leaves, proof=tuple(proof), proof_flags=tuple(flags))


class MerkleTree(_Tree[Value]):
    """An OpenZeppelin ``StandardMerkleTree``; :meth:`build` makes the ``["bytes32"]`` trees of batches."""

    __slots__ = ("_leaf_encoding",)
    FORMAT = "standard-v1"

    def __init__(
        self,
        tree: list[bytes],
        values: list[Value],
        tree_indices: list[int],
        leaf_encoding: tuple[str, ...],
        lookup: dict[bytes, int] | None = None,
    ) -> None:
        """Use :meth:`build`, :meth:`of` or :meth:`load` instead."""
        self._leaf_encoding = leaf_encoding
        super().__init__(tree, values, tree_indices, lookup)

    @property
    def leaf_encoding(self) -> tuple[str, ...]:
        """The Solidity types of a value, e.g. ``("bytes32",)``."""
        return self._leaf_encoding

    def leaf_hash(self, value: Value | Sequence[AbiValue]) -> bytes:
        """``keccak256(keccak256(abi.encode(value...)))`` with this tree's leaf encoding."""
        return standard_leaf_hash(value, self._leaf_encoding)

    @classmethod
    def build(cls, values: Sequence[bytes], *, sort_leaves: bool = True) -> MerkleTree:
        """The ``["bytes32"]`` tree of distinct 32-byte values (e.g. :func:`hash_id_to_bytes32` of a batch).

        Raises:
            MerkleValueError: No values, a value that is not 32 bytes, or one given twice.
        """
        new = _keccak_new
        items = list(values)
        for i, v in enumerate(items):
            if type(v) is not bytes or len(v) != 32:
                _check_node(v, f"value {i}")
        tree, tree_indices, lookup = _make_tree([new(new(v).digest()).digest() for v in items], sort_leaves)
        return cls(tree, list[Value](items), tree_indices, BYTES32, lookup)

    @classmethod
    def of(
        cls, values: Sequence[Sequence[AbiValue]], leaf_encoding: Sequence[str], *, sort_leaves: bool = True
    ) -> MerkleTree:
        """The tree of values with any supported leaf encoding (``StandardMerkleTree.of``)."""
        encoding = check_encoding(leaf_encoding)
        if encoding == BYTES32:
            return cls.build([_as_bytes32(v, f"value {i}") for i, v in enumerate(values)], sort_leaves=sort_leaves)
        items: list[Value] = [tuple(v) for v in values]
        tree, tree_indices, lookup = _make_tree([standard_leaf_hash(v, encoding) for v in items], sort_leaves)
        return cls(tree, items, tree_indices, encoding, lookup)

    def dump(self) -> dict[str, Any]:
        """OpenZeppelin's ``standard-v1`` dump (JSON-ready: bytes as ``0x`` hex, ints as decimal strings)."""
        return {
            "format": self.FORMAT,
            "leafEncoding": list(self._leaf_encoding),
            "tree": [f"0x{node.hex()}" for node in self._tree],
            "values": [
                {"value": _json_value(v), "treeIndex": t} for v, t in zip(self._values, self._tree_indices, strict=True)
            ],
        }

    @classmethod
    def load(cls, dump: Mapping[str, Any]) -> MerkleTree:
        """Read and fully check a ``standard-v1`` dump (every node and leaf is recomputed).

        Raises:
            MerkleValueError: Unknown format, bad shape, a node or leaf that does not match, duplicate values.
        """
        data, nodes, pairs = _parse_dump(dump, cls.FORMAT, frozenset({"format", "leafEncoding", "tree", "values"}))
        encoding = check_encoding(data["leafEncoding"])
        values: list[Value] = []
        for i, (raw, index) in enumerate(pairs):
            if not isinstance(raw, list):
                raise MerkleValueError(f"standard-v1 dump: values[{i}].value must be a list, got {raw!r}")
            value: Value = _as_bytes32(raw, f"values[{i}].value") if encoding == BYTES32 else tuple(raw)
            if standard_leaf_hash(value, encoding) != nodes[index]:
                raise MerkleValueError(f"standard-v1 dump: values[{i}] does not hash to tree[{index}]")
            values.append(value)
        return cls(nodes, values, [t for _, t in pairs], encoding)


def _as_bytes32(value: object, what: str) -> bytes:
    """A ``bytes32`` leaf value given as bytes, or as a one-item list of bytes / ``0x`` hex."""
    if isinstance(value, bytes):
        return _check_node(value, what)
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 1:
        return _check_node(abi_bytes(value[0], "bytes32"), what)
    raise MerkleValueError(f"{what} must be 32 bytes or a one-item list for leaf encoding ['bytes32'], got {value!r}")


def _json_value(value: Value) -> list[object]:
    items: tuple[AbiValue, ...] = (value,) if isinstance(value, bytes) else value
    return [
        f"0x{v.hex()}" if isinstance(v, bytes) else str(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for v in items
    ]


class SimpleMerkleTree(_Tree[bytes]):
    """OpenZeppelin's ``SimpleMerkleTree``: the leaves are the raw 32-byte values (no leaf hashing)."""

    __slots__ = ()
    FORMAT = "simple-v1"

    def leaf_hash(self, value: bytes) -> bytes:
        """The value itself, checked to be 32 bytes."""
        return _check_node(value, "value")

    @classmethod
    def build(cls, values: Sequence[bytes], *, sort_leaves: bool = True) -> SimpleMerkleTree:
        """The tree of distinct 32-byte values."""
        items = [_check_node(v, f"value {i}") for i, v in enumerate(values)]
        tree, tree_indices, lookup = _make_tree(items, sort_leaves)
        return cls(tree, items, tree_indices, lookup)

    def dump(self) -> dict[str, Any]:
        """OpenZeppelin's ``simple-v1`` dump."""
        return {
            "format": self.FORMAT,
            "tree": [f"0x{node.hex()}" for node in self._tree],
            "values": [
                {"value": f"0x{v.hex()}", "treeIndex": t} for v, t in zip(self._values, self._tree_indices, strict=True)
            ],
        }

    @classmethod
    def load(cls, dump: Mapping[str, Any]) -> SimpleMerkleTree:
        """Read and fully check a ``simple-v1`` dump (dumps with a custom node hash are refused)."""
        _, nodes, pairs = _parse_dump(dump, cls.FORMAT, frozenset({"format", "tree", "values"}))
        values = [_check_node(abi_bytes(raw, "bytes32"), f"values[{i}].value") for i, (raw, _) in enumerate(pairs)]
        for i, (value, (_, index)) in enumerate(zip(values, pairs, strict=True)):
            if value != nodes[index]:
                raise MerkleValueError(f"simple-v1 dump: values[{i}] is not tree[{index}]")
        return cls(nodes, values, [t for _, t in pairs])
