"""Checks shared by events and master data: a key at a time, a Merkle proof, an anchor as claimed."""

from __future__ import annotations

from supplychain.merkle import process_proof, standard_leaf_hash
from supplychain.registry import AnchorState, RegistryMirror
from supplychain.verify._bundle import AnchorClaim
from supplychain.verify._verdict import Check

__all__ = ["anchor_claim_checks", "key_check", "proof_check"]


def key_check(mirror: RegistryMirror, key_id: str, org: str, t: int, what: str = "the event") -> Check:
    state = mirror.keys.get(bytes.fromhex(key_id[2:]))
    if state is None:
        return Check("key", False, f"key {key_id} is not registered", "key_not_registered")
    if state.org_id != org:
        detail = f"key {key_id} is registered to organisation {state.org_id}, not {org}"
        return Check("key", False, detail, "key_not_registered")
    if t < state.valid_from:
        detail = f"key {key_id} became valid at {state.valid_from}, after {what} ({t})"
        return Check("key", False, detail, "key_not_yet_valid")
    if state.revoked_at is not None and t >= state.revoked_at:
        detail = f"key {key_id} was revoked at {state.revoked_at}, before {what} ({t})"
        return Check("key", False, detail, "key_revoked")
    return Check("key", True, f"key {key_id} of {org} was valid at {t}")


def proof_check(mirror: RegistryMirror, root: bytes, proof: tuple[bytes, ...], value: bytes, label: str) -> Check:
    """Whether the proof leads from the leaf of ``value`` (``label`` names it) to the claimed root; if not, where."""
    reached = process_proof(standard_leaf_hash(value), proof)
    if reached == root:
        return Check("proof", True, f"the Merkle proof leads to 0x{root.hex()}")
    elsewhere = mirror.anchors.get(reached)
    where = "a root that is not anchored" if elsewhere is None else f"anchored batch {elsewhere.sequence}"
    detail = f"the Merkle proof leads from {label} to 0x{reached.hex()} ({where}), not to the claimed 0x{root.hex()}"
    return Check("proof", False, detail, "proof_invalid")


def anchor_claim_checks(
    mirror: RegistryMirror,
    root: bytes,
    proof: tuple[bytes, ...],
    claim: AnchorClaim,
    *,
    value: bytes,
    label: str,
) -> tuple[list[Check], AnchorState | None]:
    """The proof, the root's anchor and the claimed anchor's fields; with the anchor as on chain when there is one."""
    root_hex = "0x" + root.hex()
    checks = [proof_check(mirror, root, proof, value, label)]
    anchor = mirror.anchors.get(root)
    if anchor is None:
        checks.append(Check("anchor", False, f"root {root_hex} is not anchored in the registry", "root_not_anchored"))
        return checks, None
    mismatches = [
        f"{name} {claimed} (chain: {actual})"
        for name, claimed, actual in (
            ("sequence", claim.sequence, anchor.sequence),
            ("timestamp", claim.timestamp, anchor.anchored_at),
            ("blockNumber", claim.block_number, anchor.position.block_number),
            ("txHash", claim.tx_hash, anchor.position.tx_hash.lower() or claim.tx_hash),
        )
        if claimed != actual
    ]
    if mismatches:
        checks.append(Check("anchor", False, "claimed " + "; ".join(mismatches), "anchor_mismatch"))
    else:
        detail = f"root {root_hex} anchored as batch {anchor.sequence} at {anchor.anchored_at}"
        checks.append(Check("anchor", True, detail))
    return checks, anchor
