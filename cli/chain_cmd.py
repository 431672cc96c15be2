"""``supplychain chain up|down|status``: the local dev chain as a background process, with the registry on it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated

import typer

from chain.accounts import dev_account
from chain.connection import Chain, connect
from chain.deploy import Deployment, check_deployment, ensure_registry
from chain.devchain import ENGINES, NodeProcess, is_alive, read_record, start_node, stop_node
from chain.errors import ChainError, ChainResetError
from chain.registry import ROLE_ANCHORER, Registry
from cli.common import _, console, data_dir, fail, reported

app = typer.Typer(
    epilog="Example: supplychain chain up --engine anvil",
    help="Start, stop and inspect the local dev chain (Hardhat node or anvil).",
    no_args_is_help=True,
)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: $SUPPLYCHAIN_DATA_DIR or ./data).")
]


def node_record_path(root: Path) -> Path:
    """Where the running node's record is kept."""
    return root / "chain" / "node.json"


def deployment_path(root: Path) -> Path:
    """Where the registry's deployment record is kept."""
    return root / "deployment.json"


def running_node(root: Path) -> NodeProcess | None:
    """The dev-chain node started by ``chain up`` that is still running, if any."""
    record = read_record(node_record_path(root))
    return record if record is not None and is_alive(record.pid) else None


def ensure_node(root: Path, engine: str, port: int) -> tuple[NodeProcess, subprocess.Popen[bytes] | None]:
    """The dev chain started from ``root`` if it is running, else a new one (its process is returned then).

    anvil keeps its state in ``root/chain/anvil-state.json``; the node's output goes to ``root/chain/<engine>.log``.
    """
    if engine not in ENGINES:
        fail(_("unknown engine {engine}; use one of: {engines}", engine=repr(engine), engines=", ".join(ENGINES)))
    record = running_node(root)
    if record is not None:
        return record, None
    state = root / "chain" / "anvil-state.json" if engine == "anvil" else None
    genesis = None if state is not None and state.exists() else _journal_start(root)
    record, process = start_node(
        engine, port=port, log_path=root / "chain" / f"{engine}.log", state_path=state, genesis_time=genesis
    )
    record.save(node_record_path(root))
    console.print(
        _(
            "started {engine} at {url} (pid {pid}, log {log})",
            engine=record.engine,
            url=record.url,
            pid=record.pid,
            log=record.log_path,
        )
    )
    return record, process


def _journal_start(root: Path) -> int | None:
    """Where a platform in ``root`` journaled a registry: start the new node before its first block, so that a
    restore can mine the journaled transactions at their original times."""
    database = root / "supplychain.db"
    if not database.exists():
        return None
    from backend.core.db import make_engine, migrate
    from backend.services.registry_view import journal_start

    engine = make_engine(f"sqlite:///{database}")
    try:
        migrate(engine)
        return journal_start(engine)
    finally:
        engine.dispose()


def prepare_registry(url: str, root: Path) -> tuple[Registry, bool]:
    """Connect to ``url``, deploy the registry if it is not there, and let the dev anchorer anchor.

    When the data folder holds a platform that journaled the registry and the chain was reset (a restarted Hardhat
    node), the registry is restored from that journal (same address, same history) instead of deployed anew.
    """
    chain = connect(url)
    regulator = dev_account("regulator").account
    _restore_if_reset(chain, root, url)
    deployment, created = ensure_registry(chain, deployment_path(root), regulator)
    registry = Registry(chain, deployment, check=False)
    anchorer = dev_account("anchorer").address
    if not registry.has_role(ROLE_ANCHORER, anchorer):
        registry.as_signer(regulator).grant_role(ROLE_ANCHORER, anchorer)
    return registry, created


def _restore_if_reset(chain: Chain, root: Path, url: str) -> None:
    record = deployment_path(root)
    if not record.exists() or not (root / "supplychain.db").exists():
        return
    try:
        check_deployment(chain, Deployment.load(record))
    except ChainResetError:
        from backend.core.config import Settings
        from backend.services.platform import Platform

        platform = Platform.open(Settings(data_dir=root, rpc_url=url))
        try:
            restored = platform.registry.restored_at is not None  # the first refresh notices the reset
        finally:
            platform.close()
        if restored:
            console.print(_("the chain at {url} was reset: registry restored from the platform's journal", url=url))


@app.command("up", epilog="Example: supplychain chain up --engine anvil --port 8545")
def up(
    engine: Annotated[str, typer.Option(help=f"Dev-chain engine: {' or '.join(ENGINES)}.")] = "hardhat",
    port: Annotated[int, typer.Option(help="JSON-RPC port on 127.0.0.1.")] = 8545,
    data: DataDir = None,
) -> None:
    """Start the dev chain in the background (if it is not running) and deploy the registry (if it is not there).

    anvil keeps its state in DATA/chain/anvil-state.json across restarts; a Hardhat node starts empty, and the
    registry is deployed anew on it.
    """
    root = data_dir(data)
    with reported():
        record, process = ensure_node(root, engine, port)
        if process is None:
            console.print(
                _("{engine} already running at {url} (pid {pid})", engine=record.engine, url=record.url, pid=record.pid)
            )
        registry, created = prepare_registry(record.url, root)
    values = {
        "address": registry.address,
        "chain": registry.chain.chain_id,
        "block": registry.deployment.block_number,
        "record": deployment_path(root),
    }
    if created:
        console.print(_("registry deployed at {address} (chain {chain}, block {block}); record: {record}", **values))
    else:
        console.print(_("registry found at {address} (chain {chain}, block {block}); record: {record}", **values))


@app.command("down", epilog="Example: supplychain chain down --data-dir data")
def down(data: DataDir = None) -> None:
    """Stop the dev chain started by ``chain up``."""
    root = data_dir(data)
    path = node_record_path(root)
    with reported():
        record = read_record(path)
    if record is None:
        fail(_("no dev chain was started from {root} (no {path})", root=root, path=path))
    stopped = stop_node(record.pid)
    path.unlink(missing_ok=True)
    if stopped:
        console.print(_("stopped {engine} (pid {pid})", engine=record.engine, pid=record.pid))
    else:
        console.print(_("{engine} was not running", engine=record.engine))


@app.command("status", epilog="Example: supplychain chain status --rpc http://127.0.0.1:8545")
def status(
    rpc: Annotated[str | None, typer.Option(help="JSON-RPC URL (default: the node started by `chain up`).")] = None,
    data: DataDir = None,
) -> None:
    """Show the dev chain and the registry on it; exit code 1 when either is missing."""
    root = data_dir(data)
    with reported():
        record = running_node(root)
    url = rpc or (record.url if record else None)
    if url is None:
        fail(_("no dev chain is running from {root}: start one with `supplychain chain up`", root=root))
    if record:
        console.print(
            _(
                "node: {engine}, pid {pid}, {url}, log {log}",
                engine=record.engine,
                pid=record.pid,
                url=record.url,
                log=record.log_path,
            )
        )
    try:
        chain = connect(url, attempts=1)
        console.print(
            _(
                "chain: id {chain}, block {block}, genesis {genesis}",
                chain=chain.chain_id,
                block=chain.block_number(),
                genesis=chain.genesis_hash,
            )
        )
        deployment = Deployment.load(deployment_path(root))
        check_deployment(chain, deployment)
    except ChainError as exc:
        fail(str(exc))
    registry = Registry(chain, deployment, check=False)
    console.print(
        _(
            "registry: {address} (deployed in block {block}), {roots} roots anchored, {recognitions} recognitions",
            address=deployment.address,
            block=deployment.block_number,
            roots=registry.anchor_count(),
            recognitions=registry.recognition_count(),
        )
    )
