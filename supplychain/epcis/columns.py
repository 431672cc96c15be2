"""The indexed columns of a stored event, derived from its signed JSON-LD: one derivation for everyone.

The platform stores beside each signed event the columns its queries and pages filter and sort on (``event_type``,
``event_time``, ``biz_step``, ``biz_location``, ``read_point``); the regulator's audit derives them again from the
signed document and compares them with the platform's export (``column_mismatch``). Both call
:func:`indexed_columns`, so a column the platform serves is, by construction, what the signed document says:

* ``event_type``: the event's ``type`` as written;
* ``event_time``: ``eventTime`` (RFC 3339 with its offset) in milliseconds since the epoch, as
  ``int(datetime.timestamp() * 1000)`` (the platform has always stored it so);
* ``biz_step``: ``bizStep`` in its canonical CBV short form (``shipping``), a term outside CBV as written;
* ``biz_location`` / ``read_point``: the place's ``id`` canonicalised by ``canonical_place`` (by default
  :func:`supplychain.gs1.identifier_node`: an SGLN URN and its Digital Link are one place), as written when it is not
  a GS1 identifier.

Anything missing or unreadable is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from supplychain.epcis._fields import parse_timestamp
from supplychain.epcis.cbv import BIZ_STEP_VOCAB, canonical_term
from supplychain.errors import UnknownCbvTermError
from supplychain.gs1 import identifier_node

__all__ = ["IndexedColumns", "canonical_place", "event_time_ms", "indexed_columns"]


class IndexedColumns(NamedTuple):
    """The indexed columns of one event (see the module docstring)."""

    event_type: str | None
    event_time: int | None
    biz_step: str | None
    biz_location: str | None
    read_point: str | None


def canonical_place(uri: str) -> str:
    """A place's ``id`` as stored: its canonical Digital Link when it is a GS1 identifier, else as written."""
    return identifier_node(uri)


def _place(value: object, canonical: Callable[[str], str]) -> str | None:
    place = value.get("id") if isinstance(value, Mapping) else None
    return canonical(place) if isinstance(place, str) else None


def _step(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return canonical_term(BIZ_STEP_VOCAB, value)
    except UnknownCbvTermError:
        return value


def event_time_ms(text: object) -> int | None:
    """``eventTime`` in milliseconds since the epoch (``None`` when it is not an RFC 3339 time with an offset)."""
    parsed = parse_timestamp(text) if isinstance(text, str) else None
    return None if parsed is None else int(parsed.timestamp() * 1000)


def indexed_columns(
    event: Mapping[str, Any],
    *,
    canonical: Callable[[str], str] = canonical_place,
    step: Callable[[object], str | None] = _step,
) -> IndexedColumns:
    """The indexed columns of a JSON-LD event (see the module docstring).

    Args:
        event: The event's JSON-LD object.
        canonical: Canonicalises a place (callers pass a cached :func:`canonical_place`).
        step: Canonicalises a bizStep (callers may pass a cached one; the default as described above).
    """
    kind = event.get("type")
    return IndexedColumns(
        kind if isinstance(kind, str) else None,
        event_time_ms(event.get("eventTime")),
        step(event.get("bizStep")),
        _place(event.get("bizLocation"), canonical),
        _place(event.get("readPoint"), canonical),
    )
