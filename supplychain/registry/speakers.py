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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from supplychain.epcis.model import Action, EpcisEvent, ObjectEvent, TransformationEvent
from supplychain.registry.mirror import RegistryMirror
from supplychain.trace import gtin_of, node_id

__all__ = ["NOT_GTIN_OWNER", "UNKNOWN_GTIN_OWNER", "SpeakerRefusal", "created_gtins", "speaker_refusal"]

NOT_GTIN_OWNER: Final = "not_gtin_owner"
"""Reason code: another organisation owns the GTIN and did not delegate it to the submitter at the event time."""
UNKNOWN_GTIN_OWNER: Final = "gtin_owner_unknown"
"""Reason code: no organisation held the GTIN's company prefix on chain at the event time."""

_CREATING_STEPS: Final = frozenset({"commissioning", "creating_class_instance"})


def created_gtins(event: EpcisEvent) -> tuple[str, ...]:
    """The 14-digit GTINs of the trade items ``event`` brings into being (see the module docstring), in order."""
    named: tuple[str, ...] = ()
    if isinstance(event, ObjectEvent):
        if event.action is Action.ADD or event.biz_step in _CREATING_STEPS:  # parsed bizSteps are short terms
            named = (*event.epc_list, *(q.epc_class for q in event.quantity_list))
    elif isinstance(event, TransformationEvent):
        named = (*event.output_epc_list, *(q.epc_class for q in event.output_quantity_list))
    gtins = (gtin_of(node_id(identifier)) for identifier in named)
    return tuple(dict.fromkeys(g for g in gtins if g is not None))


@dataclass(frozen=True, slots=True)
class SpeakerRefusal:
    """Why an organisation may not sign an event: a reason code and a detail naming the GTIN and its owner."""

    reason: str
    detail: str
    gtin: str
    owner: str | None


def speaker_refusal(mirror: RegistryMirror, org_id: str, event: EpcisEvent, t: int) -> SpeakerRefusal | None:
    """Whether ``org_id`` may sign ``event`` at ``t`` (seconds) as far as GTIN ownership goes: ``None`` when it may,
    else the first GTIN it may not speak for."""
    for gtin in created_gtins(event):
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
