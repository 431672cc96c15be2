"""The short form of an Event Hash ID: how people (the audit's findings, the scanner's lines) name one event.

``ni:///sha-256;3f9a1c2b7d0e…?ver=CBV2.0`` is shown as ``3f9a1c2b7d0e`` (the first 12 hex digits of its digest,
48 bits): the same in the regulator's audit, in the scanner's verdict and on the product page, for the same event,
whatever the store's record ids or the bundle's order. Anything that is not an Event Hash ID is shown shortened as
written.
"""

from __future__ import annotations

__all__ = ["SHORT_DIGITS", "short_hash_id"]

SHORT_DIGITS = 12
_PREFIX = "ni:///sha-256;"


def short_hash_id(hash_id: str) -> str:
    """The first :data:`SHORT_DIGITS` hex digits of an Event Hash ID's digest (see the module docstring)."""
    if hash_id.startswith(_PREFIX):
        return hash_id[len(_PREFIX) : len(_PREFIX) + SHORT_DIGITS]
    return hash_id[:SHORT_DIGITS]
