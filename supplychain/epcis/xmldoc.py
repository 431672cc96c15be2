"""EPCIS 2.0 XML documents read into the shape GS1's JSON-LD binding gives them.

One code path then serves both syntaxes (validation, storage, Event Hash IDs). The XML is parsed with
``defusedxml`` (no DTDs, no entity expansion, no external resources) and its nesting depth is bounded.

Mapping (EPCIS 2.0 standard, JSON-LD binding):

- ``EPCISDocument`` / ``EPCISQueryDocument`` -> ``{"@context": [...], "type": ..., "epcisBody": ...}``; the
  events of ``EventList`` (or of ``QueryResults/resultsBody/EventList``) -> ``eventList``.
- ``<extension>`` / ``<baseExtension>`` wrappers of EPCIS 1.x are dissolved into their parent.
- ``epcList`` / ``childEPCs`` / ``inputEPCList`` / ``outputEPCList`` -> lists of strings; the quantity lists ->
  lists of objects; ``bizTransactionList`` / ``sourceList`` / ``destinationList`` -> ``{"type", "<value>"}``
  objects; ``sensorElementList`` -> objects with ``sensorMetadata`` and a ``sensorReport`` list;
  ``persistentDisposition`` -> ``set`` / ``unset`` lists; ``errorDeclaration/correctiveEventIDs`` -> a list.
- Elements and attributes in other namespaces (user extensions) -> ``prefix:local`` keys, their prefixes
  declared in ``@context``; an element with attributes or children -> an object (text under ``#text``).
- ``quantity`` and numeric sensor values -> JSON numbers when that is exact; everything else stays text.
- XML comments and processing instructions are dropped.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from supplychain.errors import DocumentError

__all__ = ["EPCIS_CONTEXT", "xml_to_jsonld"]

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

_EPC_LISTS = {"epcList", "childEPCs", "inputEPCList", "outputEPCList"}
_QUANTITY_LISTS = {"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"}
_PAIR_LISTS = {"bizTransactionList": "bizTransaction", "sourceList": "source", "destinationList": "destination"}
_NUMERIC = {"quantity", "value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"}
_WRAPPERS = {"extension", "baseExtension"}
_ROOTS = {"EPCISDocument", "EPCISQueryDocument"}
_EVENT_ROOTS = {"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"}
_DOCUMENT_ATTRIBUTES = ("schemaVersion", "creationDate")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _number(text: str) -> int | float | str:
    """``text`` as a JSON number when that is exact, else unchanged."""
    stripped = text.strip()
    if stripped.isdecimal() and len(stripped) < 19:
        return int(stripped)
    try:
        number = float(stripped)
        exact = Decimal(repr(number)) == Decimal(stripped)
    except (ValueError, InvalidOperation):
        return text
    return number if exact and math.isfinite(number) else text


class _Reader:
    """One document's conversion: the namespace prefixes in use and the element mapping."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes  # namespace -> prefix
        self.used: dict[str, str] = {}  # prefix -> namespace, for @context

    def key(self, tag: str) -> str:
        if tag[:1] != "{":
            return tag
        namespace, _, local = tag[1:].partition("}")
        prefix = self.prefixes[namespace]
        self.used[prefix] = namespace
        return prefix + ":" + local

    def children(self, element: Element) -> list[Element]:
        out: list[Element] = []
        for child in element:
            if child.tag in _WRAPPERS:
                out.extend(self.children(child))
            else:
                out.append(child)
        return out

    def generic(self, element: Element) -> Any:
        """An element as a string (no attributes, no children) or an object."""
        kids = self.children(element)
        text = (element.text or "").strip()
        if not kids and not element.attrib:
            return (element.text or "").strip()
        local = _local(element.tag)
        if local.endswith("List") and not element.attrib and not text and kids:
            item = element.tag[:-4]
            if all(k.tag == item and not k.attrib and not len(k) for k in kids):
                return [k.text or "" for k in kids]
        obj: dict[str, Any] = {}
        for name, value in element.attrib.items():
            self.add(obj, self.key(name), value)
        for kid in kids:
            self.add(obj, self.key(kid.tag), self.generic(kid))
        if text:
            obj["#text"] = text
        return obj

    @staticmethod
    def add(obj: dict[str, Any], key: str, value: Any) -> None:
        if key not in obj:
            obj[key] = value
        elif isinstance(obj[key], list) and not isinstance(value, list):
            obj[key].append(value)
        else:
            obj[key] = [*(obj[key] if isinstance(obj[key], list) else [obj[key]]), value]

    def object_of(self, element: Element, numeric: bool = False) -> dict[str, Any]:
        """Attributes and children of a structured element as one object."""
        value = self.generic(element)
        obj: dict[str, Any] = value if isinstance(value, dict) else {}
        if numeric:
            for name in _NUMERIC.intersection(obj):
                if isinstance(obj[name], str):
                    obj[name] = _number(obj[name])
        return obj

    def field(self, element: Element) -> Any:  # noqa: PLR0911
        """One standard field of an event (unqualified name), mapped as the JSON-LD binding does."""
        name = element.tag
        kids = self.children(element)
        if name in _EPC_LISTS:
            return [(k.text or "").strip() for k in kids]
        if name in _QUANTITY_LISTS:
            return [self.object_of(k, numeric=True) for k in kids]
        if name in _PAIR_LISTS:
            return [self.pair(k, _PAIR_LISTS[name]) for k in kids]
        if name == "sensorElementList":
            return [self.sensor_element(k) for k in kids]
        if name == "persistentDisposition":
            obj: dict[str, Any] = {}
            for kid in kids:
                key = self.key(kid.tag)
                if key in ("set", "unset"):
                    obj.setdefault(key, []).append((kid.text or "").strip())
                else:
                    self.add(obj, key, self.generic(kid))
            return obj
        if name == "errorDeclaration":
            obj = self.object_of(element)
            ids = obj.get("correctiveEventIDs")
            if isinstance(ids, dict) and set(ids) == {"correctiveEventID"}:
                inner = ids["correctiveEventID"]
                obj["correctiveEventIDs"] = inner if isinstance(inner, list) else [inner]
            return obj
        return self.generic(element)

    def pair(self, element: Element, value_name: str) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for name, value in element.attrib.items():
            self.add(obj, self.key(name), value)
        obj[value_name] = (element.text or "").strip()
        for kid in self.children(element):
            self.add(obj, self.key(kid.tag), self.generic(kid))
        return obj

    def sensor_element(self, element: Element) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for kid in self.children(element):
            key = self.key(kid.tag)
            if key == "sensorReport":
                obj.setdefault(key, []).append(self.object_of(kid, numeric=True))
            elif key == "sensorMetadata":
                obj[key] = self.object_of(kid)
            else:
                self.add(obj, key, self.generic(kid))
        return obj

    def event(self, element: Element) -> dict[str, Any]:
        event: dict[str, Any] = {"type": _local(element.tag)}
        for name, value in element.attrib.items():
            self.add(event, self.key(name), value)
        for kid in self.children(element):
            key = self.key(kid.tag)
            self.add(event, key, self.field(kid) if key == kid.tag else self.generic(kid))
        return event

    def events(self, event_list: Element) -> list[dict[str, Any]]:
        return [self.event(e) for e in self.children(event_list)]


def _parse(data: bytes, max_depth: int) -> tuple[Element, dict[str, str]]:
    """Parse safely, refusing DTDs, entities and nesting deeper than ``max_depth``; collect namespace prefixes."""
    prefixes: dict[str, str] = {}
    taken: set[str] = set()
    depth = 0
    root: Element | None = None
    try:
        for kind, item in iterparse(io.BytesIO(data), events=("start", "end", "start-ns"), forbid_dtd=True):
            if kind == "start":
                depth += 1
                if depth > max_depth:
                    raise DocumentError("XML", f"elements are nested deeper than {max_depth} levels")
                if root is None:
                    root = item
            elif kind == "end":
                depth -= 1
            elif item[1] not in prefixes:
                prefix = item[0] or "ns"
                base, n = prefix, 0
                while prefix in taken:
                    n += 1
                    prefix = f"{base}{n}"
                prefixes[item[1]] = prefix
                taken.add(prefix)
    except ParseError as exc:
        raise DocumentError("XML", f"malformed XML: {exc}") from None
    except DefusedXmlException as exc:
        raise DocumentError(
            "XML", f"refused unsafe XML ({type(exc).__name__}): DTDs and entities are not allowed"
        ) from None
    if root is None:  # pragma: no cover - iterparse raises on an empty document
        raise DocumentError("XML", "no root element")
    return root, prefixes


def xml_to_jsonld(data: bytes, *, max_depth: int = 64, bare_event: bool = False) -> dict[str, Any]:
    """Read an EPCIS 2.0 XML document or query document into its JSON-LD form.

    Args:
        data: The XML bytes.
        max_depth: The deepest element nesting accepted.
        bare_event: Also read a single event as the root (as the REST binding captures one event), into the
            JSON-LD event with its own ``@context``; ``schemaVersion`` / ``creationDate`` attributes on it (which
            OpenEPCIS's single-event examples carry) are dropped.

    Returns:
        The document as GS1's JSON-LD binding would write it (see the module docstring).

    Raises:
        DocumentError: Malformed or unsafe XML (DTD, entities), too deep, or not an EPCIS document.
    """
    root, prefixes = _parse(data, max_depth)
    kind = _local(root.tag)
    if bare_event and kind in _EVENT_ROOTS:
        return _bare_event(root, prefixes)
    if kind not in _ROOTS:
        raise DocumentError("XML", f"root element is {kind!r}, not EPCISDocument or EPCISQueryDocument")
    reader = _Reader(prefixes)
    document: dict[str, Any] = {"@context": [EPCIS_CONTEXT], "type": kind}
    for name, value in root.attrib.items():
        if name[:1] != "{":
            document[name] = value
    body: dict[str, Any] | None = None
    for part in reader.children(root):
        local = _local(part.tag)
        if local == "EPCISBody":
            body = _body(reader, part)
        elif local == "EPCISHeader":
            document["epcisHeader"] = reader.generic(part)
        elif local == "ignoreFields":
            document[reader.key(part.tag)] = [reader.key(k.tag) for k in part]
        else:
            reader.add(document, reader.key(part.tag), reader.generic(part))
    if body is None:
        raise DocumentError("XML", f"{kind} has no EPCISBody with an EventList")
    document["epcisBody"] = body
    if reader.used:
        document["@context"].append(dict(sorted(reader.used.items())))
    return document


def _bare_event(root: Element, prefixes: dict[str, str]) -> dict[str, Any]:
    for name in _DOCUMENT_ATTRIBUTES:
        root.attrib.pop(name, None)
    reader = _Reader(prefixes)
    event = reader.event(root)
    context: list[Any] = [EPCIS_CONTEXT]
    if reader.used:
        context.append(dict(sorted(reader.used.items())))
    return {"@context": context, **event}


def _body(reader: _Reader, body: Element) -> dict[str, Any]:
    for part in reader.children(body):
        local = _local(part.tag)
        if local == "EventList":
            return {"eventList": reader.events(part)}
        if local == "QueryResults":
            results: dict[str, Any] = {}
            for item in reader.children(part):
                name = _local(item.tag)
                if name == "resultsBody":
                    lists = [e for e in reader.children(item) if _local(e.tag) == "EventList"]
                    results["resultsBody"] = {"eventList": reader.events(lists[0]) if lists else []}
                elif name == "ignoreFields":
                    results[reader.key(item.tag)] = [reader.key(k.tag) for k in item]
                elif item.tag[:1] != "{":
                    results[name] = (item.text or "").strip()
                else:
                    reader.add(results, reader.key(item.tag), reader.generic(item))
            return {"queryResults": results}
    raise DocumentError("XML", "EPCISBody has no EventList or QueryResults")
