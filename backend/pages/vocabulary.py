"""The domain's words, defined once for every page and report: recognition kinds, levels and statuses, the reasons
of a suspension or revocation, business steps, stages of a product's life, units of measure.

Each is a message in English (the catalogue's id, marked with :func:`~backend.pages.i18n.N_` so Babel extracts it);
a template shows it in the page's language with ``_()``: ``{{ _(words.LEVELS[level]) }}``. The vocabulary that
signed credentials carry is not this one: it is part of what is signed (:mod:`supplychain.credentials`).
"""

from __future__ import annotations

from typing import Final

from backend.pages.i18n import N_
from supplychain.audit import Severity
from supplychain.registry import Level, ReasonCode, RecognitionKind, RecognitionStatus
from supplychain.trace import Stage

__all__ = ["KINDS", "LEVELS", "REASONS", "STAGES", "STATUSES", "STEPS", "UNITS", "step"]

KINDS: Final[dict[RecognitionKind, str]] = {
    RecognitionKind.GREEN_FACTORY: N_("green factory"),
    RecognitionKind.GREEN_PRODUCT: N_("green design product"),
    RecognitionKind.GREEN_PARK: N_("green park"),
    RecognitionKind.GREEN_SUPPLY_CHAIN: N_("green supply-chain enterprise"),
}
LEVELS: Final[dict[Level, str]] = {
    Level.CITY: N_("city"),
    Level.PROVINCIAL: N_("provincial"),
    Level.NATIONAL: N_("national"),
}
STATUSES: Final[dict[RecognitionStatus, str]] = {
    RecognitionStatus.ACTIVE: N_("in force"),
    RecognitionStatus.SUSPENDED: N_("suspended"),
    RecognitionStatus.REVOKED: N_("revoked"),
}
REASONS: Final[dict[ReasonCode, str]] = {
    ReasonCode.SPOT_CHECK_FAILED: N_("failed a spot check"),
    ReasonCode.DATA_FALSIFIED: N_("data falsified"),
    ReasonCode.REFUSED_TO_REPORT: N_("refused to report"),
    ReasonCode.SAFETY_INCIDENT: N_("safety incident"),
    ReasonCode.QUALITY_INCIDENT: N_("quality incident"),
    ReasonCode.ENVIRONMENTAL_INCIDENT: N_("environmental incident"),
    ReasonCode.HOLDER_REQUEST: N_("at the holder's request"),
    ReasonCode.ISSUED_IN_ERROR: N_("issued in error"),
    ReasonCode.KEY_COMPROMISED: N_("key compromised"),
    ReasonCode.KEY_ROTATION: N_("key rotation"),
    ReasonCode.RECTIFIED: N_("rectified"),
    ReasonCode.DISSOLVED: N_("dissolved"),
}
STAGES: Final[dict[Stage, str]] = {
    Stage.PRODUCTION: N_("Production"),
    Stage.LOGISTICS: N_("Logistics"),
    Stage.RETAIL: N_("Retail"),
    Stage.OTHER: N_("Other"),
}
STEPS: Final[dict[str, str]] = {
    "commissioning": N_("Made and coded"),
    "packing": N_("Packed"),
    "unpacking": N_("Unpacked"),
    "shipping": N_("Shipped"),
    "receiving": N_("Received"),
    "departing": N_("Departed"),
    "arriving": N_("Arrived"),
    "transporting": N_("In transport"),
    "storing": N_("Stored"),
    "loading": N_("Loaded"),
    "unloading": N_("Unloaded"),
    "inspecting": N_("Inspected"),
    "accepting": N_("Accepted"),
    "picking": N_("Picked"),
    "stocking": N_("Put on shelf"),
    "retail_selling": N_("Sold"),
    "assembling": N_("Assembled"),
    "repairing": N_("Repaired"),
    "decommissioning": N_("Decommissioned"),
    "sensor_reporting": N_("Sensor reading"),
}
"""CBV 2.0 business steps by their bare name (``https://ref.gs1.org/cbv/BizStep-shipping`` is ``shipping``)."""
UNITS: Final[dict[str | None, str]] = {
    None: N_("pcs"),
    "H87": N_("pcs"),
    "EA": N_("each"),
    "KGM": N_("kg"),
    "GRM": N_("g"),
    "TNE": N_("t"),
    "LTR": N_("L"),
    "MTR": N_("m"),
    "MTK": N_("m²"),
}
"""UN/ECE Recommendation 20 codes the demo and most green supply chains use; others are shown as their code."""


def step(biz_step: str | None) -> str | None:
    """The message of a CBV business step (full URI, ``cbv:`` or bare name), or ``None`` for one not in
    :data:`STEPS` (a page shows its bare name)."""
    if not biz_step:
        return None
    bare = biz_step.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    bare = bare.removeprefix("BizStep-")
    return STEPS.get(bare)


# --- the organisations' and the regulator's pages: the leader's page, the green report, the audit report ---

__all__ += ["PREFERENCES", "SEVERITIES", "STANDINGS", "SUPPLIER_WARNINGS", "kind", "level", "reason"]

STANDINGS: Final[dict[str, str]] = {
    "in_force": N_("in force"),
    "suspended": N_("suspended"),
    "revoked": N_("revoked"),
    "expired": N_("expired"),
    "not_yet_valid": N_("not yet valid"),
}
"""Where a recognition stands at a time (:class:`supplychain.green.Standing` values, as the JSON answers say)."""
PREFERENCES: Final[dict[str, str]] = {
    "preferred": N_("preferred"),
    "review": N_("review"),
    "not_recognised": N_("not recognised"),
}
"""The tiers of the rule "prefer recognised green factories" (a supplier's ``preference``)."""
SUPPLIER_WARNINGS: Final[dict[str, str]] = {
    **STANDINGS,
    "expires_soon": N_("expires soon"),
    "lapsed_since_supply": N_("lapsed since it supplied"),
    "spot_check_failed": N_("spot check failed"),
}
"""The warnings of a supplier and of its recognitions (``warnings`` in the supplier list)."""
SEVERITIES: Final[dict[str, str]] = {
    Severity.CRITICAL.value: N_("critical"),
    Severity.HIGH.value: N_("high"),
    Severity.MEDIUM.value: N_("medium"),
    Severity.INFO.value: N_("info"),
}
"""How serious an audit finding is. What each finding code means is its English meaning in
:data:`supplychain.audit.CODES`, a message of the catalogue too (:func:`backend.pages.catalogues.extract`)."""


def reason(name: str | None) -> str | None:
    """The message of a reason as the JSON answers name it (``data_falsified``), or ``None`` for one not in
    :data:`REASONS` (a page shows the name)."""
    member = ReasonCode.__members__.get((name or "").upper())
    return None if member is None else REASONS.get(member)


def kind(name: str) -> str | None:
    """The message of a recognition kind as the JSON answers name it (``green_factory``), ``None`` if unknown."""
    member = RecognitionKind.__members__.get(name.upper())
    return None if member is None else KINDS[member]


def level(name: str) -> str | None:
    """The message of a recognition level as the JSON answers name it (``provincial``), ``None`` if unknown."""
    member = Level.__members__.get(name.upper())
    return None if member is None else LEVELS[member]
