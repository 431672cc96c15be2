"""The registry's overlap rule against a naive model: any sequence of assignments, transfers, renewals and revocations
is accepted or refused exactly as "no live prefix starts another" says, and the mirror ends up where the chain is."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.accounts import dev_account
from chain.connection import TESTER_URL
from chain.errors import RegistryConflictError, RegistryNotFoundError
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER, Deployed, deploy_cast

#: Prefixes that nest in every way: 6901 < 690123 < 6901234 / 6901235, beside 6902.
PREFIXES = ("6901", "690123", "6901234", "6901235", "6902")
ORGS = (MANUFACTURER, SUPPLIER, RETAILER)
OPS = st.lists(
    st.tuples(
        st.sampled_from(("assign", "assign", "transfer", "renew", "revoke", "revoke")),
        st.sampled_from(PREFIXES),
        st.sampled_from(ORGS),
    ),
    min_size=6,
    max_size=14,
)


@pytest.fixture(scope="module")
def deployed() -> Deployed:
    deployed = deploy_cast(TESTER_URL)
    deployed.writer("regulator").register_registrar(dev_account("gs1-registrar").address)
    return deployed


def expected(live: dict[str, str], op: str, prefix: str, org: str) -> type[Exception] | None:
    """What the naive rule says: ``None`` (accepted) or the error family."""
    if op == "assign":
        overlaps = any(p.startswith(prefix) or prefix.startswith(p) for p in live)
        return RegistryConflictError if overlaps else None
    if prefix not in live:
        return RegistryNotFoundError
    return ValueError if op == "transfer" and live[prefix] == org else None  # the same holder: an argument error


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_overlap_rule_and_mirror_follow_the_model(deployed: Deployed, ops: list[tuple[str, str, str]]) -> None:
    snapshot = deployed.chain.snapshot()
    registrar = deployed.writer("gs1-registrar")  # fresh: its nonce is the snapshot's
    try:
        live: dict[str, str] = {}
        for op, prefix, org in ops:
            want = expected(live, op, prefix, org)
            calls = {
                "assign": lambda p=prefix, o=org: registrar.assign_prefix(p, o),
                "transfer": lambda p=prefix, o=org: registrar.transfer_prefix(p, o),
                "renew": lambda p=prefix: registrar.renew_prefix(p),
                "revoke": lambda p=prefix: registrar.revoke_prefix(p, 13),
            }
            if want is None:
                calls[op]()
                if op in ("assign", "transfer"):
                    live[prefix] = org
                elif op == "revoke":
                    del live[prefix]
            else:
                with pytest.raises(want):
                    calls[op]()
        now = deployed.chain.block_timestamp()
        mirror = deployed.registry.mirror()
        for prefix in PREFIXES:
            assert (
                deployed.registry.prefix_holder_at(prefix, now)
                == live.get(prefix)
                == mirror.prefix_holder_at(prefix, now)
            ), prefix
    finally:
        deployed.chain.revert(snapshot)
