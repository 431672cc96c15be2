"""The hashing context of a document: the namespace prefixes it declares and the fields it asks to ignore."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from supplychain.eventhash._vocab import STANDARD_PREFIXES, VALUE_PREFIXES

__all__ = ["HashContext", "hash_context"]


@dataclass(frozen=True, slots=True)
class HashContext:
    """What an event's hash depends on besides the event: its document's namespaces and ignored fields.

    Attributes:
        keys: Prefix -> namespace for keys written as CURIEs (``example:batch``).
        values: Prefix -> namespace for values written as CURIEs (``cbv:BizStep-shipping``).
        ignore: Expanded names of top-level fields left out of the hash (a document's ``ignoreFields``).
        memo: Canonical forms of the plain values already seen with this context (bounded cache).
    """

    keys: Mapping[str, str] = field(default_factory=lambda: dict(STANDARD_PREFIXES))
    values: Mapping[str, str] = field(default_factory=lambda: dict(VALUE_PREFIXES))
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


_DEFAULT = HashContext()


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
        ignore_fields: Names (CURIEs or plain) of event fields the document asks to leave out of the hash.

    Returns:
        A reusable context for :func:`prehash_string` and :func:`event_hash_id`.
    """
    base = _DEFAULT.extended(context)
    ignore = frozenset(base.expand(name) for name in ignore_fields if isinstance(name, str))
    return HashContext(base.keys, base.values, ignore) if ignore else base
