"""The CBV 2.0 pre-hash string of one EPCIS event, and its Event Hash ID.

The algorithm is GS1's reference implementation (``epcis-event-hash-generator``, its current source rather than
the PyPI release 1.9.3; the differences that remain are listed in docs/epcis-conformance.md), re-implemented on the
JSON-LD form of an event without JSON-LD expansion or deep copies:

1. The event becomes a tree of ``(name, text, children)`` nodes the way the reference reads JSON: extension keys
   written as CURIEs become ``{namespace}local``; bare words in ``@vocab`` fields become CBV URIs; every
   ``xxxList`` gets one child ``xxx`` per value (``quantityList`` -> ``quantityElement``, ``inputEPCList`` ->
   ``epc``); ``bizTransactionList`` / ``sourceList`` / ``destinationList`` hold (type, value) pairs.
2. The standard fields are written in the canonical property order as ``name=value`` (timestamps in UTC at
   millisecond precision, numbers and identifiers canonical), repeated values sorted, empty ones left out.
   Extensions inside a standard field (namespace ending in ``/``) follow that field's own values, sorted.
3. Everything else except ``eventID``, ``recordTime``, ``errorDeclaration`` and the document's ``ignoreFields`` is
   appended generically, sorted: the (type, value) pair lists, ``ilmd`` and the user extensions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from supplychain.errors import EventHashError
from supplychain.eventhash._context import HashContext, hash_context, legacy_context
from supplychain.eventhash._fast import fast_prehash
from supplychain.eventhash._tree import general_prehash

__all__ = ["HashContext", "event_hash_id", "hash_context", "hashes_to", "prehash_string"]


def prehash_string(event: Mapping[str, Any], context: HashContext | object = None) -> str:
    """Return the CBV 2.0 pre-hash string of one EPCIS event in its JSON-LD form.

    Args:
        event: The event object (``{"type": "ObjectEvent", ...}``), as in a JSON-LD document's ``eventList``
            or as :func:`supplychain.epcis.xmldoc.xml_to_jsonld` reads it from XML.
        context: A :class:`HashContext` from :func:`hash_context`, or the document's raw ``@context``
            (``None``: no prefixes; as the reference, only prefixes a document declares expand CURIEs).

    Returns:
        The canonical string whose SHA-256 is the Event Hash ID.

    Raises:
        EventHashError: The event is not an object with a ``type``, or holds a value JSON cannot.
    """
    ctx = context if isinstance(context, HashContext) else hash_context(context)
    if not isinstance(event, Mapping):
        raise EventHashError("event", f"expected a JSON object, got {type(event).__name__}")
    event_type = event.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise EventHashError("event", "it has no event type ('type' must be a non-empty string)")
    if "@context" in event:
        ctx = ctx.extended(event["@context"])
    fast = fast_prehash(event, event_type, ctx)  # scalars only: never recurses
    if fast is not None:
        return fast
    # The general path recurses once per level. Python's recursion limit is no guard: libraries loaded beside the
    # core (py_ecc) raise it to 100,000, past what the C stack holds. So the depth is bounded here, explicitly.
    if _deeper_than(event, MAX_EVENT_DEPTH):
        raise EventHashError(f"event of type {event_type}", f"it is nested too deeply (over {MAX_EVENT_DEPTH} levels)")
    return general_prehash(event, event_type, ctx)


#: Deepest nesting of objects and lists inside one event that is hashed (EPCIS events need under ten).
MAX_EVENT_DEPTH = 64


def _deeper_than(value: object, limit: int) -> bool:
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, Mapping):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)
    return False


def event_hash_id(event: Mapping[str, Any], context: HashContext | object = None) -> str:
    """Return the CBV 2.0 Event Hash ID ``ni:///sha-256;<hex>?ver=CBV2.0`` of one event.

    Args:
        event: The event in its JSON-LD form (see :func:`prehash_string`).
        context: A :class:`HashContext`, or the document's raw ``@context``.

    Returns:
        The Event Hash ID.

    Raises:
        EventHashError: The event cannot be hashed.
    """
    digest = hashlib.sha256(prehash_string(event, context).encode("utf-8")).hexdigest()
    return "ni:///sha-256;" + digest + "?ver=CBV2.0"


def hashes_to(event: Mapping[str, Any], context: HashContext | object, claimed: str) -> str | None:
    """Which rules give ``event`` the Event Hash ID ``claimed``: ``"current"``, ``"legacy"`` (the rules before the
    project followed the reference's current source: :func:`supplychain.eventhash._context.legacy_context`, for
    events stored then), or ``None``.

    Raises:
        EventHashError: The event cannot be hashed.
    """
    ctx = context if isinstance(context, HashContext) else hash_context(context)
    if event_hash_id(event, ctx) == claimed:
        return "current"
    if event_hash_id(event, legacy_context(ctx)) == claimed:
        return "legacy"
    return None
