"""Event Hash IDs of every event in an EPCIS 2.0 document (JSON-LD or XML bytes, told apart by their first byte).

A bare event (JSON-LD or XML, as the REST binding's ``POST /events`` takes it) is read as a document of one event.

``ignoreFields``, as GS1's current reference reads it: a list of extension fields left out of every event's hash,
given under the key ``<prefix>:ignoreFields`` where ``<prefix>`` is the one the document declares for the dedicated
namespace :data:`IGNORE_FIELDS_NAMESPACE` (``https://repository-x.example.com/``), at the top of the document or in
its ``queryResults``. Keys of that name in any other namespace mean nothing, and standard fields are never left out
(the reference would drop them: see docs/epcis-conformance.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from supplychain.epcis.xmldoc import EVENT_TYPES, xml_to_jsonld
from supplychain.errors import DocumentError, EventHashError
from supplychain.eventhash.prehash import HashContext, hash_context, prehash_string
from supplychain.jsondepth import nesting_depth, within_depth

__all__ = ["IGNORE_FIELDS_NAMESPACE", "document_context", "document_events", "hash_document", "read_document"]

IGNORE_FIELDS_NAMESPACE = "https://repository-x.example.com/"
"""The namespace whose ``ignoreFields`` key lists the fields left out of the hash (the reference's choice)."""

#: Deepest JSON nesting read (EPCIS documents need about ten levels; see supplychain.jsondepth for why).
MAX_JSON_DEPTH = 256

_BOM = b"\xef\xbb\xbf"


def read_document(data: bytes) -> dict[str, Any]:
    """Parse EPCIS document bytes into the JSON-LD form, whatever their syntax.

    Args:
        data: A JSON-LD document (first non-blank byte ``{``) or an XML one (``<``).

    Returns:
        The document as a JSON-LD-shaped dict.

    Raises:
        DocumentError: The bytes are neither, or not well-formed, or not an EPCIS document.
    """
    head = data[3:] if data.startswith(_BOM) else data
    head = head.lstrip()
    if head.startswith(b"<"):
        return xml_to_jsonld(data)
    if not head.startswith(b"{"):
        raise DocumentError("input", "it is neither JSON (starts with '{') nor XML (starts with '<')")
    if not within_depth(head, MAX_JSON_DEPTH) and (depth := nesting_depth(head)) > MAX_JSON_DEPTH:
        raise DocumentError("JSON", f"nested {depth} levels deep; at most {MAX_JSON_DEPTH} are read")
    try:
        document = json.loads(head)
    except ValueError as exc:
        raise DocumentError("JSON", f"malformed JSON: {exc}") from None
    _event_list(document)
    return document  # type: ignore[no-any-return]


def _event_list(document: Mapping[str, Any]) -> list[Any]:
    if "epcisBody" not in document and document.get("type") in EVENT_TYPES:
        return [document]  # a bare event
    body = document.get("epcisBody")
    if not isinstance(body, dict):
        raise DocumentError("JSON", "no 'epcisBody' object: not an EPCIS document")
    if "eventList" in body:
        events = body["eventList"]
    elif "event" in body:
        events = [body["event"]]
    else:
        results = body.get("queryResults")
        results_body = results.get("resultsBody") if isinstance(results, dict) else None
        events = results_body.get("eventList", []) if isinstance(results_body, dict) else None
    if not isinstance(events, list):
        raise DocumentError("JSON", "no event list in 'epcisBody' (eventList, event or queryResults.resultsBody)")
    return events


def _ignore_fields(document: Mapping[str, Any]) -> list[str]:
    """The extension fields a document (or its query results) asks to leave out of every event's hash."""
    context = document.get("@context")
    prefixes = [
        k
        for entry in (context if isinstance(context, list) else [context])
        if isinstance(entry, dict)
        for k, v in entry.items()
        if v == IGNORE_FIELDS_NAMESPACE
    ]
    if not prefixes:
        return []
    key = prefixes[0] + ":ignoreFields"
    body = document.get("epcisBody")
    holders = [document]
    if isinstance(body, dict) and isinstance(body.get("queryResults"), dict):
        holders.append(body["queryResults"])
    names: list[str] = []
    for holder in holders:
        value = holder.get(key)
        names.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    return names


def document_context(document: Mapping[str, Any]) -> HashContext:
    """The hashing context of a parsed document: its declared prefixes and its ``ignoreFields``."""
    return hash_context(document.get("@context"), ignore_fields=_ignore_fields(document))


def document_events(data: bytes) -> list[dict[str, Any]]:
    """Return the events of an EPCIS document (JSON-LD or XML bytes) in document order, in JSON-LD form.

    Raises:
        DocumentError: The bytes are not a readable EPCIS document.
    """
    return list(_event_list(read_document(data)))


def hash_document(data: bytes, *, prehash: bool = False) -> list[str]:
    """Return the Event Hash ID (or, with ``prehash``, the pre-hash string) of every event, in document order.

    Args:
        data: An EPCIS 2.0 document or query document, JSON-LD or XML.
        prehash: Return the canonical pre-hash strings instead of the hashes.

    Returns:
        One string per event.

    Raises:
        DocumentError: The bytes are not a readable EPCIS document.
        EventHashError: An event cannot be hashed (the message names its position).
    """
    document = read_document(data)
    ctx = document_context(document)
    out: list[str] = []
    for index, event in enumerate(_event_list(document)):
        try:
            text = prehash_string(event, ctx)
        except EventHashError as exc:
            raise EventHashError(f"event {index}", exc.reason) from None
        out.append(text if prehash else "ni:///sha-256;" + hashlib.sha256(text.encode()).hexdigest() + "?ver=CBV2.0")
    return out
