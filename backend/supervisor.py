"""The platform's processes under one small supervisor: ``supplychain serve`` and ``supplychain demo`` run it.

The supervisor binds the listening socket, starts its children, each a new interpreter running this module
(``python -m backend.supervisor server|worker ...``), migrates the database once while they import their code, then
hands each its settings, pickled on its standard input (the children start in a couple of seconds rather than after
the supervisor's own start-up; a small main module, which a server's spawned signing processes import again cheaply):
``processes`` HTTP server processes sharing that socket, and, unless told otherwise, the one anchoring worker
process. It restarts any child that dies, after a short backoff that grows while a child keeps dying young,
and logs what died and how. On SIGTERM or SIGINT (the command installs the handlers) it asks each child to stop,
kills what has not stopped after a grace period, and returns with no process left. Each child ends by itself if the
supervisor is killed outright (:func:`backend.core.lifeline.bind_to_parent`), and a server process's signing
processes end with it the same way.

The anchoring worker is safe to kill at any point (see :mod:`backend.services.anchoring`): its replacement reconciles
the unfinished batch with the chain first, so every accepted event is anchored exactly once.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # this module is also the children's main module: it imports nothing heavy at the top
    from backend.core.config import Settings

__all__ = ["Supervisor", "describe_exit", "run_anchoring_worker"]

log = logging.getLogger(__name__)

#: First delay before a restart; it doubles while a child dies within STABLE_SECONDS of its start, up to MAX_BACKOFF.
MIN_BACKOFF = 0.5
MAX_BACKOFF = 10.0
STABLE_SECONDS = 30.0
#: How long stopping children may take before they are killed.
GRACE_SECONDS = 15.0


def describe_exit(exitcode: int | None) -> str:
    """``exited with status 3``, ``killed by SIGKILL``..."""
    if exitcode is None:
        return "is still running"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


def _child_setup(parent_pid: int, name: str) -> None:
    from backend.core.lifeline import bind_to_parent, name_process
    from backend.core.logs import configure_logging

    bind_to_parent(parent_pid)
    name_process(name)
    configure_logging()


def _serve(settings: Settings, sockets: list[socket.socket]) -> None:
    """A server process: the application on the supervisor's socket until SIGTERM/SIGINT."""
    import uvicorn

    from backend.api.app import create_app
    from backend.api.protocol import server_config

    config = server_config(create_app(settings), settings, timeout_graceful_shutdown=int(GRACE_SECONDS) - 5)
    uvicorn.Server(config).run(sockets=sockets)


def child_main(argv: list[str]) -> None:
    """A child's entry point: ``python -m backend.supervisor server NAME PARENT_PID FD`` or ``... worker NAME
    PARENT_PID SLOT`` (SLOT: a random tag of the supervisor's worker slot, in its lease holder name), the settings
    pickled on its standard input (a small main module: the server's spawned signing processes import it again)."""
    kind, name, parent_pid = argv[0], argv[1], int(argv[2])
    # import what the child runs (seconds of web3, SQLAlchemy, FastAPI) while the supervisor migrates and deploys:
    # it writes the settings only once that is done
    preload = ("backend.api.app", "backend.api.protocol") if kind == "server" else ("backend.services.anchoring",)
    for module in preload:
        importlib.import_module(module)
    settings = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by the parent supervisor
    _child_setup(parent_pid, name)
    if kind == "server":
        _serve(settings, [socket.socket(fileno=int(argv[3]))])
    else:  # one lease holder name per supervisor: its restarted worker takes the dead one's lease at once
        run_anchoring_worker(settings, holder=f"{socket.gethostname()}:{parent_pid}:{name}:{argv[3]}")


def run_anchoring_worker(
    settings: Settings, announce: Callable[[], None] | None = None, *, holder: str | None = None
) -> None:
    """Run the anchoring worker in this process until SIGTERM or SIGINT (call from the main thread).

    ``holder``: the lease holder name of a supervisor's worker slot (see :meth:`Platform.restarted_anchorer`).
    """
    from backend.services.anchoring import AnchoringWorker
    from backend.services.platform import Platform

    platform = Platform.open(settings)
    if holder is not None:
        platform.restarted_anchorer(holder)
    worker = AnchoringWorker(platform)
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    worker.start()
    if announce is not None:
        announce()
    stop.wait()
    worker.stop()
    platform.close()


@dataclass
class _Child:
    name: str
    argv: list[str]
    settings: Settings
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = 0.0
    restart_at: float = 0.0
    restarts: int = 0


class Supervisor:
    """Server processes and the anchoring worker as children that are restarted when they die.

    Args:
        settings: The service's settings (host and port of the socket; the children get a copy of them).
        processes: HTTP server processes sharing the socket.
        worker: Also run the anchoring worker process.
    """

    def __init__(self, settings: Settings, *, processes: int = 1, worker: bool = True) -> None:
        self.settings = settings
        self.processes = processes
        self.worker = worker
        self.socket: socket.socket | None = None
        self._children: list[_Child] = []
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        """The port the servers listen on (the one bound, if the settings said 0)."""
        assert self.socket is not None, "start() binds the socket"  # noqa: S101 - a programming error
        port: int = self.socket.getsockname()[1]
        return port

    def start(self) -> None:
        """Bind the socket and start the children; migrate the database and find (or, on a fresh dev chain, deploy)
        the registry once, before the children would race to (they import their code meanwhile); then hand each
        child its settings, which it waits for."""
        host = self.settings.host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, self.settings.port), family=family, backlog=2048)
        sock.set_inheritable(True)
        self.socket = sock
        server_settings = self.settings.model_copy(update={"run_worker": False})
        if self.processes > 1 and "capture_workers" not in self.settings.model_fields_set:
            # the cores are shared: each server process gets its share of signing processes (measured best on 2 cores)
            share = max(1, (os.cpu_count() or 1) // self.processes)
            server_settings = server_settings.model_copy(update={"capture_workers": share})
        me = str(os.getpid())
        for n in range(1, self.processes + 1):
            argv = ["server", f"sc-server-{n}", me, str(sock.fileno())]
            self._children.append(_Child(f"server {n}", argv, server_settings))
        if self.worker:
            # a random tag in its lease holder name: hosts may share a hostname and the supervisor's pid (containers)
            slot = secrets.token_hex(4)
            self._children.append(_Child("anchoring worker", ["worker", "sc-anchoring", me, slot], self.settings))
        for child in self._children:  # they import their code meanwhile, and wait for their settings
            self._spawn(child)
        try:
            self._prepare()
        except BaseException:
            self.shutdown(grace=2.0)
            raise
        for child in self._children:
            self._hand_settings(child)

    def _prepare(self) -> None:
        from backend.services.platform import Platform
        from chain.accounts import dev_account
        from chain.connection import answers, connect
        from chain.deploy import ensure_registry
        from chain.errors import ChainError

        Platform.open(self.settings).close()  # also makes the receipt key, which every server process reads
        record = self.settings.deployment_path
        if not record.exists():  # a fresh dev chain: deploy here, as the first process would, rather than in each
            try:
                if answers(self.settings.rpc_url):
                    ensure_registry(connect(self.settings.rpc_url), record, dev_account("regulator").account)
            except ChainError as exc:
                log.warning("the registry could not be deployed yet (%s): the processes retry", exc)

    def _spawn(self, child: _Child) -> None:
        assert self.socket is not None  # noqa: S101 - bound by start()
        process = subprocess.Popen(  # noqa: S603 - our own module, with the interpreter running this one
            [sys.executable, "-m", "backend.supervisor", *child.argv],
            stdin=subprocess.PIPE,
            pass_fds=(self.socket.fileno(),),
        )
        with self._lock:
            child.process = process
        child.started_at = time.monotonic()

    def _hand_settings(self, child: _Child) -> None:
        """Write the child's settings: it starts serving (or anchoring) once it has them."""
        process = child.process
        if process is None or process.stdin is None:
            return
        try:
            with process.stdin:
                pickle.dump(child.settings, process.stdin)
        except BrokenPipeError:  # it died meanwhile: check() restarts it
            log.warning("%s (pid %s) died before it got its settings", child.name, process.pid)

    def _start(self, child: _Child) -> None:
        self._spawn(child)
        self._hand_settings(child)

    def run(self, stop: threading.Event) -> None:
        """Watch the children until ``stop`` is set, restarting those that die; then stop them all."""
        try:
            while not stop.wait(0.2):
                self.check()
        finally:
            self.shutdown()

    def check(self) -> None:
        """Notice dead children and start those whose backoff has passed (one step of :meth:`run`)."""
        now = time.monotonic()
        for child in self._children:
            process = child.process
            if process is not None and process.poll() is not None:
                lived = now - child.started_at
                young = lived < STABLE_SECONDS and child.backoff > 0
                child.backoff = min(MAX_BACKOFF, child.backoff * 2) if young else MIN_BACKOFF
                child.restart_at = now + child.backoff
                child.restarts += 1
                log.warning(
                    "%s (pid %s) %s after %.1f s; restarting it in %.1f s (restart %d)",
                    child.name,
                    process.pid,
                    describe_exit(process.returncode),
                    lived,
                    child.backoff,
                    child.restarts,
                )
                with self._lock:
                    child.process = None
            if child.process is None and now >= child.restart_at:
                self._start(child)

    def shutdown(self, grace: float = GRACE_SECONDS) -> None:
        """Ask every child to stop (SIGTERM), kill those still running after ``grace`` seconds, close the socket."""
        with self._lock:
            running = [c.process for c in self._children if c.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("process %s did not stop in %.0f s: killed", process.pid, grace)
                process.kill()
                process.wait()
        with self._lock:
            for child in self._children:
                child.process = None
        if self.socket is not None:
            self.socket.close()
            self.socket = None


if __name__ == "__main__":
    child_main(sys.argv[1:])
