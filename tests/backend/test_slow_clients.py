"""Slow clients are cut off by ``supplychain serve`` (header, body and keep-alive timeouts), and meanwhile the
server answers everyone else at once: the timeouts live on the event loop, no worker waits for a slow client."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.backend.served import Served, serve
from tests.chains import start

pytestmark = [pytest.mark.anvil, pytest.mark.xdist_group("served-slow-clients")]

HEADER_TIMEOUT = 1.5
BODY_TIMEOUT = 1.5
KEEP_ALIVE = 1.0
#: How late after its timeout a connection may be closed (a loaded 2-core machine).
SLACK = 3.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("slow-clients")
    for node in start("anvil", tmp):
        with serve(
            tmp,
            node.url,
            "--no-worker",
            header_timeout_seconds=str(HEADER_TIMEOUT),
            body_timeout_seconds=str(BODY_TIMEOUT),
            keep_alive_timeout_seconds=str(KEEP_ALIVE),
            capture_workers="0",
        ) as running:
            yield running


Connect = Callable[[], socket.socket]


@pytest.fixture
def connect(served: Served) -> Iterator[Callable[[], socket.socket]]:
    """Open connections to the service (all closed after the test)."""
    port = int(served.url.rsplit(":", 1)[1])
    opened: list[socket.socket] = []

    def new() -> socket.socket:
        opened.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        return opened[-1]

    yield new
    for sock in opened:
        sock.close()


def _read_until_closed(sock: socket.socket, deadline: float) -> bytes:
    """Everything the server sends until it closes the connection; fails if it is still open at ``deadline``."""
    received = b""
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"the connection is still open {SLACK} s after its timeout (received {received[:80]!r})")
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def _answered_promptly(served: Served) -> None:
    start = time.monotonic()
    answer = httpx.get(served.url + "/health", timeout=10)
    assert answer.status_code == 200
    assert time.monotonic() - start < 1.0, "a normal request waited behind the slow clients"


def test_connections_that_never_finish_their_headers_are_closed(served: Served, connect: Connect) -> None:
    halves = [b"GET /heal", b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", b"POST /capture HTTP/1.1\r\n"]
    opened = time.monotonic()
    slow = []
    for i in range(200):
        sock = connect()
        sock.sendall(halves[i % len(halves)])
        slow.append(sock)
    trickle = connect()  # a byte at a time keeps no connection open: the deadline counts from its start
    trickle_started = time.monotonic()
    _answered_promptly(served)
    for byte in b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n":
        try:
            trickle.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(0.1)
    assert _read_until_closed(trickle, trickle_started + HEADER_TIMEOUT + SLACK) == b""
    _answered_promptly(served)
    for sock in slow:
        assert _read_until_closed(sock, opened + HEADER_TIMEOUT + SLACK) == b""
    assert time.monotonic() - opened >= HEADER_TIMEOUT * 0.9  # not closed before its time
    _answered_promptly(served)


def test_a_stalled_body_is_answered_408_and_closed(served: Served, connect: Connect) -> None:
    stalled = []
    sent = time.monotonic()
    for _ in range(20):
        sock = connect()
        sock.sendall(
            b"POST /registry/transactions/prepare HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"from": "0x'
        )
        stalled.append(sock)
    _answered_promptly(served)
    for sock in stalled:
        received = _read_until_closed(sock, sent + BODY_TIMEOUT + SLACK)
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), received[:200]
        assert b"content-type: application/problem+json" in head.lower()
        problem = json.loads(body)
        assert problem["status"] == 408
        assert "sent nothing for" in problem["detail"]
    assert time.monotonic() - sent >= BODY_TIMEOUT * 0.9
    _answered_promptly(served)
    assert "Exception in ASGI application" not in served.log_text()  # a client cut off is not a server error


def test_a_slow_but_steady_body_is_not_cut_off(served: Served, connect: Connect) -> None:
    """The body limit is on silence, not on the whole upload: a body that keeps coming is read to its end."""
    sock = connect()
    body = b'{"from": "0x' + b"0" * 40 + b'", "function": "registerCertifier", "args": {}}'
    sock.sendall(
        b"POST /registry/transactions/prepare HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    pause = BODY_TIMEOUT / 3
    piece = len(body) // 5 + 1
    for offset in range(0, len(body), piece):  # 5 pieces over ~2x the body timeout
        sock.sendall(body[offset : offset + piece])
        time.sleep(pause)
    answer = _read_until_closed(sock, time.monotonic() + 30)
    assert answer.startswith(b"HTTP/1.1 ")
    assert not answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_an_idle_kept_alive_connection_is_closed(served: Served, connect: Connect) -> None:
    sock = connect()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    sock.settimeout(10)
    first = sock.recv(65536)
    while b'{"status":"ok"}' not in first:  # the head and the body may come in two reads
        more = sock.recv(65536)
        assert more, first
        first += more
    assert first.startswith(b"HTTP/1.1 200")
    answered = time.monotonic()
    assert _read_until_closed(sock, answered + KEEP_ALIVE + SLACK) == b""
    assert time.monotonic() - answered >= KEEP_ALIVE * 0.5


def _refused_431(received: bytes) -> str:
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), received[:200]
    assert b"content-type: application/problem+json" in head.lower()
    problem = json.loads(body)
    assert problem["status"] == 431
    detail: str = problem["detail"]
    return detail


def test_an_endless_header_is_refused_431_and_closed(served: Served, connect: Connect) -> None:
    """httptools sets no bound on a request's head: 160 MB of one header were once read into memory. Now the head
    stops at 64 KiB (the default) whatever the header's shape: one endless value, many headers, a long target."""
    sock = connect()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
    sent = 0
    try:
        while sent < 64 * 1024 * 1024:
            sock.sendall(b"a" * 65536)
            sent += 65536
    except OSError:  # the server closed the connection: what it wrote before may still be readable, or reset
        pass
    assert sent < 16 * 1024 * 1024, f"the server read {sent} bytes of one header"
    _answered_promptly(served)


@pytest.mark.parametrize(
    ("head", "bound"),
    [
        (b"X-A: " + b"a" * 70_000 + b"\r\n", "65536 bytes"),
        (b"".join(b"X-%d: a\r\n" % i for i in range(150)), "more than 100 headers"),
    ],
    ids=["large-header", "many-headers"],
)
def test_a_head_over_its_bounds_is_refused_431(served: Served, connect: Connect, head: bytes, bound: str) -> None:
    sock = connect()
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head + b"\r\n")
    assert bound in _refused_431(_read_until_closed(sock, time.monotonic() + 10))
    _answered_promptly(served)


def test_the_servers_own_refusals_speak_the_clients_language(served: Served, connect: Connect) -> None:
    """The 431 and 408 written by the server's protocol, before any application runs, are in the language the
    request's ``Accept-Language`` prefers, as the application's problems (English when it names none)."""
    many = b"".join(b"X-%d: a\r\n" % i for i in range(150))
    heads = {}
    for lang in (b"zh-CN", b"en"):
        sock = connect()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: " + lang + b"\r\n" + many + b"\r\n")
        heads[lang] = _read_until_closed(sock, time.monotonic() + 10).partition(b"\r\n\r\n")
    chinese, english = json.loads(heads[b"zh-CN"][2]), json.loads(heads[b"en"][2])
    assert b"\r\ncontent-language: zh-CN\r\n" in heads[b"zh-CN"][0]
    assert b"\r\ncontent-language: en\r\n" in heads[b"en"][0]

    assert (chinese["title"], chinese["detail"]) == ("请求头过大", "请求头超过 100 个")
    assert (english["title"], english["detail"]) == (
        "Request Header Fields Too Large",
        "the request has more than 100 headers",
    )
    assert {k: v for k, v in chinese.items() if k not in ("title", "detail")} == {
        k: v for k, v in english.items() if k not in ("title", "detail")
    }
    stalled = connect()
    sent = time.monotonic()
    stalled.sendall(
        b"POST /registry/transactions/prepare HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: zh-CN,en;q=0.5\r\n"
        b'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"from": "0x'
    )
    head, _, body = _read_until_closed(stalled, sent + BODY_TIMEOUT + SLACK).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"vary: Accept-Language" in head
    problem = json.loads(body)
    assert (problem["title"], problem["detail"]) == (
        "请求超时",
        f"请求体 {BODY_TIMEOUT:g} 秒内未发送任何数据：请连续发送请求体",
    )


def test_the_timeouts_are_settings(tmp_path: Path) -> None:

    from backend.api.protocol import TimeoutHttpProtocol, protocol_class, server_config
    from backend.core.config import Settings

    settings = Settings(
        data_dir=tmp_path,
        header_timeout_seconds=3,
        body_timeout_seconds=4,
        keep_alive_timeout_seconds=7,
        max_header_bytes=8192,
        max_header_count=20,
    )
    protocol = protocol_class(settings)
    assert (protocol.header_timeout, protocol.body_timeout) == (3, 4)
    assert (protocol.max_header_bytes, protocol.max_header_count) == (8192, 20)
    config = server_config(object(), settings)
    assert isinstance(config.http, type)
    assert issubclass(config.http, TimeoutHttpProtocol)
    assert config.timeout_keep_alive == 7
