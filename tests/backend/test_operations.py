"""Operating the service: the OpenAPI document describes every route and its errors; logs can be JSON lines."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from fastapi.testclient import TestClient

from backend.core.logs import JsonFormatter, configure_logging


def test_every_route_is_described_with_its_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "supplychain"
    routes = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]
    assert len(routes) >= 20
    for path, method, op in routes:
        assert op.get("summary"), (method, path)
        assert op.get("description"), (method, path)
        if path not in ("/health", "/metrics") and method != "options":
            assert any(code.startswith(("4", "5")) for code in op["responses"]), (method, path)


def test_json_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    try:
        logging.getLogger("backend.test").info("anchored %s events", 3, extra={"batch": 7})
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        configure_logging("WARNING", "text")
    record = json.loads(line)
    assert (record["level"], record["logger"], record["message"], record["batch"]) == (
        "INFO",
        "backend.test",
        "anchored 3 events",
        7,
    )
    assert record["time"].endswith("Z")
    try:
        raise ValueError("boom")
    except ValueError:
        formatted = JsonFormatter().format(logging.LogRecord("x", 40, __file__, 1, "failed", None, sys.exc_info()))
    assert "ValueError: boom" in json.loads(formatted)["exception"]


def test_settings_refuse_a_database_other_than_sqlite_or_postgresql() -> None:
    from backend.core.config import Settings

    with pytest.raises(ValueError, match="SQLite or PostgreSQL, not 'mysql'"):
        Settings(database_url="mysql://db/supplychain")
    assert Settings(database_url="postgresql+psycopg://db/supplychain").database.startswith("postgresql")


def test_large_answers_are_compressed_for_clients_that_accept_it(client: TestClient) -> None:
    compressed = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert int(compressed.headers["content-length"]) < len(compressed.content) / 3  # decoded by the client
    plain = client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == compressed.json()
