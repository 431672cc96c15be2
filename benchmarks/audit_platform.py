"""The audit end to end: a real dev chain, the platform's service in its own process, ``run_audit`` over HTTP.

``supplychain bench audit --through-platform`` times what a regulator runs, not only the checks: the synthetic store
of :mod:`backend.audit.synthetic` is anchored on an anvil node started back in time (the organisations and their keys
registered before the events, each batch's root anchored by the platform's anchoring account a minute after its
events were received, at that block time), stored in the platform's SQLite database as capture stores events, and
audited through ``supplychain serve`` (the export over HTTP) with :func:`backend.audit.run_audit`, then audited again
from the state file the first run left (a continued run: nothing new to check, every audited event compared with its
seal). On one machine the service's export and the audit share its cores; the figures say how much CPU each took.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import insert

from backend.audit import AuditOptions, run_audit
from backend.core.config import Settings
from backend.models import Batch, Event, table_of
from backend.services.platform import Platform
from benchmarks.common import wait_ready
from benchmarks.procs import tree_cpu_seconds
from benchmarks.synthetic import MAKER, RETAILER, START_S, signing_keys
from chain.accounts import dev_account
from chain.devchain import free_port, start_node, stop_node
from chain.registry import ROLE_ANCHORER
from supplychain.epcis.columns import indexed_columns
from supplychain.registry import BusinessRole

__all__ = ["PlatformAuditFigures", "audit_through_platform"]

_CHUNK = 10_000


@dataclass(frozen=True)
class PlatformAuditFigures:
    """What :func:`audit_through_platform` measured."""

    events: int
    findings: int
    wall_seconds: float
    check_seconds: float
    load_seconds: float
    server_cpu_seconds: float
    continued_wall_seconds: float = 0.0
    continued_compared: int = 0
    continued_findings: int = 0
    continued_server_cpu_seconds: float = 0.0
    state_bytes: int = 0

    @property
    def events_per_second(self) -> float:
        """Events audited per second of the whole run (chain replay, export, checks, report)."""
        return self.events / self.wall_seconds


def _register(platform: Platform) -> None:
    """The maker and the retailer with their keys, registered at the store's start (before its first event); the
    platform's anchoring account may anchor."""
    view = platform.registry
    chain = view.registry.chain
    regulator = view.registry.as_signer(dev_account("regulator").account)
    regulator.grant_role(ROLE_ANCHORER, view.writer.address)
    at = START_S
    for org, roles in ((MAKER, BusinessRole.MANUFACTURER), (RETAILER, BusinessRole.RETAILER)):
        chain.rpc("evm_setNextBlockTimestamp", at)
        regulator.register_organisation(org, roles)
        chain.rpc("evm_setNextBlockTimestamp", at + 1)
        regulator.add_key(org, signing_keys()[org].public_key_bytes)
        at += 2


def _anchor(platform: Platform, batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anchor every batch's root at its block time (one block each); the batch rows as the platform stores them."""
    view = platform.registry
    chain, writer = view.registry.chain, view.writer
    rows = []
    for i, batch in enumerate(batches):
        block_time = int(batch["blockTime"]) + i  # one block per second: block times must grow
        chain.rpc("evm_setNextBlockTimestamp", block_time)
        sequence, result = writer.anchor_root(bytes.fromhex(batch["root"][2:]), int(batch["leafCount"]))
        rows.append(
            {
                "id": batch["id"],
                "root": batch["root"],
                "leaf_count": batch["leafCount"],
                "status": "anchored",
                "created_at": batch["createdAt"],
                "chain_id": chain.chain_id,
                "tx_hash": result.tx_hash,
                "sequence": sequence,
                "block_number": result.receipt.block_number,
                "block_time": block_time,
                "anchored_at": block_time * 1000,
            }
        )
    return rows


def _event_rows(lines: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    for line in lines:
        record = orjson.loads(line)
        document = record["document"]
        columns = indexed_columns(document)  # as the platform derives them at capture
        yield {
            "id": record["id"],
            "hash_id": record["hashId"],
            "org_id": record["organisationId"],
            "key_id": record["keyId"],
            "signature": record["signature"],
            "event_type": columns.event_type,
            "event_time": columns.event_time,
            "biz_step": columns.biz_step,
            "biz_location": columns.biz_location,
            "read_point": columns.read_point,
            "received_at": record["receivedAt"],
            "capture_id": record["captureId"],
            "document": orjson.dumps(document).decode(),
            "batch_id": record["batchId"],
            "leaf_index": record["leafIndex"],
            "proof": orjson.dumps(record["proof"]).decode(),
        }


def _store(platform: Platform, batch_rows: list[dict[str, Any]], events_path: Path) -> None:
    with platform.engine.begin() as connection:
        connection.execute(insert(table_of(Batch)), batch_rows)
        with events_path.open("rb") as f:
            chunk: list[dict[str, Any]] = []
            for row in _event_rows(line for line in f if line.strip()):
                chunk.append(row)
                if len(chunk) >= _CHUNK:
                    connection.execute(insert(table_of(Event)), chunk)
                    chunk = []
            if chunk:
                connection.execute(insert(table_of(Event)), chunk)


def _serve(data_dir: Path, rpc_url: str, token: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "SUPPLYCHAIN_RPC_URL": rpc_url, "SUPPLYCHAIN_REGULATOR_TOKEN": token}
    command = [sys.executable, "-m", "cli", "serve", "--no-worker", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen([*command, "--data-dir", str(data_dir)], env=env, stdout=out, stderr=out)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server, log)
    except RuntimeError:
        server.terminate()
        raise
    return server, url


def audit_through_platform(
    folder: Path, events_path: Path, batches: list[dict[str, Any]], *, workers: int
) -> PlatformAuditFigures:
    """Anchor and store the synthetic store (``events_path``, ``batches``) under ``folder``, serve it, audit it."""
    node, process = start_node("anvil", port=free_port(), log_path=folder / "anvil.log", genesis_time=START_S - 3600)
    token = "sc_" + secrets.token_urlsafe(24)
    data_dir = folder / "platform"
    server: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        settings = Settings(data_dir=data_dir, rpc_url=node.url, run_worker=False)
        platform = Platform.open(settings)
        try:
            _register(platform)
            batch_rows = _anchor(platform, batches)
            _store(platform, batch_rows, events_path)
            registry = platform.registry.deployment.address
        finally:
            platform.close()
        load = time.perf_counter() - started
        server, url = _serve(data_dir, node.url, token, folder / "serve.log")
        cpu_before = tree_cpu_seconds(server.pid)
        started = time.perf_counter()
        state = folder / "audit-state.json"
        options = AuditOptions(workers=workers)
        report = run_audit(
            rpc_url=node.url, registry=registry, platform_url=url, token=token, state_path=state, options=options
        )
        wall = time.perf_counter() - started
        server_cpu = tree_cpu_seconds(server.pid) - cpu_before
        cpu_before, started = tree_cpu_seconds(server.pid), time.perf_counter()
        again = run_audit(
            rpc_url=node.url, registry=registry, platform_url=url, token=token, state_path=state, options=options
        )
        return PlatformAuditFigures(
            events=report.events_checked,
            findings=sum(report.counts.values()),
            wall_seconds=wall,
            check_seconds=report.check_seconds,
            load_seconds=load,
            server_cpu_seconds=server_cpu,
            continued_wall_seconds=time.perf_counter() - started,
            continued_compared=again.events_compared,
            continued_findings=sum(again.counts.values()),
            continued_server_cpu_seconds=tree_cpu_seconds(server.pid) - cpu_before,
            state_bytes=state.stat().st_size,
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        stop_node(node.pid, process=process)
