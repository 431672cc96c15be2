"""Anchors and on-chain proof verification; the history replayed from logs agrees with the contract's views."""

from __future__ import annotations

import hashlib

import pytest

from chain.errors import RegistryArgumentError, RegistryConflictError, RegistryNotFoundError, RegistryPermissionError
from chain.registry import RegistryWriter
from supplychain.merkle import MerkleTree
from supplychain.registry import BusinessRole, ReasonCode
from supplychain.registry import events as ev
from tests.chains import MANUFACTURER, SUPPLIER, Deployed
from tests.contracts.test_registry_identity import expect, only
from tests.contracts.test_registry_recognitions import factory_terms


def event_hashes(n: int, salt: str = "") -> list[bytes]:
    """Stand-ins for Event Hash IDs: the SHA-256 digests an Event Hash ID carries."""
    return [hashlib.sha256(f"event {salt}{i}".encode()).digest() for i in range(n)]


def test_anchor_root(deployed: Deployed, anchorer: RegistryWriter) -> None:
    registry = deployed.registry
    root = b"\x42" * 32
    seq, result = anchorer.anchor_root(root, 10_000)
    (anchored,) = only(result.events, ev.RootAnchored)
    assert (anchored.root, anchored.sequence, anchored.anchorer, anchored.leaf_count) == (
        root,
        1,
        anchorer.address,
        10_000,
    )
    info = registry.anchor_of(root)
    assert (info.sequence, info.anchored_at, info.block_number, info.leaf_count) == (
        1,
        anchored.timestamp,
        result.receipt.block_number,
        10_000,
    )
    assert seq == 1
    assert registry.is_anchored(root)
    assert anchorer.anchor_root(b"\x43" * 32, 1)[0] == 2
    assert registry.anchor_count() == 2


def test_anchor_errors(deployed: Deployed, anchorer: RegistryWriter, regulator: RegistryWriter) -> None:
    anchorer.anchor_root(b"\x42" * 32, 3)
    with expect(RegistryConflictError, "RegistryRootAlreadyAnchored", root=b"\x42" * 32, sequence=1):
        anchorer.anchor_root(b"\x42" * 32, 3)  # sent without a dry run: the reason is recovered after mining
    with expect(RegistryArgumentError, "RegistryEmptyBatch"):
        anchorer.anchor_root(bytes(32), 3)
    with expect(RegistryArgumentError, "RegistryEmptyBatch", leafCount=0):
        anchorer.anchor_root(b"\x44" * 32, 0)
    with expect(RegistryPermissionError, "AccessControlUnauthorizedAccount"):
        regulator.anchor_root(b"\x45" * 32, 1)  # the regulator governs; only anchorers anchor
    with expect(RegistryNotFoundError, "RegistryUnknownRoot", root=b"\x46" * 32):
        deployed.registry.anchor_of(b"\x46" * 32)
    assert deployed.registry.anchor_count() == 1


@pytest.mark.parametrize("size", [1, 2, 7, 64])
def test_verify_event_accepts_our_proofs(deployed: Deployed, anchorer: RegistryWriter, size: int) -> None:
    values = event_hashes(size, salt=str(size))
    tree = MerkleTree.build(values)
    registry = deployed.registry
    assert not registry.verify_event(tree.root, tree.proof(0), values[0])  # not anchored yet
    anchorer.anchor_root(tree.root, size)
    for i, value in enumerate(values):
        assert registry.verify_event(tree.root, tree.proof(i), value)
    outsider = hashlib.sha256(b"not in the batch").digest()
    assert not registry.verify_event(tree.root, tree.proof(0), outsider)
    if size > 1:
        assert not registry.verify_event(tree.root, tree.proof(1), values[0])  # someone else's proof


def test_verify_events_accepts_our_multiproofs(deployed: Deployed, anchorer: RegistryWriter) -> None:
    values = event_hashes(20, salt="multi")
    tree = MerkleTree.build(values)
    anchorer.anchor_root(tree.root, 20)
    mp = tree.multiproof([0, 3, 4, 19])
    assert deployed.registry.verify_events(tree.root, mp.proof, mp.proof_flags, mp.leaves)
    other = MerkleTree.build(event_hashes(20, salt="other"))
    assert not deployed.registry.verify_events(other.root, mp.proof, mp.proof_flags, mp.leaves)
    tampered = [hashlib.sha256(b"x").digest(), *mp.leaves[1:]]
    assert not deployed.registry.verify_events(tree.root, mp.proof, mp.proof_flags, tampered)
    with expect(RegistryArgumentError, "MerkleProofInvalidMultiproof"):
        deployed.registry.verify_events(tree.root, mp.proof, [*mp.proof_flags, True], mp.leaves)


def test_replayed_history_answers_like_the_contract(
    deployed: Deployed, regulator: RegistryWriter, certifier: RegistryWriter, anchorer: RegistryWriter
) -> None:
    chain, registry = deployed.chain, deployed.registry
    regulator.add_key(SUPPLIER, b"\x01" * 32)
    rid, _ = certifier.issue_recognition(factory_terms(deployed))
    chain.increase_time(500)
    regulator.rotate_key(b"\x01" * 32, b"\x02" * 32, ReasonCode.KEY_ROTATION)
    certifier.suspend_recognition(rid, ReasonCode.SPOT_CHECK_FAILED)
    regulator.update_organisation(MANUFACTURER, BusinessRole.MANUFACTURER | BusinessRole.SUPPLIER)
    chain.increase_time(500)
    regulator.suspend_organisation(MANUFACTURER, ReasonCode.QUALITY_INCIDENT)
    certifier.reinstate_recognition(rid, ReasonCode.RECTIFIED)
    for i in range(3):
        regulator.record_spot_check(rid, passed=True, report_hash=bytes([i + 1]) * 32)
    tree = MerkleTree.build(event_hashes(5))
    anchorer.anchor_root(tree.root, 5)
    mirror = registry.mirror()
    start, end = deployed.deployment.block_number, chain.block_number()
    times = sorted({chain.block_timestamp(b) for b in range(start, end + 1)})
    probes = sorted({t + d for t in times for d in (-1, 0, 1)})
    for t in probes:
        for key in (b"\x01" * 32, b"\x02" * 32):
            assert mirror.key_valid_at(key, SUPPLIER, t) == registry.is_key_valid_at(key, SUPPLIER, t), (key, t)
        assert mirror.recognition_in_force_at(rid, t) == registry.is_in_force_at(rid, t), t
        status = registry.status_at(rid, t)
        assert mirror.recognitions[rid].status_at(t) == status, t
    assert mirror.recognitions[rid].exempt_at(times[-1]) == registry.is_spot_check_exempt(rid)
    assert mirror.roles_at(MANUFACTURER, times[-1]) == registry.organisation(MANUFACTURER).roles
    assert not mirror.organisation_active_at(MANUFACTURER, times[-1])
    assert mirror.organisations[MANUFACTURER].suspended == registry.organisation(MANUFACTURER).suspended
    anchor = mirror.anchors[tree.root]
    assert (anchor.sequence, anchor.leaf_count, anchor.anchored_at) == (1, 5, registry.anchor_of(tree.root).anchored_at)
    assert mirror.certifier_level_at(certifier.address, times[-1]) == 2
