"""Every operation of the served OpenAPI document, fuzzed against the real service on a real chain.

schemathesis reads ``/openapi.json`` from ``supplychain serve`` (HTTP server and anchoring worker, on an anvil node,
seeded with signed events, QR codes, a recall and a green recognition) and runs each operation's examples, its
coverage cases (boundary and invalid values) and ``MAX_EXAMPLES`` generated cases of valid and invalid data, three
times: with no token, with an organisation's token and with the regulator's. A case fails on any 5xx and on any
response its operation does not document (status code, media type, body schema). After each operation, and at the
end, the service must still answer ``GET /health`` and its process must still run. The last test checks that the run
was not vacuous: every documented operation fuzzed with each credential, and enough cases.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import Case, checks

from tests.fuzz.conftest import CHECKS, MODES, Tally
from tests.fuzz.platform import Platform

pytestmark = [pytest.mark.anvil, pytest.mark.slow, pytest.mark.xdist_group("fuzz")]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: Fewer cases than this per credential means the fuzzer did not really run (42 operations give about 2,000).
MIN_CASES_PER_MODE = 1000

schema = schemathesis.pytest.from_fixture("fuzz_schema")
VALIDATORS = [getattr(checks, name) for name in CHECKS]


def assert_alive(platform: Platform, after: str) -> None:
    """The service answers ``GET /health`` with 200 and its process still runs."""
    service = platform.service
    assert service.alive(), f"the service died after {after}:\n{service.tail()}"
    try:
        status = httpx.get(service.url + "/health", timeout=10).status_code
    except httpx.HTTPError as exc:
        pytest.fail(f"GET /health failed after {after}: {exc!r}\n{service.tail()}")
    assert status == 200, f"GET /health answered {status} after {after}:\n{service.tail()}"


def operations(document: dict[str, Any]) -> set[str]:
    """``METHOD /path`` of every operation of an OpenAPI document."""
    return {f"{m.upper()} {path}" for path, item in document["paths"].items() for m in item if m in METHODS}


@schema.parametrize()
def test_every_operation_survives_fuzzing(case: Case, mode: str, platform: Platform, tally: Tally) -> None:
    label = case.operation.label
    previous = tally.current.get(mode)
    if previous != label:
        if previous is not None:  # the previous operation's cases are over: the service must have survived them
            assert_alive(platform, f"fuzzing {previous} ({mode})")
            tally.health_checks += 1
        tally.current[mode] = label
    tally.cases[mode][label] += 1
    response = case.call()
    tally.statuses[mode][response.status_code] += 1
    case.validate_response(response, checks=VALIDATORS)


def test_every_operation_was_fuzzed_with_each_credential_and_the_service_survived(
    platform: Platform, tally: Tally, openapi: dict[str, Any]
) -> None:
    assert_alive(platform, "the whole run")
    documented = operations(openapi)
    assert len(documented) >= 40, sorted(documented)
    for mode in MODES:
        fuzzed = set(tally.cases[mode])
        assert fuzzed >= documented, f"{mode}: never fuzzed {sorted(documented - fuzzed)}"
        assert sum(tally.cases[mode].values()) >= MIN_CASES_PER_MODE, (mode, tally.cases[mode])
        assert not [s for s in tally.statuses[mode] if s >= 500], (mode, tally.statuses[mode])
    assert tally.health_checks >= len(MODES) * (len(documented) - 1)


def test_the_served_document_is_valid_openapi_3_1(platform: Platform, openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.1.")
    loaded = schemathesis.openapi.from_dict(openapi)
    loaded.validate()  # against the OpenAPI 3.1 meta-schema (JSON Schema 2020-12)
    broken = [result for result in loaded.get_all_operations() if not result.ok()]
    assert not broken
