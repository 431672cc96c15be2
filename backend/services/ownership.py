"""Who may speak for a GTIN on the platform's routes: its owner on chain, or an organisation it delegated it to.

A GTIN belongs to the holder of its GS1 Company Prefix in the registry (assigned by a GS1 registrar); the owner may
delegate GTINs to a contract manufacturer for a period (see :mod:`supplychain.registry.speakers` for the events only
they may sign). Issuing codes, recalling a lot and publishing product master data ask the same question at the time
of the request, from the registry mirror. Refusals are ``403`` problems: ``not-gtin-owner`` naming the owner and the
prefix, or ``gtin-owner-unknown`` when nobody holds the prefix on chain.
"""

from __future__ import annotations

from backend.core.errors import ForbiddenError, UnavailableError
from backend.services.platform import Platform
from supplychain.registry import RegistryMirror

__all__ = ["require_gtin_speaker", "speaking_mirror"]


def speaking_mirror(platform: Platform) -> tuple[RegistryMirror, int]:
    """The registry mirror (not waiting for a node that is down) and the time (s) to ask it about.

    Raises:
        UnavailableError: the registry was never read (nobody can be told to be an owner).
    """
    view = platform.registry
    mirror = view.refresh(wait=False)
    if not view.refreshed_at:
        raise UnavailableError(
            "the registry has never been read: the chain cannot be reached, so GTIN owners are unknown"
        )
    return mirror, view.now()


def require_gtin_speaker(mirror: RegistryMirror, org_id: str, gtin: str, t: int, *, doing: str) -> None:
    """Nothing when ``org_id`` owned ``gtin`` (14 digits) at ``t`` or was a delegate of its owner then.

    Args:
        doing: What the organisation asked to do, for the detail (``"issue codes of"``, ``"recall"``).

    Raises:
        ForbiddenError: ``not-gtin-owner`` or ``gtin-owner-unknown``.
    """
    if mirror.may_speak_for_gtin_at(gtin, org_id, t):
        return
    owner = mirror.gtin_owner_at(gtin, t)
    if owner is None:
        raise ForbiddenError(
            f"no organisation holds the GS1 Company Prefix of GTIN {gtin} on chain, so nobody may {doing} it; a GS1 "
            "registrar assigns company prefixes (supplychain authority assign-prefix)",
            code="gtin-owner-unknown",
            gtin=gtin,
        )
    prefix = mirror.company_prefix_at(gtin, t)
    raise ForbiddenError(
        f"GTIN {gtin} belongs to organisation {owner} (GS1 Company Prefix {prefix}), which has not delegated it to "
        f"organisation {org_id}: only its owner or a delegate may {doing} it",
        code="not-gtin-owner",
        gtin=gtin,
        owner=owner,
    )
