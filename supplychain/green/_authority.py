"""The authorities' view: published lists of recognised units, spot checks due and exempt, a seeded sample.

Spot-check states at a time ``t`` (one per recognition):

* ``not_in_force``: suspended, revoked, expired or not yet valid at ``t``: nothing to check;
* ``exempt``: in force and inside a spot-check exemption the registry granted (three passes in a row exempt a
  recognition for five years; a failure ends the exemption);
* ``due``: in force, not exempt, and never spot-checked or last checked a year (365 days) or more before ``t``;
* ``checked``: in force, not exempt, and checked within the last year.

The sample (``sha256-rank-v1``) is re-derivable by anyone from the chain: the eligible population is every
recognition in force at ``t`` and not exempt then (``due`` or ``checked``), narrowed by the kind, level and region
asked for; each eligible recognition is ranked by the lowercase hex SHA-256 of the UTF-8 text
``"{seed}:{recognition id in decimal}"``; the sample is the ``size`` lowest ranks (ties, which SHA-256 makes
practically impossible, by id).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from supplychain.green._standing import YEAR, Region, Standing, region_matches, region_of, standing_at
from supplychain.registry import Level, RecognitionKind, RecognitionState, RegistryMirror, SpotCheck

__all__ = [
    "SAMPLE_ALGORITHM",
    "CheckState",
    "Draw",
    "ListedUnit",
    "Sample",
    "SpotCheckStanding",
    "draw_sample",
    "listed_units",
    "sample_rank",
    "spot_check_standings",
]

SAMPLE_ALGORITHM = "sha256-rank-v1"


@dataclass(frozen=True, slots=True)
class ListedUnit:
    """A recognition on a published list, with its holder's region and its standing.

    Attributes:
        recognition: The recognition.
        region: Its holder's region.
        standing: Its standing at the time asked about.
    """

    recognition: RecognitionState
    region: Region
    standing: Standing


def _matches(
    recognition: RecognitionState,
    region: Region,
    kind: RecognitionKind | None,
    level: Level | None,
    wanted_region: str | None,
) -> bool:
    terms = recognition.terms
    return (
        (kind is None or terms.kind == kind)
        and (level is None or terms.level == level)
        and (wanted_region is None or region_matches(region, wanted_region))
    )


def listed_units(
    mirror: RegistryMirror,
    t: int,
    *,
    kind: RecognitionKind | None = None,
    level: Level | None = None,
    region: str | None = None,
    standing: Standing | None = Standing.IN_FORCE,
) -> tuple[ListedUnit, ...]:
    """Recognitions at ``t`` by kind, level, region and standing (``None``: any), in the order they were issued.

    Args:
        mirror: The registry as replayed from the chain.
        t: The time (seconds).
        kind: Only this kind.
        level: Only this level.
        region: Only holders of this region (a filter of :func:`~supplychain.green.parse_region_filter`).
        standing: Only recognitions standing so at ``t``; ``None`` for all.
    """
    units: list[ListedUnit] = []
    for recognition in mirror.recognitions.values():
        where = region_of(recognition.terms.holder)
        now = standing_at(recognition, t)
        if _matches(recognition, where, kind, level, region) and (standing is None or now is standing):
            units.append(ListedUnit(recognition, where, now))
    return tuple(units)


class CheckState(StrEnum):
    """Spot-check state of a recognition (see the module docstring)."""

    DUE = "due"
    EXEMPT = "exempt"
    CHECKED = "checked"
    NOT_IN_FORCE = "not_in_force"


@dataclass(frozen=True, slots=True)
class SpotCheckStanding:
    """A recognition's spot-check state at a time.

    Attributes:
        recognition: The recognition.
        region: Its holder's region.
        state: See :class:`CheckState`.
        last_check: Its latest spot check up to then.
        checks: How many it had up to then.
        exempt_until: End of the exemption in effect then, if any.
        due_since: Since when a check is due (``due`` only): a year after the last check, or since it came into
            force, or since its last exemption ended, whichever is latest.
    """

    recognition: RecognitionState
    region: Region
    state: CheckState
    last_check: SpotCheck | None
    checks: int
    exempt_until: int | None
    due_since: int | None


def _check_standing(recognition: RecognitionState, t: int, interval: int) -> SpotCheckStanding:
    checks = [c for c in recognition.spot_checks if c.timestamp <= t]
    last = checks[-1] if checks else None
    exempt = next((end for start, end in recognition.exemptions if start <= t < end), None)
    due_since = None
    if standing_at(recognition, t) is not Standing.IN_FORCE:
        state = CheckState.NOT_IN_FORCE
    elif exempt is not None:
        state = CheckState.EXEMPT
    elif last is None or t - last.timestamp >= interval:
        state = CheckState.DUE
        ended = [end for start, end in recognition.exemptions if start <= t and end <= t]
        starts = [max(recognition.issued_at, recognition.terms.valid_from), *ended]
        due_since = max(starts + ([last.timestamp + interval] if last else []))
    else:
        state = CheckState.CHECKED
    return SpotCheckStanding(
        recognition, region_of(recognition.terms.holder), state, last, len(checks), exempt, due_since
    )


def spot_check_standings(
    mirror: RegistryMirror,
    t: int,
    *,
    states: frozenset[CheckState] | None = None,
    kind: RecognitionKind | None = None,
    level: Level | None = None,
    region: str | None = None,
    interval: int = YEAR,
) -> tuple[SpotCheckStanding, ...]:
    """The spot-check state of every recognition at ``t`` (rule in the module docstring), in the order issued.

    Args:
        mirror: The registry as replayed from the chain.
        t: The time (seconds).
        states: Only these states (``None``: all).
        kind: Only this kind.
        level: Only this level.
        region: Only holders of this region.
        interval: How long a check counts (default a year).
    """
    found: list[SpotCheckStanding] = []
    for recognition in mirror.recognitions.values():
        standing = _check_standing(recognition, t, interval)
        if _matches(recognition, standing.region, kind, level, region) and (states is None or standing.state in states):
            found.append(standing)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Draw:
    """One drawn recognition and its rank.

    Attributes:
        recognition_id: The recognition.
        rank: ``sha256("{seed}:{id}")`` in lowercase hex.
    """

    recognition_id: int
    rank: str


@dataclass(frozen=True, slots=True)
class Sample:
    """A seeded sample of recognitions to spot-check (algorithm in the module docstring).

    Attributes:
        seed: The seed.
        size: The size asked for.
        at: The time the population was taken at (seconds).
        eligible: The eligible recognitions' ids, ascending.
        drawn: The sample, by rank.
    """

    seed: str
    size: int
    at: int
    eligible: tuple[int, ...]
    drawn: tuple[Draw, ...]


def sample_rank(seed: str, recognition_id: int) -> str:
    """The rank of a recognition in a draw: lowercase hex SHA-256 of ``"{seed}:{recognition_id}"`` (UTF-8)."""
    return hashlib.sha256(f"{seed}:{recognition_id}".encode()).hexdigest()


def draw_sample(
    mirror: RegistryMirror,
    t: int,
    seed: str,
    size: int,
    *,
    kind: RecognitionKind | None = None,
    level: Level | None = None,
    region: str | None = None,
) -> Sample:
    """Draw ``size`` recognitions to spot-check at ``t`` with ``seed`` (algorithm in the module docstring).

    Raises:
        ValueError: ``size`` is negative.
    """
    if size < 0:
        raise ValueError(f"a sample size cannot be negative, got {size}")
    eligible = sorted(
        s.recognition.recognition_id
        for s in spot_check_standings(
            mirror, t, states=frozenset({CheckState.DUE, CheckState.CHECKED}), kind=kind, level=level, region=region
        )
    )
    ranked = sorted((Draw(i, sample_rank(seed, i)) for i in eligible), key=lambda d: (d.rank, d.recognition_id))
    return Sample(seed, size, t, tuple(eligible), tuple(ranked[:size]))
