"""GS1 Company Prefixes and GTIN delegations as the registry holds them, folded from its events.

A prefix's holdings follow one another (assignment, transfers, revocation, a later reassignment); a holding owns the
GTINs under its prefix on ``[valid_from, min(ended_at, valid_until))``. The registry never lets two live prefixes
overlap, so at any time at most one prefix held then covers a GTIN: :func:`prefix_candidates` lists the ones to try.
A delegation counts only while the organisation that filed it owns the GTIN.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from supplychain.gs1.keys import parse_gtin

__all__ = [
    "MAX_PREFIX_LENGTH",
    "MIN_PREFIX_LENGTH",
    "DelegationState",
    "PrefixHolding",
    "gtin14",
    "item_reference",
    "parse_prefix",
    "prefix_candidates",
]

MIN_PREFIX_LENGTH = 4
MAX_PREFIX_LENGTH = 12


def parse_prefix(text: str) -> str:
    """A GS1 Company Prefix: 4 to 12 ASCII digits (leading zeros are part of it).

    Raises:
        ValueError: not 4 to 12 ASCII digits.
    """
    if not (text.isascii() and text.isdigit() and MIN_PREFIX_LENGTH <= len(text) <= MAX_PREFIX_LENGTH):
        raise ValueError(f"{text!r} is not a GS1 Company Prefix (4 to 12 digits)")
    return text


def gtin14(gtin: str) -> str:
    """A GTIN-8, -12, -13 or -14 as 14 digits (check digit verified).

    Raises:
        InvalidGs1KeyError: not a GTIN (a ``ValueError``).
    """
    return parse_gtin(gtin)


@functools.lru_cache(maxsize=16_384)
def prefix_candidates(gtin: str) -> tuple[str, ...]:
    """The prefixes that could be a GTIN's company prefix, longest first: digits 2 to 13 of its GTIN-14 form (after
    the indicator digit), cut to 12 down to 4 digits. Cached: capture asks it for every event that makes an item."""
    body = gtin14(gtin)[1:13]
    return tuple(body[:n] for n in range(MAX_PREFIX_LENGTH, MIN_PREFIX_LENGTH - 1, -1))


def item_reference(gtin: str, prefix: str) -> int:
    """The item reference of a GTIN under ``prefix`` (the digits after it, before the check digit; 0 when none)."""
    body = gtin14(gtin)[1:13]
    return int(body[len(prefix) :] or "0")


@dataclass(slots=True)
class PrefixHolding:
    """One organisation's holding of a prefix.

    Attributes:
        valid_until: End of validity (exclusive), ``None`` when open.
        ended_at: When it was transferred away or revoked, ``None`` while live.
        end_reason: The revocation's reason code (``None`` when live or transferred).
    """

    org_id: str
    valid_from: int
    valid_until: int | None
    registrar: str
    ended_at: int | None = None
    end_reason: int | None = None

    @property
    def live(self) -> bool:
        """Not transferred away nor revoked (an expired holding is still live: its numbers stay reserved)."""
        return self.ended_at is None

    def holds_at(self, t: int) -> bool:
        """Whether it owned the prefix's GTINs at ``t``."""
        ends = [e for e in (self.ended_at, self.valid_until) if e is not None]
        return self.valid_from <= t and all(t < e for e in ends)


@dataclass(slots=True)
class DelegationState:
    """A delegation of GTINs by their owner to a contract manufacturer."""

    delegation_id: int
    owner: str
    delegate: str
    prefix: str
    first_item: int
    last_item: int
    valid_from: int
    valid_until: int | None
    request_hash: bytes
    registrar: str
    revoked_at: int | None = None
    revoke_reason: int | None = None

    def covers_at(self, item: int, t: int) -> bool:
        """Whether it covered item reference ``item`` of its prefix at ``t`` (ownership checked by the caller)."""
        ends = [e for e in (self.revoked_at, self.valid_until) if e is not None]
        return self.first_item <= item <= self.last_item and self.valid_from <= t and all(t < e for e in ends)
