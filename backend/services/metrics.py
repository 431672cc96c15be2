"""Prometheus metrics of the platform: captured, pending, anchored, anchor latency, chain errors, damaged records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from backend.services.anchoring_state import AnchoringState
    from backend.services.damage import Damaged

__all__ = ["Metrics"]


class Metrics:
    """One set of metrics per platform (its own registry, so several platforms can live in one process)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.captured = Counter(
            "supplychain_events_captured", "Events received at /capture, by outcome", ["status"], registry=registry
        )
        self.anchored = Counter("supplychain_events_anchored", "Events anchored on chain", registry=registry)
        self.batches = Counter("supplychain_batches_anchored", "Merkle batches anchored on chain", registry=registry)
        self.pending = Gauge("supplychain_events_pending", "Events stored but not yet in a batch", registry=registry)
        self.chain_errors = Counter(
            "supplychain_chain_errors", "Failures talking to the chain, by kind", ["kind"], registry=registry
        )
        self.anchor_latency = Histogram(
            "supplychain_anchor_latency_seconds",
            "From the receipt of a batch's oldest event to its anchor being recorded",
            buckets=(0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300),
            registry=registry,
        )
        self.oldest_pending = Gauge(
            "supplychain_oldest_pending_event_age_seconds",
            "Age of the oldest event not yet in a batch (0 when none is pending)",
            registry=registry,
        )
        self.in_flight = Gauge(
            "supplychain_batches_in_flight", "Batches prepared or sent but not yet anchored", registry=registry
        )
        self.lease_epoch = Gauge(
            "supplychain_anchoring_lease_epoch",
            "Epoch of the anchoring lease (rises at each hand-over between hosts; 0 before any)",
            registry=registry,
        )
        self.lease_live = Gauge(
            "supplychain_anchoring_lease_live", "1 while some host holds the anchoring lease", registry=registry
        )
        self.not_final = Gauge(
            "supplychain_batches_not_final",
            "Anchored batches whose block has fewer confirmations than the confirmations setting (a reorg may drop "
            "them; the worker then anchors them again)",
            registry=registry,
        )
        self.least_confirmations = Gauge(
            "supplychain_anchor_least_confirmations",
            "Fewest confirmations among anchored batches not final yet (0 when all are final)",
            registry=registry,
        )
        self.pending_tx_age = Gauge(
            "supplychain_pending_anchor_tx_age_seconds",
            "Seconds since the oldest in-flight anchoring transaction was last sent or replaced (0 when none)",
            registry=registry,
        )
        self.damaged = Counter(
            "supplychain_damaged_records",
            "Stored records met that could not be read (each counted once per process), by table and column",
            ["table", "column"],
            registry=registry,
        )

    def set_anchoring(self, state: AnchoringState) -> None:
        """Set the anchoring gauges from the database's state (read at scrape time)."""
        self.pending.set(state.pending_events)
        self.oldest_pending.set(state.oldest_pending_age_s or 0)
        self.in_flight.set(state.unfinished_count)
        self.lease_epoch.set(state.lease.epoch if state.lease else 0)
        self.lease_live.set(1 if state.lease and state.lease.live else 0)
        self.not_final.set(state.not_final)
        self.least_confirmations.set(state.least_confirmations or 0)
        sent = [b["sentSecondsAgo"] for b in state.unfinished if b["sentSecondsAgo"] is not None]
        self.pending_tx_age.set(max(sent, default=0))

    def count_damaged(self, record: Damaged) -> None:
        """Count a damaged record met for the first time (:class:`backend.services.damage.DamageLog`)."""
        self.damaged.labels(record.table, record.column).inc()
