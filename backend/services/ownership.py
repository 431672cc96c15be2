"""Who may speak for a GTIN on the platform's routes: its owner on chain, or an organisation it delegated it to.

A GTIN belongs to the holder of its GS1 Company Prefix in the registry (assigned by a GS1 registrar); the owner may
delegate GTINs to a contract manufacturer for a period (see :mod:`supplychain.registry.speakers` for the events only
they may sign). Issuing codes, recalling a lot and publishing product master data ask the same question at the time
of the request, from the registry mirror. Refusals are ``403`` problems: ``not-gtin-owner`` naming the owner and the
prefix, or ``gtin-owner-unknown`` when nobody holds the prefix on chain.
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.core.errors import P_, ForbiddenError, Text, UnavailableError
from backend.services.platform import Platform
from chain.errors import ChainError
from supplychain.registry import RegistryMirror

__all__ = [
    "KEY_REFRESH_AFTER",
    "fresher_mirror",
    "request_mirror",
    "require_gtin_speaker",
    "require_gtin_speaker_now",
    "speaking_mirror",
]

KEY_REFRESH_AFTER = 0.25
"""A request signed with a key the mirror does not know makes it read the chain again, at most this often (s)."""


def request_mirror(platform: Platform, keys: Iterable[bytes] = ()) -> RegistryMirror:
    """The registry mirror for a request (a node that is down is not waited for). When it does not know one of
    ``keys`` and is older than :data:`KEY_REFRESH_AFTER`, the chain is read
    again at once: a key registered a moment ago counts.

    Raises:
        UnavailableError: the registry was never read (nobody can be told to be an owner; nothing is stored).
    """
    view = platform.registry
    mirror = view.refresh(wait=False)
    if not view.refreshed_at:
        raise UnavailableError(
            P_(
                "the registry has never been read: the chain cannot be reached, so keys and GTIN owners are unknown; "
                "nothing was stored"
            )
        )
    if view.age() > KEY_REFRESH_AFTER and any(key not in mirror.keys for key in keys):
        mirror = view.refresh(force=True)
    return mirror


def speaking_mirror(platform: Platform, keys: Iterable[bytes] = ()) -> tuple[RegistryMirror, int]:
    """:func:`request_mirror`, and the time (s) to ask it about who owns a GTIN.

    Raises:
        UnavailableError: the registry was never read.
    """
    return request_mirror(platform, keys), platform.registry.now()


def fresher_mirror(platform: Platform) -> RegistryMirror | None:
    """The mirror with the blocks mined since it was last read, for a refusal to be looked at again (a prefix or a
    delegation filed a moment ago counts at once); ``None`` when no block was mined since (the refusal stands as it
    is), or when the node was found down or does not answer (nothing is waited for).

    One ``eth_blockNumber`` per refusal, and the new blocks' logs at most once per block: a refused caller cannot make
    the platform read more of the chain than the chain grows.
    """
    view = platform.registry
    if view.down_since is not None:
        return None
    try:
        latest = view.registry.chain.block_number()
    except ChainError:
        return None
    if latest < view.next_block:
        return None
    return view.refresh(force=True)


def require_gtin_speaker_now(platform: Platform, org_id: str, gtin: str, *, doing: Text) -> None:
    """:func:`require_gtin_speaker` now, on the platform's mirror; a refusal is looked at again with the blocks mined
    since the mirror was read (:func:`fresher_mirror`) before it stands.

    Raises:
        ForbiddenError: ``not-gtin-owner`` or ``gtin-owner-unknown``.
        UnavailableError: the registry was never read.
    """
    mirror, now = speaking_mirror(platform)
    try:
        require_gtin_speaker(mirror, org_id, gtin, now, doing=doing)
    except ForbiddenError:
        fresher = fresher_mirror(platform)
        if fresher is None:
            raise
        require_gtin_speaker(fresher, org_id, gtin, platform.registry.now(), doing=doing)


def require_gtin_speaker(mirror: RegistryMirror, org_id: str, gtin: str, t: int, *, doing: Text) -> None:
    """Nothing when ``org_id`` owned ``gtin`` (14 digits) at ``t`` or was a delegate of its owner then.

    Args:
        doing: What the organisation asked to do, for the detail: a verb phrase whose object is the GTIN
            (``P_("issue codes of")``, ``P_("recall")``; in Chinese it names its object itself).

    Raises:
        ForbiddenError: ``not-gtin-owner`` or ``gtin-owner-unknown``.
    """
    if mirror.may_speak_for_gtin_at(gtin, org_id, t):
        return
    owner = mirror.gtin_owner_at(gtin, t)
    if owner is None:
        raise ForbiddenError(
            P_(
                "no organisation holds the GS1 Company Prefix of GTIN {gtin} on chain, so nobody may {doing} it; a "
                "GS1 registrar assigns company prefixes (supplychain authority assign-prefix)",
                gtin=gtin,
                doing=doing,
            ),
            code="gtin-owner-unknown",
            gtin=gtin,
        )
    prefix = mirror.company_prefix_at(gtin, t)
    raise ForbiddenError(
        P_(
            "GTIN {gtin} belongs to organisation {owner} (GS1 Company Prefix {prefix}), which has not delegated it to "
            "organisation {organisation}: only its owner or a delegate may {doing} it",
            gtin=gtin,
            owner=owner,
            prefix=prefix,
            organisation=org_id,
            doing=doing,
        ),
        code="not-gtin-owner",
        gtin=gtin,
        owner=owner,
    )
