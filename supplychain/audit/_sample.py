"""The seeded sample of recognitions (and their holders) for the regulator's spot checks (抽查).

Anyone holding the seed can redo the draw: every recognition in force at the time and not exempt from spot checks is
ranked by ``sha256(f"{seed}:{recognition_id}")`` (hex), and the first ``size`` are drawn. An auditor that takes as
seed a block hash from after the records were fixed makes the draw impossible to foresee and easy to check.
"""

from __future__ import annotations

import hashlib

from supplychain.registry import RecognitionState, RegistryMirror

__all__ = ["spot_check_sample"]


def spot_check_sample(mirror: RegistryMirror, *, seed: str, size: int, at: int) -> list[RecognitionState]:
    """The recognitions drawn for spot checks at ``at`` (s), in draw order (see the module docstring)."""
    eligible = [r for r in mirror.recognitions.values() if r.in_force_at(at) and not r.exempt_at(at)]
    eligible.sort(key=lambda r: hashlib.sha256(f"{seed}:{r.recognition_id}".encode()).hexdigest())
    return eligible[: max(size, 0)]
