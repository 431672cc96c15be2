"""Fixtures of the fuzzer: one platform (anvil, ``supplychain serve``, seeded data, tokens), the served OpenAPI
document as schemathesis loads it, and the tally of what was fuzzed, checked once every operation has run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.chains import start
from tests.fuzz.platform import Platform, Service, seed

#: The three credentials every generated case is sent with.
MODES = ("anonymous", "organisation", "regulator")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: Fewer cases than this per credential means the fuzzer did not really run (42 operations give about 2,000).
MIN_CASES_PER_MODE = 1000

#: Cases per operation in the fuzzing phase (the examples and coverage phases add their own, a fixed set). 3 x 42
#: operations at this size take about 1.5 minutes on 2 cores, the platform's start and seeding 20 s more.
MAX_EXAMPLES = 30

#: What fails a case: a 5xx, and any response its own OpenAPI operation does not describe (status code, media type,
#: body schema).
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")

#: Values mixed into generated strings and integers (where the schema allows them), for the failures a schema-driven
#: generator rarely reaches by chance: integers beyond SQLite's 64 bits and uint256, Unicode digits that pass
#: ``str.isdigit`` but not ``int()``, more digits than ``int()`` accepts, bidirectional and zero-width controls,
#: deep JSON, a forged session cookie's shape.
HOSTILE_INTEGERS = [2**63, 2**64, 2**256, -(2**63) - 1, 0, -1]
HOSTILE_STRINGS = [
    "\u00b2",
    "\u0663\u0664",
    str(2**63),
    str(2**256),
    "-" + str(2**63 + 1),
    "1" * 4301,
    "\u202eevil",
    "a\u200bb",
    "[" * 5000,
    "v1.\u00b2.AAAA",
    "1e309",
    "NaN",
]

# The credential routes take the compact JWS itself (`application/vc+jwt`): a string sent as it is.
schemathesis.serializer.alias("application/vc+jwt", "text/plain")


def config() -> schemathesis.Config:
    """The run's schemathesis configuration (the keys of ``schemathesis.toml``): reproducible (fixed seed,
    derandomised, no example database or failure cache), positive and negative data with hostile values mixed in,
    no shrinking (a failure is reported as found)."""
    return schemathesis.Config.from_dict(
        {
            "seed": 11,
            "dictionaries": {
                "hostile-strings": {"values": HOSTILE_STRINGS},
                "hostile-integers": {"values": HOSTILE_INTEGERS},
            },
            "request-timeout": 30,
            "cache": {
                "enabled": False
            },  # no replay of a previous run's failures from .schemathesis/: same run everywhere
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
                "dictionaries": {
                    "string": {"dictionary": "hostile-strings", "probability": 0.3},
                    "integer": {"dictionary": "hostile-integers", "probability": 0.3},
                },
            },
            "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


@dataclass
class Tally:
    """What the fuzzer ran: cases per credential and operation, status codes, and the last operation seen."""

    cases: dict[str, Counter[str]] = field(default_factory=lambda: {mode: Counter() for mode in MODES})
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: {mode: Counter() for mode in MODES})
    current: str | None = None
    health_checks: int = 0


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


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """``supplychain serve`` (server and anchoring worker) on an anvil node, seeded (tests.fuzz.platform.seed)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    for node in start("anvil", tmp):
        data = Path(tmp / "data")
        data.mkdir()
        service = Service(data, node.url)
        service.start()
        try:
            yield seed(service)
        finally:
            service.stop()


@pytest.fixture
def tally() -> Tally:
    return Tally()


@pytest.fixture
def fuzz_schema(platform: Platform, tally: Tally) -> Iterator[OpenApiSchema]:
    """The served OpenAPI document as schemathesis loads it. Once every operation has been fuzzed (this fixture's
    teardown runs after the test's last subtest), the run must not have been vacuous and the service must be alive:
    every documented operation fuzzed with each credential, enough cases, no 5xx, ``/health`` answering, and the
    anchoring worker still at work (the seeded events anchored)."""
    url = platform.service.url
    document = httpx.get(url + "/openapi.json", timeout=30).json()
    yield schemathesis.openapi.from_url(url + "/openapi.json", config=config(), timeout=30)
    print(  # the figures the note asks for (in the report with -rA)
        "\nfuzz cases per credential:",
        {mode: sum(tally.cases[mode].values()) for mode in MODES},
        "statuses:",
        {mode: dict(sorted(tally.statuses[mode].items())) for mode in MODES},
    )
    assert_alive(platform, "the whole run")
    for hash_id in platform.seeded["eventHashIds"]:
        event = httpx.get(f"{url}/events/{quote(hash_id, safe='')}", timeout=10).json()
        assert "root" in event["anchor"], event["anchor"]
    documented = operations(document)
    assert len(documented) >= 40, sorted(documented)
    for mode in MODES:
        fuzzed = set(tally.cases[mode])
        assert fuzzed >= documented, f"{mode}: never fuzzed {sorted(documented - fuzzed)}"
        assert sum(tally.cases[mode].values()) >= MIN_CASES_PER_MODE, (mode, tally.cases[mode])
        assert not [s for s in tally.statuses[mode] if s >= 500], (mode, tally.statuses[mode])
    assert tally.health_checks >= len(documented) - 1


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schemas rename the test node through ``Node._nodeid``, which pytest 9.2 no longer has
    (node ids became ``NodeId`` objects): give the node the attribute so that the renaming is a harmless no-op."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = str(request.node.nodeid)
