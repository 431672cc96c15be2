"""The OpenAPI document the service serves is valid OpenAPI 3.1, and schemathesis can build every operation of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.core.result import Err

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.platform import Platform
from chain.connection import TESTER_URL
from tests.fuzz.conftest import operations


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(environment="test", data_dir=tmp_path, rpc_url=TESTER_URL, run_worker=False, capture_workers=0)
    platform = Platform.open(settings)
    try:
        with TestClient(create_app(platform=platform)) as client:
            yield client
    finally:
        platform.close()


def test_the_served_document_is_valid_openapi_3_1(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1.")
    loaded = schemathesis.openapi.from_dict(document)
    loaded.validate()  # against the OpenAPI 3.1 meta-schema (JSON Schema 2020-12)
    results = list(loaded.get_all_operations())  # each operation's parameters and bodies resolved and compiled
    assert not [result.err() for result in results if isinstance(result, Err)]
    assert len(results) == len(operations(document)) >= 40
