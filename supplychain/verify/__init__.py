"""Independent verification of a product's proof bundle against the chain: one pure function, no I/O.

The scanner and the regulator's audit fetch a :class:`ProofBundle` from the platform and replay the registry
from the chain into a :class:`~supplychain.registry.RegistryMirror`; :func:`verify_bundle` then checks every
event (hash, signature, key, roles, Merkle proof, anchor, chronology) and returns a :class:`Verdict` whose
checks carry stable codes (:data:`FAILURE_CODES`). Nothing the platform says is trusted: keys, roles,
recognitions and anchors come from the mirror; the bundle only says where to look.

Proof bundle (JSON), version 2
------------------------------
::

    {
      "type": "SupplychainProofBundle",
      "version": 2,
      "chainId": 31337,
      "registryAddress": "0x<40 hex, any case>",
      "product": "<EPC URI or GS1 Digital Link of the product>",
      "events": [
        {
          "envelope": { ...signed envelope, version 1 (see supplychain.signing)... },
          "proof": ["0x<64 lowercase hex>", ...],
          "root": "0x<64 lowercase hex>",
          "anchor": {"sequence": 7, "blockNumber": 1234, "txHash": "0x<64 lowercase hex>",
                     "timestamp": 1700000000},
          "receiptTime": 1699999990
        }
      ],
      "masterData": {
        "signed": { ...signed product master data, version 1 (see supplychain.masterdata)... },
        "proof": ["0x<64 lowercase hex>", ...], "root": "0x...", "anchor": {...}
      }
    }

``events`` holds the product's own events and the upstream ones its trace rests on, in any order. ``proof``
(sibling nodes, OpenZeppelin StandardMerkleTree, leaf = the Event Hash ID's 32-byte digest), ``root`` and
``anchor`` (as claimed by the platform) are all ``null`` while an event is not anchored yet; ``receiptTime``
(seconds, from the platform's signed receipt) is optional and may be ``null``. Integers are non-negative JSON
integers; times are Unix seconds. No other fields are allowed; :meth:`ProofBundle.from_json` raises
:class:`~supplychain.errors.ProofBundleFormatError` naming the first field that is wrong. Event-level problems
(a malformed envelope, a bad signature...) are not format errors: they are verdicts.

``links`` (version 2; absent in version 1, which is still read) gives the anchored *story links* of identifiers of
the story, the product's at least (:mod:`supplychain.links`, ``docs/proof-bundle.md``)::

      "links": [
        {"identifier": "https://id.gs1.org/01/06904444400010/21/A-1", "omitted": 0,
         "chain": [{"eventHashId": "ni:///sha-256;...", "previous": null, "root": "0x...", "proof": ["0x...", ...]},
                   {"eventHashId": "ni:///sha-256;...", "previous": "ni:///sha-256;...", "root": "0x...",
                    "proof": [...]}]}
      ]

Each anchored event committed, in its own batch, one link per identifier it names:
``sha256(b"supplychain:item-link:v1\x00" || identifier || previous event's digest (zeros for the first) || its
digest)``. ``chain`` lists an identifier's links oldest first (``previous`` is the Event Hash ID of the event before,
``null`` for the first); ``omitted`` counts older links the platform left out (the chain then starts mid-way); each
``proof`` leads from the link to ``root``, its batch's root. An entry may carry ``"signer": {"organisationId",
"keyId", "signature"}`` (its event's signature of the Event Hash ID), checked against the chain when the bundle neither
shows nor lists that event. Identifiers are given once each.

``masterData`` is optional: the current signed master data of the product's GTIN (its name, brand...), published by
the GTIN's owner, with its Merkle proof (leaf = the 32-byte document hash, in the same batches as events), root and
anchor, all three ``null`` while not anchored. A bundle without it is read as before; a verifier checks it like an
event (:func:`verify_master_data`), judging its signer at its publication time (``sc:validFrom``).

Optionally (absent when nothing was left out, so such bundles read as before), events the platform names by
reference only::

      "summarised": {
        "counts": {"outside_custody": 32, "too_many_identifiers": 1},
        "events": [
          {"eventHashId": "ni:///sha-256;...?ver=CBV2.0", "organisationId": "6909999000005",
           "keyId": "0x<64 lowercase hex>", "signature": "<base64url>", "reason": "outside_custody",
           "eventType": "ObjectEvent", "eventTime": 1700000000, "bizStep": "inspecting",
           "identifierCount": 100000, "proof": [...], "root": "0x...", "anchor": {...}}
        ]
      }

A product's bundle carries in full only the events of its chain of custody (its makers and the organisations it
was handed to, :func:`supplychain.trace.custody`) that name few identifiers; an event naming more, or signed by
anyone else, is ``summarised``: ``counts`` says how many by reason (:data:`SUMMARY_REASONS`), ``events`` lists some
of them (never more per reason than counted). A verifier checks their signatures, keys and anchors
(:class:`ReferenceVerdict`); their content (type, time, bizStep, count) is the platform's word, and can be checked
by fetching the event itself.

The story as a whole
--------------------
A verdict covers the story the bundle shows, not only each event: :func:`verify_bundle` rebuilds the product's trace
from the bundle's readable events (:mod:`supplychain.trace`) and fails the bundle when an event is listed twice (or
in full and by reference: ``duplicate_event``), names nothing of the product's story (its backward trace and the
containers it travelled in: ``unrelated_event``), uses an item before any event created it (``event_before_origin``),
or takes an item out of a container it was never put in (``unpacked_never_packed``). Gaps leave it incomplete (the
signed record may have them, or an event was left out): a receipt of the product that follows no shipment by another
organisation (``received_not_shipped``), a sale by anyone but the maker that follows no receipt by the seller
(``sold_without_receipt``), an item of the trace nobody created (``origin_missing``). ``receiptTime`` must lie
between the event time (less the platform's clock skew, 300 s) and the anchoring of its batch
(``received_before_event``, ``received_after_anchor``).

Events left out on purpose are not "dropped": ``outside_custody`` events are not part of the story, and when the
bundle summarises events that name too many identifiers (``counts.too_many_identifiers`` > 0) an item without an
origin in the bundle may rest on one of them, so ``origin_missing`` is then not reported (the check passes, saying
so).

An event no other event depends on (an inspection, a stocking, a recall) left out of the bundle is caught by the
story links (version 2, :mod:`supplychain.verify._links`): the next link of the product names it as the event before
(``event_dropped``), an anchored event without its link is ``link_missing``, a forged or reordered link
``link_invalid``; a linked event the bundle neither shows nor lists by reference is ``event_not_shown``, a chain given
in part or events anchored before links were committed ``links_not_covered``, and a version-1 bundle
``completeness_unproven`` (all three incomplete). Not provable from a bundle: events anchored after the newest link it
shows, and links the platform committed dishonestly; the regulator's audit recomputes and follows every link.
"""

from supplychain.errors import ProofBundleError, ProofBundleFormatError
from supplychain.verify._bundle import (
    BUNDLE_TYPE,
    BUNDLE_VERSION,
    SUMMARY_REASONS,
    AnchorClaim,
    BundleEvent,
    BundleMasterData,
    EventReference,
    IdentifierLinks,
    LinkEntry,
    ProofBundle,
)
from supplychain.verify._masterdata import authority_check, master_data_checks, product_gtin, verify_master_data
from supplychain.verify._verdict import (
    FAILURE_CODES,
    INCOMPLETE_CODES,
    Check,
    EventVerdict,
    GreenInfo,
    MasterDataVerdict,
    RecognitionInfo,
    ReferenceVerdict,
    Verdict,
    VerdictStatus,
)
from supplychain.verify._verify import verify_bundle

__all__ = [
    "BUNDLE_TYPE",
    "BUNDLE_VERSION",
    "FAILURE_CODES",
    "INCOMPLETE_CODES",
    "SUMMARY_REASONS",
    "AnchorClaim",
    "BundleEvent",
    "BundleMasterData",
    "Check",
    "EventReference",
    "EventVerdict",
    "GreenInfo",
    "IdentifierLinks",
    "LinkEntry",
    "MasterDataVerdict",
    "ProofBundle",
    "ProofBundleError",
    "ProofBundleFormatError",
    "RecognitionInfo",
    "ReferenceVerdict",
    "Verdict",
    "VerdictStatus",
    "authority_check",
    "master_data_checks",
    "product_gtin",
    "verify_bundle",
    "verify_master_data",
]
