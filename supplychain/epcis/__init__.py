"""GS1 EPCIS 2.0 events: the model, the JSON-LD / XML parser, the JSON-LD emitter and the CBV 2.0 vocabulary.

Part of the pure core: no I/O. Callers pass the bytes or decoded objects they received; ``parse_document``
returns an :class:`EpcisDocument` whose events keep their JSON-LD object (``raw``) for hashing and storage.

Example::

    doc = parse_document(body, media_type="application/ld+json")
    for event in doc.events:
        print(event.type_name, event.biz_step, event.raw)
"""

from supplychain.epcis.cbv import BIZSTEP_ROLES, allowed_biz_step, canonical_term
from supplychain.epcis.emit import EPCIS_CONTEXT_URL, document_to_jsonld, format_timestamp, to_jsonld
from supplychain.epcis.limits import DEFAULT_LIMITS, Limits
from supplychain.epcis.model import (
    EVENT_TYPES,
    Action,
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
    EpcisDocument,
    EpcisEvent,
    ErrorDeclaration,
    Event,
    Location,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
)
from supplychain.epcis.parse import parse_document, parse_document_object, parse_event
from supplychain.errors import (
    DocumentTooLargeError,
    EpcisError,
    EpcisLimitError,
    EpcisMediaTypeError,
    EpcisSyntaxError,
    EpcisValidationError,
    ListTooLongError,
    NestingTooDeepError,
    Problem,
    StringTooLongError,
    TooManyEventsError,
    UnknownCbvTermError,
)

__all__ = [
    "BIZSTEP_ROLES",
    "DEFAULT_LIMITS",
    "EPCIS_CONTEXT_URL",
    "EVENT_TYPES",
    "Action",
    "AggregationEvent",
    "AssociationEvent",
    "BizTransaction",
    "DocumentTooLargeError",
    "EpcisDocument",
    "EpcisError",
    "EpcisEvent",
    "EpcisLimitError",
    "EpcisMediaTypeError",
    "EpcisSyntaxError",
    "EpcisValidationError",
    "ErrorDeclaration",
    "Event",
    "Limits",
    "ListTooLongError",
    "Location",
    "NestingTooDeepError",
    "ObjectEvent",
    "PersistentDisposition",
    "Problem",
    "QuantityElement",
    "SensorElement",
    "SensorMetadata",
    "SensorReport",
    "SourceDest",
    "StringTooLongError",
    "TooManyEventsError",
    "TransactionEvent",
    "TransformationEvent",
    "UnknownCbvTermError",
    "allowed_biz_step",
    "canonical_term",
    "document_to_jsonld",
    "format_timestamp",
    "parse_document",
    "parse_document_object",
    "parse_event",
    "to_jsonld",
]
