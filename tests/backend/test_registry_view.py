"""The registry view's mirror: requests that hold it while the registry changes are not disturbed; while its node is
down, requests answer from the mirror at once instead of waiting out the connection's retries, one quick look tells
when the node is back, and then the view reads the chain again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from backend.api.app import create_app
from backend.core.config import Settings
from backend.core.db import make_engine, migrate
from backend.models import RegistryTx
from backend.services import registry_view
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from backend.services.registry_view import RegistryView
from chain.accounts import dev_account
from chain.connection import answers
from chain.devchain import free_port, start_node, stop_node
from chain.registry import Registry
from supplychain.signing import SigningKey
from tests.chains import MANUFACTURER, RETAILER, cast


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


def test_a_view_started_from_what_another_read_goes_on_from_there(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``seen`` (the tests' platforms start so): a view given another's mirror and first unread block, over a
    database where that one journaled, reads and journals only the later blocks, and knows what a view that read the
    whole history knows."""
    settings, view = platform.settings, platform.registry
    seen = (view.refresh(force=True), view.next_block)
    held = vars(seen[0]).copy()
    fresh = SigningKey.from_private_bytes(b"\x56" * 32)
    view.registry.as_signer(dev_account("regulator").account).add_key(RETAILER, fresh.public_key_bytes)

    def journaled() -> int:
        with platform.session() as session:
            return len(session.exec(select(RegistryTx)).all())

    before = journaled()
    chain = view.registry.chain
    args = (settings.rpc_url, settings.deployment_path, settings.anchorer_private_key)
    resumed = RegistryView(*args, platform.engine, max_age=0, chain=chain, seen=seen)
    reads: list[int | None] = []
    real = Registry.history

    def history(self: Registry, *, from_block: int | None = None, to_block: int | None = None) -> Any:
        reads.append(from_block)
        return real(self, from_block=from_block, to_block=to_block)

    monkeypatch.setattr(Registry, "history", history)
    mirror = resumed.refresh(force=True)
    assert reads == [seen[1]]  # from the first block it had not seen, not from the registry's deployment
    monkeypatch.undo()
    assert fresh.public_key_bytes in mirror.keys and journaled() == before + 1  # the new block only
    assert vars(seen[0]) == held  # the given mirror was copied, not changed
    assert resumed.next_block == chain.block_number() + 1
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    migrate(other)
    whole = RegistryView(*args, other, max_age=0, chain=chain).refresh(force=True)  # from the deployment on
    assert vars(whole) == vars(mirror)
    other.dispose()


def _counted(calls: list[Any], real: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    return call


def test_a_node_that_is_down_is_not_waited_for_and_is_read_again_when_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, state = free_port(), tmp_path / "anvil-state.json"
    node, process = start_node("anvil", port=port, state_path=state, log_path=tmp_path / "anvil.log")
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        rpc_url=node.url,
        run_worker=False,
        registry_refresh_seconds=0,
        rpc_attempts=2,
    )
    platform = Platform.open(settings)
    try:
        view = platform.registry
        cast(view.registry.as_signer(dev_account("regulator").account))
        known = view.refresh(force=True)
        assert view.down_since is None and MANUFACTURER in known.organisations
        reads: list[Any] = []
        looks: list[Any] = []
        monkeypatch.setattr(RegistryView, "_refresh", _counted(reads, RegistryView._refresh))
        monkeypatch.setattr(registry_view, "answers", _counted(looks, answers))

        stop_node(node.pid, process=process)  # anvil keeps its state
        view.retry_seconds = 3600
        mirror = view.refresh(wait=False)  # one quick look finds the node down: no patient reading
        assert view.down_since is not None and (len(looks), len(reads)) == (1, 0)
        assert MANUFACTURER in mirror.organisations  # answered from what was seen last
        for _ in range(3):
            assert view.refresh(wait=False) is mirror
        assert (len(looks), len(reads)) == (1, 0)  # nothing tried again while waiting to retry
        view.refresh()  # the anchoring worker waits: it reads (and fails) patiently
        assert (len(looks), len(reads)) == (1, 1)

        with TestClient(create_app(platform=platform)) as client:
            ready = client.get("/ready")
            assert ready.status_code == 503
            assert "does not answer" in ready.json()["checks"]["chain"]

        view._retry_at = 0.0  # as if retry_seconds had passed
        assert view.refresh(wait=False) is mirror
        assert (len(looks), len(reads)) == (2, 1)  # one quick look, no patient reading: still down

        node, process = start_node("anvil", port=port, state_path=state, log_path=tmp_path / "anvil.log")
        view._retry_at = 0.0
        view.refresh(wait=False)
        assert (len(looks), len(reads)) == (3, 2)  # the look found it back, so the chain was read
        assert view.down_since is None
        assert MANUFACTURER in view.mirror.organisations
    finally:
        platform.close()
        stop_node(node.pid, process=process)
