"""The regulator's audit: the platform's records checked against the chain, without trusting the platform.

Pure (no I/O): a runner (``backend.audit``) reads the registry's history from the chain into a
:class:`~supplychain.registry.RegistryMirror` and streams the platform's export; this package checks.

* :class:`EventChecker` checks one stored event on its own: its Event Hash ID recomputed from the stored document
  (``hash_mismatch``), its Ed25519 signature (``bad_signature``), its key as registered on chain
  (``key_not_registered``, ``key_not_valid_at_event_time``), its bizStep against its organisation's roles at the
  event time (``biz_step_not_allowed``), the recognition its signed document cites (``green_claim_while_lapsed``,
  ``green_claim_unfounded``: read from ``sc:recognition``, judged by the registry's history at the event time), the
  platform's record against the document and the chain (``column_mismatch``: the indexed columns as
  :func:`supplychain.epcis.columns.indexed_columns` derives them, the recognition and its status), its Merkle proof;
  it returns a small :class:`Checked`. Independent from one event to the next: chunks of events may be checked in
  parallel.
* :class:`Auditor` keeps what spans events and runs: anchoring against the promised deadline (``anchored_late``,
  ``not_anchored``, ``proof_invalid``, ``root_not_on_chain``), every anchored root's leaves against the export
  (``leaf_withheld``, ``leaf_count_mismatch``, ``root_unknown_to_platform``, ``root_unattributed``), the platform's
  batches against the chain (``batch_not_on_chain``, ``anchor_remade``), and chronology
  (``chronology_shipped_before_produced``, ``chronology_sold_before_received``, ``chronology_two_places_at_once``).
  Its state is JSON, so the next run goes on from where this one stopped; it keeps a seal of every settled event's
  record (:class:`Seals`), so that the next run proves cheaply that everything audited before is still served
  unchanged (``audited_event_changed``, ``audited_event_missing``, ``event_inserted_into_audited_range``).
* :func:`spot_check_sample` draws recognitions for spot checks from a published seed.

Every :class:`Finding` has a stable code (:data:`CODES`), a :class:`Severity`, the organisation and the evidence
(event hash, batch root, block, transaction, item); its message names the event by the short form of its Event Hash
ID (:func:`event_label`, as the scanner does) and times in ISO 8601 (:func:`iso_ms`). A clean history gives no
findings.
"""

from supplychain.audit._auditor import MAX_BUCKETS, Auditor, AuditParameters, AuditStateError, BatchRecord
from supplychain.audit._check import Checked, EventChecker
from supplychain.audit._chronology import Chronology
from supplychain.audit._facts import event_facts, identifier_key
from supplychain.audit._findings import CODES, Finding, Severity, event_label, finding, iso_ms, iso_s
from supplychain.audit._history import HistoryFormatError, history_from_json, history_to_json
from supplychain.audit._proof import ProofChecker
from supplychain.audit._sample import spot_check_sample
from supplychain.audit._seal import Seals, record_print

__all__ = [
    "CODES",
    "MAX_BUCKETS",
    "AuditParameters",
    "AuditStateError",
    "Auditor",
    "BatchRecord",
    "Checked",
    "Chronology",
    "EventChecker",
    "Finding",
    "HistoryFormatError",
    "ProofChecker",
    "Seals",
    "Severity",
    "event_facts",
    "event_label",
    "finding",
    "history_from_json",
    "history_to_json",
    "identifier_key",
    "iso_ms",
    "iso_s",
    "record_print",
    "spot_check_sample",
]
