"""Who may speak for a product: the events that only a GTIN's owner, or an organisation it delegated the GTIN to,
may sign.

A GTIN belongs to the organisation that holds its GS1 Company Prefix on chain (:mod:`supplychain.registry.prefixes`);
the owner may delegate GTINs to a contract manufacturer for a period. Only they may bring trade items of the GTIN into
being, because the event that does so is where a product's identity, lot and name (its ILMD) come from:

* an ObjectEvent with action ``ADD`` (commissioning) names its ``epcList`` and ``quantityList``;
* an ObjectEvent whose bizStep is ``commissioning`` or ``creating_class_instance``, whatever its action;
* a TransformationEvent names its outputs (``outputEPCList``, ``outputQuantityList``).

Everything else about an item (shipping, receiving, selling it, consuming it as a transformation's input, packing it)
may be said by anyone with a registered key: custody changes hands. Identifiers that are not GTIN-based (SSCC, GRAI,
GIAI, URIs of other schemes) are not covered: they name no trade item of a brand.

The rule reads the event as JSON-LD (what capture hashes, what the platform stores and exports), so that capture
(:mod:`backend.services.capture`) and the regulator's audit (:mod:`supplychain.audit`) apply the same one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from supplychain.epcis.cbv import BIZ_STEP_VOCAB, canonical_term
from supplychain.errors import UnknownCbvTermError
from supplychain.gs1 import gs1_check_digit, has_valid_check_digit
from supplychain.registry.mirror import RegistryMirror
from supplychain.trace import gtin_of, node_id

__all__ = [
    "NOT_GTIN_OWNER",
    "UNKNOWN_GTIN_OWNER",
    "SpeakerRefusal",
    "created_gtins",
    "gtin_named",
    "speaker_refusal",
]

NOT_GTIN_OWNER: Final = "not_gtin_owner"
"""Reason code: another organisation owns the GTIN and did not delegate it to the submitter at the event time."""
UNKNOWN_GTIN_OWNER: Final = "gtin_owner_unknown"
"""Reason code: no organisation held the GTIN's company prefix on chain at the event time."""

_CREATING_STEPS: Final = frozenset({"commissioning", "creating_class_instance"})
# The two common forms, read without the Digital Link parser (an event may name 100,000 items): a canonical Digital
# Link, and an SGTIN or LGTIN URN (company prefix and indicator + item reference: 13 digits).
_CANONICAL_DL: Final = re.compile(r"https://id\.gs1\.org/01/([0-9]{14})(?:/|\Z)")
_GTIN_URN: Final = re.compile(r"urn:epc:(?:id:sgtin|class:lgtin):([0-9]{6,12})\.([0-9]{1,7})\.")


def gtin_named(identifier: str) -> str | None:
    """The 14-digit GTIN of the trade item an identifier names (a serial, a lot or a class, in any form), as
    :func:`supplychain.trace.gtin_of` of its node; ``None`` for identifiers of anything else."""
    found = _CANONICAL_DL.match(identifier)
    if found is not None:
        return found.group(1)
    found = _GTIN_URN.match(identifier)
    if found is not None and len(found.group(1)) + len(found.group(2)) == 13:
        return _urn_gtin(*found.groups())
    return gtin_of(node_id(identifier))


_valid_gtin = functools.lru_cache(maxsize=4_096)(has_valid_check_digit)


@functools.lru_cache(maxsize=4_096)
def _urn_gtin(prefix: str, reference: str) -> str:
    body = reference[0] + prefix + reference[1:]  # the indicator digit first
    return body + gs1_check_digit(body)


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _classes(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [q["epcClass"] for q in value if isinstance(q, dict) and isinstance(q.get("epcClass"), str)]


def _creating_step(step: object) -> bool:
    if not isinstance(step, str):
        return False
    try:
        return canonical_term(BIZ_STEP_VOCAB, step) in _CREATING_STEPS
    except UnknownCbvTermError:
        return False


def created_gtins(event: Mapping[str, Any]) -> tuple[str, ...]:
    """The 14-digit GTINs of the trade items an event (JSON-LD) brings into being (see the module docstring), in
    order, each once."""
    kind = event.get("type")
    named: list[str] = []
    if kind == "ObjectEvent" and (event.get("action") == "ADD" or _creating_step(event.get("bizStep"))):
        named = _strings(event.get("epcList")) + _classes(event.get("quantityList"))
    elif kind == "TransformationEvent":
        named = _strings(event.get("outputEPCList")) + _classes(event.get("outputQuantityList"))
    gtins = (gtin_named(identifier) for identifier in named)
    return tuple(dict.fromkeys(g for g in gtins if g is not None))


@dataclass(frozen=True, slots=True)
class SpeakerRefusal:
    """Why an organisation may not sign an event: a reason code and a detail naming the GTIN and its owner."""

    reason: str
    detail: str
    gtin: str
    owner: str | None


def speaker_refusal(mirror: RegistryMirror, org_id: str, event: Mapping[str, Any], t: int) -> SpeakerRefusal | None:
    """Whether ``org_id`` may sign ``event`` (JSON-LD) at ``t`` (seconds) as far as GTIN ownership goes: ``None`` when
    it may, else the first GTIN it may not speak for."""
    for gtin in created_gtins(event):
        if not _valid_gtin(gtin):
            detail = f"GTIN {gtin} has a wrong check digit: it is no GTIN, so no organisation owns it"
            return SpeakerRefusal(UNKNOWN_GTIN_OWNER, detail, gtin, None)
        if mirror.may_speak_for_gtin_at(gtin, org_id, t):
            continue
        owner = mirror.gtin_owner_at(gtin, t)
        if owner is None:
            detail = (
                f"GTIN {gtin}: no organisation held its GS1 Company Prefix on chain at the event time ({t} s), so "
                "nobody may commission or make it; the GS1 registrar assigns company prefixes"
            )
            return SpeakerRefusal(UNKNOWN_GTIN_OWNER, detail, gtin, None)
        prefix = mirror.company_prefix_at(gtin, t)
        detail = (
            f"GTIN {gtin} belongs to organisation {owner} (GS1 Company Prefix {prefix}) and was not delegated to "
            f"{org_id} at the event time ({t} s): only its owner or a delegate may commission or make it"
        )
        return SpeakerRefusal(NOT_GTIN_OWNER, detail, gtin, owner)
    return None
