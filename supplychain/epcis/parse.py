"""Parse EPCIS 2.0 documents (JSON-LD or XML) and single events into the model, refusing anything non-standard.

Resource limits are checked first and each raises its own ``EpcisLimitError``. Then every rule is checked and
every problem of the document (up to ``Limits.max_problems``) is collected into one ``EpcisValidationError``,
each naming the event (index and eventID), the field (``epcisBody.eventList[3].quantityList[0].quantity``) and
what was expected.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any

from supplychain.epcis._events import read_event
from supplychain.epcis._fields import (
    EPCIS_CONTEXT,
    STANDARD_PREFIXES,
    CapReachedError,
    Path,
    Problems,
    Reader,
    describe,
)
from supplychain.epcis.limits import (
    DEFAULT_LIMITS,
    Limits,
    check_document_size,
    check_tree,
    format_path,
)
from supplychain.epcis.model import EVENT_TYPES, EpcisDocument, Event
from supplychain.errors import (
    DocumentError,
    EpcisMediaTypeError,
    EpcisSyntaxError,
    EpcisValidationError,
    NestingTooDeepError,
    TooManyEventsError,
)
from supplychain.jsondepth import nesting_depth, within_depth

__all__ = [
    "JSON_MEDIA_TYPES",
    "XML_MEDIA_TYPES",
    "parse_document",
    "parse_document_object",
    "parse_document_or_event",
    "parse_event",
]

JSON_MEDIA_TYPES = ("application/ld+json", "application/json")
XML_MEDIA_TYPES = ("application/xml", "text/xml")
DOCUMENT_TYPES = ("EPCISDocument", "EPCISQueryDocument")
_DOCUMENT_KEYS = (
    "@context", "id", "type", "schemaVersion", "creationDate", "instanceIdentifier", "sender", "receiver",
    "epcisHeader", "epcisBody",
)  # fmt: skip
_SCHEMA_VERSION = re.compile(r"^2\.0(?:\.\d+)?$")
_BOM = b"\xef\xbb\xbf"
_XML_EXTRA_DEPTH = 8
# The bracket pre-check's bound: above max_depth (check_tree counts exactly), far below what the C stack holds.
_JSON_EXTRA_DEPTH = 16


def parse_document(data: bytes, *, media_type: str | None = None, limits: Limits = DEFAULT_LIMITS) -> EpcisDocument:
    """Parse an EPCIS 2.0 ``EPCISDocument`` or ``EPCISQueryDocument``.

    Args:
        data: The document as received.
        media_type: ``application/ld+json`` / ``application/json`` or ``application/xml`` / ``text/xml``
            (parameters such as ``charset`` are ignored); ``None`` sniffs the first non-blank byte.
        limits: Resource limits.

    Returns:
        The document, each event keeping its JSON-LD object (``raw``) and its index.

    Raises:
        EpcisMediaTypeError: ``media_type`` is neither JSON nor XML.
        EpcisSyntaxError: Not well-formed JSON / XML, or not an object at the top.
        EpcisLimitError: A limit was exceeded (the subclass names which).
        EpcisValidationError: Every rule broken, as a list of ``Problem``.
    """
    raw = bytes(data)
    check_document_size(len(raw), limits)
    xml = _is_xml(raw, media_type)
    tree: Any = _decode_xml(raw, limits) if xml else _decode_json(raw, limits)
    return _document_tree(tree, limits, xml=xml)  # checks the tree's limits once


def parse_document_or_event(
    data: bytes, *, media_type: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> EpcisDocument | Event:
    """Parse an EPCIS 2.0 document, or one bare event (the REST binding's single-event capture), JSON-LD or XML.

    A bare event is recognised by its type (JSON-LD ``"type": "ObjectEvent"`` …, or an XML root element named after
    an event type). It must carry its own ``@context`` naming the EPCIS 2.0 context (the JSON schema's
    ``required-ld-context``; the XML reader gives it one), and gets the very checks an event of a document gets.

    Returns:
        The :class:`EpcisDocument` or, for a bare event, the :class:`Event` (index 0).

    Raises:
        The exceptions of :func:`parse_document`.
    """
    raw = bytes(data)
    check_document_size(len(raw), limits)
    xml = _is_xml(raw, media_type)
    tree: Any = _decode_xml(raw, limits, bare_event=True) if xml else _decode_json(raw, limits)
    if isinstance(tree, Mapping) and tree.get("type") in EVENT_TYPES:
        return _event_tree(tree, 0, None, limits, xml=xml, bare=True)
    return _document_tree(tree, limits, xml=xml)


def parse_document_object(obj: Any, *, limits: Limits = DEFAULT_LIMITS) -> EpcisDocument:
    """Validate an already-decoded JSON-LD document (see :func:`parse_document`; limits are checked here too)."""
    return _document_tree(obj, limits, xml=False)


def _document_tree(obj: Any, limits: Limits, *, xml: bool) -> EpcisDocument:
    if not isinstance(obj, Mapping):
        raise EpcisSyntaxError("EPCIS JSON-LD", f"expected a document object at the top, got {describe(obj)}")
    check_tree(obj, limits)
    problems = Problems(limits.max_problems)
    doc: EpcisDocument | None = None
    with contextlib.suppress(CapReachedError):
        doc = _document(obj, problems, limits, xml)
    if problems.items:
        raise EpcisValidationError(problems.items, truncated=problems.truncated)
    if doc is None:
        raise AssertionError("unreachable: a document was refused without a problem")
    return doc


def parse_event(
    obj: Mapping[str, Any], *, index: int = 0, context: Any = None, limits: Limits = DEFAULT_LIMITS
) -> Event:
    """Parse one JSON-LD event object taken out of a document, or read back from storage.

    Input to capture, one bare event included, goes through :func:`parse_document_or_event` instead: it also applies
    the rules added for input only (what each event type names, a persistentDisposition setting something), which
    events stored before them may break and must still read.

    Args:
        obj: The event object as decoded.
        index: Its position, reported in problems and kept on the event.
        context: The ``@context`` that applies (the document's), declaring extension prefixes; the event's own
            ``@context``, if it has one, applies as well. The EPCIS context's own prefixes are always known.
        limits: Resource limits.

    Raises:
        EpcisLimitError: A limit was exceeded.
        EpcisValidationError: Every rule broken.
    """
    return _event_tree(obj, index, context, limits, xml=False, bare=False)


def _event_tree(obj: Any, index: int, context: Any, limits: Limits, *, xml: bool, bare: bool) -> Event:
    check_tree(obj, limits)
    event_id = obj.get("eventID") if isinstance(obj, Mapping) else None
    problems = Problems(limits.max_problems)
    known_id = event_id if isinstance(event_id, str) else None
    reader = Reader(problems, index, known_id, STANDARD_PREFIXES, xml=xml, capture=bare)
    event: Event | None = None
    with contextlib.suppress(CapReachedError):
        if context is not None:
            _, terms, _ = reader.context(context, ("@context",))
            reader = reader.with_prefixes(terms)
        if bare:
            _bare_context(obj, reader)
        event = read_event(obj, reader, ())
    if problems.items:
        raise EpcisValidationError(problems.items, truncated=problems.truncated)
    if event is None:
        raise AssertionError("unreachable: an event was refused without a problem")
    return event


# --- decoding -----------------------------------------------------------------------------------------------


def _is_xml(data: bytes, media_type: str | None) -> bool:
    if media_type is not None:
        base = media_type.split(";", 1)[0].strip().lower()
        if base in JSON_MEDIA_TYPES or base.endswith("+json"):
            return False
        if base in XML_MEDIA_TYPES or base.endswith("+xml"):
            return True
        raise EpcisMediaTypeError(media_type, (*JSON_MEDIA_TYPES, *XML_MEDIA_TYPES))
    head = data.removeprefix(_BOM).lstrip()[:1]
    if head == b"<":
        return True
    if head in (b"{", b"["):
        return False
    raise EpcisSyntaxError("EPCIS JSON-LD or XML", "input starts with neither '{' (JSON) nor '<' (XML)")


def _decode_json(data: bytes, limits: Limits) -> Any:
    # The decoder must never see deep nesting: it recurses, and may crash the process (see supplychain.jsondepth).
    bound = limits.max_depth + _JSON_EXTRA_DEPTH
    if not within_depth(data, bound) and (depth := nesting_depth(data)) > bound:
        raise NestingTooDeepError("max_depth", limits.max_depth, depth)
    try:
        text = data.removeprefix(_BOM).decode("utf-8")
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, duplicate keys, NaN, huge integers
        raise EpcisSyntaxError("JSON", str(exc)) from None


def _decode_xml(data: bytes, limits: Limits, *, bare_event: bool = False) -> Any:
    from supplychain.epcis.xmldoc import xml_to_jsonld  # the XML binding is only loaded when XML arrives

    try:
        # XML nests a few levels deeper than its JSON-LD form; check_tree then applies max_depth exactly.
        return xml_to_jsonld(data, max_depth=limits.max_depth + _XML_EXTRA_DEPTH, bare_event=bare_event)
    except DocumentError as exc:
        if exc.reason.startswith("elements are nested deeper"):
            # the converter stops reading at its bound, so the depth found is at least one more than it
            raise NestingTooDeepError("max_depth", limits.max_depth, limits.max_depth + _XML_EXTRA_DEPTH + 1) from exc
        raise EpcisSyntaxError("XML", exc.reason) from exc


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# --- document structure -------------------------------------------------------------------------------------


def _bare_context(obj: Mapping[str, Any], reader: Reader) -> None:
    if "@context" not in obj:
        reader.error(("@context",), "required field '@context' is missing: a bare event carries the EPCIS 2.0 context")
        return
    context = obj["@context"]
    entries = context if isinstance(context, list) else [context]  # read_event reads it: no problem twice
    if not any(isinstance(entry, str) and EPCIS_CONTEXT.match(entry) for entry in entries):
        reader.error(
            ("@context",),
            "@context must include the EPCIS 2.0 context https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        )


def _document(obj: Mapping[str, Any], problems: Problems, limits: Limits, xml: bool) -> EpcisDocument | None:
    r = Reader(problems, None, None, STANDARD_PREFIXES, xml=xml, capture=True)
    doc_type = obj.get("type")
    if doc_type not in DOCUMENT_TYPES:
        got = f"{doc_type!r}" if "type" in obj else "nothing"
        r.error(("type",), f"expected document type EPCISDocument or EPCISQueryDocument, got {got}")
        return None
    is_query = doc_type == "EPCISQueryDocument"
    namespaces: dict[str, str] = {}
    if "@context" not in obj:
        r.error(("@context",), "required field '@context' is missing")
    else:
        namespaces, terms, has_epcis = r.context(obj["@context"], ("@context",))
        if not has_epcis:
            r.error(
                ("@context",),
                "@context must include the EPCIS 2.0 context https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
            )
        r = r.with_prefixes(terms)
    extensions = r.extensions(obj, _DOCUMENT_KEYS, (), doc_type)
    version = r.string(obj, "schemaVersion", (), required=not is_query)
    if version is not None and not _SCHEMA_VERSION.match(version):
        r.error(("schemaVersion",), f"schemaVersion {version!r} is not supported: expected '2.0'")
    creation_date = r.time(obj, "creationDate", (), required=not is_query)
    header = r.mapping(obj, "epcisHeader", ())
    if header is not None:
        r.extensions(header, ("epcisMasterData",), ("epcisHeader",), "epcisHeader")
        if "epcisMasterData" in header:  # names of places and products
            r.shown_text(header["epcisMasterData"], ("epcisHeader", "epcisMasterData"), "master data")
    fields: dict[str, Any] = {
        "type": doc_type,
        "schema_version": version or "2.0",
        "creation_date": creation_date,
        "namespaces": namespaces,
        "id": r.uri(obj, "id", (), what="document id"),
        "sender": r.string(obj, "sender", ()),
        "receiver": r.string(obj, "receiver", ()),
        "instance_identifier": r.string(obj, "instanceIdentifier", ()),
        "epcis_header": header,
        "extensions": extensions,
        "context": obj.get("@context"),
        "raw": obj,
    }
    found = _event_list(obj, r, is_query, fields)
    if found is None:
        return None
    event_list, path = found
    if len(event_list) > limits.max_events:
        raise TooManyEventsError("max_events", limits.max_events, len(event_list), format_path(path))
    events: list[Event] = []
    for i, item in enumerate(event_list):
        event_id = item.get("eventID") if isinstance(item, Mapping) else None
        reader = Reader(problems, i, event_id if isinstance(event_id, str) else None, r.prefixes, xml=xml, capture=True)
        event = read_event(item, reader, (*path, i))
        if event is not None:
            events.append(event)
    if problems.items:
        return None
    return EpcisDocument(events=tuple(events), **fields)


def _required_object(r: Reader, obj: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any] | None:
    if key not in obj:
        r.error((*path, key), f"required field {key!r} is missing")
        return None
    return r.mapping(obj, key, path)


def _event_list(
    obj: Mapping[str, Any], r: Reader, is_query: bool, fields: dict[str, Any]
) -> tuple[list[Any], Path] | None:
    body = _required_object(r, obj, "epcisBody", ())
    if body is None:
        return None
    container: Mapping[str, Any] | None = body
    path: Path = ("epcisBody",)
    if not is_query:
        r.extensions(body, ("eventList",), path, "epcisBody")
    else:
        r.extensions(body, ("queryResults",), path, "epcisBody")
        results = _required_object(r, body, "queryResults", path)
        container = None
        if results is not None:
            path = (*path, "queryResults")
            r.extensions(results, ("queryName", "subscriptionID", "resultsBody"), path, "queryResults")
            fields["query_name"] = r.string(results, "queryName", path, required=True)
            fields["subscription_id"] = r.string(results, "subscriptionID", path)
            container = _required_object(r, results, "resultsBody", path)
            if container is not None:
                path = (*path, "resultsBody")
                r.extensions(container, ("eventList", "vocabularyList"), path, "resultsBody")
    if container is None:
        return None
    if "eventList" not in container:
        r.error((*path, "eventList"), "required field 'eventList' is missing")
        return None
    events = r.array(container, "eventList", path)
    return None if events is None else (events, (*path, "eventList"))
