"""The EPCIS 2.0 event model: five event types with their what / when / where / why / how dimensions.

All classes are frozen, slotted dataclasses with keyword-only fields. Lists are tuples; CBV values (bizStep,
disposition, bizTransaction and source/destination types, error reasons, sensor types, components) hold the
short CBV form (``shipping``) or, for a user vocabulary, the URI as written. Extensions (namespaced keys) keep
their JSON values as decoded. Events compare by content: ``raw`` (the JSON-LD object exactly as received) and
``index`` (its position in the document) are kept for hashing and storage but take no part in ``==``.
Events hold dicts (extensions, ILMD), so they are compared, not hashed: identify them by their Event Hash ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeAlias

__all__ = [
    "EVENT_TYPES",
    "Action",
    "AggregationEvent",
    "AssociationEvent",
    "BizTransaction",
    "EpcisDocument",
    "EpcisEvent",
    "ErrorDeclaration",
    "Event",
    "Location",
    "ObjectEvent",
    "PersistentDisposition",
    "QuantityElement",
    "SensorElement",
    "SensorMetadata",
    "SensorReport",
    "SourceDest",
    "TransactionEvent",
    "TransformationEvent",
]

Number: TypeAlias = int | float
Extensions: TypeAlias = Mapping[str, Any]


def _no_extensions() -> dict[str, Any]:
    return {}


class Action(StrEnum):
    """What an event does to its objects' relation (EPCIS 2.0 §7.3.2)."""

    ADD = "ADD"
    OBSERVE = "OBSERVE"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True, kw_only=True)
class QuantityElement:
    """A quantity of a class of objects (``quantityList`` and its siblings).

    Attributes:
        epc_class: The class identifier (``urn:epc:class:lgtin:...``, an ``idpat`` or a Digital Link URI).
        quantity: How many / how much; ``None`` when the quantity is not known.
        uom: UN/ECE Recommendation 20 unit code (``KGM``); ``None`` for a count.
    """

    epc_class: str
    quantity: Number | None = None
    uom: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A ``readPoint`` or ``bizLocation``: an identifier and optional namespaced extensions."""

    id: str
    extensions: Extensions = field(default_factory=_no_extensions)


@dataclass(frozen=True, slots=True, kw_only=True)
class BizTransaction:
    """One ``bizTransactionList`` entry; ``type`` is a CBV short term, a URI, or ``None``."""

    biz_transaction: str
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDest:
    """One ``sourceList`` / ``destinationList`` entry: a CBV (or URI) type and the party or location."""

    type: str
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PersistentDisposition:
    """Dispositions set and unset by the event (short CBV forms or URIs)."""

    set: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorDeclaration:
    """An event's ``errorDeclaration``: this event is declared erroneous as of ``declaration_time``."""

    declaration_time: datetime
    reason: str | None = None
    corrective_event_ids: tuple[str, ...] = ()
    extensions: Extensions = field(default_factory=_no_extensions)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorMetadata:
    """``sensorMetadata`` of one sensor element (EPCIS 2.0 §7.3.8)."""

    time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    device_id: str | None = None
    device_metadata: str | None = None
    raw_data: str | None = None
    data_processing_method: str | None = None
    biz_rules: str | None = None
    extensions: Extensions = field(default_factory=_no_extensions)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorReport:
    """One ``sensorReport`` (EPCIS 2.0 §7.3.8); ``type`` is a GS1 measurement type short name or a URI."""

    type: str | None = None
    exception: str | None = None
    device_id: str | None = None
    device_metadata: str | None = None
    raw_data: str | None = None
    data_processing_method: str | None = None
    biz_rules: str | None = None
    time: datetime | None = None
    microorganism: str | None = None
    chemical_substance: str | None = None
    value: Number | None = None
    component: str | None = None
    string_value: str | None = None
    boolean_value: bool | None = None
    hex_binary_value: str | None = None
    uri_value: str | None = None
    min_value: Number | None = None
    max_value: Number | None = None
    mean_value: Number | None = None
    s_dev: Number | None = None
    perc_rank: Number | None = None
    perc_value: Number | None = None
    uom: str | None = None
    coordinate_reference_system: str | None = None
    extensions: Extensions = field(default_factory=_no_extensions)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorElement:
    """One ``sensorElementList`` entry: optional metadata and at least one report."""

    reports: tuple[SensorReport, ...]
    metadata: SensorMetadata | None = None
    extensions: Extensions = field(default_factory=_no_extensions)


@dataclass(frozen=True, slots=True, kw_only=True)
class EpcisEvent:
    """Fields every EPCIS 2.0 event has.

    Attributes:
        event_time: When the event happened (timezone-aware).
        event_time_zone_offset: The local offset at the event's place, ``+01:00``.
        record_time: When it was captured, if stated.
        event_id: ``eventID`` (often ``ni:///sha-256;...?ver=CBV2.0`` or ``urn:uuid:...``).
        error_declaration: Set when this event declares itself erroneous.
        certification_info: ``certificationInfo`` URIs.
        biz_step: CBV short term (``shipping``) or a user vocabulary URI.
        disposition: CBV short term (``in_transit``) or a user vocabulary URI.
        persistent_disposition: Dispositions set / unset.
        read_point: Where the event was observed.
        biz_location: Where the objects are afterwards.
        biz_transaction_list: Business transactions.
        source_list: Sources of a transfer.
        destination_list: Destinations of a transfer.
        sensor_element_list: Sensor data.
        extensions: Namespaced top-level keys (``example:myField``) with their JSON values.
        context: The event's own ``@context`` when it carries one (single-event capture), else ``None``.
        raw: The JSON-LD object exactly as received (``None`` for an event built in code); not compared.
        index: Position in the document's event list (``None`` when unknown); not compared.
    """

    type_name: ClassVar[str] = ""

    event_time: datetime
    event_time_zone_offset: str
    record_time: datetime | None = None
    event_id: str | None = None
    error_declaration: ErrorDeclaration | None = None
    certification_info: tuple[str, ...] = ()
    biz_step: str | None = None
    disposition: str | None = None
    persistent_disposition: PersistentDisposition | None = None
    read_point: Location | None = None
    biz_location: Location | None = None
    biz_transaction_list: tuple[BizTransaction, ...] = ()
    source_list: tuple[SourceDest, ...] = ()
    destination_list: tuple[SourceDest, ...] = ()
    sensor_element_list: tuple[SensorElement, ...] = ()
    extensions: Extensions = field(default_factory=_no_extensions)
    context: Any = None
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
    index: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectEvent(EpcisEvent):
    """Something happened to objects: observed, commissioned (ADD), decommissioned (DELETE)."""

    type_name: ClassVar[str] = "ObjectEvent"

    action: Action
    epc_list: tuple[str, ...] = ()
    quantity_list: tuple[QuantityElement, ...] = ()
    ilmd: Extensions | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AggregationEvent(EpcisEvent):
    """Objects were put into (ADD), seen in (OBSERVE) or taken out of (DELETE) a parent container."""

    type_name: ClassVar[str] = "AggregationEvent"

    action: Action
    parent_id: str | None = None
    child_epcs: tuple[str, ...] = ()
    child_quantity_list: tuple[QuantityElement, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionEvent(EpcisEvent):
    """Objects were associated with (ADD) or dissociated from (DELETE) business transactions."""

    type_name: ClassVar[str] = "TransactionEvent"

    action: Action
    parent_id: str | None = None
    epc_list: tuple[str, ...] = ()
    quantity_list: tuple[QuantityElement, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TransformationEvent(EpcisEvent):
    """Inputs were consumed and outputs produced (it has no action)."""

    type_name: ClassVar[str] = "TransformationEvent"

    input_epc_list: tuple[str, ...] = ()
    input_quantity_list: tuple[QuantityElement, ...] = ()
    output_epc_list: tuple[str, ...] = ()
    output_quantity_list: tuple[QuantityElement, ...] = ()
    transformation_id: str | None = None
    ilmd: Extensions | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationEvent(EpcisEvent):
    """Objects were associated with (ADD) or dissociated from (DELETE) a physical or digital parent."""

    type_name: ClassVar[str] = "AssociationEvent"

    action: Action
    parent_id: str
    child_epcs: tuple[str, ...] = ()
    child_quantity_list: tuple[QuantityElement, ...] = ()


Event: TypeAlias = ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent

EVENT_TYPES: Mapping[str, type[Event]] = {
    cls.type_name: cls
    for cls in (ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent)
}


@dataclass(frozen=True, slots=True, kw_only=True)
class EpcisDocument:
    """An ``EPCISDocument`` or ``EPCISQueryDocument`` and its events.

    Attributes:
        events: The events, in document order.
        type: ``EPCISDocument`` or ``EPCISQueryDocument``.
        schema_version: ``2.0``.
        creation_date: When the document was made (required for ``EPCISDocument``).
        namespaces: Extension prefixes declared in ``@context`` (``{"example": "https://ns.example.com/epcis/"}``).
        id: The document's ``id``, if any.
        sender: Sender (from ``sender``), if any.
        receiver: Receiver (from ``receiver``), if any.
        instance_identifier: ``instanceIdentifier``, if any.
        epcis_header: The ``epcisHeader`` object as decoded, if any.
        query_name: ``queryName`` of a query document.
        subscription_id: ``subscriptionID`` of a query document, if any.
        extensions: Namespaced top-level keys of the document.
        context: The ``@context`` exactly as received; not compared (``namespaces`` is).
        raw: The whole decoded document; not compared.
    """

    events: tuple[Event, ...]
    type: str = "EPCISDocument"
    schema_version: str = "2.0"
    creation_date: datetime | None = None
    namespaces: Mapping[str, str] = field(default_factory=dict)
    id: str | None = None
    sender: str | None = None
    receiver: str | None = None
    instance_identifier: str | None = None
    epcis_header: Mapping[str, Any] | None = None
    query_name: str | None = None
    subscription_id: str | None = None
    extensions: Extensions = field(default_factory=_no_extensions)
    context: Any = field(default=None, compare=False, repr=False)
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
