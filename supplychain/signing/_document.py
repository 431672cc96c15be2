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

from supplychain.eventhash import document_context, event_hash_id
from supplychain.signing._keys import SigningKey, encode_signature, sign_hash_id

__all__ = [
    "RECOGNITION_FIELD",
    "SIGNATURE_NAMESPACE",
    "citation_id",
    "cited_recognition",
    "context_namespaces",
    "header_signatures",
    "recognition_citation",
    "sign_document",
]

SIGNATURE_NAMESPACE = "https://ns.supplychain.dev/epcis/"
RECOGNITION_FIELD = "recognition"
"""An event cites its submitter's recognition as ``"<prefix>:recognition": <id>``, the prefix bound to our namespace."""


def _prefixes(context: object) -> list[str]:
    items = context if isinstance(context, list) else [context]
    return [
        prefix
        for item in items
        if isinstance(item, Mapping)
        for prefix, iri in item.items()
        if iri == SIGNATURE_NAMESPACE
    ]


def context_namespaces(context: object) -> dict[str, str]:
    """The prefixes a JSON-LD ``@context`` (an object, or a list of IRIs and objects) binds to IRIs."""
    items = context if isinstance(context, list) else [context]
    return {
        prefix: iri
        for item in items
        if isinstance(item, Mapping)
        for prefix, iri in item.items()
        if isinstance(iri, str)
    }


def recognition_citation(extensions: Mapping[str, Any], namespaces: Mapping[str, str]) -> tuple[str, Any] | None:
    """The recognition an event cites (see :data:`RECOGNITION_FIELD`): ``(field name, value)``, or ``None``.

    ``extensions`` are the event's namespaced fields; ``namespaces`` the prefixes in scope (the document's).
    """
    for key, value in extensions.items():
        prefix, _, local = key.partition(":")
        ours = local == RECOGNITION_FIELD and namespaces.get(prefix) == SIGNATURE_NAMESPACE
        if ours or key == SIGNATURE_NAMESPACE + RECOGNITION_FIELD:
            return key, value
    return None


def cited_recognition(document: Mapping[str, Any]) -> int | str | None:
    """The recognition a stored event's JSON-LD document cites (its ``sc:recognition``, the prefix bound in its
    ``@context``): the id, or ``None`` when it cites none; a citation that names no recognition is given as text
    (``"sc:recognition ('one')"``).

    The one derivation of a green claim from signed data: the regulator's audit and the platform's green views both
    read it so (never the platform's stored column), and take its status at the event time from the registry's
    history (:meth:`supplychain.registry.RegistryMirror.citation_status`).
    """
    candidates = {k: v for k, v in document.items() if k.endswith(RECOGNITION_FIELD)}
    found = recognition_citation(candidates, context_namespaces(document.get("@context"))) if candidates else None
    if found is None:
        return None
    cited = citation_id(found[1])
    return f"{found[0]} ({found[1]!r:.60})" if cited is None else cited


def citation_id(value: object) -> int | None:
    """The recognition id a citation's value names (a positive integer, or its decimal digits), else ``None``."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:  # 2**64 has 20 digits
        value = int(value)
    return value if type(value) is int and 0 < value < 2**64 else None


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
    ctx = document_context({**document, "@context": context})  # its ignoreFields too, as capture reads them
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
