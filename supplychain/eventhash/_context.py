"""The hashing context of a document: the namespace prefixes it declares and the fields it asks to ignore.

As GS1's reference reads JSON-LD, only the prefixes a document's ``@context`` declares in its own objects expand
CURIEs, in keys (``example:batch`` -> ``{https://ns.example.com/epcis/}batch``) and in values alike; the prefixes
the standard EPCIS context defines (``cbv``, ``gs1``, ``cbvmda`` ...) are not applied unless the document declares
them. (XML documents are read with ``cbv`` and ``gs1`` declared whenever a value uses them: see
:mod:`supplychain.epcis.xmldoc`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HashContext", "hash_context", "legacy_context"]


@dataclass(frozen=True, slots=True)
class HashContext:
    """What an event's hash depends on besides the event: its document's namespaces and ignored fields.

    Attributes:
        keys: Prefix -> namespace for keys written as CURIEs (``example:batch``).
        values: Prefix -> namespace for values written as CURIEs (``cbv:BizStep-shipping``).
        ignore: Expanded names of top-level extension fields left out of the hash (a document's ``ignoreFields``).
        memo: Canonical forms of the plain values already seen with this context (bounded cache).
    """

    keys: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    memo: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def extended(self, context: object) -> HashContext:
        """Return this context with the prefixes an inner JSON-LD ``@context`` declares added."""
        declared = _declared_prefixes(context)
        if not declared:
            return self
        return HashContext({**self.keys, **declared}, {**self.values, **declared}, self.ignore)

    def expand(self, name: str) -> str:
        """Expand a key written as a CURIE to ``{namespace}local`` (unknown prefixes stay as written)."""
        colon = name.find(":")
        if colon > 0:
            namespace = self.keys.get(name[:colon])
            if namespace is not None:
                return "{" + namespace + "}" + name[colon + 1 :]
        return name

    def without_ignored(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The event without the fields this context ignores: it hashes alike with or without the document.

        Capture stores events in this form, so that verification, which hashes a stored event on its own, finds the
        Event Hash ID the document gave it.
        """
        if not self.ignore:
            return dict(event)
        return {k: v for k, v in event.items() if self.expand(k) not in self.ignore}


_DEFAULT = HashContext()

_CBV, _GS1 = "https://ref.gs1.org/cbv/", "https://gs1.org/voc/"
_LEGACY_KEYS = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": _CBV,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": _GS1,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
_LEGACY_VALUES = {"cbv": _CBV, "gs1": _GS1}


def legacy_context(ctx: HashContext) -> HashContext:
    """``ctx`` as the project's hashing read documents before it followed the reference's current source (the
    PyPI release 1.9.3's rules): the standard EPCIS context's prefixes (``cbvmda``, ``gs1``...) expand keys, and
    ``cbv:`` / ``gs1:`` expand values, even where the document does not declare them; a declared prefix wins.

    Events stored and signed under those rules keep their Event Hash IDs: the audit and the scanner accept an ID
    that either rule set gives. Both spell the same IRIs (a prefix or its expansion), so accepting both never lets a
    document mean something other than what was signed.
    """
    return HashContext({**_LEGACY_KEYS, **ctx.keys}, {**_LEGACY_VALUES, **ctx.values}, ctx.ignore)


def _declared_prefixes(context: object) -> dict[str, str]:
    entries = context if isinstance(context, list) else [context]
    declared: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict):
            declared.update((k, v) for k, v in entry.items() if isinstance(v, str) and not k.startswith("@"))
    return declared


def hash_context(context: object = None, *, ignore_fields: Iterable[str] = ()) -> HashContext:
    """Build the hashing context of a document from its JSON-LD ``@context`` and its ``ignoreFields``.

    Args:
        context: The document's ``@context`` (a URL, an object, or a list of both); prefixes declared in its
            objects are used for extension keys and CURIE values.
        ignore_fields: Names of extension fields (CURIEs: ``example:captureID``) the document asks to leave out of
            every event's hash. Standard fields (names without a prefix) are never left out.

    Returns:
        A reusable context for :func:`prehash_string` and :func:`event_hash_id`.
    """
    base = _DEFAULT.extended(context)
    ignore = frozenset(base.expand(name) for name in ignore_fields if isinstance(name, str) and ":" in name)
    return HashContext(base.keys, base.values, ignore) if ignore else base
