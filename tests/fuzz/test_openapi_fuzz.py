"""Every operation of the served OpenAPI document, fuzzed against the real service on a real chain.

schemathesis reads ``/openapi.json`` from ``supplychain serve`` (HTTP server and anchoring worker, on an anvil node,
seeded with signed events, QR codes, a recall and a green recognition) and generates, for each operation, its
examples, its coverage cases (boundary and invalid values) and ``MAX_EXAMPLES`` cases of valid and invalid data with
hostile values mixed in. Each case is sent three times: with no token (whatever ``Authorization`` the case itself
generated), with an organisation's token and with the regulator's. A case fails on any 5xx and on any response its
operation does not document (status code, media type, body schema). After each operation the service must still
answer ``GET /health`` with its process running; after the last, the ``fuzz_schema`` fixture checks that the run was
not vacuous (every documented operation, with each credential, enough cases) and that the anchoring worker lives.

One test item holds the whole run, so that one platform serves it whichever worker runs it.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis import Case, checks

from tests.fuzz.conftest import CHECKS, MODES, Tally, assert_alive
from tests.fuzz.platform import Platform

pytestmark = [pytest.mark.anvil, pytest.mark.slow, pytest.mark.xdist_group("fuzz")]

schema = schemathesis.pytest.from_fixture("fuzz_schema")
VALIDATORS = [getattr(checks, name) for name in CHECKS]


@schema.parametrize()
def test_every_operation_survives_fuzzing_with_each_credential(case: Case, platform: Platform, tally: Tally) -> None:
    label = case.operation.label
    if tally.current != label:
        if tally.current is not None:  # the previous operation's cases are over: the service must have survived them
            assert_alive(platform, f"fuzzing {tally.current}")
            tally.health_checks += 1
        tally.current = label
    for mode in MODES:
        token = platform.tokens[mode]
        headers = {"Authorization": f"Bearer {token}"} if token else None
        tally.cases[mode][label] += 1
        response = case.call(headers=headers)
        tally.statuses[mode][response.status_code] += 1
        case.validate_response(response, checks=VALIDATORS, headers=headers)
