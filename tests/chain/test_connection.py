"""Connecting: the quick look at a node (``answers``) that callers take before waiting out the retries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chain.connection import TESTER_URL, answers, connect
from chain.errors import ChainConnectionError


class _Failing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def failing_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_in_process_chain_always_answers() -> None:
    assert answers(TESTER_URL)


def test_nothing_listening_does_not_answer(dead_url: str) -> None:
    assert not answers(dead_url)


def test_a_server_that_fails_does_not_answer(failing_url: str) -> None:
    assert not answers(failing_url)


def test_an_unsupported_url_does_not_answer_and_cannot_be_connected() -> None:
    assert not answers("ftp://127.0.0.1/")
    with pytest.raises(ChainConnectionError, match="unsupported chain URL"):
        connect("ftp://127.0.0.1/")
