"""The domain's words, defined once for every page and report: recognition kinds, levels and statuses, the reasons
of a suspension or revocation, business steps, stages of a product's life, units of measure, what a failed check of
a proof bundle means.

Each is a message in English (the catalogue's id, marked with :func:`~supplychain.i18n.N_` so Babel extracts it);
a template shows it in the page's language with ``_()``: ``{{ _(words.LEVELS[level]) }}``. The vocabulary that
signed credentials carry is not this one: it is part of what is signed (:mod:`supplychain.credentials`).
"""

from __future__ import annotations

from typing import Final

from supplychain.audit import Severity
from supplychain.i18n import N_
from supplychain.registry import Level, ReasonCode, RecognitionKind, RecognitionStatus, Scope
from supplychain.trace import Stage

__all__ = ["CHECKS", "KINDS", "LEVELS", "REASONS", "SCOPES", "STAGES", "STATUSES", "STEPS", "UNITS", "step"]

KINDS: Final[dict[RecognitionKind, str]] = {
    RecognitionKind.GREEN_FACTORY: N_("green factory"),
    RecognitionKind.GREEN_PRODUCT: N_("green design product"),
    RecognitionKind.GREEN_PARK: N_("green industrial park"),
    RecognitionKind.GREEN_SUPPLY_CHAIN: N_("green supply-chain management enterprise"),
}
LEVELS: Final[dict[Level, str]] = {
    Level.CITY: N_("city"),
    Level.PROVINCIAL: N_("provincial"),
    Level.NATIONAL: N_("national"),
}
SCOPES: Final[dict[Scope, str]] = {
    Scope.ENTERPRISE: N_("enterprise"),
    Scope.FACILITY: N_("facility"),
    Scope.PRODUCT: N_("product"),
}
"""What a recognition covers: the whole enterprise, one facility (by GLN) or one product (by GTIN)."""
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


# --- the consumer pages (product page, refusals): checks of a proof bundle ---

CHECKS: Final[dict[str, str]] = {
    "hash_mismatch": N_("the record was altered (hash mismatch)"),
    "bad_signature": N_("invalid signature"),
    "key_not_registered": N_("signing key not registered on chain"),
    "key_not_yet_valid": N_("signing key not yet valid then"),
    "key_revoked": N_("signing key revoked by then"),
    "key_compromised": N_("signed with a key revoked as compromised before its anchoring"),
    "organisation_not_registered": N_("organisation not registered then"),
    "organisation_suspended": N_("organisation suspended then"),
    "role_not_allowed": N_("organisation not allowed this step"),
    "proof_invalid": N_("anchoring proof does not match"),
    "root_not_anchored": N_("not anchored on chain"),
    "anchor_mismatch": N_("anchor differs from the chain"),
    "event_after_anchor": N_("recorded after its anchoring"),
    "event_in_future": N_("dated in the future"),
    "malformed_envelope": N_("malformed record"),
    "malformed_event": N_("malformed record"),
    "not_anchored": N_("not anchored yet"),
    "other_chain": N_("from another chain"),
    "other_registry": N_("from another registry"),
    "other_product": N_("bundle about another product"),
    "product_not_found": N_("no record names this product"),
    "no_events": N_("no records"),
    "received_before_event": N_("received before it happened"),
    "received_after_anchor": N_("received after its anchoring"),
    "duplicate_event": N_("a record listed twice"),
    "unrelated_event": N_("a record not about this product"),
    "event_before_origin": N_("a record dated before the item was made"),
    "received_not_shipped": N_("received but never shipped"),
    "sold_without_receipt": N_("sold without a receipt"),
    "origin_missing": N_("an upstream record is missing"),
    "unpacked_never_packed": N_("a packing record is missing"),
    "event_dropped": N_("a record was left out"),
    "link_missing": N_("a record has no story link"),
    "link_invalid": N_("a story link does not hold"),
    "event_not_shown": N_("a record is not shown"),
    "links_not_covered": N_("some records are not covered by story links"),
    "completeness_unproven": N_("completeness not proven"),
    "citation_not_in_force": N_("cites a green recognition not held or not in force then"),
    "malformed_citation": N_("cites a green recognition without naming one"),
    "malformed_master_data": N_("malformed product information"),
    "master_data_hash_mismatch": N_("the product information was altered (hash mismatch)"),
    "master_data_other_product": N_("product information about another product"),
    "not_gtin_owner": N_("product information not signed by the barcode's owner"),
    "published_after_anchor": N_("product information published after its anchoring"),
    "recognition_not_held": N_("cites a green design product recognition it did not hold"),
    "registry_not_pinned": N_("registry not pinned: a forged registry cannot be ruled out"),
}
"""What each failed check of :func:`supplychain.verify.verify_bundle` (its ``code``) means, in a consumer's words."""
