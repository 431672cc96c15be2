"""What the chronology checks need from one event: compact facts about the identifiers it names.

A fact is ``(kind, key, place, identifier)``: ``kind`` is one of :data:`PRODUCED`, :data:`SHIPPED`,
:data:`RECEIVED`, :data:`SOLD`, :data:`PLACED` and :data:`ARRIVED`; ``key`` a 64-bit integer standing for the identifier
(its canonical GS1 Digital Link, see :func:`identifier_key`), scoped to the organisation for receipts and sales (a
retailer sells what *it* received); ``place`` the event's ``bizLocation`` for :data:`PLACED` and :data:`ARRIVED`,
else ``None``; ``identifier`` the identifier as the event writes it (findings name the item by it).

* produced: what a ``commissioning`` / ``creating_class_instance`` event names (EPCs, quantity classes, outputs and
  the lots its ILMD names);
* shipped: what a ``shipping`` / ``departing`` event names (EPCs, classes, the parent and its children);
* received (retailers only): what a ``receiving`` / ``accepting`` event names, or the children an ``unpacking``
  event takes out;
* sold: what a ``retail_selling`` event names;
* placed: every serial (EPC list, parent, children, inputs, outputs) of an event with a ``bizLocation``; *arrived*
  instead when the event brings it there: a ``receiving`` / ``accepting`` / ``arriving`` event, or the ``unpacking``
  of a container (its children arrive with it). A recorded arrival explains a move from another place (see
  :mod:`supplychain.audit._chronology`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from hashlib import blake2b
from typing import Any

from supplychain.gs1 import identifier_node
from supplychain.trace import lots_of

__all__ = [
    "ARRIVED",
    "PLACED",
    "PRODUCED",
    "RECEIVED",
    "SHIPPED",
    "SOLD",
    "Fact",
    "event_facts",
    "identifier_key",
]

PRODUCED, SHIPPED, RECEIVED, SOLD, PLACED, ARRIVED = "P", "S", "R", "X", "L", "A"
Fact = tuple[str, int, str | None, str]

_PRODUCE_STEPS = frozenset({"commissioning", "creating_class_instance"})
_SHIP_STEPS = frozenset({"shipping", "departing"})
_RECEIVE_STEPS = frozenset({"receiving", "accepting"})
_ARRIVE_STEPS = frozenset({"receiving", "accepting", "arriving", "unpacking"})
# Already canonical: the common case skips the Digital Link parser (anything else goes through it).
_CANONICAL = re.compile(r"https://id\.gs1\.org/(?:01/\d{14}(?:/(?:10|21)/[0-9A-Za-z._-]+)?|00/\d{18})")


def _node(identifier: str) -> str:
    if _CANONICAL.fullmatch(identifier):
        return identifier
    return identifier_node(identifier)


def identifier_key(identifier: str, organisation: str | None = None) -> int:
    """The 64-bit key of an identifier (canonical Digital Link form), optionally scoped to an organisation."""
    text = _node(identifier) if organisation is None else organisation + "\n" + _node(identifier)
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _classes(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [q["epcClass"] for q in value if isinstance(q, dict) and isinstance(q.get("epcClass"), str)]


def event_facts(
    document: Mapping[str, Any], step: str | None, organisation: str, *, retailer: bool, place: str | None
) -> list[Fact]:
    """The chronology facts of one event (see the module docstring).

    Args:
        document: The event (JSON-LD).
        step: Its bizStep in short CBV form (``None`` when it has none).
        organisation: Its signer.
        retailer: Whether the signer held the retailer role at the event time (only retailers' receipts count).
        place: Its ``bizLocation`` (canonical), or ``None``.
    """
    facts: list[Fact] = []
    keys: dict[str, int] = {}  # one key (and one int object, shared by the maps) per identifier of the event

    def key(identifier: str) -> int:
        found = keys.get(identifier)
        if found is None:
            found = keys[identifier] = identifier_key(identifier)
        return found

    get = document.get
    if step in _PRODUCE_STEPS:
        made = _strings(get("epcList")) + _strings(get("outputEPCList"))
        named = made + _classes(get("quantityList")) + _classes(get("outputQuantityList"))
        ilmd = get("ilmd")
        if isinstance(ilmd, dict):
            named += list(lots_of(made, ilmd))
        facts += [(PRODUCED, key(n), None, n) for n in named]
    elif step in _SHIP_STEPS:
        named = _strings(get("epcList")) + _classes(get("quantityList")) + _strings(get("parentID"))
        named += _strings(get("childEPCs")) + _classes(get("childQuantityList"))
        facts += [(SHIPPED, key(n), None, n) for n in named]
    elif retailer and step in _RECEIVE_STEPS:
        named = _strings(get("epcList")) + _classes(get("quantityList")) + _strings(get("parentID"))
        named += _strings(get("childEPCs")) + _classes(get("childQuantityList"))
        facts += [(RECEIVED, identifier_key(n, organisation), None, n) for n in named]
    elif retailer and step == "unpacking":
        named = _strings(get("childEPCs")) + _classes(get("childQuantityList"))
        facts += [(RECEIVED, identifier_key(n, organisation), None, n) for n in named]
    elif step == "retail_selling":
        named = _strings(get("epcList")) + _classes(get("quantityList"))
        facts += [(SOLD, identifier_key(n, organisation), None, n) for n in named]
    if place is not None:
        serials = _strings(get("epcList")) + _strings(get("parentID")) + _strings(get("childEPCs"))
        serials += _strings(get("inputEPCList")) + _strings(get("outputEPCList"))
        kind = ARRIVED if step in _ARRIVE_STEPS else PLACED
        facts += [(kind, key(n), place, n) for n in serials]
    return facts
