"""Several JSON-RPC endpoints in order of preference: failover, return to the preferred one, one chain only.

Real anvil nodes; the preferred endpoint is an HTTP proxy in front of one of them that the tests break and mend.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from web3 import Web3

from chain.connection import FailoverProvider, answers, connect, rpc_urls
from chain.devchain import DEV_CHAIN_ID, start_node, stop_node
from chain.errors import ChainConnectionError

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def anvils(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two anvil nodes with the same chain id but different genesis blocks (like a dev chain and its restart)."""
    folder = tmp_path_factory.mktemp("anvils")
    first, p1 = start_node("anvil", log_path=folder / "a.log", genesis_time=1_700_000_000)
    second, p2 = start_node("anvil", log_path=folder / "b.log", genesis_time=1_700_000_500)
    try:
        yield first.url, second.url
    finally:
        stop_node(first.pid, process=p1)
        stop_node(second.pid, process=p2)


@dataclass
class Proxy:
    """An HTTP proxy to one node that answers 502 while ``broken``; counts what it forwarded."""

    target: str
    broken: bool = False
    forwarded: int = 0
    url: str = ""
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if proxy.broken:
                    self.send_response(502)
                    self.end_headers()
                    return
                answer = requests.post(proxy.target, data=body, headers={"Content-Type": "application/json"}, timeout=5)
                proxy.forwarded += 1
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy(anvils: tuple[str, str]) -> Iterator[Proxy]:
    made = Proxy(anvils[0])
    made.start()
    yield made
    made.stop()


def test_a_list_fails_over_to_the_next_endpoint(anvils: tuple[str, str], dead_url: str) -> None:
    chain = connect(f"{dead_url}, {anvils[0]}", attempts=1)
    assert chain.chain_id == DEV_CHAIN_ID
    assert chain.block_number() >= 0
    provider = chain.w3.provider
    assert isinstance(provider, FailoverProvider)
    assert provider.urls == [dead_url, anvils[0]]
    assert provider.current == 1
    assert answers(f"{dead_url},{anvils[0]}")
    assert not answers(dead_url)


def test_the_preferred_endpoint_takes_over_again_once_it_answers(anvils: tuple[str, str], proxy: Proxy) -> None:
    provider = FailoverProvider([proxy.url, anvils[0]], timeout=5, attempts=1, retry_after=0.2)
    w3 = Web3(provider)
    assert w3.eth.chain_id == DEV_CHAIN_ID and provider.current == 0
    proxy.broken = True  # a 502 from a load balancer in front of the node
    before = proxy.forwarded
    w3.eth.get_block("latest")
    assert provider.current == 1 and proxy.forwarded == before
    proxy.broken = False
    w3.eth.get_block("latest")  # still marked down: the backup answers
    assert provider.current == 1 and proxy.forwarded == before
    time.sleep(0.3)
    w3.eth.get_block("latest")
    assert provider.current == 0 and proxy.forwarded == before + 1


def test_endpoints_of_another_chain_are_refused_at_once(anvils: tuple[str, str]) -> None:
    with pytest.raises(ChainConnectionError, match=rf"{anvils[1]} serves chain .* with genesis 0x[0-9a-f]{{64}}, not"):
        connect(f"{anvils[0]},{anvils[1]}")


def test_an_endpoint_of_another_chain_is_never_used_once_it_comes_up(anvils: tuple[str, str]) -> None:
    other = Proxy(anvils[1], broken=True)  # down while connecting: compared when first used
    other.start()
    try:
        w3 = Web3(FailoverProvider([other.url, anvils[0]], timeout=5, attempts=1, retry_after=0.1))
        genesis = w3.eth.get_block(0)["hash"]
        other.broken = False
        time.sleep(0.2)
        assert w3.eth.get_block(0)["hash"] == genesis  # served by the first node, not the other chain
        assert other.forwarded == 2  # only the identity check (chain id, genesis) went there
        time.sleep(0.2)
        w3.eth.get_block("latest")
        assert other.forwarded == 2
    finally:
        other.stop()


def test_no_endpoint_answers(dead_url: str) -> None:
    with pytest.raises(ChainConnectionError, match=r"cannot be reached .*no chain endpoint answered"):
        connect(f"{dead_url},http://127.0.0.1:9", attempts=1, timeout=1)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:1,ftp://127.0.0.1/", "unsupported chain URL 'ftp://127.0.0.1/'"),
        ("http://127.0.0.1:1,,http://127.0.0.1:2", "unsupported chain URL ''"),
        ("http://127.0.0.1:1,http://127.0.0.1:1", "names a URL twice"),
        ("http://127.0.0.1:1,http://a b", "unsupported chain URL"),
    ],
)
def test_malformed_lists_are_refused_naming_the_entry(url: str, message: str) -> None:
    with pytest.raises(ChainConnectionError, match=message):
        rpc_urls(url)
    with pytest.raises(ChainConnectionError, match=message):
        connect(url)
