"""Bulk capture with the signing processes: the same outcomes, in the same order, as in the request thread."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.platform import Platform
from backend.services.signing_pool import INLINE_BELOW
from supplychain.receipt import verify_receipt
from supplychain.signing import SigningKey, encode_signature, sign_hash_id
from tests.backend.documents import _document, hash_of, object_event
from tests.chains import MANUFACTURER

COUNT = INLINE_BELOW + 100


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.capture_workers = 2
    return settings


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform=platform)) as c:
        yield c


def bulk_document(key: SigningKey, events: list[dict[str, Any]], forged: set[int]) -> bytes:
    signatures = []
    for i, event in enumerate(events):
        signed = hash_of(events[(i + 1) % len(events)]) if i in forged else hash_of(event)
        text = encode_signature(sign_hash_id(key, signed))
        signatures.append({"eventHashId": hash_of(event), "keyId": key.key_id, "signature": text})
    return json.dumps({**_document(events), "epcisHeader": {"sc:signatures": signatures}}).encode()


def test_a_bulk_document_is_checked_and_receipted_by_the_worker_processes(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    headers = {
        "Authorization": f"Bearer {tokens['manufacturer']}",
        "Content-Type": "application/ld+json",
        "Prefer": "return=representation",
        "GS1-Capture-Error-Behaviour": "proceed",  # the valid events are stored beside the forged ones
    }
    first = [object_event(f"W{i}") for i in range(COUNT)]
    forged = {3, 250, COUNT - 1}
    body = client.post("/capture", content=bulk_document(keys[MANUFACTURER], first, forged), headers=headers).json()
    assert (body["acceptedCount"], body["rejectedCount"]) == (COUNT - len(forged), len(forged))
    for i, outcome in enumerate(body["events"]):
        assert outcome["index"] == i
        assert outcome["eventHashId"] == hash_of(first[i])
        if i in forged:
            assert (outcome["status"], outcome["reason"]) == ("REJECTED", "bad_signature")
            assert "does not verify" in outcome["detail"]
        else:
            assert outcome["status"] == "ACCEPTED"
            verify_receipt(outcome["receipt"], platform.receipt_key.public_key_bytes)
            assert outcome["receipt"]["eventHashId"] == outcome["eventHashId"]
    # again, with half of it stored already: duplicates get no receipt, the new ones do
    second = first[: COUNT // 2] + [object_event(f"X{i}") for i in range(COUNT // 2)]
    again = client.post("/capture", content=bulk_document(keys[MANUFACTURER], second, set()), headers=headers).json()
    statuses = [o["status"] for o in again["events"]]
    expected_duplicates = COUNT // 2 - len({i for i in forged if i < COUNT // 2})
    assert statuses.count("DUPLICATE") == expected_duplicates
    assert statuses.count("ACCEPTED") == len(second) - expected_duplicates
    assert all(("receipt" in o) == (o["status"] == "ACCEPTED") for o in again["events"])
    assert platform.signing_pool._executor is not None  # the work went to the processes


def test_a_dead_signing_process_loses_nothing_and_the_pool_starts_again(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    headers = {
        "Authorization": f"Bearer {tokens['manufacturer']}",
        "Content-Type": "application/ld+json",
        "Prefer": "return=representation",
    }

    def bulk(tag: str) -> dict[str, Any]:
        events = [object_event(f"{tag}{i}") for i in range(COUNT)]
        answer = client.post("/capture", content=bulk_document(keys[MANUFACTURER], events, set()), headers=headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    assert bulk("D")["acceptedCount"] == COUNT
    first = platform.signing_pool._executor
    assert first is not None
    victim = next(iter(first._processes.values()))  # type: ignore[attr-defined]
    os.kill(victim.pid, signal.SIGKILL)
    victim.join(timeout=10)
    after = bulk("E")  # done in the request thread, every event checked and receipted all the same
    assert after["acceptedCount"] == COUNT
    for outcome in after["events"][:: COUNT // 7]:
        verify_receipt(outcome["receipt"], platform.receipt_key.public_key_bytes)
    assert bulk("F")["acceptedCount"] == COUNT
    assert platform.signing_pool._executor is not None and platform.signing_pool._executor is not first
