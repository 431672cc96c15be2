"""The registry view's mirror: requests that hold it while the registry changes are not disturbed."""

from __future__ import annotations

from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from chain.accounts import dev_account
from supplychain.signing import SigningKey
from tests.chains import RETAILER


def test_a_registry_change_swaps_in_a_changed_copy_and_anchors_are_added_in_place(
    platform: Platform, keys: dict[str, SigningKey]
) -> None:
    view = platform.registry
    held = view.refresh(force=True)  # what a request in flight holds
    keys_before = dict(held.keys)
    fresh = SigningKey.from_private_bytes(b"\x55" * 32)
    view.registry.as_signer(dev_account("regulator").account).add_key(RETAILER, fresh.public_key_bytes)
    changed = view.refresh(force=True)
    assert changed is not held and fresh.public_key_bytes in changed.keys
    assert held.keys == keys_before  # the request's mirror did not change under it
    anchors_before = len(changed.anchors)
    root = view.writer.anchor_root(b"\x07" * 32, 3)
    assert root[0] >= 1
    after_anchor = view.refresh(force=True)
    assert after_anchor is changed and len(after_anchor.anchors) == anchors_before + 1
    assert AnchoringWorker(platform).run_once(force=True) == 0  # nothing pending: nothing else changed
