"""Liveness, readiness, problem+json for unknown routes."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["chain"]["chainId"] > 0


def test_unknown_routes_answer_problem_json(client: TestClient) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://supplychain.dev/problems/not-found"


def test_metrics_count_captures_and_anchors(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for name in (
        "supplychain_events_pending 0.0",
        "supplychain_events_anchored_total 0.0",
        "supplychain_anchor_latency_seconds_bucket",
    ):
        assert name in text
