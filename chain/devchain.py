"""The local dev chain as a managed child process: a Hardhat node (default) or anvil, from ``hardhat-local/``.

:func:`start_node` starts one with its output in a log file and waits until it answers JSON-RPC; :func:`stop_node`
stops it. ``supplychain chain up|down|status`` keeps a small record of the running node in the data folder so that
another command can find and stop it. anvil keeps its state in a file across restarts (``--state``); a Hardhat node
starts empty every time. :func:`dev_prefix` gives an organisation a GS1 Company Prefix from the development accounts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import requests

from chain.errors import ChainError

if TYPE_CHECKING:
    from chain.registry import Registry

__all__ = [
    "ENGINES",
    "HARDHAT_DIR",
    "DevChainError",
    "NodeProcess",
    "dev_prefix",
    "free_port",
    "is_alive",
    "read_record",
    "start_node",
    "stop_node",
    "wait_ready",
]

log = logging.getLogger(__name__)

HARDHAT_DIR = Path(__file__).resolve().parent.parent / "hardhat-local"
Engine = Literal["hardhat", "anvil"]
ENGINES: tuple[Engine, ...] = ("hardhat", "anvil")
DEV_CHAIN_ID = 31337


class DevChainError(ChainError):
    """The dev chain could not be started, found or stopped."""


@dataclass(frozen=True)
class NodeProcess:
    """A running dev-chain node.

    Attributes:
        engine: ``hardhat`` or ``anvil``.
        pid: The node's process id (the leader of its own process group).
        url: Its JSON-RPC URL.
        log_path: Where its output goes.
        state_path: anvil's state file, if any.
    """

    engine: str
    pid: int
    url: str
    log_path: str
    state_path: str | None = None

    def save(self, path: Path) -> None:
        """Write the record for ``chain down`` and ``chain status``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


def read_record(path: Path) -> NodeProcess | None:
    """The node record at ``path``, or ``None`` when there is none."""
    try:
        return NodeProcess(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, TypeError) as exc:
        raise DevChainError(f"{path} is not a node record: {exc}") from exc


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(engine: Engine, host: str, port: int, state_path: Path | None) -> list[str]:
    bin_dir = HARDHAT_DIR / "node_modules" / ".bin"
    if engine == "hardhat":
        exe = bin_dir / "hardhat"
        if not exe.exists():
            raise DevChainError(f"Hardhat is not installed: run `npm ci` in {HARDHAT_DIR}")
        node = shutil.which("node") or "node"
        return [node, str(exe.resolve()), "node", "--hostname", host, "--port", str(port)]
    exe = HARDHAT_DIR / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if not exe.exists():
        raise DevChainError(f"anvil is not installed: run `npm ci` in {HARDHAT_DIR}")
    cmd = [str(exe), "--host", host, "--port", str(port), "--chain-id", str(DEV_CHAIN_ID), "--silent"]
    if state_path is not None:
        cmd += ["--state", str(state_path), "--state-interval", "1"]
    return cmd


def is_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (and is not a zombie of ours)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def wait_ready(
    url: str, *, timeout: float, process: subprocess.Popen[bytes] | None = None, log_path: Path | None = None
) -> int:
    """Wait until the node at ``url`` answers ``eth_chainId``; returns the chain id.

    Raises:
        DevChainError: the process exited, or no answer within ``timeout`` seconds (with the log's last lines).
    """
    deadline = time.monotonic() + timeout
    payload: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    while True:
        if process is not None and process.poll() is not None:
            raise DevChainError(f"the node exited with code {process.returncode}:\n{_tail(log_path)}")
        try:
            answer = requests.post(url, json=payload, timeout=1.0).json()
            return int(answer["result"], 16)
        except (requests.RequestException, ValueError, KeyError):
            pass
        if time.monotonic() >= deadline:
            raise DevChainError(f"no answer from {url} after {timeout:.0f} s:\n{_tail(log_path)}")
        time.sleep(0.1)


def _tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def start_node(
    engine: Engine = "hardhat",
    *,
    log_path: Path,
    port: int | None = None,
    host: str = "127.0.0.1",
    state_path: Path | None = None,
    genesis_time: int | None = None,
    timeout: float = 60.0,
) -> tuple[NodeProcess, subprocess.Popen[bytes]]:
    """Start a dev-chain node in its own process group and wait until it answers.

    Args:
        engine: ``hardhat`` or ``anvil``.
        log_path: File that receives the node's output (appended).
        port: TCP port (default: a free one).
        host: Interface to listen on.
        state_path: anvil only: the file its state is loaded from and saved to (every second and on exit).
        genesis_time: the genesis block's timestamp (s) if not now: a node that will take back a journaled registry
            starts before the journal's first block, so its transactions can be mined at their original times.
        timeout: Seconds to wait for the node to answer.

    Raises:
        DevChainError: the engine is unknown or not installed, or the node did not come up.
    """
    if engine not in ENGINES:
        raise DevChainError(f"unknown dev-chain engine {engine!r}; use one of: {', '.join(ENGINES)}")
    if state_path is not None and engine != "anvil":
        raise DevChainError("only anvil keeps its state in a file; the Hardhat node starts empty every time")
    port = port or free_port()
    cmd = _command(engine, host, port, state_path)
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "NO_COLOR": "1"}
    env.pop("SUPPLYCHAIN_GENESIS_TIME", None)
    if genesis_time is not None:
        if engine == "anvil":
            cmd += ["--timestamp", str(genesis_time)]
        else:
            env["SUPPLYCHAIN_GENESIS_TIME"] = str(genesis_time)  # read by hardhat-local/hardhat.config.js
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own pinned binaries, no shell
            cmd,
            cwd=HARDHAT_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    url = f"http://{host}:{port}"
    try:
        wait_ready(url, timeout=timeout, process=process, log_path=log_path)
    except DevChainError:
        _terminate(process.pid)
        process.wait(timeout=10)
        raise
    record = NodeProcess(engine, process.pid, url, str(log_path), str(state_path) if state_path else None)
    log.info("%s node up at %s (pid %s)", engine, url, process.pid)
    return record, process


def _terminate(pid: int, sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def stop_node(pid: int, *, timeout: float = 10.0, process: subprocess.Popen[bytes] | None = None) -> bool:
    """Stop the node's process group: SIGTERM (anvil saves its state), then SIGKILL after ``timeout`` seconds.

    Returns:
        Whether a running node was stopped.
    """
    if not is_alive(pid):
        return False
    _terminate(pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return True
        if process is None and not is_alive(pid):
            return True
        time.sleep(0.05)
    _terminate(pid, signal.SIGKILL)
    if process is not None:
        process.wait(timeout=5)
    return True


def dev_prefix(registry: Registry, prefix: str, org_id: str) -> list[str]:
    """On a dev chain: make the ``gs1-registrar`` dev account a GS1 registrar (from the regulator's dev account) and
    assign ``prefix`` to ``org_id``, where not done yet, so that the organisation may commission its GTINs. Returns
    one line per change made."""
    from chain.accounts import dev_account
    from chain.registry import ROLE_REGISTRAR

    done = []
    registrar = dev_account("gs1-registrar")
    if not registry.has_role(ROLE_REGISTRAR, registrar.address):
        registry.as_signer(dev_account("regulator").account).register_registrar(registrar.address)
        done.append(f"GS1 registrar {registrar.address}")
    if registry.prefix_holder_at(prefix, registry.chain.block_timestamp()) != org_id:
        registry.as_signer(registrar.account).assign_prefix(prefix, org_id)
        done.append(f"GS1 Company Prefix {prefix} for {org_id}")
    return done
