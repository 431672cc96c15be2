"""Signatures carried in an EPCIS document's header, beside the events they sign (so the events' hashes do not change).

Format (JSON-LD), with any prefix bound to :data:`SIGNATURE_NAMESPACE` in the document's ``@context``::

    "epcisHeader": {"sc:signatures": [{"eventHashId": "ni:///…", "keyId": "0x…", "signature": "…"}, …]}

In XML the same elements sit in the ``EPCISHeader``: ``<sc:signatures><sc:signature><sc:eventHashId>…
</sc:eventHashId><sc:keyId>…</sc:keyId><sc:signature>…</sc:signature></sc:signature>…</sc:signatures>``, which the
XML reader turns into ``{"sc:signatures": {"sc:signature": [...]}}`` (one element: an object, not a list); both shapes
are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from supplychain.eventhash import event_hash_id, hash_context
from supplychain.signing._keys import SigningKey, encode_signature, sign_hash_id

__all__ = ["SIGNATURE_NAMESPACE", "header_signatures", "sign_document"]

SIGNATURE_NAMESPACE = "https://ns.supplychain.dev/epcis/"


def _prefixes(context: object) -> list[str]:
    items = context if isinstance(context, list) else [context]
    return [
        prefix
        for item in items
        if isinstance(item, Mapping)
        for prefix, iri in item.items()
        if iri == SIGNATURE_NAMESPACE
    ]


def sign_document(key: SigningKey, document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a JSON-LD EPCIS document with every event signed by ``key`` in its header (prefix ``sc``)."""
    signed = dict(document)
    context = document.get("@context")
    if not _prefixes(context):
        context = [
            *(context if isinstance(context, list) else [context] if context else []),
            {"sc": SIGNATURE_NAMESPACE},
        ]
        signed["@context"] = context
    prefix = _prefixes(context)[0]
    ctx = hash_context(context)
    signatures = []
    for event in document.get("epcisBody", {}).get("eventList", []):
        hash_id = event_hash_id(event, ctx)
        signature = encode_signature(sign_hash_id(key, hash_id))
        signatures.append({"eventHashId": hash_id, "keyId": key.key_id, "signature": signature})
    signed["epcisHeader"] = {**document.get("epcisHeader", {}), f"{prefix}:signatures": signatures}
    return signed


def header_signatures(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The signature entries of a decoded document's header (prefixes removed); ``[]`` when it carries none."""
    header = document.get("epcisHeader")
    if not isinstance(header, Mapping):
        return []
    found: list[dict[str, Any]] = []
    for prefix in _prefixes(document.get("@context")):
        value = header.get(f"{prefix}:signatures")
        if isinstance(value, Mapping):  # the XML shape
            value = value.get(f"{prefix}:signature")
        items = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []
        found += [
            {str(k).removeprefix(f"{prefix}:"): v for k, v in item.items()}
            for item in items
            if isinstance(item, Mapping)
        ]
    return found
