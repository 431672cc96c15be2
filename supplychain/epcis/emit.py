"""Emit the model as EPCIS 2.0 JSON-LD, with the short CBV forms the standard's JSON-LD examples use."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from supplychain.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    EpcisDocument,
    Event,
    Location,
    ObjectEvent,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
)

__all__ = ["EPCIS_CONTEXT_URL", "document_to_jsonld", "format_timestamp", "to_jsonld"]

EPCIS_CONTEXT_URL = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"

_METADATA_FIELDS = (
    ("time", "time"), ("startTime", "start_time"), ("endTime", "end_time"), ("deviceID", "device_id"),
    ("deviceMetadata", "device_metadata"), ("rawData", "raw_data"),
    ("dataProcessingMethod", "data_processing_method"), ("bizRules", "biz_rules"),
)  # fmt: skip
_REPORT_FIELDS = (
    ("type", "type"), ("exception", "exception"), ("deviceID", "device_id"), ("deviceMetadata", "device_metadata"),
    ("rawData", "raw_data"), ("dataProcessingMethod", "data_processing_method"), ("bizRules", "biz_rules"),
    ("time", "time"),
    ("microorganism", "microorganism"), ("chemicalSubstance", "chemical_substance"), ("value", "value"),
    ("component", "component"), ("stringValue", "string_value"), ("booleanValue", "boolean_value"),
    ("hexBinaryValue", "hex_binary_value"), ("uriValue", "uri_value"), ("minValue", "min_value"),
    ("maxValue", "max_value"), ("meanValue", "mean_value"), ("sDev", "s_dev"), ("percRank", "perc_rank"),
    ("percValue", "perc_value"), ("uom", "uom"), ("coordinateReferenceSystem", "coordinate_reference_system"),
)  # fmt: skip


def format_timestamp(value: datetime) -> str:
    """``2019-10-21T11:00:30.000+01:00`` style (milliseconds unless microseconds are needed; ``Z`` for UTC)."""
    spec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    text = value.isoformat(timespec=spec)
    if value.utcoffset() == timedelta(0) and text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def document_to_jsonld(doc: EpcisDocument) -> dict[str, Any]:
    """Emit a whole document (an ``EPCISQueryDocument`` keeps its query results wrapper).

    ``@context`` is the EPCIS 2.0 context followed by the document's declared extension prefixes.
    """
    context: list[Any] = [EPCIS_CONTEXT_URL]
    if doc.namespaces:
        context.append(dict(doc.namespaces))
    out: dict[str, Any] = {"@context": context, "type": doc.type}
    if doc.id is not None:
        out["id"] = doc.id
    out["schemaVersion"] = doc.schema_version
    if doc.creation_date is not None:
        out["creationDate"] = format_timestamp(doc.creation_date)
    for key, value in (
        ("instanceIdentifier", doc.instance_identifier),
        ("sender", doc.sender),
        ("receiver", doc.receiver),
        ("epcisHeader", doc.epcis_header),
    ):
        if value is not None:
            out[key] = value
    out.update(doc.extensions)
    events = [to_jsonld(event) for event in doc.events]
    if doc.type == "EPCISQueryDocument":
        results: dict[str, Any] = {"queryName": doc.query_name}
        if doc.subscription_id is not None:
            results["subscriptionID"] = doc.subscription_id
        results["resultsBody"] = {"eventList": events}
        out["epcisBody"] = {"queryResults": results}
    else:
        out["epcisBody"] = {"eventList": events}
    return out


def to_jsonld(event: Event) -> dict[str, Any]:
    """Emit one event as a JSON-LD object (with its own ``@context`` only if it was captured with one)."""
    out: dict[str, Any] = {}
    _put(out, "@context", event.context)
    out["type"] = event.type_name
    out["eventTime"] = format_timestamp(event.event_time)
    out["eventTimeZoneOffset"] = event.event_time_zone_offset
    _put(out, "recordTime", event.record_time and format_timestamp(event.record_time))
    _put(out, "eventID", event.event_id)
    decl = event.error_declaration
    if decl is not None:
        declaration: dict[str, Any] = {"declarationTime": format_timestamp(decl.declaration_time)}
        _put(declaration, "reason", decl.reason)
        _put(declaration, "correctiveEventIDs", list(decl.corrective_event_ids))
        out["errorDeclaration"] = declaration | dict(decl.extensions)
    _what(event, out)
    _put(out, "bizStep", event.biz_step)
    _put(out, "disposition", event.disposition)
    pd = event.persistent_disposition
    if pd is not None:
        out["persistentDisposition"] = {k: list(v) for k, v in (("set", pd.set), ("unset", pd.unset)) if v}
    _put(out, "readPoint", event.read_point and _location(event.read_point))
    _put(out, "bizLocation", event.biz_location and _location(event.biz_location))
    _put(
        out,
        "bizTransactionList",
        [
            ({"type": bt.type} if bt.type is not None else {}) | {"bizTransaction": bt.biz_transaction}
            for bt in event.biz_transaction_list
        ],
    )
    _put(out, "sourceList", [_source_dest(s, "source") for s in event.source_list])
    _put(out, "destinationList", [_source_dest(d, "destination") for d in event.destination_list])
    _put(out, "sensorElementList", [_sensor_element(e) for e in event.sensor_element_list])
    if isinstance(event, ObjectEvent | TransformationEvent) and event.ilmd is not None:
        out["ilmd"] = dict(event.ilmd)
    info = event.certification_info
    _put(out, "certificationInfo", (info[0] if len(info) == 1 else list(info)) if info else None)
    out.update(event.extensions)
    return out


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is None or an empty list."""
    if value is not None and value != []:
        out[key] = value


def _what(event: Event, out: dict[str, Any]) -> None:
    if isinstance(event, ObjectEvent):
        _epcs(out, "epcList", event.epc_list)
        if not event.epc_list and not event.quantity_list:
            out["epcList"] = []  # an ObjectEvent names its objects: an empty epcList is valid, none at all is not
        _quantities(out, "quantityList", event.quantity_list)
    elif isinstance(event, AggregationEvent | AssociationEvent):
        _put(out, "parentID", event.parent_id)
        _epcs(out, "childEPCs", event.child_epcs)
        _quantities(out, "childQuantityList", event.child_quantity_list)
    elif isinstance(event, TransactionEvent):
        _put(out, "parentID", event.parent_id)
        _epcs(out, "epcList", event.epc_list)
        _quantities(out, "quantityList", event.quantity_list)
    else:
        _epcs(out, "inputEPCList", event.input_epc_list)
        _quantities(out, "inputQuantityList", event.input_quantity_list)
        _epcs(out, "outputEPCList", event.output_epc_list)
        _quantities(out, "outputQuantityList", event.output_quantity_list)
        _put(out, "transformationID", event.transformation_id)
    if not isinstance(event, TransformationEvent):
        out["action"] = event.action.value


def _epcs(out: dict[str, Any], key: str, epcs: tuple[str, ...]) -> None:
    _put(out, key, list(epcs))


def _quantities(out: dict[str, Any], key: str, items: tuple[QuantityElement, ...]) -> None:
    _put(out, key, [_quantity(q) for q in items])


def _quantity(q: QuantityElement) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": q.epc_class}
    _put(element, "quantity", q.quantity)
    _put(element, "uom", q.uom)
    return element


def _location(loc: Location) -> dict[str, Any]:
    return {"id": loc.id, **loc.extensions}


def _source_dest(item: SourceDest, key: str) -> dict[str, Any]:
    return {"type": item.type, key: item.id}


def _fields(obj: SensorMetadata | SensorReport, names: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for json_name, attr in names:
        value = getattr(obj, attr)
        if value is not None:
            out[json_name] = format_timestamp(value) if isinstance(value, datetime) else value
    out.update(obj.extensions)
    return out


def _sensor_element(element: SensorElement) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if element.metadata is not None:
        out["sensorMetadata"] = _fields(element.metadata, _METADATA_FIELDS)
    out["sensorReport"] = [_fields(r, _REPORT_FIELDS) for r in element.reports]
    out.update(element.extensions)
    return out
