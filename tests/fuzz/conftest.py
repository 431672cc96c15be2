"""Fixtures of the fuzzer: one platform for the whole module (anvil, ``supplychain serve``, seeded data, tokens), the
served OpenAPI document loaded by schemathesis once per credential, and the tally of what was fuzzed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.chains import start
from tests.fuzz.platform import Platform, Service, seed

#: The three credentials every operation is fuzzed with.
MODES = ("anonymous", "organisation", "regulator")

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


def config(token: str | None) -> schemathesis.Config:
    """The run's schemathesis configuration (the keys of ``schemathesis.toml``): reproducible (fixed seed,
    derandomised), positive and negative data, no shrinking (a failure is reported as found), no example database."""
    return schemathesis.Config.from_dict(
        {
            "seed": 11,
            "dictionaries": {
                "hostile-strings": {"values": HOSTILE_STRINGS},
                "hostile-integers": {"values": HOSTILE_INTEGERS},
            },
            "headers": {"Authorization": f"Bearer {token}"} if token else {},
            "request-timeout": 30,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
                "database": "none",
                "dictionaries": {
                    "string": {"dictionary": "hostile-strings", "probability": 0.2},
                    "integer": {"dictionary": "hostile-integers", "probability": 0.2},
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
    current: dict[str, str] = field(default_factory=dict)
    health_checks: int = 0


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


@pytest.fixture(scope="module")
def tally() -> Tally:
    return Tally()


@pytest.fixture(scope="module")
def openapi(platform: Platform) -> dict[str, Any]:
    """The OpenAPI document the service serves."""
    response = httpx.get(platform.service.url + "/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    """The credential of this run: none, the manufacturer's organisation token, or the regulator's."""
    return str(request.param)


@pytest.fixture
def fuzz_schema(platform: Platform, mode: str) -> OpenApiSchema:
    """The served OpenAPI document as schemathesis loads it, sending ``mode``'s credential with every case."""
    return schemathesis.openapi.from_url(
        platform.service.url + "/openapi.json", config=config(platform.tokens[mode]), timeout=30
    )


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schemas rename the test node through ``Node._nodeid``, which pytest 9.2 no longer has
    (node ids became ``NodeId`` objects): give the node the attribute so that the renaming is a harmless no-op."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = str(request.node.nodeid)
