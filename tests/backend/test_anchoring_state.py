"""/ready and /metrics say what the anchoring is doing, read from the shared database: pending events and the
oldest one's age, batches in flight, the anchoring lease."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.services.anchoring import AnchoringWorker
from backend.services.lease import Lease
from backend.services.platform import Platform
from supplychain.signing import SigningKey
from tests.backend.test_anchoring import capture
from tests.chains import MANUFACTURER


def anchoring(client: TestClient) -> dict[str, object]:
    body = client.get("/ready").json()
    state: dict[str, object] = body["checks"]["anchoring"]
    return state


def test_ready_and_metrics_follow_pending_events_batches_and_the_lease(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    assert anchoring(client) == {
        "pendingEvents": 0,
        "oldestPendingEventAgeSeconds": None,
        "unfinishedBatches": 0,
        "inFlight": [],
        "notFinalBatches": 0,
        "leastConfirmations": None,
        "lease": None,
    }
    metrics = client.get("/metrics").text
    assert "supplychain_oldest_pending_event_age_seconds 0.0" in metrics
    assert "supplychain_anchoring_lease_epoch 0.0" in metrics

    capture(client, tokens["manufacturer"], keys[MANUFACTURER], 3)
    with platform.engine.begin() as connection:  # the oldest arrived a minute ago
        connection.execute(text("UPDATE event SET received_at = received_at - 60000 WHERE id = 1"))
    state = anchoring(client)
    assert state["pendingEvents"] == 3
    age = state["oldestPendingEventAgeSeconds"]
    assert isinstance(age, float) and 60 <= age < 600
    metrics = client.get("/metrics").text
    assert "supplychain_events_pending 3.0" in metrics
    assert "supplychain_oldest_pending_event_age_seconds 6" in metrics  # 60-something seconds

    worker = AnchoringWorker(platform)
    assert worker.run_once(force=True) == 3  # this host's worker takes the lease (epoch 1) and anchors
    worker.lease.release()
    lease = Lease(platform.engine, holder="host-a:42:beef", ttl_seconds=30)
    assert lease.acquire()  # another host's worker takes over (epoch 2)
    with platform.engine.begin() as connection:  # a batch whose transaction is in flight
        connection.execute(
            text(
                "INSERT INTO batch (root, leaf_count, status, created_at, chain_id, tx_hash, nonce) "
                "VALUES (:r, 1, 'sent', 0, 31337, :h, 7)"
            ),
            {"r": "0x" + "ab" * 32, "h": "0x" + "cd" * 32},
        )
    state = anchoring(client)
    assert state["pendingEvents"] == 0 and state["oldestPendingEventAgeSeconds"] is None
    assert state["unfinishedBatches"] == 1
    (flight,) = state["inFlight"]  # type: ignore[misc]
    assert flight["status"] == "sent" and flight["txHash"] == "0x" + "cd" * 32 and flight["nonce"] == 7
    assert flight["ageSeconds"] > 1_000_000  # created at the epoch's start
    assert (flight["sentSecondsAgo"], flight["replaced"], flight["reorgs"]) == (None, 0, 0)
    assert state["lease"] == {
        "holder": "host-a:42:beef",
        "epoch": 2,
        "live": True,
        "expiresInSeconds": state["lease"]["expiresInSeconds"],
    }  # type: ignore[index]
    metrics = client.get("/metrics").text
    assert "supplychain_batches_in_flight 1.0" in metrics
    assert "supplychain_anchoring_lease_epoch 2.0" in metrics
    assert "supplychain_anchoring_lease_live 1.0" in metrics


def test_damaged_times_do_not_break_ready(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    capture(client, tokens["manufacturer"], keys[MANUFACTURER], 1)
    with platform.engine.begin() as connection:
        connection.execute(text("UPDATE event SET received_at = 'garbage'"))
        connection.execute(
            text(
                "INSERT INTO batch (root, leaf_count, status, created_at, chain_id, tx_hash, nonce) "
                "VALUES (:r, 1, 'prepared', 'x', 31337, 5, 'y')"
            ),
            {"r": "0x" + "ef" * 32},
        )
    response = client.get("/ready")
    assert response.status_code == 200
    state = response.json()["checks"]["anchoring"]
    assert state["pendingEvents"] == 1 and state["oldestPendingEventAgeSeconds"] is None
    assert state["inFlight"] == [
        {
            "batch": 1,
            "status": "prepared",
            "txHash": None,
            "nonce": None,
            "ageSeconds": None,
            "sentSecondsAgo": None,
            "replaced": 0,
            "reorgs": 0,
        }
    ]
    assert client.get("/metrics").status_code == 200
