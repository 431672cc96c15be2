"""The anchoring worker: pending events → one Merkle root → one transaction; crash-safe and exactly-once.

Every ``batch_max_events`` pending events, or every ``batch_interval_seconds`` when fewer are pending, the worker:

1. builds the Merkle tree (OpenZeppelin StandardMerkleTree over the events' SHA-256 digests, and the document hashes
   of pending product master data, :mod:`backend.services.masterdata`: one batch holds both, at most
   ``batch_max_events`` of them, master data first; then one *story link* per event and identifier it names,
   :mod:`supplychain.links`, chained from the identifier's newest link, at most :data:`MAX_BATCH_LEAVES` leaves in
   all but always the first pending event) and, in one database transaction, writes the batch (``prepared``), each
   event's and master data version's batch, leaf index and proof, and the links with their proofs (``event_link``);
2. signs the ``anchorRoot`` transaction and writes its bytes and hash (``sent``) *before* handing them to the node;
3. waits for the receipt and writes the anchor (sequence, block, block time: ``anchored``).

After a crash or a stopped node, unfinished batches are reconciled first: a ``prepared`` batch is signed and sent; a
``sent`` batch is looked up by its transaction, and if the node never got it the *same bytes* are sent again. The
registry refuses a root anchored twice, and the worker asks ``isAnchored(root)`` before signing anything new for a
batch, so nothing is anchored twice and nothing is lost. Capture never waits for the chain.

**One anchorer among several hosts.** Every host may run a worker; only the holder of the ``anchorer`` lease
(:mod:`backend.services.lease`, one holder per process: :attr:`Platform.anchor_lease`) anchors. A cycle starts by
taking or renewing the lease, and every write of the cycle (prepare, sent, anchored) runs :meth:`Lease.fence` first in
its own transaction: the fence takes the lease row's lock, so the holders' write transactions are serialised, and a
worker whose lease passed to another (it paused past the expiry, its database link stalled) has its write rolled back
(:class:`LeaseLostError`) and stops the cycle. A transaction is only handed to the node after the fenced write that
records it, so a stale worker never sends what is not recorded. A heartbeat thread renews the lease every third of its
time (``anchor_lease_seconds``) while a cycle waits for the chain. A new holder (a new epoch) forgets its cached nonce
and starts with the unfinished batches: the one its predecessor prepared or sent, whose recorded signed bytes it sends
again (same nonce, same hash) or finds already anchored.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import Session, col, select

from backend.models import Batch, Event, EventIdentifier, EventLink, MasterData, RegistryTx, table_of
from backend.services.lease import LeaseLostError
from backend.services.platform import Platform, now_ms
from chain.errors import ChainConnectionError, ChainError, FeeCeilingError, TransactionTimeoutError
from chain.registry import ANCHOR_GAS
from chain.tx import PendingTransaction
from supplychain.links import ItemLink, LinkChain
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import events as ev

__all__ = ["MAX_BATCH_LEAVES", "AnchoringWorker", "story_links", "write_links"]

log = logging.getLogger(__name__)

MAX_BATCH_LEAVES = 250_000
"""Leaves of one batch (events, master data and story links) beyond which the next pending event waits for the next
batch; the first pending event always goes (one naming 100,000 EPCs makes a batch of 100,001 leaves and more)."""
_DROP_CHECK_SECONDS = 1.0  # how often a pending anchor is looked for in the node's pool (dropped: sent again)
_CHUNK = 500  # identifiers per IN (...) query: well under every database's parameter limit
_EI = table_of(EventIdentifier)
_EL = table_of(EventLink)
_EV = table_of(Event)


class AnchoringWorker:
    """Anchors pending events in batches; :meth:`run_once` does one step, :meth:`start` loops in a thread."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.max_events = platform.settings.batch_max_events
        self.interval_ms = int(platform.settings.batch_interval_seconds * 1000)
        self.lease = platform.anchor_lease
        self._epoch: int | None = None  # the lease epoch this worker last anchored under
        self._tip: tuple[int, str, tuple[int | None, ...]] | None = None  # the chain's tip at the last count
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat: threading.Thread | None = None
        self.last_error: str | None = None

    # --- the loop ---

    def start(self) -> None:
        """Run in a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._loop, name="anchoring-worker", daemon=True)
        self._thread.start()
        self._heartbeat = threading.Thread(target=self._renew, name="anchoring-lease", daemon=True)
        self._heartbeat.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end, wait for it, and release the lease (another host's worker takes over at once)."""
        self._stop.set()
        for thread in (self._thread, self._heartbeat):
            if thread is not None:
                thread.join(timeout)
        if self._thread is None or not self._thread.is_alive():
            try:
                self.lease.release()
            except Exception as exc:  # the database is gone: the lease runs out by itself
                log.warning("the anchoring lease was not released (%s): it runs out by itself", exc)

    def _renew(self) -> None:
        """Keep the lease while a cycle waits for the chain (a receipt may take longer than the lease lasts)."""
        every = self.lease.ttl_ms / 3000
        while not self._stop.wait(every):
            if self.lease.held:
                try:
                    if not self.lease.renew():
                        log.warning("the anchoring lease passed to another holder")
                except Exception as exc:  # the next fence tells whether the lease is still ours
                    log.warning("the anchoring lease was not renewed: %s", exc)

    def hold(self) -> bool:
        """Take or renew the anchoring lease; whether this worker may anchor now. A new epoch (taken over from
        another holder, or after losing it) forgets the cached nonce: the predecessor may have used nonces since."""
        if not self.lease.acquire():
            if self._epoch is not None:
                log.info("another host holds the anchoring lease: standing by")
            self._epoch = None
            return False
        if self.lease.epoch != self._epoch:
            log.info("took the anchoring lease as %s (epoch %s)", self.lease.holder, self.lease.epoch)
            self._epoch = self.lease.epoch
            self.platform.registry.writer.tx.resync_nonce()
        return True

    def _fence(self, session: Session) -> None:
        """First statement of each write transaction of a cycle: still this worker's lease, at the cycle's epoch."""
        if self.lease.epoch != self._epoch:
            raise LeaseLostError(f"{self.lease.holder} lost the anchoring lease (epoch {self._epoch})")
        self.lease.fence(session)

    def _loop(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                anchored = self.run_once()
                self.last_error = None
                backoff = 0.5
            except LeaseLostError as exc:  # nothing of the cycle was written past the loss: stand by
                log.warning("anchoring cycle stopped: %s", exc)
                self._epoch = None
                continue
            except (ChainConnectionError, TransactionTimeoutError) as exc:
                self.last_error = str(exc)
                self.platform.metrics.chain_errors.labels(type(exc).__name__).inc()
                log.warning("anchoring waits for the chain (retry in %.1f s): %s", backoff, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            except Exception as exc:
                self.last_error = str(exc)
                self.platform.metrics.chain_errors.labels(type(exc).__name__).inc()
                log.exception("anchoring failed; retrying in %.1f s", backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not anchored:
                self._stop.wait(min(self.interval_ms / 4000, 0.25))

    # --- one step ---

    def run_once(self, *, force: bool = False) -> int:
        """Finish unfinished batches, then anchor one new batch if one is due (``force``: whatever is pending).

        Returns:
            How many events were anchored by this call (0 when another host holds the anchoring lease).

        Raises:
            LeaseLostError: the lease passed to another holder during the cycle; what was being written is rolled back.
        """
        if not self.hold():
            return 0
        self.platform.registry.refresh()  # also notices a reset dev chain and restores the registry first
        self.confirm()
        done = self.recover()
        batch = self._prepare(force=force)
        if batch is not None:
            done += self._finish(batch)
        return done

    def recover(self) -> int:
        """Reconcile every ``prepared`` or ``sent`` batch with the chain; returns the events they anchored (0 when
        another host holds the lease)."""
        if not self.hold():
            return 0
        with self.platform.session() as session:
            query = select(Batch).where(col(Batch.status).in_(("prepared", "sent"))).order_by(col(Batch.id))
            unfinished = list(session.exec(query).all())
        return sum(self._finish(batch) for batch in unfinished)

    def _prepare(self, *, force: bool) -> Batch | None:
        with self.platform.session() as session:
            self._fence(session)  # first: holders' prepares are serialised, and this one reads what the last wrote
            masters = session.exec(
                select(col(MasterData.id), col(MasterData.document_hash), col(MasterData.received_at))
                .where(col(MasterData.batch_id).is_(None))
                .order_by(col(MasterData.id))
                .limit(self.max_events)
            ).all()
            pending = session.exec(
                select(col(Event.id), col(Event.hash_id), col(Event.received_at), col(Event.identifier_count))
                .where(col(Event.batch_id).is_(None))
                .order_by(col(Event.id))
                .limit(self.max_events - len(masters))
            ).all()
            rows, cut = _within_budget(pending, MAX_BATCH_LEAVES - len(masters))
            if not rows and not masters:
                return None
            oldest = min([received for _, _, received, _ in rows] + [received for _, _, received in masters])
            full = len(rows) + len(masters) >= self.max_events or cut
            if not force and not full and now_ms() - oldest < self.interval_ms:
                return None
            events = {row_id: hash_id_to_bytes32(hash_id) for row_id, hash_id, _, _ in rows if row_id is not None}
            documents = {md_id: bytes.fromhex(digest[2:]) for md_id, digest, _ in masters}
            links = story_links(session, events)
            tree = MerkleTree.build([*events.values(), *documents.values(), *(link.value for _, link in links)])
            batch = Batch(
                root="0x" + tree.root.hex(),
                leaf_count=len(tree),
                status="prepared",
                created_at=now_ms(),
                chain_id=self.platform.registry.chain_id,
            )
            session.add(batch)
            session.flush()
            for model, values in ((Event, events), (MasterData, documents)):
                if not values:
                    continue
                table = table_of(model)
                session.connection().execute(
                    update(table)
                    .where(table.c.id == bindparam("_id"))
                    .values(
                        batch_id=bindparam("batch_id"), leaf_index=bindparam("leaf_index"), proof=bindparam("proof")
                    ),
                    [
                        {
                            "_id": row_id,
                            "batch_id": batch.id,
                            "leaf_index": tree.tree_index(value),
                            "proof": json.dumps(["0x" + p.hex() for p in tree.proof(value)]),
                        }
                        for row_id, value in values.items()
                    ],
                )
            write_links(session, links, events, batch_id=batch.id or 0, tree=tree, first=len(events) + len(documents))
            session.commit()
            session.refresh(batch)
            log.info(
                "prepared batch %s: %s events, %s master data, %s links, root %s",
                batch.id, len(rows), len(masters), len(links), batch.root,
            )  # fmt: skip
            return batch

    def _finish(self, batch: Batch) -> int:
        writer = self.platform.registry.writer
        root = bytes.fromhex(batch.root[2:])
        if batch.status == "sent" and batch.raw_tx is not None and batch.tx_hash is not None:
            versions = _versions(batch)
            if self._is_anchored(root):
                return self._record_anchor(batch, root, versions)
            try:
                writer.tx.broadcast(versions[-1])  # the same bytes: a no-op when the node already has them
            except ChainError as exc:
                if self._is_anchored(root):
                    return self._record_anchor(batch, root, versions)
                # The node refused the bytes (their nonce was used by another transaction): sign anew.
                log.warning("batch %s: the node refused its transaction (%s); signing a new one", batch.id, exc)
                self._set(batch, status="prepared", tx_hash=None, raw_tx=None, nonce=None, earlier_txs=None)
                return self._finish(batch)
            return self._await(batch, root, versions)
        if self._is_anchored(root):  # anchored by an earlier run whose record was lost
            return self._record_anchor(batch, root, [])
        data = writer.registry.encode("anchorRoot", root, batch.leaf_count)
        pending = writer.tx.sign(writer.registry.address, data, gas=ANCHOR_GAS, action="anchorRoot")
        try:
            self._set(
                batch,
                status="sent",
                tx_hash=pending.tx_hash,
                raw_tx=pending.raw,
                nonce=pending.nonce,
                sent_at=now_ms(),
                earlier_txs=None,
            )
        except BaseException:  # not recorded, so never sent: its nonce is free again
            writer.tx.resync_nonce()
            raise
        writer.tx.broadcast(pending)
        return self._await(batch, root, [pending])

    def _await(self, batch: Batch, root: bytes, versions: list[PendingTransaction]) -> int:
        """Wait for any version of the batch's transaction; while none is mined, send it again if the node dropped
        it, and replace it at the same nonce with higher fees each ``fee_bump_seconds`` (under the ceiling).

        Raises:
            TransactionTimeoutError: nothing mined within the transactor's receipt timeout; the next cycle goes on
                (the batch stays ``sent``, its versions and the time it was last sent recorded).
        """
        tx = self.platform.registry.writer.tx
        settings = self.platform.settings
        bump_ms = int(settings.fee_bump_seconds * 1000)
        deadline = time.monotonic() + tx.receipt_timeout
        while True:
            sent_at = batch.sent_at if batch.sent_at is not None else now_ms()
            until_bump = (sent_at + bump_ms - now_ms()) / 1000
            slice_s = max(0.05, min(deadline - time.monotonic(), until_bump, _DROP_CHECK_SECONDS))
            try:
                receipt = tx.wait_any(versions, timeout=slice_s)
                break
            except TransactionTimeoutError:
                if time.monotonic() >= deadline:
                    raise
            if self._stop.is_set():
                raise TransactionTimeoutError(f"batch {batch.id}: stopping while its anchor is pending")
            newest = versions[-1]
            due = now_ms() - sent_at >= bump_ms
            if tx.dropped(newest):  # evicted from the pool, or the node restarted: the same bytes again
                log.warning("batch %s: the node dropped %s; sending it again", batch.id, newest.tx_hash)
                try:
                    tx.broadcast(newest)
                    continue
                except ChainError as exc:  # refused as priced (below the base fee now): a replacement is due
                    log.warning("batch %s: the node refused it again (%s); replacing it", batch.id, exc)
                    due = True
            if not due:
                continue
            try:
                bumped = tx.replacement(newest, ceiling_wei=int(settings.fee_ceiling_gwei * 10**9))
            except FeeCeilingError as exc:
                log.warning("batch %s: %s; waiting at the ceiling", batch.id, exc)
                self._set(batch, sent_at=now_ms())  # tried now: the next try after another fee_bump_seconds
                continue
            self._set(
                batch,
                tx_hash=bumped.tx_hash,
                raw_tx=bumped.raw,
                sent_at=now_ms(),
                earlier_txs=json.dumps([{"txHash": v.tx_hash, "raw": "0x" + v.raw.hex()} for v in versions]),
            )
            tx.broadcast(bumped)
            self.platform.metrics.chain_errors.labels("FeeBumped").inc()
            versions = [*versions, bumped]
        mined = next(v for v in versions if v.tx_hash == receipt.tx_hash)
        logs = self.platform.registry.registry.decode_logs(receipt.logs)
        anchored = [e for e in logs if isinstance(e, ev.RootAnchored)]
        if not anchored:  # pragma: no cover - a mined anchorRoot always emits RootAnchored
            return self._record_anchor(batch, root, versions)
        event = anchored[0]
        return self._complete(
            batch,
            event.sequence,
            event.position.block_number,
            event.timestamp,
            mined=mined,
            block_hash=receipt.block_hash,
        )

    def _is_anchored(self, root: bytes) -> bool:
        return self.platform.registry.registry.is_anchored(root)

    def _record_anchor(self, batch: Batch, root: bytes, versions: list[PendingTransaction]) -> int:
        """Record the anchor the registry holds for ``root`` (its transaction: the version of ours the chain holds)."""
        registry = self.platform.registry.registry
        info = registry.anchor_of(root)
        tx_hash = mined = None
        for event in registry.history(from_block=info.block_number, to_block=info.block_number):
            if isinstance(event, ev.RootAnchored) and event.root == root:
                tx_hash = event.position.tx_hash
                mined = next((v for v in versions if v.tx_hash == tx_hash), None)
        block_hash = registry.chain.block_hash(info.block_number)
        return self._complete(
            batch,
            info.sequence,
            info.block_number,
            info.anchored_at,
            mined=mined,
            block_hash=block_hash,
            tx_hash=tx_hash,
        )

    def _complete(
        self,
        batch: Batch,
        sequence: int,
        block: int,
        block_time: int,
        *,
        mined: PendingTransaction | None,
        block_hash: str | None,
        tx_hash: str | None = None,
    ) -> int:
        """Record the anchor: ``mined`` is the version of our transaction the chain holds (journaled with its bytes),
        else ``tx_hash`` the chain's transaction of it (anchored by an earlier run whose record was lost)."""
        final = self.platform.settings.confirmations <= 1  # the receipt is the first confirmation
        values: dict[str, object] = {
            "status": "anchored",
            "sequence": sequence,
            "block_number": block,
            "block_time": block_time,
            "block_hash": block_hash,
            "anchored_at": now_ms(),
            "tx_hash": tx_hash if mined is None else mined.tx_hash,
            "confirmations": 1,
            "final_at": now_ms() if final else None,
        }
        if mined is not None:
            values["raw_tx"] = mined.raw
        with self.platform.session() as session:
            self._fence(session)
            oldest = session.exec(select(func.min(Event.received_at)).where(col(Event.batch_id) == batch.id)).one()
            links = session.exec(select(func.count()).select_from(EventLink).where(col(EventLink.batch_id) == batch.id))
            anchored = batch.leaf_count - links.one()  # events and master data: links are not counted
            if mined is not None:
                # journaled now, not at the next refresh: a dev chain reset right after must not lose it
                journaled = session.get(RegistryTx, mined.tx_hash)
                if journaled is None:
                    session.add(
                        RegistryTx(
                            tx_hash=mined.tx_hash,
                            block_number=block,
                            log_index=0,
                            raw=mined.raw,
                            recorded_at=now_ms(),
                            block_time=block_time,
                        )
                    )
                else:  # mined again after a reorg: its new place
                    journaled.block_number, journaled.block_time = block, block_time
                    session.add(journaled)
                session.flush()
            session.execute(update(table_of(Batch)).where(table_of(Batch).c.id == batch.id).values(**values))
            session.commit()
        for key, value in values.items():
            setattr(batch, key, value)
        metrics = self.platform.metrics
        metrics.anchored.inc(anchored)
        metrics.batches.inc()
        if oldest is not None:
            metrics.anchor_latency.observe(max(0, now_ms() - oldest) / 1000)
        log.info("anchored batch %s (%s records) as #%s in block %s", batch.id, anchored, sequence, block)
        return anchored

    # --- confirmations and reorgs ---

    def confirm(self) -> int:
        """Count the confirmations of anchored batches not final yet; mark those with ``confirmations`` final, and
        put back to ``sent`` (or ``prepared``) each whose block is no longer the chain's (a reorg), for
        :meth:`recover` to anchor again. Returns how many batches a reorg took back."""
        with self.platform.session() as session:
            query = (
                select(Batch)
                .where(col(Batch.status) == "anchored", col(Batch.final_at).is_(None))
                .order_by(col(Batch.id))
            )
            open_ = list(session.exec(query).all())
        if not open_:
            return 0
        chain = self.platform.registry.registry.chain
        tip = (*chain.tip(), tuple(b.id for b in open_))
        if tip == self._tip:
            return 0  # no new block (nor a reorg: it changes the tip's hash) since the last count
        head = tip[0]
        needed = self.platform.settings.confirmations
        reorged = 0
        for batch in open_:
            found = None if batch.block_number is None else chain.block_hash(batch.block_number)
            if found is None or found != batch.block_hash:
                self._reorged(batch)
                reorged += 1
                continue
            depth = head - (batch.block_number or 0) + 1
            if depth >= needed:
                self._set(batch, confirmations=depth, final_at=now_ms())
                log.info("batch %s is final (%s confirmations)", batch.id, depth)
            elif depth != batch.confirmations:
                self._set(batch, confirmations=depth)
        self._tip = None if reorged else tip
        return reorged

    def _reorged(self, batch: Batch) -> None:
        """The block of ``batch``'s anchor is no longer the chain's: forget the anchor and its journal entry, and
        let :meth:`recover` send the same signed bytes again (or sign anew if their nonce went to another)."""
        log.warning(
            "batch %s: block %s (%s) holding its anchor was reorganised away; anchoring it again",
            batch.id, batch.block_number, batch.block_hash,
        )  # fmt: skip
        with self.platform.session() as session:
            self._fence(session)
            if batch.tx_hash is not None:
                journaled = session.get(RegistryTx, batch.tx_hash)
                if journaled is not None:
                    session.delete(journaled)
                    session.flush()
            values = {
                "status": "sent" if batch.raw_tx is not None and batch.tx_hash is not None else "prepared",
                "sequence": None,
                "block_number": None,
                "block_time": None,
                "block_hash": None,
                "anchored_at": None,
                "confirmations": None,
                "sent_at": now_ms(),
                "reorgs": batch.reorgs + 1,
            }
            session.execute(update(table_of(Batch)).where(table_of(Batch).c.id == batch.id).values(**values))
            session.commit()
        for key, value in values.items():
            setattr(batch, key, value)
        self.platform.registry.writer.tx.resync_nonce()  # the reorg may have taken our later nonces back too
        self.platform.metrics.chain_errors.labels("Reorg").inc()

    def _set(self, batch: Batch, **values: object) -> None:
        with Session(self.platform.engine) as session:
            self._fence(session)
            session.execute(update(table_of(Batch)).where(table_of(Batch).c.id == batch.id).values(**values))
            session.commit()
        for key, value in values.items():
            setattr(batch, key, value)


def _versions(batch: Batch) -> list[PendingTransaction]:
    """The versions of a ``sent`` batch's transaction, oldest first: those replaced with higher fees, then the one
    sent last (any of them may be the one mined)."""
    earlier = json.loads(batch.earlier_txs) if batch.earlier_txs else []
    raws = [bytes.fromhex(v["raw"][2:]) for v in earlier] + [batch.raw_tx or b""]
    return [PendingTransaction.from_raw(raw, "anchorRoot") for raw in raws]


_Pending = tuple[int | None, str, int, int | None]  # id, hash_id, received_at, identifier_count


def _within_budget(pending: Sequence[_Pending], budget: int) -> tuple[list[_Pending], bool]:
    """The first pending events whose leaves (one each, plus one link per identifier, ``identifier_count``) fit in
    ``budget``, at least one; and whether some were left for the next batch."""
    taken: list[_Pending] = []
    used = 0
    for row in pending:
        size = 1 + (row[3] or 0)  # identifier_count: NULL for events stored before 0008 (few)
        if taken and used + size > budget:
            return taken, True
        taken.append(row)
        used += size
    return taken, False


def story_links(session: Session, events: dict[int, bytes]) -> list[tuple[int | None, ItemLink]]:
    """The story links of these events (row id -> digest, in batch order), each with its previous event's row id:
    one per identifier an event names (its ``event_identifier`` rows but lots, as
    :func:`supplychain.links.item_identifiers` gives them), chained from each identifier's newest stored link."""
    if not events:
        return []
    ids = list(events)
    named: dict[int, list[str]] = {}
    for event_id, identifier in session.connection().execute(
        select(_EI.c.event_id, _EI.c.identifier)
        .where(_EI.c.event_id.between(min(ids), max(ids)), _EI.c.role != "lot")
        .order_by(_EI.c.event_id, _EI.c.identifier)
    ):
        if event_id in events:
            named.setdefault(event_id, []).append(identifier)
    identifiers = sorted({i for found in named.values() for i in found})
    last: dict[str, tuple[int, bytes]] = {}
    for start in range(0, len(identifiers), _CHUNK):
        chunk = identifiers[start : start + _CHUNK]
        newest = (
            select(func.max(_EL.c.id)).where(_EL.c.identifier.in_(chunk)).group_by(_EL.c.identifier).scalar_subquery()
        )
        query = (
            select(_EL.c.identifier, _EV.c.id, _EV.c.hash_id)
            .join(_EV, _EV.c.id == _EL.c.event_id)
            .where(_EL.c.id.in_(newest))
        )
        for identifier, event_id, hash_id in session.connection().execute(query):
            last[identifier] = (event_id, hash_id_to_bytes32(hash_id))
    chain = LinkChain({i: digest for i, (_, digest) in last.items()})
    row_of = {digest: event_id for event_id, digest in events.items()} | {d: e for e, d in last.values()}
    out: list[tuple[int | None, ItemLink]] = []
    for event_id, digest in events.items():
        for link in chain.add(digest, dict.fromkeys(named.get(event_id, ()))):
            out.append((None if link.previous is None else row_of[link.previous], link))
    return out


def write_links(
    session: Session,
    links: Sequence[tuple[int | None, ItemLink]],
    events: dict[int, bytes],
    *,
    batch_id: int,
    tree: MerkleTree,
    first: int,
) -> None:
    """Store the links of a batch (its tree holds them from value index ``first`` on, in order), with their proofs,
    in the caller's transaction."""
    if not links:
        return
    by_digest = {digest: event_id for event_id, digest in events.items()}
    session.connection().execute(
        insert(_EL),
        [
            {
                "identifier": link.identifier,
                "event_id": by_digest[link.digest],
                "previous_event_id": previous_id,
                "batch_id": batch_id,
                "value": "0x" + link.value.hex(),
                "proof": b"".join(tree.proof(first + i)),
            }
            for i, (previous_id, link) in enumerate(links)
        ],
    )
