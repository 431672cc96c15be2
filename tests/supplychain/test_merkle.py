"""Merkle batches: OpenZeppelin's vectors, its JavaScript library, properties and bad input."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from eth_abi.abi import encode as eth_abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.errors import MalformedHashIdError, MerkleValueError, TraceError
from supplychain.merkle import (
    BYTES32,
    MerkleTree,
    MultiProof,
    SimpleMerkleTree,
    _core,
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

CROSSCHECK_JS = Path(__file__).parent / "js" / "merkle_crosscheck.js"


def k256(data: bytes) -> bytes:
    """Keccak-256 straight from pycryptodome, independent of the module under test."""
    return pycryptodome_keccak.new(digest_bits=256, data=data).digest()


def values_from(seed: bytes, n: int) -> list[bytes]:
    """``n`` distinct 32-byte values derived from a seed."""
    return [hashlib.sha256(seed + i.to_bytes(4, "big")).digest() for i in range(n)]


def flip(node: bytes, bit: int = 0) -> bytes:
    """``node`` with one bit flipped."""
    return bytes([node[0] ^ (1 << bit)]) + node[1:]


# --- golden vectors from OpenZeppelin's test suite ---


def test_openzeppelin_dumps_load_and_rebuild_identically(vectors_dir: Path) -> None:
    tested = 0
    for path in sorted((vectors_dir / "merkle").glob("*-v1.*.json")):
        dump = json.loads(path.read_text())
        sort_leaves = ".sorted." in path.name
        assert sort_leaves != (".unsorted." in path.name), path.name
        raw_values = [entry["value"] for entry in dump["values"]]
        tree: MerkleTree | SimpleMerkleTree
        if dump["format"] == "standard-v1":
            tree = MerkleTree.load(dump)
            rebuilt = MerkleTree.of(raw_values, dump["leafEncoding"], sort_leaves=sort_leaves)
            assert rebuilt.dump() == dump, path.name
            for i, value in enumerate(tree.values):
                assert verify_proof(tree.root, tree.proof(i), value, leaf_encoding=dump["leafEncoding"])
        else:
            tree = SimpleMerkleTree.load(dump)
            rebuilt_simple = SimpleMerkleTree.build([bytes.fromhex(v[2:]) for v in raw_values], sort_leaves=sort_leaves)
            assert rebuilt_simple.dump() == dump, path.name
            for i, leaf in enumerate(tree.values):
                assert verify_simple_proof(tree.root, tree.proof(i), leaf)
        assert tree.dump() == dump, path.name
        assert f"0x{tree.root.hex()}" == dump["tree"][0]
        tested += 1
    assert tested >= 4


# --- known values, computed independently ---


def test_one_leaf_tree_is_the_double_keccak_of_the_value() -> None:
    value = bytes(range(32))
    tree = MerkleTree.build([value])
    assert tree.root == k256(k256(value))
    assert tree.proof(0) == []
    assert verify_proof(tree.root, [], value)


def test_two_leaf_tree_hashes_the_sorted_pair() -> None:
    a, b = b"\x01" * 32, b"\x02" * 32
    la, lb = k256(k256(a)), k256(k256(b))
    tree = MerkleTree.build([a, b])
    assert tree.root == k256(min(la, lb) + max(la, lb))
    assert tree.tree == (tree.root, max(la, lb), min(la, lb))
    assert tree.proof(a) == [lb]


def test_keccak_is_ethereums_not_sha3() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc") == k256(b"abc") != hashlib.sha3_256(b"abc").digest()


@pytest.mark.parametrize("module", [None, types.SimpleNamespace(keccak_256=hashlib.sha3_256), types.SimpleNamespace()])
def test_keccak_falls_back_to_pycryptodome(monkeypatch: pytest.MonkeyPatch, module: object) -> None:
    monkeypatch.setitem(sys.modules, "sha3", module)
    new = _core._select_keccak_new()
    assert new is _core._pycryptodome_new
    assert new(b"abc").digest() == k256(b"abc")


def test_keccak_prefers_pysha3_when_it_is_correct(monkeypatch: pytest.MonkeyPatch) -> None:
    def correct(data: bytes) -> Any:
        return pycryptodome_keccak.new(digest_bits=256, data=data)

    monkeypatch.setitem(sys.modules, "sha3", types.SimpleNamespace(keccak_256=correct))
    assert _core._select_keccak_new() is correct


# --- properties ---

sizes = st.integers(min_value=1, max_value=300)
seeds = st.binary(min_size=4, max_size=4)


@settings(max_examples=60, deadline=None)
@given(seed=seeds, n=sizes, sort_leaves=st.booleans())
def test_tree_layout_matches_openzeppelin_rules(seed: bytes, n: int, sort_leaves: bool) -> None:
    values = values_from(seed, n)
    tree = MerkleTree.build(values, sort_leaves=sort_leaves)
    leaves = [k256(k256(v)) for v in values]
    nodes = tree.tree
    assert len(nodes) == 2 * n - 1 == len(tree.dump()["tree"])
    assert nodes[0] == tree.root
    expected_leaves = sorted(leaves) if sort_leaves else leaves
    assert list(nodes[n - 1 :]) == expected_leaves[::-1]
    for i in range(n - 1):
        a, b = nodes[2 * i + 1], nodes[2 * i + 2]
        assert nodes[i] == k256(min(a, b) + max(a, b))
    for i, value in enumerate(values):
        assert nodes[tree.tree_index(i)] == leaves[i] == tree.leaf_hash(value)
        assert tree.index_of(value) == i
    assert len(tree) == n
    assert tree.values == tuple(values)
    assert MerkleTree.load(json.loads(json.dumps(tree.dump()))).dump() == tree.dump()


@settings(max_examples=60, deadline=None)
@given(seed=seeds, n=sizes, data=st.data())
def test_every_proof_verifies_and_tampering_fails(seed: bytes, n: int, data: st.DataObject) -> None:
    values = values_from(seed, n)
    tree = MerkleTree.build(values)
    for i, value in enumerate(values):
        proof = tree.proof(i)
        assert proof == tree.proof(value)
        assert verify_proof(tree.root, proof, value)
        assert process_proof(tree.leaf_hash(value), proof) == tree.root
    i = data.draw(st.integers(0, n - 1), label="index")
    proof = tree.proof(i)
    other = hashlib.sha256(b"not in the tree" + seed).digest()
    assert not verify_proof(tree.root, proof, other)
    assert not verify_proof(flip(tree.root), proof, values[i])
    if n > 1:
        assert not verify_proof(tree.root, proof, values[(i + 1) % n])
        j = data.draw(st.integers(0, len(proof) - 1), label="tampered node")
        bit = data.draw(st.integers(0, 7), label="bit")
        tampered = [*proof[:j], flip(proof[j], bit), *proof[j + 1 :]]
        assert not verify_proof(tree.root, tampered, values[i])
        assert not verify_proof(tree.root, proof[:-1], values[i])


@settings(max_examples=80, deadline=None)
@given(seed=seeds, n=sizes, data=st.data())
def test_multiproofs_verify_for_random_subsets(seed: bytes, n: int, data: st.DataObject) -> None:
    values = values_from(seed, n)
    tree = MerkleTree.build(values, sort_leaves=data.draw(st.booleans(), label="sort"))
    subset = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n), label="subset")
    multiproof = tree.multiproof(subset)
    assert sorted(multiproof.leaves) == sorted(values[i] for i in subset)
    assert verify_multiproof(tree.root, multiproof)
    assert tree.multiproof([values[i] for i in subset]) == multiproof
    if multiproof.proof:
        tampered = MultiProof(
            multiproof.leaves, (flip(multiproof.proof[0]), *multiproof.proof[1:]), multiproof.proof_flags
        )
        assert not verify_multiproof(tree.root, tampered)
    if subset and len(subset) < n:
        outsider = next(v for i, v in enumerate(values) if i not in subset)
        swapped = MultiProof((outsider, *multiproof.leaves[1:]), multiproof.proof, multiproof.proof_flags)
        assert not verify_multiproof(tree.root, swapped)


def test_empty_multiproof_carries_the_root() -> None:
    tree = MerkleTree.build(values_from(b"e", 5))
    multiproof = tree.multiproof([])
    assert multiproof == MultiProof(leaves=(), proof=(tree.root,), proof_flags=())
    assert verify_multiproof(tree.root, multiproof)


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    encoding=st.lists(
        st.sampled_from(
            ["uint256", "uint8", "int64", "int256", "address", "bool", "bytes32", "bytes4", "string", "bytes"]
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_leaf_hash_of_other_encodings_matches_eth_abi(data: st.DataObject, encoding: list[str]) -> None:
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "uint256": st.integers(0, 2**256 - 1),
        "uint8": st.integers(0, 255),
        "int64": st.integers(-(2**63), 2**63 - 1),
        "int256": st.integers(-(2**255), 2**255 - 1),
        "address": st.binary(min_size=20, max_size=20),
        "bool": st.booleans(),
        "bytes32": st.binary(min_size=32, max_size=32),
        "bytes4": st.binary(min_size=4, max_size=4),
        "string": st.text(max_size=80),
        "bytes": st.binary(max_size=80),
    }
    value = tuple(data.draw(strategies[t], label=t) for t in encoding)
    expected = k256(k256(eth_abi_encode(encoding, list(value))))
    assert standard_leaf_hash(value, encoding) == expected
    # the JSON forms of a dump hash the same: ints as strings, bytes as 0x hex
    json_value = MerkleTree.of([value], encoding).dump()["values"][0]["value"]
    assert standard_leaf_hash(json_value, encoding) == expected


def test_leaf_hash_of_every_supported_type_at_once_matches_eth_abi() -> None:
    # a fixed example of each type, so coverage does not depend on which types Hypothesis happens to draw
    encoding = ["uint256", "uint8", "int64", "int256", "address", "bool", "bytes32", "bytes4", "string", "bytes"]
    value = (2**200, 7, -(2**40), -1, bytes(range(20)), True, b"\x11" * 32, b"abcd", "绿色工厂", b"\x00\x01")
    expected = k256(k256(eth_abi_encode(encoding, list(value))))
    assert standard_leaf_hash(value, encoding) == expected
    json_value = MerkleTree.of([value], encoding).dump()["values"][0]["value"]
    assert standard_leaf_hash(json_value, encoding) == expected


def test_numbers_may_be_given_as_hex_strings() -> None:
    assert standard_leaf_hash(["0xff", "-5"], ["uint256", "int8"]) == k256(
        k256(eth_abi_encode(["uint256", "int8"], [255, -5]))
    )


# --- cross-check against OpenZeppelin's JavaScript library ---


def test_openzeppelin_javascript_agrees_on_roots_and_proofs() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the cross-check with @openzeppelin/merkle-tree"
    rng = random.Random(20240611)
    trees: list[MerkleTree] = []
    request: dict[str, list[dict[str, Any]]] = {"batches": []}
    for n in [1, 2, 3, 4, 5, 7, 8, 16, 31, 100, 257, *(rng.randint(1, 300) for _ in range(8))]:
        values = [rng.randbytes(32) for _ in range(n)]
        tree = MerkleTree.build(values)
        indices = rng.sample(range(n), rng.randint(0, n))
        multiproof = tree.multiproof(indices)
        trees.append(tree)
        request["batches"].append(
            {
                "values": [f"0x{v.hex()}" for v in values],
                "proofs": [[f"0x{p.hex()}" for p in tree.proof(i)] for i in range(n)],
                "indices": indices,
                "multiproof": {
                    "leaves": [f"0x{v.hex()}" for v in multiproof.leaves if isinstance(v, bytes)],
                    "proof": [f"0x{p.hex()}" for p in multiproof.proof],
                    "proofFlags": list(multiproof.proof_flags),
                },
            }
        )
    result = subprocess.run(
        [node, str(CROSSCHECK_JS)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answers = json.loads(result.stdout)["batches"]
    assert len(answers) == len(trees) >= 19
    for tree, sent, answer in zip(trees, request["batches"], answers, strict=True):
        assert answer["dump"] == tree.dump()
        assert answer["proofs"] == sent["proofs"]
        assert all(answer["acceptsOurProofs"])
        assert answer["acceptsOurMultiproof"] is True
        theirs = answer["multiproof"]
        assert [v[0] for v in theirs["leaves"]] == sent["multiproof"]["leaves"]
        assert theirs["proof"] == sent["multiproof"]["proof"]
        assert theirs["proofFlags"] == sent["multiproof"]["proofFlags"]
        for value, proof in zip(tree.values, answer["proofs"], strict=True):
            assert isinstance(value, bytes)
            assert verify_proof(tree.root, [bytes.fromhex(p[2:]) for p in proof], value)


# --- Event Hash IDs ---

HASH_HEX = "6ae96341e0acc6d7a261364751f60e68278a81cdf51da0abb6b4e617014e39d7"
HASH_ID = f"ni:///sha-256;{HASH_HEX}?ver=CBV2.0"


def test_hash_id_maps_to_its_digest_and_back() -> None:
    assert hash_id_to_bytes32(HASH_ID) == bytes.fromhex(HASH_HEX)
    assert bytes32_to_hash_id(bytes.fromhex(HASH_HEX)) == HASH_ID


@pytest.mark.parametrize(
    ("hash_id", "reason"),
    [
        (b"ni:///sha-256;00?ver=CBV2.0", "expected a str, got bytes"),
        (f"ni:///sha-512;{HASH_HEX}?ver=CBV2.0", "must start with 'ni:///sha-256;'"),
        (f"ni:///sha-256;{HASH_HEX}", "must end with '?ver=CBV2.0'"),
        (f"ni:///sha-256;{HASH_HEX}?ver=CBV2.1", "must end with '?ver=CBV2.0'"),
        (f"ni:///sha-256;{HASH_HEX.upper()}?ver=CBV2.0", "lowercase"),
        (f"ni:///sha-256;{HASH_HEX[:-1]}?ver=CBV2.0", "64 hex digits, got 63 characters"),
        (f"ni:///sha-256;{HASH_HEX[:-1]}g?ver=CBV2.0", "64 hex digits, got 64 characters"),
    ],
)
def test_malformed_hash_ids_are_refused_saying_why(hash_id: Any, reason: str) -> None:
    with pytest.raises(MalformedHashIdError, match="malformed Event Hash ID") as caught:
        hash_id_to_bytes32(hash_id)
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, TraceError)


def test_malformed_hash_id_message_is_shortened() -> None:
    with pytest.raises(MalformedHashIdError) as caught:
        hash_id_to_bytes32("x" * 500)
    assert len(str(caught.value)) < 200


def test_batch_of_hash_ids() -> None:
    hash_ids = [bytes32_to_hash_id(v) for v in values_from(b"ids", 10)]
    tree = MerkleTree.build([hash_id_to_bytes32(h) for h in hash_ids])
    assert verify_proof(tree.root, tree.proof(3), hash_id_to_bytes32(hash_ids[3]))
    assert repr(tree) == f"MerkleTree(leaves=10, root=0x{tree.root.hex()})"
    assert tree.leaf_encoding == BYTES32


# --- bad input ---


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "zero values"),
        ([b"\x00" * 31], "value 0 must be 32 bytes, got 31 bytes"),
        ([b"\x00" * 32, "0x00"], "value 1 must be 32 bytes, got str"),
        ([b"\x00" * 32, b"\x01" * 32, b"\x00" * 32], "values 0 and 2 are equal"),
    ],
)
def test_build_refuses_bad_values(values: list[Any], message: str) -> None:
    with pytest.raises(MerkleValueError, match=message):
        MerkleTree.build(values)
    if values and all(isinstance(v, bytes) for v in values):
        with pytest.raises(MerkleValueError, match=message):
            SimpleMerkleTree.build(values)


def test_of_with_bytes32_accepts_bytes_hex_and_one_item_lists() -> None:
    values = values_from(b"of", 3)
    tree = MerkleTree.of([[values[0]], [f"0x{values[1].hex()}"], values[2]], ["bytes32"])
    assert tree.dump() == MerkleTree.build(values).dump()
    with pytest.raises(MerkleValueError, match="one-item list"):
        MerkleTree.of([[values[0], values[1]]], ["bytes32"])


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("bytes32", "non-empty list"),
        ([], "non-empty list"),
        (["uint7"], "unsupported leaf encoding type 'uint7'"),
        (["uint512"], "unsupported"),
        (["uint08"], "unsupported"),
        (["bytes33"], "unsupported"),
        (["bytes0"], "unsupported"),
        (["bytes32[]"], "unsupported"),
        (["tuple"], "unsupported"),
        ([3], "unsupported leaf encoding type 3"),
    ],
)
def test_unsupported_leaf_encodings_are_refused(encoding: Any, message: str) -> None:
    with pytest.raises(MerkleValueError, match=message):
        MerkleTree.of([["a"]], encoding)


@pytest.mark.parametrize(
    ("encoding", "value", "message"),
    [
        (["bool"], [1], "bool value must be True or False"),
        (["address"], [b"\x00" * 19], "address value must be 20 bytes, got 19"),
        (["bytes4"], ["0x0102"], "bytes4 value must be 4 bytes, got 2"),
        (["bytes4"], ["0xzz"], "must be bytes or 0x-prefixed hex"),
        (["bytes4"], [1234], "must be bytes or 0x-prefixed hex"),
        (["uint8"], [256], "uint8 value 256 is out of range"),
        (["uint8"], [-1], "out of range"),
        (["int8"], [128], "out of range"),
        (["uint256"], ["ten"], "must be an int or a decimal / 0x-hex string"),
        (["uint256"], [True], "must be an int"),
        (["uint256"], [1.5], "must be an int"),
        (["string"], [b"abc"], "string value must be a str"),
        (["string", "uint8"], ["a"], "must be a list of 2 item"),
        (["string"], "a", "must be a list of 1 item"),
    ],
)
def test_values_that_do_not_fit_their_encoding_are_refused(encoding: list[str], value: Any, message: str) -> None:
    with pytest.raises(MerkleValueError, match=message):
        standard_leaf_hash(value, encoding)


def test_lookups_of_unknown_indices_and_values_fail() -> None:
    values = values_from(b"lookup", 6)
    tree = MerkleTree.build(values)
    for bad in (6, -1):
        with pytest.raises(MerkleValueError, match=f"index {bad} is out of range for 6 values"):
            tree.proof(bad)
    with pytest.raises(MerkleValueError, match="is not in the tree"):
        tree.proof(b"\x00" * 32)
    with pytest.raises(MerkleValueError, match="must be a list of 1 item"):
        tree.proof(True)
    with pytest.raises(MerkleValueError, match="same value twice"):
        tree.multiproof([1, values[1]])


def test_verifiers_raise_on_malformed_nodes_and_counts() -> None:
    tree = MerkleTree.build(values_from(b"v", 4))
    value = tree.values[0]
    assert isinstance(value, bytes)
    with pytest.raises(MerkleValueError, match="root must be 32 bytes"):
        verify_proof(tree.root[:31], tree.proof(0), value)
    with pytest.raises(MerkleValueError, match=r"proof\[1\] must be 32 bytes"):
        verify_proof(tree.root, [tree.proof(0)[0], b"x"], value)
    with pytest.raises(MerkleValueError, match="root must be 32 bytes"):
        verify_multiproof(b"", tree.multiproof([0]))
    with pytest.raises(MerkleValueError, match="root must be 32 bytes"):
        verify_simple_proof(b"", [], value)
    good = tree.multiproof([0, 1])
    with pytest.raises(MerkleValueError, match="do not fit"):
        verify_multiproof(tree.root, MultiProof(good.leaves, good.proof[:-1], good.proof_flags))
    with pytest.raises(MerkleValueError, match="do not fit"):
        process_multiproof([], [tree.root, tree.root], [True, True])
    with pytest.raises(MerkleValueError, match="no leaf or computed node left"):
        process_multiproof([], [tree.root, tree.root], [False])
    with pytest.raises(MerkleValueError, match=r"leaves\[0\] must be 32 bytes"):
        process_multiproof([b"a"], [], [])
    with pytest.raises(MerkleValueError, match="must be 32 bytes"):
        bytes32_to_hash_id(b"\x00")


def _dump() -> dict[str, Any]:
    return MerkleTree.build(values_from(b"dump", 5)).dump()


def _mutated(change: Any) -> dict[str, Any]:
    dump = _dump()
    change(dump)
    return dump


@pytest.mark.parametrize(
    ("dump", "message"),
    [
        ([], "must be a JSON object, got list"),
        (_mutated(lambda d: d.update(format="simple-v1")), "unknown dump format 'simple-v1'"),
        (_mutated(lambda d: d.pop("leafEncoding")), r"missing keys \['leafEncoding'\]"),
        (_mutated(lambda d: d.update(hash="custom")), r"unexpected keys \['hash'\]"),
        (_mutated(lambda d: d.update(values=[])), "'values' non-empty"),
        (_mutated(lambda d: d.update(tree="0x")), "must be lists"),
        (_mutated(lambda d: d["tree"].pop()), "5 values need 9 nodes"),
        (_mutated(lambda d: d["tree"].__setitem__(2, "0x1234")), r"tree\[2\] must be 32 bytes"),
        (_mutated(lambda d: d["values"].__setitem__(1, ["0x00"])), r"values\[1\] must be"),
        (_mutated(lambda d: d["values"][1].update(treeIndex="4")), r"values\[1\] must be"),
        (_mutated(lambda d: d["values"][1].update(extra=1)), r"values\[1\] must be"),
        (_mutated(lambda d: d["values"][1].update(treeIndex=3)), r"treeIndex 3 is not a leaf"),
        (_mutated(lambda d: d["values"][1].update(treeIndex=9)), r"treeIndex 9 is not a leaf"),
        (
            _mutated(lambda d: d["values"][1].update(treeIndex=d["values"][0]["treeIndex"])),
            "share one treeIndex",
        ),
        (
            _mutated(lambda d: d["tree"].__setitem__(1, d["tree"][0])),
            r"tree\[0\] is not the hash of its children",
        ),
        (
            _mutated(lambda d: d["values"][0].update(value=d["values"][0]["value"][0])),
            r"values\[0\].value must be a list",
        ),
        (
            _mutated(lambda d: d["values"][0].update(value=d["values"][1]["value"])),
            r"values\[0\] does not hash",
        ),
        (_mutated(lambda d: d.update(leafEncoding=["uint7"])), "unsupported leaf encoding"),
    ],
)
def test_load_refuses_bad_standard_dumps(dump: Any, message: str) -> None:
    with pytest.raises(MerkleValueError, match=message):
        MerkleTree.load(dump)


def test_load_refuses_duplicate_leaves() -> None:
    leaf = k256(k256(b"\x07" * 32))
    dump = {
        "format": "standard-v1",
        "leafEncoding": ["bytes32"],
        "tree": [f"0x{k256(leaf + leaf).hex()}", f"0x{leaf.hex()}", f"0x{leaf.hex()}"],
        "values": [{"value": [f"0x{'07' * 32}"], "treeIndex": i} for i in (1, 2)],
    }
    with pytest.raises(MerkleValueError, match="two leaves are equal"):
        MerkleTree.load(dump)


def test_simple_tree_round_trip_and_bad_dumps() -> None:
    values = values_from(b"simple", 7)
    tree = SimpleMerkleTree.build(values)
    assert list(tree.tree[6:]) == sorted(values, reverse=True)
    assert SimpleMerkleTree.load(tree.dump()).dump() == tree.dump()
    multiproof = tree.multiproof([0, 3])
    assert process_multiproof(list(multiproof.leaves), multiproof.proof, multiproof.proof_flags) == tree.root  # type: ignore[arg-type]
    assert not verify_simple_proof(tree.root, tree.proof(0), values[1])
    assert verify_simple_proof(tree.root, tree.proof(values[2]), values[2])
    bad = tree.dump()
    bad["values"][0]["value"] = bad["values"][1]["value"]
    with pytest.raises(MerkleValueError, match=r"values\[0\] is not tree\["):
        SimpleMerkleTree.load(bad)
    custom = tree.dump() | {"hash": "custom"}
    with pytest.raises(MerkleValueError, match="unexpected keys"):
        SimpleMerkleTree.load(custom)
    with pytest.raises(MerkleValueError, match="unknown dump format 'standard-v1'"):
        SimpleMerkleTree.load(_dump())
