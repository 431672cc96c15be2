"""The fast path of the pre-hash string for events of the usual shape.

It writes the string straight from the JSON-LD event, with no intermediate tree, and gives exactly what
:mod:`supplychain.eventhash._tree` gives (a test checks the two against each other). Anything unusual (unknown
plain keys, extensions inside standard fields, sensor data, persistent dispositions, odd value types) returns
``None`` and the caller takes the general path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from supplychain.eventhash._context import HashContext
from supplychain.eventhash._tree import NO_SORT, RENAMED, generic, node
from supplychain.eventhash._values import canonical_timestamp, canonical_value
from supplychain.eventhash._vocab import BIZ_STEPS, BTT, DISPOSITIONS, IGNORED_KEYS, PAIR_LISTS, SDT

__all__ = ["fast_prehash"]

# position in the canonical order of each standard field the fast path writes
_SIMPLE = {
    "eventTime": 0, "eventTimeZoneOffset": 1, "certificationInfo": 2, "parentID": 3,
    "action": 12, "transformationID": 13, "bizStep": 14, "disposition": 15,
}  # fmt: skip
_EPCS = {"epcList": 4, "inputEPCList": 5, "childEPCs": 6, "outputEPCList": 10}
_QUANTITIES = {"quantityList": 7, "childQuantityList": 8, "inputQuantityList": 9, "outputQuantityList": 11}
_LOCATIONS = {"readPoint": 17, "bizLocation": 18}
_TERMS = {"bizStep": BIZ_STEPS, "disposition": DISPOSITIONS}
_PAIR_TERMS = {"bizTransactionList": BTT, "sourceList": SDT, "destinationList": SDT}
_SKIPPED = frozenset({"type", "eventID", "recordTime", "errorDeclaration"}) | IGNORED_KEYS
_QUANTITY_KEYS = ("epcClass", "quantity", "uom")
_MEMO_SIZE = 1 << 15


def _value(value: object, ctx: HashContext, terms: Mapping[str, str] | None = None) -> str | None:
    """The canonical text of a scalar as the reference reads it (``""`` when empty), ``None`` for anything else."""
    if type(value) is str:
        if terms is not None and value in terms:
            return terms[value]
        memo = ctx.memo
        known = memo.get(value)
        if known is not None:
            return known
        text = value
        colon = text.find(":")
        if colon > 0:
            namespace = ctx.values.get(text[:colon])
            if namespace is not None:
                text = namespace + text[colon + 1 :]
        text = text.strip()
        if text:
            text = canonical_value(text)
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[value] = text
        return text
    if isinstance(value, int | float) and not isinstance(value, bool):
        return canonical_value(str(value))
    return None


def _event_time(value: object, ctx: HashContext) -> str | None:
    if type(value) is not str:
        return None
    colon = value.find(":")
    if colon > 0 and value[:colon] in ctx.values:
        return None  # a CURIE: the general path expands it first
    return canonical_timestamp(value.strip())


def _epcs(name: str, values: object, ctx: HashContext) -> str | None:
    items = values if isinstance(values, list) else [values]
    parts = []
    for item in items:
        text = _value(item, ctx)
        if text is None:
            return None
        if text:
            parts.append("epc=" + text)
    if not parts:
        return ""
    parts.sort()
    return name + "".join(parts)


def _quantities(name: str, values: object, ctx: HashContext) -> str | None:
    items = values if isinstance(values, list) else [values]
    parts = []
    for item in items:
        if not isinstance(item, dict) or not item or not item.keys() <= {"epcClass", "quantity", "uom"}:
            return None
        element = ""
        for key in _QUANTITY_KEYS:
            if key in item:
                text = _value(item[key], ctx)
                if text is None:
                    return None
                if text:
                    element += key + "=" + text
        if element:
            parts.append("quantityElement" + element)
    if not parts:
        return ""
    parts.sort()
    return name + "".join(parts)


def _pairs(name: str, values: object, ctx: HashContext) -> str | None:
    value_name = PAIR_LISTS[name]
    items = values if isinstance(values, list) else [values]
    parts = []
    for item in items:
        if not isinstance(item, dict) or value_name not in item or not item.keys() <= {"type", value_name}:
            return None
        pair = ""
        for key in ("type", value_name):
            if key in item:
                text = _value(item[key], ctx, _PAIR_TERMS[name] if key == "type" else None)
                if text is None:
                    return None
                pair += key + "=" + text if text else key
        parts.append(pair)
    if not parts:
        return ""
    if len(parts) > 1:
        parts.sort()
    return name + "".join(parts)


def fast_prehash(event: Mapping[str, Any], event_type: str, ctx: HashContext) -> str | None:  # noqa: PLR0911, PLR0912
    """The pre-hash string of a usual event, or ``None`` when the general path must write it."""
    if "eventTime" not in event or (ctx.ignore and not ctx.ignore.isdisjoint(event)):
        return None
    slots: list[str] = [""] * 19
    trailing: list[str] = []
    for key, value in event.items():
        position = _SIMPLE.get(key)
        if position is not None:
            if isinstance(value, list):
                return None
            text = _event_time(value, ctx) if position == 0 else _value(value, ctx, _TERMS.get(key))
            if text is None:
                return None
            if text:
                slots[position] = key + "=" + text
            continue
        if key in _SKIPPED or key[:1] == "@":
            continue
        result: str | None
        if key in _EPCS:
            result = _epcs(key, value, ctx)
            position = _EPCS[key]
        elif key in _QUANTITIES:
            result = _quantities(key, value, ctx)
            position = _QUANTITIES[key]
        elif key in _LOCATIONS:
            if not isinstance(value, dict) or value.keys() != {"id"}:
                return None
            location = _value(value["id"], ctx)
            if location is None:
                return None
            result = key + "id=" + location if location else ""
            position = _LOCATIONS[key]
        elif key in PAIR_LISTS:
            result = _pairs(key, value, ctx)
            if result:
                trailing.append(result)
            if result is None:
                return None
            continue
        elif key == "ilmd" or ":" in key:
            name = ctx.expand(key)
            if name in ctx.ignore:
                continue
            if name.endswith("List") or name in RENAMED or name in NO_SORT or name in ("quantity", "childEPCs"):
                return None
            for item in value if isinstance(value, list) else (value,):
                trailing.append(generic([node(name, item, ctx, None, None)]))
            continue
        else:
            return None
        if result is None:
            return None
        slots[position] = result
    if len(trailing) > 1:
        trailing.sort()
    return "eventType=" + event_type + "".join(slots) + "".join(trailing)
