"""The GS1 Core Business Vocabulary (CBV) 2.0 terms used by EPCIS 2.0 events, and mapping helpers.

Each term can be written in four equivalent ways: the bare short form of the JSON-LD binding (``shipping``),
the CURIE form (``cbv:BizStep-shipping``), the EPCIS 1.x URN (``urn:epcglobal:cbv:bizstep:shipping``) and
the web URI (``https://ref.gs1.org/cbv/BizStep-shipping``). :func:`canonical_term` turns any of them into
the short form and keeps a URI outside the CBV namespace (a user vocabulary) as it was written.

The term lists are those of the GS1 EPCIS 2.0 JSON-LD context (``epcis-context.jsonld``, CBV 2.0).
``BIZSTEP_ROLES`` is this platform's policy of which business roles may post which bizSteps; it is not CBV.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from supplychain.errors import UnknownCbvTermError

__all__ = [
    "BIZSTEP_ROLES",
    "BIZ_STEPS",
    "BIZ_STEP_VOCAB",
    "BIZ_TRANSACTION_TYPES",
    "BIZ_TRANSACTION_TYPE_VOCAB",
    "COMPONENTS",
    "COMPONENT_VOCAB",
    "DISPOSITIONS",
    "DISPOSITION_VOCAB",
    "ERROR_REASONS",
    "ERROR_REASON_VOCAB",
    "ROLES",
    "SENSOR_ALERT_TYPES",
    "SENSOR_ALERT_TYPE_VOCAB",
    "SENSOR_MEASUREMENT_TYPES",
    "SENSOR_MEASUREMENT_TYPE_VOCAB",
    "SOURCE_DESTINATION_TYPES",
    "SOURCE_DESTINATION_TYPE_VOCAB",
    "Vocabulary",
    "allowed_biz_step",
    "canonical_term",
    "is_uri",
    "term_uri",
]

CBV_WEB = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")

BIZ_STEPS: frozenset[str] = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "sampling",
        "sensor_reporting",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
    ]
)
"""CBV 2.0 §7.1 business steps (41 terms)."""

DISPOSITIONS: frozenset[str] = frozenset(
    [
        "active",
        "available",
        "completeness_inferred",
        "completeness_verified",
        "conformant",
        "container_closed",
        "container_open",
        "damaged",
        "destroyed",
        "dispensed",
        "disposed",
        "encoded",
        "expired",
        "in_progress",
        "in_transit",
        "inactive",
        "mismatch_instance",
        "mismatch_class",
        "mismatch_quantity",
        "needs_replacement",
        "no_pedigree_match",
        "non_conformant",
        "non_sellable_other",
        "partially_dispensed",
        "recalled",
        "reserved",
        "retail_sold",
        "returned",
        "sellable_accessible",
        "sellable_not_accessible",
        "stolen",
        "unavailable",
        "unknown",
    ]
)
"""CBV 2.0 §7.2 dispositions (33 terms)."""

BIZ_TRANSACTION_TYPES: frozenset[str] = frozenset(
    [
        "bol",
        "cert",
        "desadv",
        "inv",
        "pedigree",
        "po",
        "poc",
        "prodorder",
        "recadv",
        "rma",
        "testprd",
        "testres",
        "upevt",
    ]
)
"""CBV 2.0 §7.3 business transaction types (13 terms)."""

SOURCE_DESTINATION_TYPES: frozenset[str] = frozenset({"owning_party", "possessing_party", "location"})
"""CBV 2.0 §7.4 source / destination types."""

ERROR_REASONS: frozenset[str] = frozenset({"did_not_occur", "incorrect_data"})
"""CBV 2.0 §7.5 error reasons."""

SENSOR_MEASUREMENT_TYPES: frozenset[str] = frozenset(
    [
        "AbsoluteHumidity",
        "AbsorbedDose",
        "AbsorbedDoseRate",
        "Acceleration",
        "Radioactivity",
        "Altitude",
        "AmountOfSubstance",
        "AmountOfSubstancePerUnitVolume",
        "Angle",
        "AngularAcceleration",
        "AngularMomentum",
        "AngularVelocity",
        "Area",
        "Capacitance",
        "Conductance",
        "Conductivity",
        "Count",
        "Density",
        "Dimensionless",
        "DoseEquivalent",
        "DoseEquivalentRate",
        "DynamicViscosity",
        "ElectricCharge",
        "ElectricCurrent",
        "ElectricCurrentDensity",
        "ElectricFieldStrength",
        "Energy",
        "Exposure",
        "Force",
        "Frequency",
        "Illuminance",
        "Inductance",
        "Irradiance",
        "KinematicViscosity",
        "Length",
        "LinearMomentum",
        "Luminance",
        "LuminousFlux",
        "LuminousIntensity",
        "MagneticFlux",
        "MagneticFluxDensity",
        "MagneticVectorPotential",
        "Mass",
        "MassConcentration",
        "MassFlowRate",
        "MassPerAreaTime",
        "MemoryCapacity",
        "MolalityOfSolute",
        "MolarEnergy",
        "MolarMass",
        "MolarVolume",
        "Power",
        "Pressure",
        "RadiantFlux",
        "RadiantIntensity",
        "RelativeHumidity",
        "Resistance",
        "Resistivity",
        "SolidAngle",
        "SpecificVolume",
        "Speed",
        "SurfaceDensity",
        "SurfaceTension",
        "Temperature",
        "Time",
        "Torque",
        "Voltage",
        "Volume",
        "VolumeFlowRate",
        "VolumeFraction",
        "VolumetricFlux",
        "Wavenumber",
    ]
)
"""GS1 Web Vocabulary measurement types for ``sensorReport.type`` (EPCIS 2.0 §7.3.8, 72 terms)."""

SENSOR_ALERT_TYPES: frozenset[str] = frozenset({"ALARM_CONDITION", "ERROR_CONDITION"})
"""GS1 Web Vocabulary sensor alert types for ``sensorReport.exception``."""

COMPONENTS: frozenset[str] = frozenset(
    [
        "x",
        "y",
        "z",
        "axial_distance",
        "azimuth",
        "height",
        "spherical_radius",
        "polar_angle",
        "elevation_angle",
        "easting",
        "northing",
        "latitude",
        "longitude",
        "altitude",
    ]
)
"""CBV 2.0 components for ``sensorReport.component`` (14 terms)."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """One CBV (or GS1 Web Vocabulary) term list and the spellings that denote its terms.

    Attributes:
        name: The EPCIS field it fills, for messages (``bizStep``).
        terms: The short forms.
        curie: CURIE prefix before the term (``cbv:BizStep-``).
        uris: Namespaces before the term, the first one canonical (``https://ref.gs1.org/cbv/BizStep-``).
    """

    name: str
    terms: frozenset[str]
    curie: str
    uris: tuple[str, ...]

    def prefixes(self) -> tuple[str, ...]:
        """Every prefix that puts a value in this vocabulary's namespace."""
        return (self.curie, *self.uris)


BIZ_STEP_VOCAB = Vocabulary("bizStep", BIZ_STEPS, "cbv:BizStep-", (CBV_WEB + "BizStep-", "urn:epcglobal:cbv:bizstep:"))
DISPOSITION_VOCAB = Vocabulary("disposition", DISPOSITIONS, "cbv:Disp-", (CBV_WEB + "Disp-", "urn:epcglobal:cbv:disp:"))
BIZ_TRANSACTION_TYPE_VOCAB = Vocabulary(
    "bizTransaction type", BIZ_TRANSACTION_TYPES, "cbv:BTT-", (CBV_WEB + "BTT-", "urn:epcglobal:cbv:btt:")
)
SOURCE_DESTINATION_TYPE_VOCAB = Vocabulary(
    "source/destination type",
    SOURCE_DESTINATION_TYPES,
    "cbv:SDT-",
    (CBV_WEB + "SDT-", "urn:epcglobal:cbv:sdt:"),
)
ERROR_REASON_VOCAB = Vocabulary("error reason", ERROR_REASONS, "cbv:ER-", (CBV_WEB + "ER-", "urn:epcglobal:cbv:er:"))
COMPONENT_VOCAB = Vocabulary("component", COMPONENTS, "cbv:Comp-", (CBV_WEB + "Comp-",))
SENSOR_MEASUREMENT_TYPE_VOCAB = Vocabulary("sensor measurement type", SENSOR_MEASUREMENT_TYPES, "gs1:", (GS1_VOC,))
SENSOR_ALERT_TYPE_VOCAB = Vocabulary("sensor alert type", SENSOR_ALERT_TYPES, "gs1:", (GS1_VOC,))


def is_uri(value: str) -> bool:
    """Whether ``value`` is an absolute URI or URN (a scheme, a colon, and no white space)."""
    return _URI.match(value) is not None


def canonical_term(vocab: Vocabulary, value: str) -> str:
    """Map any spelling of a term to its one stored form.

    Args:
        vocab: The vocabulary the field takes its values from.
        value: The value as written (short form, CURIE, URN or web URI, or a user vocabulary URI).

    Returns:
        The short form for a term of the vocabulary; ``value`` itself for a URI outside its namespace.

    Raises:
        UnknownCbvTermError: ``value`` is in the vocabulary's namespace (or bare) but not one of its terms, or
            is neither a term nor a URI.
    """
    if value in vocab.terms:
        return value
    for prefix in sorted(vocab.prefixes(), key=len, reverse=True):
        if value.startswith(prefix):
            local = value[len(prefix) :]
            if local in vocab.terms:
                return local
            raise UnknownCbvTermError(vocab.name, value, _suggest(vocab, local))
    if is_uri(value):
        return value
    raise UnknownCbvTermError(vocab.name, value, _suggest(vocab, value))


def term_uri(vocab: Vocabulary, term: str) -> str:
    """The canonical web URI of a short term (``shipping`` -> ``https://ref.gs1.org/cbv/BizStep-shipping``).

    A value that is not a short term of ``vocab`` (a user URI) is returned unchanged.
    """
    return vocab.uris[0] + term if term in vocab.terms else term


def _suggest(vocab: Vocabulary, local: str) -> str | None:
    close = difflib.get_close_matches(local, sorted(vocab.terms), n=1, cutoff=0.75)
    return close[0] if close else None


# --- which roles may post which bizSteps (platform policy, not CBV) ---

ROLES: frozenset[str] = frozenset({"manufacturer", "supplier", "logistics", "retailer"})
"""The business roles an organisation is registered with on chain."""

_ALL = ROLES
_MAKERS = frozenset({"manufacturer", "supplier"})
_LOGISTICS = frozenset({"logistics"})
_RETAIL = frozenset({"retailer"})
_HOLDERS = frozenset({"manufacturer", "supplier", "logistics", "retailer"})

BIZSTEP_ROLES: dict[str, frozenset[str]] = {
    # making things: only those who produce goods
    "commissioning": _MAKERS,
    "decommissioning": _MAKERS,
    "creating_class_instance": _MAKERS,
    "encoding": _MAKERS,
    "assembling": _MAKERS,
    "disassembling": _MAKERS,
    "installing": _MAKERS,
    "removing": _MAKERS,
    "replacing": _MAKERS,
    "repairing": _MAKERS,
    "packing": _MAKERS | _LOGISTICS,
    "unpacking": _ALL,
    "repackaging": _MAKERS | _LOGISTICS,
    "sampling": _MAKERS,
    "killing": _MAKERS,
    # handing over goods: anyone who holds them
    "shipping": _ALL,
    "void_shipping": _ALL,
    "receiving": _ALL,
    "accepting": _ALL,
    "staging_outbound": _ALL,
    "picking": _ALL,
    "loading": _ALL,
    "unloading": _ALL,
    "consigning": _ALL,
    "collecting": _ALL,
    # moving and keeping goods: logistics providers
    "departing": _LOGISTICS,
    "arriving": _LOGISTICS,
    "transporting": _LOGISTICS,
    "storing": _LOGISTICS | _MAKERS,
    "entering_exiting": _LOGISTICS | _RETAIL,
    # selling to consumers: retailers
    "retail_selling": _RETAIL,
    "stocking": _RETAIL,
    "dispensing": _RETAIL,
    # observing and housekeeping: anyone
    "inspecting": _HOLDERS,
    "sensor_reporting": _HOLDERS,
    "holding": _HOLDERS,
    "reserving": _HOLDERS,
    "cycle_counting": _HOLDERS,
    "stock_taking": _HOLDERS,
    "destroying": _HOLDERS,
    "other": _HOLDERS,
}
"""Business step -> roles that may post it. Every CBV 2.0 bizStep is listed; a user-vocabulary bizStep (a URI
outside CBV) is not, and is allowed to no role.

=========================================================  =======================================
bizSteps                                                   roles
=========================================================  =======================================
commissioning, decommissioning, creating_class_instance,   manufacturer, supplier
encoding, assembling, disassembling, installing,
removing, replacing, repairing, sampling, killing
packing, repackaging                                       manufacturer, supplier, logistics
storing                                                    logistics, manufacturer, supplier
departing, arriving, transporting                          logistics
entering_exiting                                           logistics, retailer
retail_selling, stocking, dispensing                       retailer
shipping, receiving, and every other step                  all four roles
=========================================================  =======================================
"""


def allowed_biz_step(roles: Iterable[str], biz_step: str) -> bool:
    """Whether an organisation holding ``roles`` may post an event with ``biz_step``.

    Args:
        roles: The organisation's roles (``manufacturer``, ``supplier``, ``logistics``, ``retailer``).
        biz_step: The bizStep in any CBV spelling; a non-CBV URI is allowed to no one.

    Returns:
        True when one of ``roles`` may post it; an unknown term yields False, never an exception.
    """
    try:
        term = canonical_term(BIZ_STEP_VOCAB, biz_step)
    except UnknownCbvTermError:
        return False
    allowed = BIZSTEP_ROLES.get(term, frozenset())
    return any(role in allowed for role in roles)
