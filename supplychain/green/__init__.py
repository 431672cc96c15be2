"""Green rules: pure functions over the registry mirror (recognitions as on chain) and the trace graph.

* :func:`recognised_at` - an organisation's recognitions in force at a time;
* :func:`green_share` - the share, by quantity, of a lot's inputs made by suppliers that were green when they
  supplied them, rolled up through multi-level transformations (rule in :mod:`supplychain.green._share`);
* :func:`lapse_impact` - the downstream products made with a delisted holder's inputs supplied after the
  lapse, with where they are now (rule in :mod:`supplychain.green._impact`);
* :func:`qualified_suppliers` - a manufacturer's suppliers found in its events, ordered by the rule "prefer
  recognised green factories" (:mod:`supplychain.green._qualified`);
* :func:`green_report` - a manufacturer's green-supply-chain report for a period (:mod:`supplychain.green._report`);
* :func:`lapse_notices` - a product's inputs whose makers' recognitions are now suspended or revoked
  (:mod:`supplychain.green._notices`);
* :func:`listed_units`, :func:`spot_check_standings`, :func:`draw_sample` - the authorities' lists, spot checks
  due and exempt, and a seeded sample anyone can re-derive (:mod:`supplychain.green._authority`).

Times are seconds since the epoch (block timestamps), as the registry counts them. Pure: no I/O.
"""

from supplychain.green._authority import (
    SAMPLE_ALGORITHM,
    CheckState,
    Draw,
    ListedUnit,
    Sample,
    SpotCheckStanding,
    draw_sample,
    listed_units,
    sample_rank,
    spot_check_standings,
)
from supplychain.green._impact import ImpactedItem, LapseImpact, SuppliedInput, lapse_impact
from supplychain.green._notices import LapseNotice, lapse_notices
from supplychain.green._qualified import (
    RECEIVING_STEPS,
    QualifiedSupplier,
    RecognitionStanding,
    SupplierList,
    SupplyRecord,
    qualified_suppliers,
    supplies_to,
    transformations_in,
)
from supplychain.green._recognition import (
    GREEN_KINDS,
    Supply,
    covers,
    green_recognitions_at,
    location_of,
    maker_of,
    recognised_at,
    seconds,
    supply_of,
)
from supplychain.green._report import GreenReport, LotShare, SupplierLapse, UnitTotal, green_report
from supplychain.green._share import GreenShare, InputShare, green_share
from supplychain.green._standing import (
    DAY,
    PROVINCES,
    UNKNOWN_REGION,
    YEAR,
    Region,
    Standing,
    change_at,
    days_until,
    parse_region_filter,
    passes_in_a_row,
    region_matches,
    region_of,
    standing_at,
)

__all__ = [
    "DAY",
    "GREEN_KINDS",
    "PROVINCES",
    "RECEIVING_STEPS",
    "SAMPLE_ALGORITHM",
    "UNKNOWN_REGION",
    "YEAR",
    "CheckState",
    "Draw",
    "GreenReport",
    "GreenShare",
    "ImpactedItem",
    "InputShare",
    "LapseImpact",
    "LapseNotice",
    "ListedUnit",
    "LotShare",
    "QualifiedSupplier",
    "RecognitionStanding",
    "Region",
    "Sample",
    "SpotCheckStanding",
    "Standing",
    "SuppliedInput",
    "SupplierLapse",
    "SupplierList",
    "Supply",
    "SupplyRecord",
    "UnitTotal",
    "change_at",
    "covers",
    "days_until",
    "draw_sample",
    "green_recognitions_at",
    "green_report",
    "green_share",
    "lapse_impact",
    "lapse_notices",
    "listed_units",
    "location_of",
    "maker_of",
    "parse_region_filter",
    "passes_in_a_row",
    "qualified_suppliers",
    "recognised_at",
    "region_matches",
    "region_of",
    "sample_rank",
    "seconds",
    "spot_check_standings",
    "standing_at",
    "supplies_to",
    "supply_of",
    "transformations_in",
]
