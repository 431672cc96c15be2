"""Fixed tables of the CBV 2.0 Event Hash ID: canonical property order and the bare-word vocabulary terms.

The property order is GS1's reference (``epcis-event-hash-generator``): each entry is a field name and, for
structured fields, the order of its own children. Bare words in ``@vocab``-typed fields of the EPCIS 2.0 JSON-LD
context (``"bizStep": "shipping"``) stand for full CBV web vocabulary URIs; the tables below are that context's
term definitions.
"""

from __future__ import annotations

from typing import TypeAlias

Order: TypeAlias = tuple[tuple[str, "Order | None"], ...]

_QUANTITY: Order = (("quantityElement", (("epcClass", None), ("quantity", None), ("uom", None))),)
_EPCS: Order = (("epc", None),)

SENSOR_METADATA: Order = tuple(
    (n, None)
    for n in (
        "time",
        "startTime",
        "endTime",
        "deviceID",
        "deviceMetadata",
        "rawData",
        "dataProcessingMethod",
        "bizRules",
    )
)
SENSOR_REPORT: Order = tuple(
    (n, None)
    for n in (
        "type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod", "time",
        "microorganism", "chemicalSubstance", "value", "component", "stringValue", "booleanValue",
        "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom",
        "coordinateReferenceSystem",
    )
)  # fmt: skip

PROP_ORDER: Order = (
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", _EPCS),
    ("inputEPCList", _EPCS),
    ("childEPCs", _EPCS),
    ("quantityList", _QUANTITY),
    ("childQuantityList", _QUANTITY),
    ("inputQuantityList", _QUANTITY),
    ("outputEPCList", _EPCS),
    ("outputQuantityList", _QUANTITY),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", (("set", None), ("unset", None))),
    ("readPoint", (("id", None),)),
    ("bizLocation", (("id", None),)),
    # bizTransactionList, sourceList and destinationList hold (type, value) pairs that the reference never
    # matches here: they always land in the trailing, sorted block (see prehash._render_pairs).
    ("sensorElementList", (("sensorElement", (("sensorMetadata", SENSOR_METADATA), ("sensorReport", SENSOR_REPORT))),)),
)
"""Canonical order of an event's standard fields (CBV 2.0 section 8.9.2, as GS1's reference implements it)."""

IGNORED_AT_TOP = frozenset({"recordTime", "eventID", "type", "errorDeclaration"})
"""Top-level fields never part of the pre-hash string."""

IGNORED_KEYS = frozenset({"#text", "rdfs:comment", "comment"})
"""JSON keys skipped wherever they occur (comments, and the XML text marker)."""

PAIR_LISTS = {"bizTransactionList": "bizTransaction", "sourceList": "source", "destinationList": "destination"}
"""Lists of (type, value) pairs and the name of their value field."""

CBV = "https://ref.gs1.org/cbv/"
GS1 = "https://gs1.org/voc/"

OLD_CBV_URNS = (
    ("urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", CBV + "Disp-"),
    ("urn:epcglobal:cbv:btt:", CBV + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", CBV + "SDT-"),
    ("urn:epcglobal:cbv:er:", CBV + "ER-"),
)
"""CBV 1.x URNs and their CBV 2.0 web vocabulary replacements."""


def _terms(base: str, words: str) -> dict[str, str]:
    return {w: base + w for w in words.split()}


BIZ_STEPS = _terms(
    CBV + "BizStep-",
    "accepting arriving assembling collecting commissioning consigning creating_class_instance cycle_counting "
    "decommissioning departing destroying disassembling dispensing encoding entering_exiting holding inspecting "
    "installing killing loading other packing picking receiving removing repackaging repairing replacing "
    "reserving retail_selling sampling sensor_reporting shipping staging_outbound stock_taking stocking storing "
    "transporting unloading unpacking void_shipping",
)
DISPOSITIONS = _terms(
    CBV + "Disp-",
    "active available completeness_verified completeness_inferred conformant container_closed container_open "
    "damaged destroyed dispensed disposed encoded expired in_progress in_transit inactive mismatch_instance "
    "mismatch_class mismatch_quantity needs_replacement no_pedigree_match non_conformant non_sellable_other "
    "partially_dispensed recalled reserved retail_sold returned sellable_accessible sellable_not_accessible "
    "stolen unavailable unknown",
)
BTT = _terms(CBV + "BTT-", "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt")
SDT = _terms(CBV + "SDT-", "owning_party possessing_party location")
ERROR_REASONS = _terms(CBV + "ER-", "did_not_occur incorrect_data")
COMPONENTS = _terms(
    CBV + "Comp-",
    "x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting northing latitude "
    "longitude altitude",
)
SENSOR_EXCEPTIONS = _terms(GS1, "ALARM_CONDITION ERROR_CONDITION")
MEASUREMENT_TYPES = _terms(
    GS1,
    "AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude AmountOfSubstance "
    "AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum AngularVelocity Area Capacitance "
    "Conductance Conductivity Count Density Dimensionless DoseEquivalent DoseEquivalentRate DynamicViscosity "
    "ElectricCharge ElectricCurrent ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force Frequency "
    "Illuminance Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance LuminousFlux "
    "LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass MassConcentration "
    "MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy MolarMass MolarVolume Power "
    "Pressure RadiantFlux RadiantIntensity RelativeHumidity Resistance Resistivity SolidAngle SpecificVolume "
    "Speed SurfaceDensity SurfaceTension Temperature Time Torque Voltage Volume VolumeFlowRate VolumeFraction "
    "VolumetricFlux Wavenumber",
)

Scope: TypeAlias = dict[str, "tuple[dict[str, str] | None, Scope | None]"]
"""Scoped term definitions: field name -> (bare-word table for its values, scope for its children)."""

_SENSOR_REPORT: Scope = {
    "type": (MEASUREMENT_TYPES, None),
    "exception": (SENSOR_EXCEPTIONS, None),
    "component": (COMPONENTS, None),
}
EVENT_SCOPE: Scope = {
    "bizStep": (BIZ_STEPS, None),
    "disposition": (DISPOSITIONS, None),
    "persistentDisposition": (None, {"set": (DISPOSITIONS, None), "unset": (DISPOSITIONS, None)}),
    "bizTransactionList": (None, {"type": (BTT, None)}),
    "sourceList": (None, {"type": (SDT, None)}),
    "destinationList": (None, {"type": (SDT, None)}),
    "sensorElementList": (None, {"sensorReport": (None, _SENSOR_REPORT)}),
    "errorDeclaration": (None, {"reason": (ERROR_REASONS, None)}),
}
"""The ``@vocab``-typed fields of an event, as scoped in the EPCIS 2.0 JSON-LD context."""
