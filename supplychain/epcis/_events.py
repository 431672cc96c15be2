"""Reading one JSON-LD event object into the model, recording every problem found on the way."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from supplychain.epcis import cbv
from supplychain.epcis._fields import Path, Reader, describe, is_offset
from supplychain.epcis.model import (
    EVENT_TYPES,
    Action,
    BizTransaction,
    ErrorDeclaration,
    Event,
    Location,
    PersistentDisposition,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
)

COMMON_KEYS = (
    "type", "@context", "eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "errorDeclaration",
    "certificationInfo", "bizStep", "disposition", "persistentDisposition", "readPoint", "bizLocation",
    "bizTransactionList", "sourceList", "destinationList", "sensorElementList",
)  # fmt: skip
TYPE_KEYS: Mapping[str, tuple[str, ...]] = {
    "ObjectEvent": ("action", "epcList", "quantityList", "ilmd"),
    "AggregationEvent": ("action", "parentID", "childEPCs", "childQuantityList"),
    "TransactionEvent": ("action", "parentID", "epcList", "quantityList"),
    "TransformationEvent": (
        "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList", "transformationID", "ilmd",
    ),
    "AssociationEvent": ("action", "parentID", "childEPCs", "childQuantityList"),
}  # fmt: skip
_ALL_TYPE_KEYS = frozenset(k for keys in TYPE_KEYS.values() for k in keys)
_UOM = re.compile(r"^[A-Z0-9]{2,3}$")
_HEX = re.compile(r"^[A-Fa-f0-9]+$")
_SENSOR_URIS = ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod")
_SENSOR_NUMBERS = ("value", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue")
_SENSOR_REPORT_KEYS = (
    "type", "exception", *_SENSOR_URIS, "bizRules", "time", "microorganism", "chemicalSubstance", *_SENSOR_NUMBERS,
    "component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue", "uom", "coordinateReferenceSystem",
)  # fmt: skip
_SENSOR_METADATA_KEYS = ("time", "startTime", "endTime", *_SENSOR_URIS, "bizRules")
# The order the EPCIS 2.0 XSD's sequences give the standard elements (EPCISEventType, then each event type's own;
# the 1.x ``extension`` / ``baseExtension`` wrappers, dissolved by the XML reader, sit where these orders keep them).
_XSD_COMMON = (
    "eventTime", "recordTime", "eventTimeZoneOffset", "eventID", "errorDeclaration", "certificationInfo",
)  # fmt: skip
_XSD_TAIL = ("sourceList", "destinationList", "sensorElementList", "persistentDisposition")
XSD_ORDER: Mapping[str, tuple[str, ...]] = {
    "ObjectEvent": (
        *_XSD_COMMON, "epcList", "action", "bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList",
        "quantityList", *_XSD_TAIL, "ilmd",
    ),
    "AggregationEvent": (
        *_XSD_COMMON, "parentID", "childEPCs", "action", "bizStep", "disposition", "readPoint", "bizLocation",
        "bizTransactionList", "childQuantityList", *_XSD_TAIL,
    ),
    "TransactionEvent": (
        *_XSD_COMMON, "bizTransactionList", "parentID", "epcList", "action", "bizStep", "disposition", "readPoint",
        "bizLocation", "quantityList", *_XSD_TAIL,
    ),
    "TransformationEvent": (
        *_XSD_COMMON, "inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList", "transformationID",
        "bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList", *_XSD_TAIL, "ilmd",
    ),
    "AssociationEvent": (
        *_XSD_COMMON, "parentID", "childEPCs", "childQuantityList", "action", "bizStep", "disposition", "readPoint",
        "bizLocation", "bizTransactionList", *_XSD_TAIL,
    ),
    "quantityElement": ("epcClass", "quantity", "uom"),
    "errorDeclaration": ("declarationTime", "reason", "correctiveEventIDs"),
    "sensorElement": ("sensorMetadata", "sensorReport"),
}  # fmt: skip
"""Per XML element type, its standard children in the XSD's order (extension elements are not ranked)."""


def read_event(obj: Any, reader: Reader, path: Path) -> Event | None:
    """Build the event at ``path`` from its JSON-LD object, or return ``None`` after recording its problems."""
    if not isinstance(obj, Mapping):
        reader.error(path, f"expected an event object, got {describe(obj)}")
        return None
    type_name = obj.get("type")
    if not isinstance(type_name, str) or type_name not in EVENT_TYPES:
        _unknown_type(obj, reader, path)
        return None
    before = len(reader.problems.items)
    if reader.xml:
        check_order(obj, type_name, reader, path)
    if "@context" in obj:
        _, terms, _ = reader.context(obj["@context"], (*path, "@context"))
        reader = reader.with_prefixes(terms)
    own = TYPE_KEYS[type_name]
    for key in obj:
        if key in _ALL_TYPE_KEYS and key not in own:
            message = (
                f"a {type_name} has no action" if key == "action" else f"field {key!r} does not belong to a {type_name}"
            )
            reader.error((*path, key), message)
    extensions = reader.extensions(obj, (*COMMON_KEYS, *_ALL_TYPE_KEYS), path, type_name)
    common = _common(obj, reader, path)
    common["extensions"] = extensions
    common["context"] = obj.get("@context")
    common["raw"] = obj
    common["index"] = reader.index
    specific = _specific(type_name, obj, reader, path)
    if len(reader.problems.items) > before:
        return None
    return EVENT_TYPES[type_name](**common, **specific)


def check_order(obj: Mapping[str, Any], element: str, reader: Reader, path: Path) -> None:
    """Record each standard child of an XML ``element`` that comes after one the XSD puts behind it."""
    ranks = {name: i for i, name in enumerate(XSD_ORDER[element])}
    latest: str | None = None
    for key in obj:
        rank = ranks.get(key)
        if rank is None:
            continue
        if latest is not None and rank < ranks[latest]:
            reader.error(
                (*path, key),
                f"element <{key}> is out of order: the EPCIS 2.0 XSD's {element} puts it before <{latest}>",
            )
        else:
            latest = key


def _what(type_name: str, obj: Mapping[str, Any], action: Action | None, r: Reader, path: Path) -> None:
    """The JSON schema's rule on what each event type is about (its ``anyOf`` of required lists); input only."""
    if not r.capture:
        return
    if type_name == "ObjectEvent":
        # an epcList (even empty), a non-empty quantityList, or sensor data with a readPoint
        if "epcList" in obj or obj.get("quantityList") or (obj.get("sensorElementList") and "readPoint" in obj):
            return
        r.error(
            (*path, "epcList"),
            "an ObjectEvent needs what it observes: epcList, a non-empty quantityList, or a non-empty "
            "sensorElementList with a readPoint",
        )
    elif type_name == "TransactionEvent":
        if "epcList" in obj or obj.get("quantityList") or action == Action.DELETE:
            return
        r.error((*path, "epcList"), "a TransactionEvent needs epcList or a non-empty quantityList (unless DELETE)")
    elif type_name == "TransformationEvent":
        inputs = bool(obj.get("inputEPCList") or obj.get("inputQuantityList"))
        outputs = bool(obj.get("outputEPCList") or obj.get("outputQuantityList"))
        if (inputs and outputs) or ((inputs or outputs) and "transformationID" in obj):
            return
        missing = "outputEPCList" if inputs else "inputEPCList"
        r.error(
            (*path, missing),
            "a TransformationEvent needs inputs (a non-empty inputEPCList or inputQuantityList) and outputs (a "
            "non-empty outputEPCList or outputQuantityList), or one of them and a transformationID",
        )
    elif not (obj.get("childEPCs") or obj.get("childQuantityList") or action == Action.DELETE):
        r.error(
            (*path, "childEPCs"),
            f"an {type_name} needs a non-empty childEPCs or childQuantityList (unless DELETE)",
        )


def _unknown_type(obj: Mapping[str, Any], reader: Reader, path: Path) -> None:
    names = ", ".join(EVENT_TYPES)
    if "type" not in obj:
        reader.error((*path, "type"), f"required field 'type' is missing: expected one of {names}")
        return
    value = obj["type"]
    close = difflib.get_close_matches(value, list(EVENT_TYPES), n=1) if isinstance(value, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    reader.error((*path, "type"), f"unknown event type {value!r}{hint}: expected one of {names}")


def _common(obj: Mapping[str, Any], r: Reader, path: Path) -> dict[str, Any]:
    offset = r.string(obj, "eventTimeZoneOffset", path, required=True)
    if offset is not None and not is_offset(offset):
        r.error(
            (*path, "eventTimeZoneOffset"),
            f"{offset!r} is not a valid time zone offset: expected ±hh:mm between -14:00 and +14:00",
        )
    return {
        "event_time": r.time(obj, "eventTime", path, required=True),
        "event_time_zone_offset": offset,
        "record_time": r.time(obj, "recordTime", path),
        "event_id": r.uri(obj, "eventID", path, what="eventID"),
        "error_declaration": _error_declaration(obj, r, path),
        "certification_info": _certification_info(obj, r, path),
        "biz_step": r.term(obj, "bizStep", path, cbv.BIZ_STEP_VOCAB),
        "disposition": r.term(obj, "disposition", path, cbv.DISPOSITION_VOCAB),
        "persistent_disposition": _persistent_disposition(obj, r, path),
        "read_point": _location(obj, "readPoint", r, path),
        "biz_location": _location(obj, "bizLocation", r, path),
        "biz_transaction_list": _biz_transactions(obj, r, path),
        "source_list": _source_dest(obj, "sourceList", "source", r, path),
        "destination_list": _source_dest(obj, "destinationList", "destination", r, path),
        "sensor_element_list": _sensor_elements(obj, r, path),
    }


def _specific(type_name: str, obj: Mapping[str, Any], r: Reader, path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if type_name == "TransformationEvent":
        out["input_epc_list"] = r.uri_list(obj, "inputEPCList", path)
        out["input_quantity_list"] = _quantities(obj, "inputQuantityList", r, path)
        out["output_epc_list"] = r.uri_list(obj, "outputEPCList", path)
        out["output_quantity_list"] = _quantities(obj, "outputQuantityList", r, path)
        out["transformation_id"] = r.uri(obj, "transformationID", path, what="transformationID")
        out["ilmd"] = _ilmd(obj, r, path)
        _what(type_name, obj, None, r, path)
        return out
    action = _action(obj, r, path)
    out["action"] = action
    _what(type_name, obj, action, r, path)
    if type_name in ("ObjectEvent", "TransactionEvent"):
        out["epc_list"] = r.uri_list(obj, "epcList", path)
        out["quantity_list"] = _quantities(obj, "quantityList", r, path)
    if type_name == "ObjectEvent":
        out["ilmd"] = _ilmd(obj, r, path)
        return out
    parent_required = type_name == "AssociationEvent" or (
        type_name == "AggregationEvent" and action in (Action.ADD, Action.DELETE)
    )
    out["parent_id"] = r.uri(obj, "parentID", path, required=parent_required, what="parentID")
    if type_name == "TransactionEvent":
        if not obj.get("bizTransactionList"):
            r.error((*path, "bizTransactionList"), "a TransactionEvent needs a non-empty bizTransactionList")
        return out
    out["child_epcs"] = r.uri_list(obj, "childEPCs", path)
    out["child_quantity_list"] = _quantities(obj, "childQuantityList", r, path)
    return out


def _action(obj: Mapping[str, Any], r: Reader, path: Path) -> Action | None:
    value = r.string(obj, "action", path, required=True)
    if value is None:
        return None
    if value not in Action.__members__:
        r.error((*path, "action"), f"unknown action {value!r}: expected ADD, OBSERVE or DELETE")
        return None
    return Action(value)


def _quantities(obj: Mapping[str, Any], key: str, r: Reader, path: Path) -> tuple[QuantityElement, ...]:
    out: list[QuantityElement] = []
    for i, item in enumerate(r.array(obj, key, path) or ()):
        where = (*path, key, i)
        if not isinstance(item, Mapping):
            r.error(where, f"expected a quantity element object, got {describe(item)}")
            continue
        r.closed(item, ("epcClass", "quantity", "uom"), where, "a quantity element")
        if r.xml:
            check_order(item, "quantityElement", r, where)
        epc_class = r.uri(item, "epcClass", where, required=True, what="epcClass")
        # null: XML's <quantity xsi:nil="true"/> (nillable in the XSD), read as no quantity
        quantity = None if item.get("quantity", 0) is None else r.number(item, "quantity", where, non_negative=True)
        uom = r.string(item, "uom", where)
        if uom is not None and not _UOM.match(uom):
            r.error((*where, "uom"), f"{uom!r} is not a UN/ECE Rec. 20 unit code: expected 2-3 of A-Z, 0-9")
        if epc_class is not None:
            out.append(QuantityElement(epc_class=epc_class, quantity=quantity, uom=uom))
    return tuple(out)


def _ilmd(obj: Mapping[str, Any], r: Reader, path: Path) -> dict[str, Any] | None:
    ilmd = r.mapping(obj, "ilmd", path)
    if ilmd is None:
        return None
    r.shown_text(ilmd, (*path, "ilmd"), "ILMD")  # the product's name on its page comes from here
    return r.extensions(ilmd, (), (*path, "ilmd"), "ilmd")


def _certification_info(obj: Mapping[str, Any], r: Reader, path: Path) -> tuple[str, ...]:
    if "certificationInfo" not in obj:
        return ()
    value = obj["certificationInfo"]
    if isinstance(value, list):
        return r.uri_list(obj, "certificationInfo", path, "certificationInfo URI")
    uri = r.check_uri(value, (*path, "certificationInfo"), "certificationInfo URI")
    return () if uri is None else (uri,)


def _error_declaration(obj: Mapping[str, Any], r: Reader, path: Path) -> ErrorDeclaration | None:
    decl = r.mapping(obj, "errorDeclaration", path)
    if decl is None:
        return None
    where = (*path, "errorDeclaration")
    if r.xml:
        check_order(decl, "errorDeclaration", r, where)
    known = ("declarationTime", "reason", "correctiveEventIDs")
    extensions = r.extensions(decl, known, where, "errorDeclaration")
    time = r.time(decl, "declarationTime", where, required=True)
    reason = r.term(decl, "reason", where, cbv.ERROR_REASON_VOCAB)
    corrective = r.uri_list(decl, "correctiveEventIDs", where, "eventID")
    if time is None:
        return None
    return ErrorDeclaration(
        declaration_time=time, reason=reason, corrective_event_ids=corrective, extensions=extensions
    )


def _persistent_disposition(obj: Mapping[str, Any], r: Reader, path: Path) -> PersistentDisposition | None:
    value = r.mapping(obj, "persistentDisposition", path)
    if value is None:
        return None
    where = (*path, "persistentDisposition")
    r.closed(value, ("set", "unset"), where, "persistentDisposition")
    parts: dict[str, tuple[str, ...]] = {}
    for key in ("set", "unset"):
        terms = [
            r.check_term(v, (*where, key, i), cbv.DISPOSITION_VOCAB)
            for i, v in enumerate(r.array(value, key, where) or ())
        ]
        parts[key] = tuple(t for t in terms if t is not None)
        if r.capture and value.get(key) == []:
            r.error((*where, key), f"persistentDisposition.{key} must not be empty: leave it out instead")
    if r.capture and "set" not in value and "unset" not in value:
        r.error(where, "persistentDisposition needs set or unset")
    return PersistentDisposition(set=parts["set"], unset=parts["unset"])


def _location(obj: Mapping[str, Any], key: str, r: Reader, path: Path) -> Location | None:
    value = r.mapping(obj, key, path)
    if value is None:
        return None
    where = (*path, key)
    extensions = r.extensions(value, ("id",), where, key)
    ident = r.uri(value, "id", where, required=True, what=f"{key} id")
    return None if ident is None else Location(id=ident, extensions=extensions)


def _biz_transactions(obj: Mapping[str, Any], r: Reader, path: Path) -> tuple[BizTransaction, ...]:
    out: list[BizTransaction] = []
    for i, item in enumerate(r.array(obj, "bizTransactionList", path) or ()):
        where = (*path, "bizTransactionList", i)
        if not isinstance(item, Mapping):
            r.error(where, f"expected a bizTransaction object, got {describe(item)}")
            continue
        r.closed(item, ("type", "bizTransaction"), where, "a bizTransaction")
        kind = r.term(item, "type", where, cbv.BIZ_TRANSACTION_TYPE_VOCAB)
        ident = r.uri(item, "bizTransaction", where, required=True, what="bizTransaction")
        if ident is not None:
            out.append(BizTransaction(biz_transaction=ident, type=kind))
    return tuple(out)


def _source_dest(obj: Mapping[str, Any], key: str, field: str, r: Reader, path: Path) -> tuple[SourceDest, ...]:
    out: list[SourceDest] = []
    for i, item in enumerate(r.array(obj, key, path) or ()):
        where = (*path, key, i)
        if not isinstance(item, Mapping):
            r.error(where, f"expected a {field} object, got {describe(item)}")
            continue
        r.closed(item, ("type", field), where, f"a {field}")
        kind = r.term(item, "type", where, cbv.SOURCE_DESTINATION_TYPE_VOCAB, required=True)
        ident = r.uri(item, field, where, required=True, what=field)
        if kind is not None and ident is not None:
            out.append(SourceDest(type=kind, id=ident))
    return tuple(out)


def _sensor_elements(obj: Mapping[str, Any], r: Reader, path: Path) -> tuple[SensorElement, ...]:
    out: list[SensorElement] = []
    for i, item in enumerate(r.array(obj, "sensorElementList", path) or ()):
        where = (*path, "sensorElementList", i)
        if not isinstance(item, Mapping):
            r.error(where, f"expected a sensor element object, got {describe(item)}")
            continue
        if r.xml:
            check_order(item, "sensorElement", r, where)
        extensions = r.extensions(item, ("sensorMetadata", "sensorReport"), where, "a sensor element")
        meta = r.mapping(item, "sensorMetadata", where)
        metadata = None if meta is None else _sensor_metadata(meta, r, (*where, "sensorMetadata"))
        reports = r.array(item, "sensorReport", where)
        if not reports:
            if reports is not None or "sensorReport" not in item:
                r.error((*where, "sensorReport"), "a sensor element needs at least one sensorReport")
            continue
        parsed = [_sensor_report(rep, r, (*where, "sensorReport", j)) for j, rep in enumerate(reports)]
        out.append(
            SensorElement(reports=tuple(p for p in parsed if p is not None), metadata=metadata, extensions=extensions)
        )
    return tuple(out)


def _sensor_metadata(meta: Mapping[str, Any], r: Reader, where: Path) -> SensorMetadata:
    extensions = r.extensions(meta, _SENSOR_METADATA_KEYS, where, "sensorMetadata")
    return SensorMetadata(
        time=r.time(meta, "time", where),
        start_time=r.time(meta, "startTime", where),
        end_time=r.time(meta, "endTime", where),
        device_id=r.uri(meta, "deviceID", where, what="deviceID"),
        device_metadata=r.uri(meta, "deviceMetadata", where, what="deviceMetadata"),
        raw_data=r.uri(meta, "rawData", where, what="rawData"),
        data_processing_method=r.uri(meta, "dataProcessingMethod", where, what="dataProcessingMethod"),
        biz_rules=r.uri(meta, "bizRules", where, what="bizRules"),
        extensions=extensions,
    )


def _sensor_report(rep: Any, r: Reader, where: Path) -> SensorReport | None:
    if not isinstance(rep, Mapping):
        r.error(where, f"expected a sensorReport object, got {describe(rep)}")
        return None
    extensions = r.extensions(rep, _SENSOR_REPORT_KEYS, where, "sensorReport")
    hex_value = r.string(rep, "hexBinaryValue", where)
    if hex_value is not None and not _HEX.match(hex_value):
        r.error((*where, "hexBinaryValue"), f"{hex_value!r} is not hexBinary: expected digits 0-9 and A-F")
    numbers = {key: r.number(rep, key, where) for key in _SENSOR_NUMBERS}
    return SensorReport(
        type=r.term(rep, "type", where, cbv.SENSOR_MEASUREMENT_TYPE_VOCAB),
        exception=r.term(rep, "exception", where, cbv.SENSOR_ALERT_TYPE_VOCAB),
        device_id=r.uri(rep, "deviceID", where, what="deviceID"),
        device_metadata=r.uri(rep, "deviceMetadata", where, what="deviceMetadata"),
        raw_data=r.uri(rep, "rawData", where, what="rawData"),
        data_processing_method=r.uri(rep, "dataProcessingMethod", where, what="dataProcessingMethod"),
        biz_rules=r.uri(rep, "bizRules", where, what="bizRules"),
        time=r.time(rep, "time", where),
        microorganism=r.uri(rep, "microorganism", where, what="microorganism"),
        chemical_substance=r.uri(rep, "chemicalSubstance", where, what="chemicalSubstance"),
        value=numbers["value"],
        component=r.term(rep, "component", where, cbv.COMPONENT_VOCAB),
        string_value=r.string(rep, "stringValue", where),
        boolean_value=r.boolean(rep, "booleanValue", where),
        hex_binary_value=hex_value,
        uri_value=r.uri(rep, "uriValue", where, what="uriValue"),
        min_value=numbers["minValue"],
        max_value=numbers["maxValue"],
        mean_value=numbers["meanValue"],
        s_dev=numbers["sDev"],
        perc_rank=numbers["percRank"],
        perc_value=numbers["percValue"],
        uom=r.string(rep, "uom", where),
        coordinate_reference_system=r.uri(rep, "coordinateReferenceSystem", where, what="coordinate system"),
        extensions=extensions,
    )
