"""``supplychain bench merkle``: how fast Merkle batches are built, proven and verified on this machine."""

from __future__ import annotations

import hashlib
import time

from supplychain.merkle import MerkleTree, verify_proof

__all__ = ["bench_merkle"]


def bench_merkle(leaves: int = 100_000) -> dict[str, float]:
    """Build a ``["bytes32"]`` tree of ``leaves`` values, prove and verify every value; print and return.

    Returns:
        ``build_seconds``, ``proofs_seconds`` (all proofs), ``proofs_per_second``, ``verify_seconds`` (all
        proofs) and ``verifications_per_second``.
    """
    if leaves < 1:
        raise ValueError(f"leaves must be at least 1, got {leaves}")
    values = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(leaves)]

    start = time.perf_counter()
    tree = MerkleTree.build(values)
    build = time.perf_counter() - start

    start = time.perf_counter()
    proofs = [tree.proof(i) for i in range(leaves)]
    proving = time.perf_counter() - start

    start = time.perf_counter()
    root = tree.root
    ok = all(verify_proof(root, proof, value) for proof, value in zip(proofs, values, strict=True))
    verifying = time.perf_counter() - start
    if not ok:  # pragma: no cover - would be a bug in supplychain.merkle
        raise RuntimeError("a proof did not verify")

    figures = {
        "leaves": float(leaves),
        "build_seconds": build,
        "proofs_seconds": proving,
        "proofs_per_second": leaves / proving if proving else float("inf"),
        "verify_seconds": verifying,
        "verifications_per_second": leaves / verifying if verifying else float("inf"),
    }
    print(f"Merkle batch of {leaves:,} leaves (root 0x{root.hex()})")
    print(f"  build:  {build:.3f} s")
    print(f"  proofs: {proving:.3f} s for all leaves ({figures['proofs_per_second']:,.0f}/s)")
    print(f"  verify: {verifying:.3f} s for all proofs ({figures['verifications_per_second']:,.0f}/s)")
    return figures
