"""EPCIS 2.0 XML documents (and bare events) read into the shape GS1's JSON-LD binding gives them.

One code path then serves both syntaxes (validation, storage, Event Hash IDs). The XML is parsed with
``defusedxml`` (no entity declarations, no external resources) and its nesting depth is bounded. A ``<!DOCTYPE>``
line is read when it is harmless: no external subset (``SYSTEM`` / ``PUBLIC``) and no entity declarations.

Mapping (EPCIS 2.0 standard, JSON-LD binding):

- ``EPCISDocument`` / ``EPCISQueryDocument`` -> ``{"@context": [...], "type": ..., "epcisBody": ...}``; the
  events of ``EventList`` (or of ``QueryResults/resultsBody/EventList``) -> ``eventList``. A bare event (the
  root element is an event, as the REST binding's ``POST /events`` takes it) -> that event with its ``@context``.
- ``<extension>`` / ``<baseExtension>`` wrappers of EPCIS 1.x are dissolved into their parent; standard elements
  written in an EPCIS namespace (``<epcis:action>``) are read as the unqualified standard elements.
- ``epcList`` / ``childEPCs`` / ``inputEPCList`` / ``outputEPCList`` -> lists of strings; the quantity lists ->
  lists of objects; ``bizTransactionList`` / ``sourceList`` / ``destinationList`` -> ``{"type", "<value>"}``
  objects; ``sensorElementList`` -> objects with ``sensorMetadata`` and a ``sensorReport`` list;
  ``persistentDisposition`` -> ``set`` / ``unset`` lists; ``errorDeclaration/correctiveEventIDs`` -> a list;
  ``EPCISHeader/EPCISMasterData`` -> ``epcisHeader.epcisMasterData`` with its ``vocabularyList``.
- Elements and attributes in other namespaces (user extensions) -> ``prefix:local`` keys, their prefixes
  declared in ``@context``; an element with attributes or children -> an object (text under ``#text``); an
  extension element named ``…List`` whose children all carry its name without ``List`` -> a JSON list of them.
- ``quantity`` and the decimal fields of a ``sensorReport`` -> JSON numbers when that is exact;
  ``booleanValue`` -> a JSON boolean; an element with ``xsi:nil="true"`` -> ``null``; everything else is text.
- XML comments and processing instructions are dropped.

Values keep their text: as GS1's reference reads XML, only ``cbv:`` and ``gs1:`` values stand for CBV / GS1 Web
Vocabulary URIs, so those two prefixes are declared in ``@context`` when a value uses them, and the prefix of an
extension namespace is renamed (``example`` -> ``example_1``) when some value starts with that prefix, so that no
value is read as a CURIE the XML did not make one.
"""

from __future__ import annotations

import io
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from supplychain.errors import DocumentError

__all__ = ["EPCIS_CONTEXT", "EVENT_TYPES", "xml_to_jsonld"]

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

EVENT_TYPES = frozenset(
    {"ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"}
)
"""The EPCIS 2.0 event types (a root element of one of these names is a bare event)."""

_EPC_LISTS = {"epcList", "childEPCs", "inputEPCList", "outputEPCList"}
_QUANTITY_LISTS = {"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"}
_PAIR_LISTS = {"bizTransactionList": "bizTransaction", "sourceList": "source", "destinationList": "destination"}
_NUMERIC = {"quantity", "value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue"}
_BOOLEAN = {"booleanValue"}
_WRAPPERS = {"extension", "baseExtension"}
_ROOTS = {"EPCISDocument", "EPCISQueryDocument"}
_EPCIS_NAMESPACES = frozenset(
    {
        "urn:epcglobal:epcis:xsd:2",
        "urn:epcglobal:epcis:xsd:1",
        "urn:epcglobal:epcis-query:xsd:2",
        "urn:epcglobal:epcis-query:xsd:1",
        "urn:epcglobal:epcis-masterdata:xsd:2",
        "urn:epcglobal:epcis-masterdata:xsd:1",
    }
)
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_VALUE_PREFIXES = {"cbv": "https://ref.gs1.org/cbv/", "gs1": "https://gs1.org/voc/"}
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
_DOCTYPE = re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s*(?:\[(?P<subset>[^\]]*)\]\s*)?>")
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


def _boolean(text: str) -> bool | str:
    """``text`` as a JSON boolean when it is an ``xsd:boolean``, else unchanged."""
    stripped = text.strip()
    if stripped in ("true", "1"):
        return True
    if stripped in ("false", "0"):
        return False
    return text


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
        """An element as a string (no attributes, no children), a list (``…List`` of items), ``None`` or an object."""
        kids = self.children(element)
        text = (element.text or "").strip()
        if not kids and not element.attrib:
            return text
        if not kids and not text and element.attrib.keys() == {_XSI_NIL} and element.attrib[_XSI_NIL] in ("true", "1"):
            return None
        if element.tag.endswith("List") and not element.attrib and not text and kids:
            item = element.tag[:-4]
            if all(k.tag == item for k in kids):
                return [self.generic(k) for k in kids]
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

    def object_of(self, element: Element, typed: bool = False) -> dict[str, Any]:
        """Attributes and children of a structured element as one object (numbers and booleans typed)."""
        value = self.generic(element)
        obj: dict[str, Any] = value if isinstance(value, dict) else {}
        if typed:
            for name in _NUMERIC.intersection(obj):
                if isinstance(obj[name], str):
                    obj[name] = _number(obj[name])
            for name in _BOOLEAN.intersection(obj):
                if isinstance(obj[name], str):
                    obj[name] = _boolean(obj[name])
        return obj

    def field(self, element: Element) -> Any:  # noqa: PLR0911
        """One standard field of an event (unqualified name), mapped as the JSON-LD binding does."""
        name = element.tag
        kids = self.children(element)
        if name in _EPC_LISTS:
            return [(k.text or "").strip() for k in kids]
        if name in _QUANTITY_LISTS:
            return [self.object_of(k, typed=True) for k in kids]
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
                obj.setdefault(key, []).append(self.object_of(kid, typed=True))
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

    def master_data(self, element: Element) -> dict[str, Any]:
        """``EPCISMasterData`` as the JSON binding writes it: ``vocabularyList`` of typed element lists."""
        vocabularies: list[dict[str, Any]] = []
        for vocabulary_list in self.children(element):
            if vocabulary_list.tag != "VocabularyList":
                continue
            for vocabulary in self.children(vocabulary_list):
                entry: dict[str, Any] = {"type": vocabulary.get("type", "")}
                for element_list in self.children(vocabulary):
                    if element_list.tag == "VocabularyElementList":
                        items = self.children(element_list)
                        entry["vocabularyElementList"] = [self.vocabulary_element(v) for v in items]
                vocabularies.append(entry)
        return {"vocabularyList": vocabularies}

    def vocabulary_element(self, element: Element) -> dict[str, Any]:
        out: dict[str, Any] = {"id": element.get("id", "")}
        for kid in self.children(element):
            if kid.tag == "attribute":
                value = self.generic(kid)
                attribute: dict[str, Any] = {"id": kid.get("id", "")}
                if isinstance(value, dict):
                    value.pop("id", None)
                    text = value.pop("#text", None)
                    value = value or text
                if value not in (None, "", {}):
                    attribute["attribute"] = value
                out.setdefault("attributes", []).append(attribute)
            elif kid.tag == "children":
                out["children"] = [(c.text or "").strip() for c in self.children(kid)]
        return out

    def header(self, element: Element) -> dict[str, Any]:
        header: dict[str, Any] = {}
        for kid in self.children(element):
            if kid.tag == "EPCISMasterData":
                header["epcisMasterData"] = self.master_data(kid)
            else:
                self.add(header, self.key(kid.tag), self.generic(kid))
        return header


def _doctype_allows(data: bytes) -> bool:
    """Whether ``data`` has a harmless DOCTYPE (refuse it, with the reason, when it is not)."""
    root = _ELEMENT_START.search(data)
    start = data.find(b"<!DOCTYPE", 0, root.start() if root else len(data))  # in the prolog only
    if start < 0:
        return False
    found = _DOCTYPE.match(data, start)
    if found is None:
        raise DocumentError(
            "XML", "refused unsafe XML: a DOCTYPE with an external subset (SYSTEM or PUBLIC), or not a plain one"
        )
    if b"<!ENTITY" in (found.group("subset") or b""):
        raise DocumentError("XML", "refused unsafe XML: entity declarations are not allowed")
    return True


def _parse(data: bytes, max_depth: int) -> tuple[Element, dict[str, str]]:
    """Parse safely, refusing entities, external resources and nesting deeper than ``max_depth``; collect prefixes."""
    namespaces: list[tuple[str, str]] = []
    depth = 0
    root: Element | None = None
    try:
        forbid_dtd = not _doctype_allows(data)
        for kind, item in iterparse(io.BytesIO(data), events=("start", "end", "start-ns"), forbid_dtd=forbid_dtd):
            if kind == "start":
                depth += 1
                if depth > max_depth:
                    raise DocumentError("XML", f"elements are nested deeper than {max_depth} levels")
                if root is None:
                    root = item
                elif item.tag[:1] == "{" and item.tag[1:].partition("}")[0] in _EPCIS_NAMESPACES:
                    item.tag = _local(item.tag)  # <epcis:action> is the standard field action
            elif kind == "end":
                depth -= 1
            else:
                namespaces.append((item[0], item[1]))
    except ParseError as exc:
        raise DocumentError("XML", f"malformed XML: {exc}") from None
    except DefusedXmlException as exc:
        raise DocumentError(
            "XML", f"refused unsafe XML ({type(exc).__name__}): entities and external resources are not allowed"
        ) from None
    if root is None:  # pragma: no cover - iterparse raises on an empty document
        raise DocumentError("XML", "no root element")
    return root, _prefixes(root, namespaces)


def _prefixes(root: Element, namespaces: list[tuple[str, str]]) -> dict[str, str]:
    """Namespace -> prefix for the keys of the JSON-LD form, none of them one that a value starts with."""
    in_values: set[str] = set()
    for element in root.iter():
        for text in (element.text, *element.attrib.values()):
            stripped = (text or "").lstrip()
            colon = stripped.find(":")
            if colon > 0:
                in_values.add(stripped[:colon])
    taken = in_values - set(_VALUE_PREFIXES)
    prefixes: dict[str, str] = {}
    for namespace, uri in namespaces:
        if uri in prefixes:
            continue
        fixed = next((p for p, u in _VALUE_PREFIXES.items() if u == uri), None)
        prefix = fixed or namespace or "ns"
        base, n = prefix, 0
        while prefix in taken or (prefix in _VALUE_PREFIXES and prefix != fixed):
            n += 1
            prefix = f"{base}_{n}"
        prefixes[uri] = prefix
        taken.add(prefix)
    return prefixes


def xml_to_jsonld(data: bytes, *, max_depth: int = 64, bare_event: bool = True) -> dict[str, Any]:
    """Read an EPCIS 2.0 XML document, query document or bare event into its JSON-LD form.

    Args:
        data: The XML bytes.
        max_depth: The deepest element nesting accepted.
        bare_event: Also read a single event as the root (the REST binding's single-event capture), into the JSON-LD
            event with its own ``@context``; ``False`` refuses anything but a document. The ``schemaVersion`` /
            ``creationDate`` attributes OpenEPCIS writes on such a root are the document's, not the event's: they
            are dropped (a deliberate difference from GS1's reference, which hashes them into the event's ID, so one
            event would get a new ID at each transmission; docs/epcis-conformance.md).

    Returns:
        The document (or the bare event) as GS1's JSON-LD binding would write it (see the module docstring).

    Raises:
        DocumentError: Malformed or unsafe XML (external DTD subset, entities), too deep, or not an EPCIS document
            or event.
    """
    root, prefixes = _parse(data, max_depth)
    kind = _local(root.tag)
    reader = _Reader(prefixes)
    if bare_event and kind in EVENT_TYPES:
        for name in _DOCUMENT_ATTRIBUTES:
            root.attrib.pop(name, None)
        root.tag = kind
        document: dict[str, Any] = {"@context": [EPCIS_CONTEXT], **reader.event(root)}
        return _with_context(document, reader, root)
    if kind not in _ROOTS:
        wanted = (
            "EPCISDocument, EPCISQueryDocument or an event" if bare_event else "EPCISDocument or EPCISQueryDocument"
        )
        raise DocumentError("XML", f"root element is {kind!r}, not {wanted}")
    document = {"@context": [EPCIS_CONTEXT], "type": kind}
    for name, value in root.attrib.items():
        if name[:1] != "{":
            document[name] = value
    body: dict[str, Any] | None = None
    for part in reader.children(root):
        local = _local(part.tag)
        if local == "EPCISBody":
            body = _body(reader, part)
        elif local == "EPCISHeader":
            document["epcisHeader"] = reader.header(part)
        elif local == "ignoreFields":
            document[reader.key(part.tag)] = [reader.key(k.tag) for k in part]
        else:
            reader.add(document, reader.key(part.tag), reader.generic(part))
    if body is None:
        raise DocumentError("XML", f"{kind} has no EPCISBody with an EventList")
    document["epcisBody"] = body
    return _with_context(document, reader, root)


def _with_context(document: dict[str, Any], reader: _Reader, root: Element) -> dict[str, Any]:
    """Declare the prefixes the keys use, and ``cbv`` / ``gs1`` when a value is written with them."""
    declared = dict(reader.used)
    for element in root.iter():
        for text in (element.text, *element.attrib.values()):
            for prefix, uri in _VALUE_PREFIXES.items():
                if text and text.lstrip().startswith(prefix + ":"):
                    declared[prefix] = uri
    if declared:
        document["@context"].append(dict(sorted(declared.items())))
    return document


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
