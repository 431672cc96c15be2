"""Green rules: pure functions over the registry mirror (recognitions as on chain) and the trace graph.

* :func:`recognised_at` - an organisation's recognitions in force at a time;
* :func:`green_share` - the share, by quantity, of a lot's inputs made by suppliers that were green when they
  supplied them, rolled up through multi-level transformations (rule in :mod:`supplychain.green._share`);
* :func:`lapse_impact` - the downstream products made with a delisted holder's inputs supplied after the
  lapse, with where they are now (rule in :mod:`supplychain.green._impact`).

Times are seconds since the epoch (block timestamps), as the registry counts them. Pure: no I/O.
"""

from supplychain.green._impact import ImpactedItem, LapseImpact, SuppliedInput, lapse_impact
from supplychain.green._recognition import (
    GREEN_KINDS,
    Supply,
    covers,
    green_recognitions_at,
    recognised_at,
    seconds,
    supply_of,
)
from supplychain.green._share import GreenShare, InputShare, green_share

__all__ = [
    "GREEN_KINDS",
    "GreenShare",
    "ImpactedItem",
    "InputShare",
    "LapseImpact",
    "SuppliedInput",
    "Supply",
    "covers",
    "green_recognitions_at",
    "green_share",
    "lapse_impact",
    "recognised_at",
    "seconds",
    "supply_of",
]
