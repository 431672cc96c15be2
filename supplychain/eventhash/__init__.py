"""CBV 2.0 Event Hash IDs of EPCIS 2.0 events, identical to GS1's reference implementation.

``prehash_string`` gives the canonical string of one JSON-LD event, ``event_hash_id`` its
``ni:///sha-256;<hex>?ver=CBV2.0`` identifier; ``hash_document`` does both for every event of a JSON-LD or XML
document. Pure functions: no I/O.
"""

from supplychain.eventhash.document import document_context, document_events, hash_document, read_document
from supplychain.eventhash.prehash import HashContext, event_hash_id, hash_context, hashes_to, prehash_string
from supplychain.eventhash.short import SHORT_DIGITS, short_hash_id

__all__ = [
    "SHORT_DIGITS",
    "HashContext",
    "document_context",
    "document_events",
    "event_hash_id",
    "hash_context",
    "hash_document",
    "hashes_to",
    "prehash_string",
    "read_document",
    "short_hash_id",
]
