"""A throwaway PostgreSQL server, for the tests and the benchmarks: Debian's ``postgresql`` package's binaries, a new
cluster in a temporary folder listening on a Unix socket only (no TCP port), removed when stopped.

The platform never starts a database itself (it is told one by ``database_url``); the tests of several hosts on one
database and ``supplychain bench capture --database postgresql`` start one of these, and each of its users gets a
database of its own on it (:meth:`DevPostgres.create_database`). PostgreSQL refuses to run as root: run as root, the
server runs as the package's ``postgres`` user, and the folder is given to that user.
"""

from __future__ import annotations

import getpass
import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from chain.devchain import free_port

__all__ = ["DevDatabaseError", "DevPostgres", "postgres_binaries", "start_postgres", "throwaway_postgres"]


class DevDatabaseError(RuntimeError):
    """The throwaway PostgreSQL server could not be found or started."""


def postgres_binaries() -> Path:
    """The folder of the newest installed PostgreSQL server's programs (``initdb``, ``postgres``, ``pg_isready``).

    Raises:
        DevDatabaseError: PostgreSQL's server is not installed.
    """
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise DevDatabaseError("PostgreSQL's server is not installed: `apt-get install postgresql` (make test does it)")
    return Path(found[-1]).parent


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class DevPostgres:
    """A running throwaway server.

    Attributes:
        root: Its folder: the cluster (``data``), the socket, its log (``server.log``).
        port: The port that names its socket file (``.s.PGSQL.<port>``); nothing listens on TCP.
        user: The superuser to connect as (``postgres`` when run as root, else the current user).
        process: The server's process.
    """

    root: Path
    port: int
    user: str
    process: subprocess.Popen[bytes]

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg, over the socket)."""
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.root}&port={self.port}"

    def create_database(self) -> str:
        """Create a new, empty database with a generated name; its SQLAlchemy URL."""
        import psycopg

        name = f"sc_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host=str(self.root), port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f"CREATE DATABASE {name}")  # a generated name: nothing to inject
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (a fast shutdown, waited for with ``pg_ctl``: its last checkpoint may take a while on a
        loaded machine) and remove its folder."""
        if self.process.poll() is None:
            stop = [str(postgres_binaries() / "pg_ctl"), "stop", "-D", str(self.root / "data"), "-m", "fast", "-w"]
            subprocess.run(  # noqa: S603 - the package's own program, no shell
                _as_server_user([*stop, "-t", "60"]), capture_output=True, check=False
            )
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pg_ctl could not stop it
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(*, timeout: float = 30.0) -> DevPostgres:
    """Create a cluster in a new temporary folder and start its server; returns once it accepts connections.

    The folder is not under a test's private temporary folder: as root, the ``postgres`` user must be able to enter
    it.

    Raises:
        DevDatabaseError: the server is not installed, its cluster could not be created, or it did not start within
            ``timeout`` seconds (with the end of its log).
    """
    bin_dir, root = postgres_binaries(), Path(tempfile.mkdtemp(prefix="sc-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    user = "postgres" if os.geteuid() == 0 else getpass.getuser()
    made = subprocess.run(  # noqa: S603 - the package's own program, no shell
        _as_server_user([str(bin_dir / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", user]),
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode:
        shutil.rmtree(root, ignore_errors=True)
        raise DevDatabaseError(f"initdb failed: {made.stderr[-2000:]}")
    port, log = free_port(), root / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - the package's own program, no shell
            _as_server_user(
                [str(bin_dir / "postgres"), "-D", str(root / "data"), "-k", str(root), "-p", str(port), "-h", ""]
            ),  # -h "": no TCP, the socket only
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = DevPostgres(root, port, user, process)
    deadline = time.monotonic() + timeout
    while subprocess.run(  # noqa: S603 - the package's own program, no shell
        [str(bin_dir / "pg_isready"), "-h", str(root), "-p", str(port)], capture_output=True, check=False
    ).returncode:
        if time.monotonic() > deadline or process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            server.stop()
            raise DevDatabaseError(f"the PostgreSQL server did not start within {timeout:.0f} s: {tail}")
        time.sleep(0.2)
    return server


@contextmanager
def throwaway_postgres(*, timeout: float = 30.0) -> Iterator[DevPostgres]:
    """:func:`start_postgres`, stopped (and its folder removed) on leaving."""
    server = start_postgres(timeout=timeout)
    try:
        yield server
    finally:
        server.stop()
