"""The platform's view of the on-chain registry: a mirror kept up to date, a journal of its transactions, and the
restoration of a dev chain that was reset under the platform.

Capture checks keys and roles against the mirror "as on chain at that moment": before each capture (and each anchoring
round) the view replays the registry events since the last block it saw, unless it did so within
``registry_refresh_seconds``. When the node cannot be reached it answers from what it saw last, and for the next
``retry_seconds`` it does not try again: pages and queries do not wait out the connection's retries while a node is
down (capture's forced reads, for a key the mirror does not know yet, still do).

Every registry transaction it sees is journaled as signed bytes (``registry_tx``). When the chain turns out to be
another one than the registry was deployed on (a restarted Hardhat node: another genesis, or no code at the address),
the view replays the journal in its original order: the same signed transactions, with the same senders' nonces, put
the registry back at the same address with the same organisations, keys, recognitions and anchored roots. Each is
mined at its original block time where the node allows it (a node started before the journal's first block:
:func:`journal_start`, which ``supplychain chain up`` and ``demo`` pass to the node they start), so keys' validity,
recognitions' histories and anchors' times are as before and every stored event verifies again. The platform's
batches get their new block numbers (and times, if they moved) and are marked re-made.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.models import RegistryTx
from chain.accounts import account_from_key, dev_account
from chain.connection import Chain, answers, connect
from chain.deploy import Deployment, check_deployment, ensure_registry
from chain.errors import ChainConnectionError, ChainError, ChainResetError
from chain.journal import raw_transaction, replay_transactions
from chain.registry import Registry, RegistryWriter
from supplychain.registry import RegistryMirror
from supplychain.registry import events as ev

__all__ = ["RegistryView", "journal_start"]

log = logging.getLogger(__name__)


def journal_start(engine: Engine) -> int | None:
    """When a node that is to take back the journaled registry should start (s): a minute before the journal's first
    block, or ``None`` when nothing with a known time was journaled."""
    with Session(engine) as session:
        first = session.exec(
            select(col(RegistryTx.block_time))
            .where(col(RegistryTx.block_time).is_not(None))
            .order_by(col(RegistryTx.block_time))
        ).first()
    return None if first is None else first - 60


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class RegistryView:
    """The registry, its mirror, its journal and the anchoring writer (connected lazily: the chain may be down)."""

    def __init__(
        self,
        rpc_url: str,
        record: Path,
        anchorer_key: str,
        engine: Engine,
        *,
        max_age: float,
        on_restored: Callable[[RegistryView], None] | None = None,
        attempts: int = 6,
        retry_seconds: float = 5.0,
        chain: Chain | None = None,
        seen: tuple[RegistryMirror, int] | None = None,
    ) -> None:
        """``chain``: an already connected chain to use instead of connecting to ``rpc_url`` each time (the tests
        share one in-process chain, which cannot be reached by URL, between the platforms they open). ``seen``: the
        registry as read up to a block (not included), its transactions journaled in ``engine``'s database already:
        the view starts from a copy of that mirror instead of reading the registry's history again (the tests open
        hundreds of platforms on copies of one journaled database, on one chain snapshot)."""
        self.rpc_url = rpc_url
        self._chain = chain
        self.record = record
        self._anchorer_key = anchorer_key
        self.engine = engine
        self.max_age = max_age
        self.on_restored = on_restored
        self.attempts = attempts
        self.retry_seconds = retry_seconds
        self.down_since: float | None = None  # when the node was first found down (monotonic), None while it answers
        self._retry_at = 0.0
        self._lock = threading.RLock()
        self._registry: Registry | None = None
        self._writer: RegistryWriter | None = None
        self._deployment: Deployment | None = None
        self.mirror = RegistryMirror() if seen is None else copy.deepcopy(seen[0])
        self._next_block = 0
        self._seen_up_to = None if seen is None else seen[1]
        self.refreshed_at = 0.0
        self.restored_at: int | None = None

    # --- connection ---

    def _connect(self) -> Chain:
        return self._chain if self._chain is not None else connect(self.rpc_url, attempts=self.attempts)

    def _attach(self) -> Registry:
        chain = self._connect()
        if self._deployment is None:
            if self.record.exists():  # checked by the first refresh: a reset chain is restored, not redeployed
                self._deployment = Deployment.load(self.record)
            else:
                self._deployment, _ = ensure_registry(chain, self.record, dev_account("regulator").account)
            self._next_block = self._deployment.block_number if self._seen_up_to is None else self._seen_up_to
            self._seen_up_to = None
        self._registry = Registry(chain, self._deployment, check=False)
        self._writer = self._registry.as_signer(account_from_key(self._anchorer_key))
        return self._registry

    @property
    def registry(self) -> Registry:
        """The connected registry (connects on first use, deploying it on a fresh dev chain)."""
        with self._lock:
            return self._registry if self._registry is not None else self._attach()

    @property
    def writer(self) -> RegistryWriter:
        """The anchoring account's writer."""
        with self._lock:
            if self._writer is None:
                self._attach()
            assert self._writer is not None  # noqa: S101 - set by _attach
            return self._writer

    @property
    def deployment(self) -> Deployment:
        """Where the registry is (connects on first use)."""
        with self._lock:
            if self._deployment is None:
                self._attach()
            assert self._deployment is not None  # noqa: S101 - set by _attach
            return self._deployment

    @property
    def chain_id(self) -> int:
        """The registry's chain id."""
        return self.registry.chain.chain_id

    # --- keeping up ---

    def refresh(self, *, force: bool = False, wait: bool = True) -> RegistryMirror:
        """Bring the mirror and the journal up to date; restore the registry if the chain was reset.

        Args:
            force: Read the chain even if the mirror is younger than ``max_age``.
            wait: ``False`` for a request that would rather answer from the mirror than wait for the node: while
                another thread reads the chain, or less than ``retry_seconds`` after the node was found down, the
                mirror is answered as it is; else one quick request (no retries) looks whether the node answers
                before the patient reading (whose retries span seconds) starts. The anchoring worker waits.
        """
        if not force and time.monotonic() - self.refreshed_at < self.max_age:
            return self.mirror
        if force or wait:
            self._lock.acquire()
        elif time.monotonic() < self._retry_at:
            return self.mirror
        elif not self._lock.acquire(blocking=False):
            if self.refreshed_at:
                return self.mirror  # another thread is reading the chain: answer from what was seen last
            self._lock.acquire()
        try:
            if not force and time.monotonic() - self.refreshed_at < self.max_age:
                return self.mirror  # another thread read it while this one waited
            if not (force or wait) and not answers(self.rpc_url):
                self._down(f"the node at {self.rpc_url} does not answer")
                return self.mirror
            try:
                self._read()
            except ChainConnectionError as exc:
                self._down(exc)
            else:
                self.down_since, self._retry_at = None, 0.0
            return self.mirror
        finally:
            self._lock.release()

    def _down(self, why: object) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            log.warning("registry not refreshed, answering from a mirror %.0f s old: %s", self.age(), why)
        self._retry_at = now + self.retry_seconds

    def _read(self) -> None:
        try:
            self._refresh()
        except ChainResetError as exc:
            if self._journal_size():
                log.warning("%s: restoring the registry from the journal", exc)
                self.restore()
            else:  # nothing journaled (the platform never saw this registry): deploy a new one
                log.warning("%s: no journal to restore from; deploying a new registry", exc)
                self._deployment = None
                self._registry = self._writer = None
                self.record.unlink(missing_ok=True)
            self._refresh()

    def _refresh(self) -> None:
        registry = self.registry
        assert self._deployment is not None  # noqa: S101 - set by registry
        check_deployment(registry.chain, self._deployment)
        last = registry.chain.block_number()
        if last >= self._next_block:
            new = list(registry.history(from_block=self._next_block, to_block=last))
            self._journal(registry.chain, new)
            if all(isinstance(e, ev.RootAnchored) for e in new):
                self.mirror.apply_all(new)  # only adds anchors, which requests look up but never iterate
            else:  # requests may be iterating organisations or recognitions: change a copy, then swap it in
                self.mirror = copy.deepcopy(self.mirror).apply_all(new)
            self._next_block = last + 1
        self.refreshed_at = time.monotonic()

    def _journal(self, chain: Chain, events: list[ev.RegistryEvent]) -> None:
        first_log: dict[str, tuple[int, int, int]] = {}
        for event in events:
            position = event.position
            first_log.setdefault(position.tx_hash, (position.block_number, position.log_index, event.timestamp))
        for attempt in range(3):
            try:
                self._journal_new(chain, first_log)
                return
            except IntegrityError:  # another process (a server, the worker) journaled some of them meanwhile
                if attempt == 2:
                    raise
                log.info("registry transactions journaled by another process meanwhile: journaling the rest")

    def _journal_new(self, chain: Chain, first_log: dict[str, tuple[int, int, int]]) -> None:
        with Session(self.engine) as session:
            known = set(
                session.exec(select(col(RegistryTx.tx_hash)).where(col(RegistryTx.tx_hash).in_(list(first_log))))
            )
            for tx_hash, (block, log_index, block_time) in first_log.items():
                if tx_hash not in known:
                    raw = raw_transaction(chain, tx_hash)
                    row = RegistryTx(
                        tx_hash=tx_hash,
                        block_number=block,
                        log_index=log_index,
                        raw=raw,
                        recorded_at=_now_ms(),
                        block_time=block_time,
                    )
                    session.add(row)
            session.commit()

    def _journal_size(self) -> int:
        with Session(self.engine) as session:
            return len(session.exec(select(col(RegistryTx.tx_hash)).limit(1)).all())

    @property
    def next_block(self) -> int:
        """The first block the mirror has not read yet."""
        return self._next_block

    def now(self) -> int:
        """Now (s): the chain's latest block time when it is ahead of the wall clock (a dev chain that mines no blocks
        may be), else the clock; the clock alone while the node is down (it is not waited for) or cannot be read."""
        wall = int(time.time())
        if self.down_since is not None:
            return wall
        try:
            return max(wall, self.registry.chain.block_timestamp())
        except ChainError:
            return wall

    def age(self) -> float:
        """Seconds since the mirror was last brought up to date."""
        return time.monotonic() - self.refreshed_at if self.refreshed_at else float("inf")

    # --- restoring a reset dev chain ---

    def restore(self) -> None:
        """Replay the journaled registry transactions on the (reset) chain and take up the registry there again.

        Raises:
            ChainError: the journal is empty, or a transaction could not be replayed.
        """
        with self._lock:
            assert self._deployment is not None  # noqa: S101 - a reset is only found once deployed
            old = self._deployment
            with Session(self.engine) as session:
                journal = list(
                    session.exec(select(RegistryTx).order_by(col(RegistryTx.block_number), col(RegistryTx.log_index)))
                )
            if not journal or journal[0].tx_hash != old.tx_hash:
                raise ChainError("the journal does not start with the registry's deployment: cannot restore it")
            chain = self._connect()
            mined = replay_transactions(chain, [tx.raw for tx in journal], times=[tx.block_time for tx in journal])
            restored = Deployment(
                address=old.address,
                chain_id=chain.chain_id,
                genesis_hash=chain.genesis_hash,
                block_number=mined[0][1],
                tx_hash=old.tx_hash,
                deployer=old.deployer,
                regulator=old.regulator,
                code_hash=old.code_hash,
            )
            check_deployment(chain, restored)
            backup = self.record.with_name(f"{self.record.name}.{old.chain_id}-{old.genesis_hash[:10]}.old")
            if self.record.exists():
                self.record.replace(backup)
            restored.save(self.record)
            with Session(self.engine) as session:
                moved = 0
                for tx, (_, block, block_time) in zip(journal, mined, strict=True):
                    moved += tx.block_time is not None and block_time != tx.block_time
                    tx.block_number, tx.block_time = block, block_time
                    session.add(tx)
                session.commit()
            self._deployment = restored
            self._registry = self._writer = None
            self.mirror = RegistryMirror()
            self._next_block = restored.block_number
            self.restored_at = _now_ms()
            log.warning(
                "registry restored at %s: %s transactions replayed, %s of them at other times than before "
                "(the node started after them: start it with chain.devchain.start_node(genesis_time=...))",
                restored.address,
                len(mined),
                moved,
            )
            if self.on_restored is not None:
                self.on_restored(self)
