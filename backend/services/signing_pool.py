"""The Ed25519 work of a bulk capture, spread over worker processes.

Verifying one event signature (~75 µs) and signing one receipt (~30 µs with its canonical JSON) are most of what a
10,000-event capture costs, and they are independent per event: the pool splits them into chunks for
``capture_workers`` processes (spawned, not forked: the server runs threads). Small captures are done in the calling
thread, where starting the work costs more than the work. The pool is started on first use and keeps its processes;
they end with the server process, even when it is killed (:func:`backend.core.lifeline.bind_to_parent`).
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

from backend.core.lifeline import bind_to_parent, name_process
from supplychain.errors import SignatureError
from supplychain.receipt import receipt_message
from supplychain.signing import SigningKey, encode_signature, sign_message, verify_signature

__all__ = ["INLINE_BELOW", "Job", "SigningPool", "verify_chunk"]

#: Fewer items than this are done in the calling thread.
INLINE_BELOW = 512
_T = TypeVar("_T")
_R = TypeVar("_R")

log = logging.getLogger(__name__)
_worker_key: SigningKey | None = None


def _init_worker(receipt_seed: bytes, parent_pid: int) -> None:
    global _worker_key  # noqa: PLW0603 - one key per worker process, set once by the pool's initializer
    bind_to_parent(parent_pid)  # no orphans: a killed server takes its signing processes with it
    name_process("sc-signing")
    _worker_key = SigningKey.from_private_bytes(receipt_seed)


def verify_chunk(items: Sequence[tuple[bytes, str, bytes]]) -> list[str | None]:
    """For each ``(public key, Event Hash ID, signature)``: ``None`` if the signature verifies, else why not."""
    out: list[str | None] = []
    for public_key, hash_id, signature in items:
        try:
            verify_signature(public_key, hash_id, signature)
            out.append(None)
        except SignatureError as exc:
            out.append(str(exc))
    return out


def _sign_with(key: SigningKey, receipts: Sequence[dict[str, Any]]) -> list[str]:
    return [encode_signature(sign_message(key, receipt_message(fields))) for fields in receipts]


def _sign_chunk(receipts: Sequence[dict[str, Any]]) -> list[str]:
    assert _worker_key is not None  # noqa: S101 - set by the pool's initializer
    return _sign_with(_worker_key, receipts)


class Job(Generic[_T, _R]):
    """Items handed to the pool as they come, in chunks, so that workers start while the caller goes on.

    ``remote`` runs in a worker process, ``local`` does the same in this one: if a worker process dies, the chunks
    are done here instead and the pool is started afresh for the next job (nothing of the capture is lost).
    """

    def __init__(
        self,
        pool: SigningPool,
        remote: Callable[[Sequence[_T]], list[_R]],
        local: Callable[[Sequence[_T]], list[_R]],
        expected: int,
    ) -> None:
        self._pool, self._remote, self._local = pool, remote, local
        self._executor = pool.executor() if pool.workers > 0 and expected >= INLINE_BELOW else None
        self._chunk = max(64, -(-expected // (pool.workers * 4 or 1)))  # ~4 chunks per worker
        self._pending: list[_T] = []
        self._parts: list[tuple[list[_T], Future[list[_R]] | None]] = []

    def add(self, item: _T) -> None:
        """Queue one item (a chunk is sent to a worker as soon as it is full)."""
        self._pending.append(item)
        if self._executor is not None and len(self._pending) >= self._chunk:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            chunk, self._pending = self._pending, []
            self._parts.append((chunk, self._submit(chunk)))

    def _submit(self, chunk: list[_T]) -> Future[list[_R]] | None:
        if self._executor is None:
            return None
        try:
            return self._executor.submit(self._remote, chunk)
        except (BrokenProcessPool, RuntimeError):  # broken, or shut down: this job goes on here
            self._pool.restart()
            self._executor = None
            return None

    def _result(self, chunk: list[_T], future: Future[list[_R]] | None) -> list[_R]:
        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool:
                log.warning("a signing process died: its work is done in the request thread; the pool restarts")
                self._pool.restart()
        return self._local(chunk)

    def results(self) -> list[_R]:
        """The results of every item, in the order they were added (waits for the workers)."""
        self._flush()
        return [r for chunk, future in self._parts for r in self._result(chunk, future)]


class SigningPool:
    """Signature verification and receipt signing, in ``workers`` processes (0: always in the calling thread)."""

    def __init__(self, receipt_key: SigningKey, workers: int) -> None:
        self.receipt_key = receipt_key
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ProcessPoolExecutor:
        """The worker processes (started on first use)."""
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(self.receipt_key.private_bytes(), os.getpid()),
                )
            return self._executor

    def warm_up(self) -> None:
        """Start the worker processes now rather than at the first bulk capture (a few seconds on a small machine)."""
        if self.workers > 0:
            executor = self.executor()
            for future in [executor.submit(verify_chunk, []) for _ in range(self.workers)]:
                future.result()

    def verifier(self, expected: int) -> Job[tuple[bytes, str, bytes], str | None]:
        """A job of :func:`verify_chunk` items ``(public key, Event Hash ID, signature)``; ``expected`` of them."""
        return Job(self, verify_chunk, verify_chunk, expected)

    def receipt_signer(self, expected: int) -> Job[dict[str, Any], str]:
        """A job that signs unsigned receipts (every field but ``signature``) with the platform's key."""
        return Job(self, _sign_chunk, functools.partial(_sign_with, self.receipt_key), expected)

    def restart(self) -> None:
        """Drop a broken pool: the next job starts new processes."""
        with self._lock:
            broken, self._executor = self._executor, None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker processes (if they were started)."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None
