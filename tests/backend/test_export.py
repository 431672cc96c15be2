"""The regulator's export (GET /export/status, /export/events, /export/batches): regulator only, keyset pages that
cover every record exactly once, records as stored, and what the audit's checks make of them."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.audit.client import PlatformClient
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from supplychain.audit import Auditor, EventChecker
from supplychain.signing import SigningKey
from tests.backend import documents
from tests.chains import MANUFACTURER

ROUTES = ("/export/status", "/export/events", "/export/batches")


@pytest.fixture
def stored(client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]) -> list[str]:
    """23 events of the manufacturer in three captures: two anchored batches, then 3 events not yet batched."""
    headers = {"Authorization": f"Bearer {tokens['manufacturer']}", "Content-Type": "application/ld+json"}
    hashes: list[str] = []
    worker = AnchoringWorker(platform)
    for n, size in enumerate((12, 8, 3)):
        events = [documents.object_event(f"X{n}-{i}", at_ms=documents.NOW_MS[0] + i) for i in range(size)]
        body = client.post("/capture", content=documents.signed_document(keys[MANUFACTURER], events), headers=headers)
        assert body.status_code in (200, 201, 202), body.text
        hashes += [documents.hash_of(e) for e in events]
        if n < 2:
            assert worker.run_once(force=True) == size
    return hashes


def regulator(tokens: dict[str, str], accept: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['regulator']}", "Accept": accept}


def ndjson(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> tuple[list[dict[str, Any]], Any]:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()], response


@pytest.mark.parametrize("path", ROUTES)
def test_only_the_regulator_reads_the_export(client: TestClient, tokens: dict[str, str], path: str) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert client.get(path, headers={"Authorization": "Bearer sc_unknown"}).status_code == 401
    organisation = client.get(path, headers={"Authorization": f"Bearer {tokens['manufacturer']}"})
    assert organisation.status_code == 403
    assert organisation.json()["detail"] == "this route is for the regulator"
    assert client.get(path, headers=regulator(tokens)).status_code == 200


def test_ndjson_pages_cover_every_event_exactly_once(
    client: TestClient, tokens: dict[str, str], stored: list[str]
) -> None:
    seen: list[dict[str, Any]] = []
    after, pages = 0, 0
    while True:
        records, response = ndjson(
            client, "/export/events", regulator(tokens, "application/x-ndjson"), after=after, limit=5
        )
        seen += records
        pages += 1
        if "x-next-after" not in response.headers:
            assert len(records) < 5
            break
        assert int(response.headers["x-next-after"]) == records[-1]["id"]
        assert 'rel="next"' in response.headers["link"] and "after=" in response.headers["link"]
        after = records[-1]["id"]
    assert pages == 5 and [r["hashId"] for r in seen] == stored
    assert [r["id"] for r in seen] == sorted({r["id"] for r in seen})
    first = seen[0]
    assert next(iter(first)) == "id"  # a reader finds the id at the start of the line
    assert first["organisationId"] == MANUFACTURER and first["recognition"] is None
    assert first["root"].startswith("0x") and first["batchId"] == 1 and len(first["proof"]) >= 3
    assert first["document"]["@context"] == documents.CONTEXT and first["document"]["epcList"]
    assert seen[-1]["root"] is None and seen[-1]["proof"] is None and seen[-1]["batchId"] is None


def test_json_pages_and_the_status(client: TestClient, tokens: dict[str, str], stored: list[str]) -> None:
    page = client.get("/export/events", params={"limit": 20}, headers=regulator(tokens)).json()
    assert len(page["items"]) == 20 and page["nextAfter"] == page["items"][-1]["id"]
    rest = client.get("/export/events", params={"after": page["nextAfter"]}, headers=regulator(tokens)).json()
    assert [i["hashId"] for i in page["items"] + rest["items"]] == stored and rest["nextAfter"] is None
    status = client.get("/export/status", headers=regulator(tokens)).json()
    assert status == {
        "lastEventId": rest["items"][-1]["id"],
        "lastBatchId": 2,
        "lastMasterDataId": 0,
        "events": 23,
        "batches": 2,
        "masterData": 0,
        "anchorDeadlineSeconds": 300,
    }


def test_batches_are_exported_with_their_anchors(client: TestClient, tokens: dict[str, str], stored: list[str]) -> None:
    batches, _ = ndjson(client, "/export/batches", regulator(tokens, "application/x-ndjson"))
    assert [(b["id"], b["leafCount"], b["status"], b["remadeAt"]) for b in batches] == [
        (1, 24, "anchored", None),  # each event's leaf and a story link per identifier it names
        (2, 8 + 8, "anchored", None),
    ]
    assert all(b["txHash"] and b["blockNumber"] and b["blockTime"] and b["sequence"] for b in batches)
    second, response = ndjson(client, "/export/batches", regulator(tokens, "application/x-ndjson"), after=1, limit=1)
    assert [b["id"] for b in second] == [2] and response.headers["x-next-after"] == "2"
    assert client.get("/export/batches", params={"after": 2}, headers=regulator(tokens)).json() == {
        "items": [],
        "nextAfter": None,
    }


def test_the_exported_records_pass_the_audits_checks(
    client: TestClient, platform: Platform, tokens: dict[str, str], stored: list[str]
) -> None:
    mirror = platform.registry.refresh(force=True)
    checker, auditor = EventChecker(mirror), Auditor()
    for b in client.get("/export/batches", headers=regulator(tokens)).json()["items"]:
        auditor.add_batch(b)
    for r in client.get("/export/events", headers=regulator(tokens)).json()["items"]:
        auditor.add_event(checker.check(r), mirror.anchors)
    auditor.finish(mirror, judged_block=10**9, now_ms=documents.NOW_MS[0])
    assert auditor.findings == [] and auditor.roots_judged == 2 and len(auditor.unsettled) == 3


def test_documents_are_exported_as_stored_even_when_they_are_not_json(
    client: TestClient, platform: Platform, tokens: dict[str, str], stored: list[str]
) -> None:
    big = '{"type":"ObjectEvent","quantity":123456789012345678901234567890}'
    with platform.engine.begin() as connection:
        connection.execute(text("UPDATE event SET document = :d WHERE id = 1"), {"d": big})
        connection.execute(text("UPDATE event SET document = '{broken' WHERE id = 2"))
        connection.execute(text("UPDATE event SET proof = 'nope' WHERE id = 3"))
    response = client.get("/export/events", params={"limit": 3}, headers=regulator(tokens, "application/x-ndjson"))
    lines = response.content.splitlines()
    assert b'"document":' + big.encode() in lines[0]  # byte for byte, past what a 64-bit integer holds
    assert json.loads(lines[1])["document"] == "{broken"  # no longer JSON: given as text
    assert json.loads(lines[2])["proof"] == "nope"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "one"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "10"}, "offset"),
    ],
)
@pytest.mark.parametrize("path", ROUTES[1:])
def test_bad_page_parameters_are_400_problems_naming_them(
    client: TestClient, tokens: dict[str, str], path: str, params: dict[str, str], parameter: str
) -> None:
    response = client.get(path, params=params, headers=regulator(tokens))
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["parameter"] == parameter and problem["type"].endswith("/invalid-parameter")
    assert problem["detail"].startswith(parameter)


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"lastEventId": 0, "lastBatchId": 0, "acceptEncoding": self.headers["Accept-Encoding"]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


def test_the_audit_asks_for_compression_only_from_another_machine() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        for host, wanted in (("127.0.0.1", "identity"), ("localhost", "identity")):
            client = PlatformClient(f"http://{host}:{port}", "t")
            assert client.status()["acceptEncoding"] == wanted
            client.close()
        # another machine (its network is stood in for): httpx's default, gzip among it
        seen: list[str | None] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request.headers.get("Accept-Encoding"))
            return httpx.Response(200, json={"lastEventId": 0, "lastBatchId": 0})

        remote = PlatformClient("https://platform.example.cn", "t", transport=httpx.MockTransport(answer))
        remote.status()
        remote.close()
        assert seen[0] is not None and "gzip" in seen[0]
    finally:
        server.shutdown()
        server.server_close()
