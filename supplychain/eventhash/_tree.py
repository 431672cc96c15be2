"""The general pre-hash algorithm: GS1's reference, step by step, on a tree of ``(name, text, children)`` nodes.

Used for every event the fast path (:mod:`supplychain.eventhash._fast`) does not take, and as its oracle in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from supplychain.errors import EventHashError
from supplychain.eventhash._context import HashContext
from supplychain.eventhash._values import canonical_timestamp, canonical_value
from supplychain.eventhash._vocab import (
    EVENT_SCOPE,
    IGNORED_AT_TOP,
    IGNORED_KEYS,
    PAIR_LISTS,
    PROP_ORDER,
    Order,
    Scope,
)

__all__ = ["general_prehash"]

Node: TypeAlias = tuple[str, str, list["Node"]]

RENAMED = {"inputEPC": "epc", "outputEPC": "epc", "inputQuantity": "quantityElement"}
RENAMED.update(outputQuantity="quantityElement", childQuantity="quantityElement")
NO_SORT = frozenset(PAIR_LISTS.values())
#: What a JSON ``null`` stands for: XML's ``xsi:nil="true"`` (as the reference reads ``<quantity xsi:nil="true"/>``).
NIL: Node = ("{http://www.w3.org/2001/XMLSchema-instance}nil", "true", [])
_ORDER_NAMES: dict[int, frozenset[str]] = {}
_IS_TIME: dict[str, bool] = {}


def text_of(value: object, ctx: HashContext, terms: Mapping[str, str] | None) -> str:
    if isinstance(value, str):
        if terms is not None and value in terms:
            return terms[value]
        colon = value.find(":")
        if colon > 0:
            namespace = ctx.values.get(value[:colon])
            if namespace is not None:
                return namespace + value[colon + 1 :]
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise EventHashError("event", f"unsupported JSON value {value!r}")


def node(name: str, value: object, ctx: HashContext, terms: Mapping[str, str] | None, scope: Scope | None) -> Node:
    if isinstance(value, dict):
        return (name, text_of(value.get("#text"), ctx, None), children(value, ctx, scope))
    if isinstance(value, list):
        return (name, "", [node("", item, ctx, terms, scope) for item in value])
    if value is None:
        return (name, "", [NIL])
    return (name, text_of(value, ctx, terms), [])


def children(obj: Mapping[str, Any], ctx: HashContext, scope: Scope | None) -> list[Node]:
    """The nodes of one JSON object, with the reference's JSON -> XML model corrections applied."""
    kids: list[Node] = []
    grouped: dict[str, list[Node]] | None = None
    for key, value in obj.items():
        if key in IGNORED_KEYS or key[:1] == "@":
            continue
        name = ctx.expand(key)
        terms, inner = scope.get(key, (None, None)) if scope else (None, None)
        values = value if isinstance(value, list) else (value,)
        if name.endswith("List") or name == "childEPCs":
            if grouped is None:
                grouped = {}
            group = grouped.setdefault(name, [])
            group.extend(node(name, item, ctx, terms, inner) for item in values)
            continue
        for item in values:
            kids.append(_renamed(name, node(name, item, ctx, terms, inner)))
    if grouped:
        for name, members in grouped.items():
            if not members:
                continue
            if name in PAIR_LISTS:
                kids.append((name, "", [_pair(m, PAIR_LISTS[name]) for m in members]))
            elif name == "childEPCs":
                kids.append((name, "", [("epc", m[1], []) for m in members]))
            else:
                kids.append((name, "", [_renamed(name[:-4], m) for m in members]))
    return kids


def _renamed(name: str, member: Node) -> Node:
    """The reference's JSON -> XML renames: ``inputEPC`` -> ``epc``, a ``quantity`` with children ->
    ``quantityElement`` (not a nil one: XML's ``<quantity xsi:nil="true"/>`` keeps its name), and so on."""
    renamed = RENAMED.get(name)
    if renamed is not None or (name == "quantity" and member[2] and NIL not in member[2]):
        return (renamed or "quantityElement", member[1], member[2])
    return (name, member[1], member[2])


def _pair(member: Node, value_name: str) -> Node:
    """A (type, value) pair as one nameless node: the type first, then the value, then anything else."""
    kids = member[2]
    if not kids:
        return ("", "", [(value_name, member[1], [])])
    first = [k for k in kids if k[0] == "type"]
    second = [k for k in kids if k[0] == value_name]
    rest = [k for k in kids if k[0] != "type" and k[0] != value_name]
    return ("", "", first + second + rest)


def _is_time(name: str) -> bool:
    known = _IS_TIME.get(name)
    if known is None:
        lower = name.lower()
        known = _IS_TIME[name] = "time" in lower and "offset" not in lower
    return known


def _field(node: Node, order: Order | None) -> str:
    name, text, kids = node
    inner = _ordered(kids, order) if order is not None else ""
    if text:
        text = text.strip()
        if text:
            text = canonical_timestamp(text) if _is_time(name) else canonical_value(text)
            if text:
                return name + "=" + text + inner
    return name + inner if inner else ""


def _user_extensions(kids: list[Node]) -> list[Node]:
    """Take the extensions (namespace ending in ``/``) out of a standard field's children, as the reference does."""
    for kid in kids:
        if "eventTime" in kid[0] or "action" in kid[0]:
            return []
    found = [k for k in kids if "{" in k[0] and "/}" in k[0]]
    if found:
        kids[:] = [k for k in kids if not ("{" in k[0] and "/}" in k[0])]
    return found


def _ordered(kids: list[Node], order: Order) -> str:
    """Write the children named in ``order``, in that order; consumed children are removed from ``kids``."""
    extensions = _user_extensions(kids) if len(kids) > 1 else []
    names = _ORDER_NAMES.get(id(order))
    if names is None:
        names = _ORDER_NAMES[id(order)] = frozenset(name for name, _ in order)
    buckets: dict[str, list[Node]] = {}
    for kid in kids:
        if kid[0] in names:
            buckets.setdefault(kid[0], []).append(kid)
    parts: list[str] = []
    if buckets:
        for name, sub in order:
            bucket = buckets.get(name)
            if bucket is None:
                continue
            if len(bucket) == 1:
                text = _field(bucket[0], sub)
                if text:
                    parts.append(text)
            else:
                texts = [t for t in (_field(kid, sub) for kid in bucket) if t]
                texts.sort()
                parts.extend(texts)
        kids[:] = [k for k in kids if k[0] not in names or k[2]]
    if extensions:
        parts.append(generic(extensions))
    return "".join(parts)


def generic(kids: list[Node]) -> str:
    """Write nodes as ``name=value`` followed by their children, sorted (but pairs keep type before value)."""
    texts: list[str] = []
    sort = len(kids) > 1
    for name, raw, sub in kids:
        if name in NO_SORT:
            sort = False
        text = raw.strip()
        entry = name + "=" + canonical_value(text) if text else name
        texts.append(entry + generic(sub) if sub else entry)
    if sort:
        texts.sort()
    return "".join(texts)


def general_prehash(event: Mapping[str, Any], event_type: str, ctx: HashContext) -> str:
    """The pre-hash string of an event whose ``type`` was checked, in the reference's own steps."""
    kids = children({k: v for k, v in event.items() if k not in IGNORED_AT_TOP}, ctx, EVENT_SCOPE)
    if ctx.ignore:
        kids = [k for k in kids if k[0] not in ctx.ignore]
    standard = _ordered(kids, PROP_ORDER)
    return "eventType=" + event_type + standard + (generic(kids) if kids else "")
