"""The auditor: the state kept across events, batches and runs, and the checks that need it.

Feed it the platform's batches (:meth:`Auditor.add_batch`) and the results of the per-event checks
(:meth:`Auditor.add_event`, in any order), then :meth:`Auditor.finish` with the registry mirror as read after the
export. What it keeps, so that memory stays flat in the number of events:

* per root: how many exported events and product master data versions cite it (``root_counts``) and the platform's
  record of its batch (``batches``); the master data versions already checked and counted (they are few: every run
  reads them all, :meth:`Auditor.add_master_data`);
* the events not yet settled (no root on chain yet): id -> (received at, root, hash, organisation);
* the chronology maps (:class:`~supplychain.audit._chronology.Chronology`), per identifier;
* a histogram of events by receipt time (at most :data:`MAX_BUCKETS` buckets), counts per organisation;
* at most ``max_findings_per_code`` findings of each code (every finding is counted);
* the seals of the settled events (:class:`~supplychain.audit._seal.Seals`: 24 bytes per event);
* the newest story link of each identifier seen in this run (:mod:`supplychain.links`; at most
  :data:`MAX_LINK_HEADS` identifiers, about 200 bytes each; not carried to the next run): each event's links must
  name, as the event before them, the identifier's event before it in the export (events come in id order, which
  is the anchoring order), else ``link_wrong``. An event whose record carries no links while earlier ones did
  (the platform commits links from some batch on: migration 0009) is ``link_missing``.

:meth:`Auditor.to_json` / :meth:`Auditor.from_json` carry all of it from one run to the next. A later run reads the
batches only from :attr:`Auditor.resume_batch_after`, but the events from the first again: each record is given to
:meth:`Auditor.served` (its id and :func:`~supplychain.audit._seal.record_print`), which compares what was audited
before with its seal (``audited_event_changed``, ``audited_event_missing``, ``event_inserted_into_audited_range``)
and says which records to check: new ones in full, unsettled ones for their anchoring only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from supplychain.audit._check import Checked
from supplychain.audit._chronology import Chronology
from supplychain.audit._findings import Finding, Severity, event_label, finding, iso_ms, iso_s
from supplychain.audit._proof import ProofChecker
from supplychain.audit._seal import Seals
from supplychain.errors import TraceError
from supplychain.registry import AnchorState, RegistryMirror
from supplychain.verify import master_data_checks

__all__ = ["MAX_BUCKETS", "AuditParameters", "AuditStateError", "Auditor", "BatchRecord"]

MAX_BUCKETS = 2048
MAX_LINK_HEADS = 2_000_000
"""Identifiers whose story-link chain one run follows (beyond, new identifiers' links are checked one by one only,
and the run counts them in ``links_unchained``)."""
STATE_VERSION = 2  # 2: the seals of the settled events


class AuditStateError(TraceError, ValueError):
    """An audit state is not one this version wrote."""


@dataclass(frozen=True)
class AuditParameters:
    """What the audit holds the platform to.

    Attributes:
        deadline_seconds: The anchoring deadline the platform promises in its receipts (its
            ``anchor_deadline_seconds``, 300 by default).
        window_seconds: Two sightings of one serial at different places closer than this are impossible, unless the
            later one is a recorded arrival (:mod:`supplychain.audit._chronology`).
        clock_tolerance_seconds: How far two organisations' clocks may disagree when the order of two sightings is
            judged.
        skew_seconds: How far an event time may run ahead of the chain's clock (the platform's
            ``clock_skew_seconds``, 300 by default), and a receipt time behind it: an event anchored earlier than its
            own time less this is post-dated, an event received later than its anchoring plus this was not received
            then.
        anchorers: The platform's anchoring accounts (lower case); empty: those that anchored the roots it exports.
        max_findings_per_code: Findings of one code kept in detail (all are counted).
    """

    deadline_seconds: int = 300
    window_seconds: int = 60
    clock_tolerance_seconds: int = 5
    skew_seconds: int = 300
    anchorers: frozenset[str] = frozenset()
    max_findings_per_code: int = 1000


@dataclass
class BatchRecord:
    """The platform's record of one batch (``GET /export/batches``)."""

    batch_id: int
    root: str
    leaf_count: int
    status: str
    block: int | None
    tx: str | None
    remade: bool
    sequence: int | None = None  # states written before it was read: unknown

    def to_json(self) -> list[Any]:
        """Compact JSON form."""
        return [self.batch_id, self.root, self.leaf_count, self.status, self.block, self.tx, self.remade, self.sequence]


Entry = tuple[int, str | None, str, str]  # received at (ms), root, event hash, organisation


def _root_bytes(root: str | None) -> bytes | None:
    if root is None or len(root) != 66 or root[:2] != "0x":
        return None
    try:
        return bytes.fromhex(root[2:])
    except ValueError:
        return None


class Auditor:
    """Keeps the audit's state; see the module docstring."""

    def __init__(self, parameters: AuditParameters | None = None) -> None:
        self.parameters = parameters or AuditParameters()
        self.last_event_id = 0
        self.last_batch_id = 0
        self.unsettled: dict[int, Entry] = {}
        self.root_counts: dict[str, int] = {}
        self.batches: dict[str, BatchRecord] = {}
        self.judged_roots: set[str] = set()
        self.chronology = Chronology(
            self.parameters.window_seconds * 1000, self.parameters.clock_tolerance_seconds * 1000
        )
        self.bucket_ms = 60_000
        self.timeline: dict[int, int] = {}
        self.organisations: dict[str, int] = {}
        self.events_total = 0
        self.master_checked: set[int] = set()
        self.master_counted: dict[int, str] = {}
        self.seals = Seals()
        self.links_started = False  # an event's record carried story links (every later one must)
        # this run
        self.link_heads: dict[str, bytes] = {}
        self.links_checked = 0
        self.links_unchained = 0
        self.audited_up_to = 0  # the last event id of the runs before
        self.findings: list[Finding] = []
        self.counts: Counter[str] = Counter()
        self.by_organisation: dict[str, Counter[str]] = {}
        self.events_checked = 0
        self.events_rechecked = 0
        self.batches_read = 0
        self.roots_judged = 0
        self._pending: dict[int, Entry] = {}
        self._proofs: dict[int, bool | None] = {}
        self._seen: set[int] = set()

    # --- cursors ---

    @property
    def resume_batch_after(self) -> int:
        """The export cursor for the batches: before the first batch not yet settled, else after the last one."""
        open_ids = [b.batch_id for b in self.batches.values() if b.root not in self.judged_roots]
        return min(self.last_batch_id, min(open_ids, default=self.last_batch_id + 1) - 1)

    def served(self, event_id: int, print_: bytes) -> str | None:
        """Take one event record as the export serves it now (its id and print; in id order, from the first): compare
        it with its seal if it was audited before. Returns what to do with it: ``"full"`` (not seen before),
        ``"anchoring"`` (seen, not settled: check its anchoring only), or ``None`` (compared, or reported inserted)."""
        verdict, missing = self.seals.served(
            event_id, print_, audited_up_to=self.audited_up_to, unsettled=self.unsettled
        )
        self._report_missing(missing)
        if verdict == "changed":
            message = f"the export's record of event {event_id} is not the one audited before (run with --fresh)"
            self.report(finding("audited_event_changed", None, message, event_id=event_id))
        elif verdict == "inserted":
            message = (
                f"event {event_id} is in the export now, below the last id audited before ({self.audited_up_to}): "
                "stored after the audit (run with --fresh to check it)"
            )
            self.report(finding("event_inserted_into_audited_range", None, message, event_id=event_id))
        if verdict != "unsealed":
            return None
        return "full" if event_id > self.audited_up_to else "anchoring"

    def _report_missing(self, event_ids: list[int]) -> None:
        for event_id in event_ids:
            message = f"event {event_id}, audited before, is no longer in the export"
            self.report(finding("audited_event_missing", None, message, event_id=event_id))

    # --- feeding ---

    def report(self, found: Finding) -> None:
        """Count a finding, and keep it unless its code already has ``max_findings_per_code``."""
        self.counts[found.code] += 1
        if self.counts[found.code] <= self.parameters.max_findings_per_code:
            self.findings.append(found)
        org = found.organisation or "platform"
        self.by_organisation.setdefault(org, Counter())[found.severity.value] += 1

    def add_batch(self, record: Mapping[str, Any]) -> None:
        """Take one record of the platform's batch export (``id``, ``root``, ``leafCount``, ``status``,
        ``blockNumber``, ``txHash``, ``remadeAt``)."""
        try:
            batch = BatchRecord(
                _int(record["id"]),
                _text(record["root"]),
                _int(record["leafCount"]),
                _text(record["status"]),
                _optional_int(record.get("blockNumber")),
                record.get("txHash") if isinstance(record.get("txHash"), str) else None,
                record.get("remadeAt") is not None,
                _optional_int(record.get("sequence")),
            )
        except (KeyError, TypeError) as exc:
            message = f"batch record {record.get('id', '?')!r:.20} of the export cannot be read: {exc}"
            self.report(finding("record_unreadable", None, message))
            return
        self.batches_read += 1
        flags = record.get("unreadable")
        if flags is not None:  # its own storage: the platform's finding; the batch is still read as given
            shown = ", ".join(str(f)[:40] for f in flags[:20]) if isinstance(flags, list) else f"{flags!r:.60}"
            message = (
                f"batch {batch.batch_id}: the platform flags stored columns as unreadable (damaged storage): {shown}"
            )
            self.report(finding("record_unreadable", None, message, batch_root=batch.root))
        known = self.batches.get(batch.root)
        self.batches[batch.root] = batch
        self.last_batch_id = max(self.last_batch_id, batch.batch_id)
        if batch.remade and batch.status == "anchored" and not (known is not None and known.remade):
            message = f"batch {batch.batch_id}: anchor re-made after a dev-chain reset (now in block {batch.block})"
            self.report(finding("anchor_remade", None, message, batch_root=batch.root, block=batch.block, tx=batch.tx))

    def add_event(self, checked: Checked, anchors: Mapping[bytes, AnchorState]) -> None:
        """Take the result of :class:`~supplychain.audit.EventChecker` for one event (anchors: as on chain now)."""
        for found in checked.findings:
            self.report(found)
        event_id = checked.event_id
        if event_id is None:
            return
        self.last_event_id = max(self.last_event_id, event_id)
        if not checked.readable:  # only flagged columns unreadable: the record is still counted and settled
            return
        self._seen.add(event_id)
        previous = self.unsettled.pop(event_id, None)
        if previous is None:
            self.events_checked += 1
            self.events_total += 1
            self.organisations[checked.organisation] = self.organisations.get(checked.organisation, 0) + 1
            self._count_in_timeline(checked.received_at)
            if checked.event_time is not None:
                self._post_dated(checked, event_id, anchors)
                event = (checked.event_time, checked.hash_id, checked.organisation, event_id)
                for found in self.chronology.add(checked.facts, event):
                    self.report(found)
            if checked.root is not None:
                self.root_counts[checked.root] = self.root_counts.get(checked.root, 0) + 1 + checked.link_count
        else:
            self.events_rechecked += 1
            if previous[1] != checked.root:
                if previous[1] is not None:
                    self.root_counts[previous[1]] -= 1
                if checked.root is not None:
                    self.root_counts[checked.root] = self.root_counts.get(checked.root, 0) + 1 + checked.link_count
        if previous is None or previous[1] != checked.root:
            self._follow_links(checked)
        entry = (checked.received_at, checked.root, checked.hash_id, checked.organisation)
        self._settle(event_id, entry, checked.proof_ok, anchors)

    def _follow_links(self, checked: Checked) -> None:
        """Each story link names the identifier's previous event (see the module docstring)."""
        if checked.link_count:
            self.links_started = True
        elif checked.expects_links and self.links_started:
            message = "the event is anchored and names identifiers, but its record carries no story link"
            self.report(finding("link_missing", None, message, event_hash=checked.hash_id, event_id=checked.event_id))
        for identifier, before, digest in checked.links:
            known = self.link_heads.get(identifier)
            if known is None and len(self.link_heads) >= MAX_LINK_HEADS:
                self.links_unchained += 1
                continue
            self.links_checked += 1
            if known is not None and before != known:
                said = "none (the first)" if before is None else f"0x{before.hex()}"
                message = (
                    f"the story link of {identifier:.300} names {said} as the event before it; the export's previous "
                    f"event naming it is 0x{known.hex()}: an event was linked around"
                )
                self.report(finding("link_wrong", None, message, event_hash=checked.hash_id, event_id=checked.event_id))
            self.link_heads[identifier] = digest

    def add_master_data(self, record: Mapping[str, Any], mirror: RegistryMirror) -> None:
        """Take one record of the platform's master data export (``id``, ``signed``, ``root``, ``proof``): check it
        once against the registry (``master_data_invalid``), and count its leaf in its root once (``proof_invalid``
        when its proof does not lead there)."""
        try:
            md_id, signed, root, proof = _int(record["id"]), record["signed"], record.get("root"), record.get("proof")
            if not isinstance(signed, Mapping) or not (root is None or isinstance(root, str)):
                raise TypeError("signed must be an object and root a string or null")
        except (KeyError, TypeError) as exc:
            message = f"master data record {record.get('id', '?')!r:.20} of the export cannot be read: {exc}"
            self.report(finding("record_unreadable", None, message))
            return
        parsed, checks = master_data_checks(signed, mirror)
        org = parsed.organisation_id if parsed is not None else None
        if md_id not in self.master_checked:
            self.master_checked.add(md_id)
            failed = [c.detail for c in checks if c.passed is False]
            if failed:
                message = f"master data {md_id}: " + "; ".join(failed)
                self.report(finding("master_data_invalid", org, message, batch_root=root))
        if root is None or md_id in self.master_counted or parsed is None:
            return
        self.master_counted[md_id] = root
        self.root_counts[root] = self.root_counts.get(root, 0) + 1
        if not ProofChecker().verify(
            _root_bytes(root) or b"", proof if isinstance(proof, list) else [], parsed.document_hash
        ):
            message = f"the proof of master data {md_id} ({parsed.hash_hex}) does not lead to root {root}"
            self.report(finding("proof_invalid", org, message, batch_root=root))

    def _count_in_timeline(self, received_at: int) -> None:
        bucket = received_at // self.bucket_ms
        self.timeline[bucket] = self.timeline.get(bucket, 0) + 1
        if len(self.timeline) > MAX_BUCKETS:  # coarser buckets: the histogram stays small
            self.bucket_ms *= 2
            merged: dict[int, int] = {}
            for old, count in self.timeline.items():
                merged[old // 2] = merged.get(old // 2, 0) + count
            self.timeline = merged

    def _post_dated(self, checked: Checked, event_id: int, anchors: Mapping[bytes, AnchorState]) -> None:
        """An event anchored (so existing) before the time it claims, beyond the clock skew capture allows."""
        anchor = anchors.get(_root_bytes(checked.root) or b"")
        if anchor is None or checked.event_time is None or not checked.proof_ok:
            return
        ahead = checked.event_time // 1000 - anchor.anchored_at
        if ahead > self.parameters.skew_seconds:
            message = (
                f"{event_label(checked.hash_id, event_id)} claims {iso_ms(checked.event_time)}, {ahead} s after its "
                f"anchoring at {iso_s(anchor.anchored_at)} (clock skew allowed: {self.parameters.skew_seconds} s)"
            )
            evidence = {"event_hash": checked.hash_id, "event_id": event_id, "batch_root": checked.root}
            self.report(finding("anchored_before_event_time", checked.organisation, message, **evidence))

    def _settle(self, event_id: int, entry: Entry, proof_ok: bool | None, anchors: Mapping[bytes, AnchorState]) -> bool:
        """Judge an event's anchoring if its root is on chain (``True``), else keep it pending (``False``)."""
        received, root, hash_id, org = entry
        anchor = anchors.get(_root_bytes(root) or b"")
        if anchor is None:
            self._pending[event_id] = entry
            self._proofs[event_id] = proof_ok
            return False
        evidence = {
            "event_hash": hash_id,
            "event_id": event_id,
            "batch_root": root,
            "block": anchor.position.block_number,
            "tx": anchor.position.tx_hash or None,
        }
        allowed = self.parameters.deadline_seconds
        if proof_ok is False:  # None: a proof the platform flags unreadable (record_unreadable), not judged
            message = f"the proof of {event_label(hash_id, event_id)} does not lead to root {root}"
            self.report(finding("proof_invalid", org, message, **evidence))
        elif anchor.anchored_at * 1000 > received + allowed * 1000:
            late = anchor.anchored_at - received // 1000
            message = (
                f"{event_label(hash_id, event_id)} was anchored at {iso_s(anchor.anchored_at)}, {late} s after its "
                f"receipt at {iso_ms(received)} (deadline {allowed} s)"
            )
            self.report(finding("anchored_late", org, message, **evidence))
        if proof_ok and received > (anchor.anchored_at + self.parameters.skew_seconds) * 1000:
            message = (
                f"{event_label(hash_id, event_id)} is recorded as received at {iso_ms(received)}, after its anchoring "
                f"at {iso_s(anchor.anchored_at)}"
            )
            self.report(finding("received_after_anchor", None, message, **evidence))
        return True

    # --- the end of a run ---

    def finish(
        self, mirror: RegistryMirror, *, judged_block: int, now_ms: int, later_roots: Collection[str] = ()
    ) -> None:
        """Judge what needs the whole export and the chain as read after it.

        Args:
            mirror: The registry mirror, read after the export was streamed.
            judged_block: The chain head read *before* the export: roots anchored up to it are judged now (their
                batches and events were all exported); later ones at the next run.
            now_ms: The time of the audit (ms): an event not anchored by its deadline before it is ``not_anchored``.
            later_roots: Roots of the platform's batches newer than the export read (not yet judged).
        """
        anchors = mirror.anchors
        pending, proofs = self._pending, self._proofs
        self._pending, self._proofs = {}, {}
        for event_id, entry in pending.items():
            if not self._settle(event_id, entry, proofs[event_id], anchors):
                self._not_settled(event_id, entry, now_ms, later_roots)
        self._pending, self._proofs = {}, {}
        self._report_missing(self.seals.unserved())
        for event_id in [e for e in self.unsettled if e not in self._seen]:
            _received, _root, hash_id, org = self.unsettled.pop(event_id)  # no longer exported
            message = f"event {event_id} ({hash_id}), audited before and not yet anchored, is no longer in the export"
            self.report(finding("audited_event_missing", org, message, event_id=event_id, event_hash=hash_id))
        self._seen = set()
        self.seals.seal(self.unsettled)
        self._judge_roots(anchors, judged_block, later_roots)
        for batch in self.batches.values():
            root = _root_bytes(batch.root)
            if batch.status == "anchored" and (root is None or root not in anchors):
                message = f"batch {batch.batch_id} is anchored in block {batch.block} by its word, not on chain"
                evidence = {"batch_root": batch.root, "block": batch.block, "tx": batch.tx}
                self.report(finding("batch_not_on_chain", None, message, **evidence))
            elif batch.status == "anchored" and root is not None:
                self._compare_anchor(batch, anchors[root])

    def _compare_anchor(self, batch: BatchRecord, anchor: AnchorState) -> None:
        """The platform's record of an anchored batch against the chain's: what its proof bundles will claim."""
        chain_tx = (anchor.position.tx_hash or "").lower() or None
        wrong = [
            f"{name} {mine if mine is not None else 'missing'} (on chain: {theirs})"
            for name, mine, theirs in (
                ("block", batch.block, anchor.position.block_number),
                ("sequence", batch.sequence, anchor.sequence),
                ("transaction", batch.tx.lower() if batch.tx else None, chain_tx),
            )
            if theirs is not None and mine != theirs and not (name == "sequence" and mine is None)
        ]  # a sequence is unknown in states written before it was read: compared when known
        if wrong:
            message = f"batch {batch.batch_id}: the platform records {', '.join(wrong)}"
            evidence = {"batch_root": batch.root, "block": anchor.position.block_number, "tx": chain_tx}
            self.report(finding("batch_anchor_mismatch", None, message, **evidence))

    def _not_settled(self, event_id: int, entry: Entry, now_ms: int, later_roots: Collection[str]) -> None:
        received, root, hash_id, org = entry
        allowed = self.parameters.deadline_seconds
        batch = self.batches.get(root) if root is not None else None
        evidence = {"event_hash": hash_id, "event_id": event_id, "batch_root": root}
        if root is not None and batch is None and root not in later_roots:
            message = f"{event_label(hash_id, event_id)} cites root {root}, which is not on chain and is no batch"
            self.report(finding("root_not_on_chain", org, message, **evidence))
        elif (batch is None or batch.status != "anchored") and received + allowed * 1000 < now_ms:
            late = (now_ms - received) // 1000
            message = (
                f"{event_label(hash_id, event_id)} is not anchored {late} s after its receipt at {iso_ms(received)} "
                f"(deadline {allowed} s)"
            )
            self.report(finding("not_anchored", org, message, **evidence))
        self.unsettled[event_id] = entry

    def _judge_roots(
        self, anchors: Mapping[bytes, AnchorState], judged_block: int, later_roots: Collection[str]
    ) -> None:
        ours = set(self.parameters.anchorers)
        txs = {b.tx.lower() for b in self.batches.values() if b.tx}  # a swapped root keeps its transaction
        ours |= {
            a.anchorer.lower()
            for r, a in anchors.items()
            if "0x" + r.hex() in self.batches or (a.position.tx_hash or "").lower() in txs
        }
        for root_bytes, anchor in anchors.items():
            root = "0x" + root_bytes.hex()
            if root in self.judged_roots or anchor.position.block_number > judged_block or root in later_roots:
                continue
            position = anchor.position
            evidence = {"batch_root": root, "block": position.block_number, "tx": position.tx_hash or None}
            batch = self.batches.get(root)
            if batch is None:
                if anchor.anchorer.lower() in ours:
                    message = f"root {root} (#{anchor.sequence}, {anchor.leaf_count} leaves) is not in the export"
                    self.report(finding("root_unknown_to_platform", None, message, **evidence))
                else:  # another anchorer's root, or the platform's under an account none of its roots shows
                    self.judged_roots.add(root)
                    message = (
                        f"root {root} (#{anchor.sequence}, {anchor.leaf_count} leaves, anchored at "
                        f"{iso_s(anchor.anchored_at)}) by {anchor.anchorer}, an account none of the exported roots "
                        "shows, is not in the export (if it is the platform's, pass --anchorer to judge it)"
                    )
                    self.report(finding("root_unattributed", None, message, **evidence))
                continue
            self.roots_judged += 1
            self.judged_roots.add(root)
            count = self.root_counts.get(root, 0)
            if count < anchor.leaf_count:
                message = f"root {root} has {anchor.leaf_count} leaves on chain; the export holds {count} of them"
                self.report(finding("leaf_withheld", None, message, **evidence))
            if batch.leaf_count != anchor.leaf_count:
                message = f"batch {batch.batch_id} has {batch.leaf_count} leaves, on chain {anchor.leaf_count}"
                self.report(finding("leaf_count_mismatch", None, message, **evidence))

    # --- results ---

    @property
    def serious(self) -> bool:
        """Whether this run found anything critical or high."""
        return any(by[s.value] for by in self.by_organisation.values() for s in Severity if s.serious)

    def to_json(self) -> dict[str, Any]:
        """Everything a later run needs (see the module docstring)."""
        return {
            "version": STATE_VERSION,
            "lastEventId": self.last_event_id,
            "lastBatchId": self.last_batch_id,
            "unsettled": [[k, *v] for k, v in self.unsettled.items()],
            "rootCounts": self.root_counts,
            "batches": [b.to_json() for b in self.batches.values()],
            "judgedRoots": sorted(self.judged_roots),
            "chronology": self.chronology.to_json(),
            "bucketMs": self.bucket_ms,
            "timeline": [[k, v] for k, v in self.timeline.items()],
            "organisations": self.organisations,
            "eventsTotal": self.events_total,
            "masterChecked": sorted(self.master_checked),
            "masterCounted": {str(k): v for k, v in self.master_counted.items()},
            "seals": self.seals.to_json(),
            "linksStarted": self.links_started,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], parameters: AuditParameters | None = None) -> Auditor:
        """Continue from a state :meth:`to_json` wrote.

        Raises:
            AuditStateError: ``data`` is not such a state.
        """
        auditor = cls(parameters)
        try:
            if data["version"] != STATE_VERSION:
                raise AuditStateError(f"audit state version {data['version']!r}, expected {STATE_VERSION}")
            auditor.last_event_id = auditor.audited_up_to = int(data["lastEventId"])
            auditor.last_batch_id = int(data["lastBatchId"])
            auditor.unsettled = {int(k): (int(r), root, h, o) for k, r, root, h, o in data["unsettled"]}
            auditor.root_counts = {str(k): int(v) for k, v in data["rootCounts"].items()}
            for raw in data["batches"]:
                batch = BatchRecord(*raw)
                auditor.batches[batch.root] = batch
            auditor.judged_roots = {str(r) for r in data["judgedRoots"]}
            auditor.chronology = Chronology.from_json(data["chronology"])
            auditor.chronology.window_ms = auditor.parameters.window_seconds * 1000
            auditor.chronology.tolerance_ms = auditor.parameters.clock_tolerance_seconds * 1000
            auditor.bucket_ms = int(data["bucketMs"])
            auditor.timeline = {int(k): int(v) for k, v in data["timeline"]}
            auditor.organisations = {str(k): int(v) for k, v in data["organisations"].items()}
            auditor.events_total = int(data["eventsTotal"])
            auditor.master_checked = {int(i) for i in data.get("masterChecked", [])}  # states before master data: none
            auditor.master_counted = {int(k): str(v) for k, v in data.get("masterCounted", {}).items()}
            auditor.seals = Seals.from_json(data["seals"])
            auditor.links_started = bool(data.get("linksStarted", False))  # states before story links: not yet
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, AuditStateError):
                raise
            raise AuditStateError(f"not an audit state of this version: {type(exc).__name__}: {exc}") from None
        return auditor


def _int(value: object) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {value!r:.40}")
    return value


def _optional_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r:.40}")
    return value
