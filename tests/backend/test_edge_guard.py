"""The edge guard (backend.api.limits) at the ASGI level: what it refuses, that it refuses before the application
runs, and that what it lets through reaches the application unchanged."""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from backend.api.limits import RECURSION_LIMIT, EdgeGuard, EdgeLimits, Message, Receive, Scope, Send
from backend.core.config import Settings

LIMITS = EdgeLimits.of(Settings(environment="test", max_body_bytes=4096, max_capture_bytes=8192))


class Inner:
    """The application behind the guard: records the body it reads, answers 204."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def call(
    path: str = "/recalls",
    *,
    method: str = "POST",
    query: bytes = b"",
    chunks: list[bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any] | None, Inner, int]:
    """Run one request through the guard: (status, problem, the inner application, messages received)."""
    inner = Inner()
    guard = EdgeGuard(inner, LIMITS)
    given = list(chunks or [])
    sent: list[Message] = []
    received = 0
    raw_headers = [(k.lower().encode(), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if chunks is not None and not any(k == b"content-length" for k, _ in raw_headers):
        raw_headers.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": raw_headers,
    }

    async def receive() -> Message:
        nonlocal received
        received += 1
        if given:
            chunk = given.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(given)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    anyio.run(guard, scope, receive, send)
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, json.loads(body) if body else None, inner, received


def test_a_body_within_the_limit_reaches_the_application_unchanged() -> None:
    chunks = [b'{"a": ', b"[1, 2, 3]", b"}"]
    status, _, inner, _ = call(chunks=chunks, headers={"Content-Type": "application/json"})
    assert status == 204 and inner.bodies == [b"".join(chunks)]


def test_a_body_over_the_limit_is_413_counted_as_it_streams() -> None:
    chunks = [b"x" * 1000] * 100  # chunked: no Content-Length
    status, problem, inner, received = call(chunks=chunks)
    assert status == 413 and inner.bodies == []
    assert problem is not None and problem["type"].endswith("/body-too-large") and problem["maximum"] == 4096
    assert received == 5  # stops reading at the first chunk over the limit


def test_a_content_length_that_lies_does_not_help() -> None:
    status, _, inner, _ = call(chunks=[b"x" * 3000, b"x" * 3000], headers={"Content-Length": "10"})
    assert status == 413 and inner.bodies == []


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    status, problem, inner, received = call(chunks=[b"x"], headers={"Content-Length": "4097"})
    assert (status, received, inner.bodies) == (413, 0, [])
    assert problem is not None and "4097" in problem["detail"]


@pytest.mark.parametrize("length", ["abc", "-1", "1" * 30, "²"])
def test_a_content_length_that_is_not_a_count_is_400(length: str) -> None:
    status, problem, inner, _ = call(chunks=[b"x"], headers={"Content-Length": length})
    assert status == 400 and inner.bodies == [] and problem is not None


def test_capture_has_its_own_limit() -> None:
    body = [b" " * 6000]
    assert call("/capture", chunks=body)[0] == 204
    assert call("/recalls", chunks=body)[0] == 413
    assert call("/capture", chunks=[b" " * 8193])[0] == 413


@pytest.mark.parametrize("media_type", [None, "application/json", "application/ld+json; charset=utf-8", "a/b+json"])
def test_json_nested_too_deep_is_400_before_the_application(media_type: str | None) -> None:
    headers = {"Content-Type": media_type} if media_type else {}
    deep = b"[" * 65 + b"]" * 65
    status, problem, inner, _ = call(chunks=[deep], headers=headers)
    assert status == 400 and inner.bodies == []
    assert problem is not None and problem["type"].endswith("/json-too-deep") and "65 deep" in problem["detail"]
    assert call(chunks=[b"[" * 64 + b"]" * 64], headers=headers)[0] == 204
    assert call(chunks=[b"[[[1,"], headers=headers)[0] == 204  # malformed, not deep: the route says what is wrong


@pytest.mark.parametrize("media_type", [None, "application/json"])
def test_a_json_body_that_is_not_utf8_is_400_saying_where(media_type: str | None) -> None:
    headers = {"Content-Type": media_type} if media_type else {}
    status, problem, inner, _ = call(chunks=[b'{"gtin": "\xff"}'], headers=headers)
    assert status == 400 and inner.bodies == []
    assert problem is not None and problem["type"].endswith("/malformed-json")
    assert problem["detail"].startswith("the body is not UTF-8: byte 10 is 0xff")
    assert call(chunks=['{"name": "电池"}'.encode()], headers=headers)[0] == 204
    assert call(chunks=[b"\xff"], headers={"Content-Type": "text/plain"})[0] == 204  # not JSON: the route decides


def test_other_media_types_and_captures_are_not_depth_checked_here() -> None:
    deep = b"[" * 3000
    assert call(chunks=[deep], headers={"Content-Type": "text/plain"})[0] == 204
    assert call("/capture", chunks=[deep], headers={"Content-Type": "application/ld+json"})[0] == 204  # the core


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        (b"a=" + b"x" * 9000, 414, "query-too-long"),
        (b"&".join(b"p%d=1" % i for i in range(101)), 400, "too-many-parameters"),
        (b"perPage=" + b"1" * 2049, 400, "parameter-too-long"),
        (b"perPage=%zz", 400, "malformed-url"),
        (b"perPage=%", 400, "malformed-url"),
        (b"perPage=%FF", 400, "malformed-url"),
        (b"perPage=%C3%28", 400, "malformed-url"),
        (b"perPage=\xc2\xb2", 400, "malformed-url"),
        (b"perPage=a b", 400, "malformed-url"),
    ],
)
def test_query_strings_beyond_the_limits_or_malformed_are_refused(query: bytes, status: int, code: str) -> None:
    answer, problem, inner, _ = call("/events", method="GET", query=query)
    assert answer == status and inner.bodies == []
    assert problem is not None and problem["type"].endswith("/" + code)


def test_well_formed_queries_pass() -> None:
    query = b"&".join([b"perPage=%C2%B2", b"EQ_bizStep=shipping", b"x=a+b", b"y=", b"z"] * 20)
    assert call("/events", method="GET", query=query)[0] == 204


def test_a_client_gone_while_sending_reaches_nothing() -> None:
    inner = Inner()
    guard = EdgeGuard(inner, LIMITS)
    messages = iter([{"type": "http.request", "body": b"x", "more_body": True}, {"type": "http.disconnect"}])

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent to a client that left")

    scope = {"type": "http", "method": "POST", "path": "/recalls", "headers": [(b"transfer-encoding", b"chunked")]}
    anyio.run(guard, scope, receive, send)
    assert inner.bodies == []


def test_the_application_is_behind_the_guard(client: TestClient) -> None:
    answer = client.post("/recalls", content=b"[" * 100_000, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["type"].endswith("/json-too-deep")
    assert client.get("/events", params={"perPage": "x" * 3000}).status_code == 400


def test_every_operation_with_a_body_announces_its_limit(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["x-limits"]["maxJsonDepth"] == 64
    operations = [(p, m, op) for p, ops in spec["paths"].items() for m, op in ops.items() if m in ("post", "put")]
    assert len(operations) >= 7
    for path, method, op in operations:
        assert isinstance(op["x-max-body-bytes"], int), (method, path)
        assert f"at most {op['x-max-body-bytes']:,} bytes" in op["description"], (method, path)
        assert "413" in op["responses"], (method, path)
    limits = {p: ops["post"]["x-max-body-bytes"] for p, ops in spec["paths"].items() if "post" in ops}
    assert limits["/capture"] == 32 * 1024 * 1024 and limits["/recalls"] == 1024 * 1024
    assert limits["/registry/transactions"] == 128 * 1024  # the route's own, smaller limit


def test_a_recursion_limit_raised_after_start_up_is_put_back_at_the_next_request() -> None:
    sys.setrecursionlimit(100_000)  # as importing py_ecc or py-evm does
    try:
        assert call("/events", method="GET")[0] == 204
        assert sys.getrecursionlimit() == RECURSION_LIMIT
    finally:
        sys.setrecursionlimit(RECURSION_LIMIT)
