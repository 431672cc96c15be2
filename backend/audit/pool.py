"""The per-event checks on several cores: chunks of export lines go to worker processes, results come back in order.

The workers are started when the :class:`ChunkChecker` is made, before the export is read: forked from this process
while it runs no other thread (as ``supplychain audit`` does), they start at once with the modules and the registry
mirror already loaded. In a process that runs other threads (a test beside a server) they come from a fork server
instead. With ``workers=0`` the checks run in this process.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext

from backend.audit.worker import Chunk, check_chunk, check_lines, ready, start_worker, without_anchors
from supplychain.audit import Checked, EventChecker
from supplychain.registry import RegistryMirror

__all__ = ["ChunkChecker", "worker_context"]


def worker_context() -> BaseContext:
    """``fork`` while this process runs no other thread; else a fork server (that loads this program's main module
    and the worker module once, not once per worker); spawn where neither exists (Windows)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", "backend.audit.worker"])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


class ChunkChecker:
    """Checks chunks of export lines in ``workers`` processes (0: in this process).

    Use as a context manager; :meth:`map` keeps at most one chunk per worker and one more in flight, so memory stays
    flat.
    """

    def __init__(self, mirror: RegistryMirror, workers: int = 0) -> None:
        self.workers = max(workers, 0)
        self._local = EventChecker(mirror) if self.workers == 0 else None
        self._pool: ProcessPoolExecutor | None = None
        if self.workers:
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=worker_context(), initializer=start_worker, initargs=(without_anchors(mirror),)
            )
            for _ in range(self.workers):  # start them now, before any thread of this process
                self._pool.submit(ready)

    def __enter__(self) -> ChunkChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(self, chunks: Iterable[Chunk]) -> Iterator[list[Checked]]:
        """The results of each chunk, in the order of the chunks."""
        if self._pool is None:
            checker = self._local
            assert checker is not None  # noqa: S101 - in-process mode
            for chunk in chunks:
                yield check_lines(checker, chunk)
            return
        in_flight: deque[Future[list[Checked]]] = deque()
        for chunk in chunks:
            in_flight.append(self._pool.submit(check_chunk, chunk))
            if len(in_flight) > self.workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()
