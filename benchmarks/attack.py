"""``supplychain bench attack``: a bounded hostile loop against a real platform on loopback, and what it survived.

It starts (or takes, ``--platform URL``) the platform on 127.0.0.1 only: an anvil node (or ``--rpc``), ``supplychain
serve`` with its anchoring worker as a real process, an organisation with a registered signing key and tokens for it
and for the regulator, a few captured signed events and issued QR codes. Then, for ``--minutes`` (and at most
``--max-requests``), client threads send a mix of hostile requests to the routes listed by the server's own
``/openapi.json`` (so new routes are covered), interleaved with valid signed captures, page views and bulk QR
requests, while slow clients hold half-sent requests open; a monitor samples the RSS of the server's process tree
(the server, its worker and signing processes: ``/proc/<pid>/status`` VmRSS) and whether every process is alive.

Last, a probe finds for each JSON-accepting route the largest body (doubling from 1 KiB) and the deepest JSON
nesting (doubling up to 200,000) that it answers with a 4xx or a normal answer, neither a 5xx nor a dead process (a
platform started here is restarted after a death, so every route is probed).

Exit code 1 when any request got a 5xx or a process died, else 0.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from benchmarks.common import console, wait_ready
from benchmarks.procs import parents, process_tree

__all__ = ["KINDS", "AttackOptions", "AttackReport", "bench_attack", "print_report"]

log = logging.getLogger(__name__)

KINDS = (
    "json_bomb",
    "oversized",
    "lying_length",
    "huge_ints",
    "forged_auth",
    "random_body",
    "many_params",
    "long_headers",
    "slow_client",
    "capture",
    "page",
    "qr_bulk",
)
"""The kinds of request the loop sends (``slow_client``: half-sent requests held open by their own thread)."""

_ORG = "6901234000016"
_GTIN = "06901234000108"
_LOT = "ATTACK1"
_BOMB = b"[" * 200_000
_OVERSIZE = 16 * 1024 * 1024
_CAPTURE_EVENTS = 50
_SLOW_SOCKETS = 16
_HOLD_SECONDS = 10.0
_EXAMPLES = 10
_SIGNED_EVENTS = "application/vnd.supplychain.signed-events+json"
_CONTENT_TYPES = (
    "application/json",
    "application/ld+json",
    _SIGNED_EVENTS,
    "application/xml",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/vc+jwt",
)
_HOSTILE_NUMBERS = (
    str(2**63),
    str(-(2**63) - 1),
    str(2**256),
    str(2**256 + 1),
    "-1",
    "0",
    "²",
    "٣",
    "1" * 5000,
    "9" * 40,
    "0x10",
    "1e3",
    " 1",
    "",
    "1.5",
    "NaN",
)
_PATH_DEFAULTS = {
    "org": _ORG,
    "gtin": _GTIN,
    "recognition_id": "1",
    "capture_id": "0" * 32,
    "hash_id": "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0",
    "path": f"{_GTIN}/10/{_LOT}/21/1",
    "digest": "0" * 64,
    "fmt": "png",
}
_QUERY_DEFAULTS = {"gtin": _GTIN, "organisation": _ORG, "id": f"https://id.gs1.org/01/{_GTIN}/10/{_LOT}"}


@dataclass(frozen=True)
class _Operation:
    """One operation of the server's OpenAPI document (with the media types its ``OPTIONS`` announces, if any)."""

    method: str
    path: str
    params: tuple[tuple[str, str, bool], ...]  # (name, in, required)
    content_types: tuple[str, ...]

    @property
    def json_types(self) -> tuple[str, ...]:
        """The JSON media types it accepts."""
        return tuple(t for t in self.content_types if "json" in t)


@dataclass(frozen=True)
class _Shot:
    """One request: sent with httpx, or ``raw`` bytes over a socket (lying lengths)."""

    kind: str
    method: str
    path: str
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    raw: bytes | None = None
    half_close: bool = False


@dataclass(frozen=True)
class AttackOptions:
    """How long and how hard :func:`bench_attack` attacks, and what it probes."""

    minutes: float = 30.0
    max_requests: int = 1_000_000
    clients: int = 4
    kinds: tuple[str, ...] = KINDS
    probe: bool = True
    probe_max_bytes: int = 64 * 1024 * 1024
    probe_depth: int = 200_000
    seed: int = 0


@dataclass
class AttackReport:
    """What :func:`bench_attack` found (sizes in bytes, RSS in MiB)."""

    seconds: float
    clients: int
    requests: int
    requests_by_kind: dict[str, int]
    statuses: dict[str, int]
    statuses_by_kind: dict[str, dict[str, int]]
    server_errors: int
    server_error_examples: list[dict[str, Any]]
    alive: bool
    pid_unchanged: bool
    health_answering: bool
    lost_processes: list[str]
    orphans: int
    rss_mib: dict[str, float]
    rss_samples: list[dict[str, float]]
    capture: dict[str, float]
    slow_clients: dict[str, float]
    probe: list[dict[str, Any]] = field(default_factory=list)
    restarts: int = 0

    @property
    def ok(self) -> bool:
        """No 5xx, no dead process, in the loop and in the probe."""
        probe_failed = any(p["body_failure"] or p["nesting_failure"] for p in self.probe)
        return self.server_errors == 0 and self.alive and not self.lost_processes and not probe_failed

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (with ``ok``)."""
        return {**asdict(self), "ok": self.ok}


# --- processes ---


def _loopback(url: str, what: str) -> str:
    host = urlsplit(url).hostname
    if host != "127.0.0.1":
        raise ValueError(f"{what} must be on loopback (http://127.0.0.1:PORT), not {host!r}")
    return url.rstrip("/")


def _status_field(pid: int, name: str) -> str:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return ""


def _rss_kib(pids: list[int]) -> int:
    return sum(int(_status_field(p, "VmRSS").split()[0] or 0) for p in pids if _status_field(p, "VmRSS"))


def _exists(pid: int) -> bool:
    state = _status_field(pid, "State")
    return bool(state) and not state.startswith(("Z", "X"))


def _listener_pid(port: int) -> int | None:
    """The process listening on 127.0.0.1:``port`` (the top one when several share the socket), if we may see it."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{cols[9]}]")
    holders = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                    holders.add(int(entry.name))
    parent_of = parents()
    top = [p for p in holders if parent_of.get(p) not in holders]
    return min(top) if top else None


class _Service:
    """The platform under attack: started here (anvil or ``--rpc``, ``supplychain serve``) or taken by URL."""

    def __init__(self, folder: Path, *, platform_url: str | None, rpc: str | None) -> None:
        from supplychain.signing import SigningKey

        self.folder, self.owned = folder, platform_url is None
        self.key = SigningKey.from_private_bytes(hashlib.sha256(b"bench-attack key").digest())
        self.org_token: str | None = None
        self.regulator_token: str | None = None
        self.since_ms = time.time_ns() // 1_000_000
        self.serve: subprocess.Popen[bytes] | None = None
        self.node: Any = None
        self.restarts = 0
        self.rpc = rpc
        self.url = platform_url or ""
        self.pid: int | None = None

    def start(self) -> None:
        """Start the chain (unless ``--rpc``) and the service, register the organisation, make the tokens."""
        from backend.core.config import Settings
        from backend.services.platform import Platform
        from benchmarks.capture import _register
        from chain.devchain import start_node

        if not self.owned:
            self.pid = _listener_pid(urlsplit(self.url).port or 80)
            return
        if self.rpc is None:
            record, process = start_node("anvil", log_path=self.folder / "anvil.log")
            self.node, self.rpc = (record, process), record.url
        self.regulator_token = "sc_" + secrets.token_urlsafe(24)
        threading.Thread(target=_preload, daemon=True).start()  # while the service starts
        self._serve()
        registry = _register(self.rpc, self.folder / "data", _ORG, self.key.public_key_bytes)
        self.since_ms = registry.chain.block_timestamp() * 1000 + 1000
        platform = Platform.open(Settings(data_dir=self.folder / "data", rpc_url=self.rpc))
        try:
            self.org_token = platform.issue_token(org_id=_ORG, role="organisation", label="bench-attack")
        finally:
            platform.close()

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SUPPLYCHAIN_RPC_URL": str(self.rpc),
            "SUPPLYCHAIN_DATA_DIR": str(self.folder / "data"),
            "SUPPLYCHAIN_REGULATOR_TOKEN": str(self.regulator_token),
        }

    def _serve(self) -> None:
        from chain.devchain import free_port

        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = self.folder / "serve.log"
        command = [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        with log.open("ab") as out:
            self.serve = subprocess.Popen(  # noqa: S603 - our own command
                command, env=self._env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid = self.serve.pid
        wait_ready(self.url, self.serve, log)

    def alive(self) -> bool:
        """Whether the server process runs (a taken platform without a visible pid: whether it answers)."""
        if self.serve is not None:
            return self.serve.poll() is None
        if self.pid is not None:
            return _exists(self.pid)
        return self.healthy()

    def healthy(self) -> bool:
        """Whether ``GET /health`` answers 200."""
        try:
            return httpx.get(self.url + "/health", timeout=10).status_code == 200
        except httpx.HTTPError:
            return False

    def orphans(self) -> int:
        """Processes left in a dead server's process group (its signing processes, when they outlive it)."""
        if self.serve is None or self.serve.poll() is None:
            return 0
        group = self.serve.pid
        return sum(1 for p in parents() if _exists(p) and _stat_pgrp(p) == group)

    def restart(self) -> None:
        """Start the service afresh on the same data after it died (its orphans killed first)."""
        if self.serve is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.serve.pid, signal.SIGKILL)
            self.serve.wait(10)
        self._serve()
        self.restarts += 1

    def close(self) -> None:
        """Stop what was started here."""
        from chain.devchain import stop_node

        if self.serve is not None:
            stop_node(self.serve.pid, process=self.serve)
            with contextlib.suppress(ProcessLookupError):  # what a server that died left behind
                os.killpg(self.serve.pid, signal.SIGKILL)
        if self.node is not None:
            stop_node(self.node[0].pid, process=self.node[1])


def _preload() -> None:
    """Import what registering the organisation needs (web3, the platform), beside the service's start."""
    import importlib

    for name in ("chain.registry", "backend.services.platform"):
        importlib.import_module(name)


def _stat_pgrp(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return -1


# --- what to send ---


class _Context:
    """What the request makers need: the routes, tokens, the seeded data; the counters of valid captures."""

    def __init__(self, service: _Service, operations: list[_Operation]) -> None:
        self.service = service
        self.port = urlsplit(service.url).port or 80
        self.operations = operations
        self.gets = [o for o in operations if o.method == "GET"]
        self.posts = [
            (o.method, o.path, t)
            for o in operations
            if o.method != "GET"
            for t in dict.fromkeys((*o.content_types, "application/json"))
        ]
        self.tokens = [None, service.org_token, service.regulator_token]
        self.page_tokens: list[str] = []
        self.lock = threading.Lock()
        self.serial = 0
        self.capture_seconds: list[float] = []
        self.events_sent = 0
        self.events_accepted = 0

    def auth(self, rng: random.Random) -> tuple[tuple[bytes, bytes], ...]:
        token = rng.choice(self.tokens)
        return ((b"authorization", f"Bearer {token}".encode()),) if token else ()

    def document(self, events: int, extra: dict[str, Any] | None = None) -> bytes:
        """A signed EPCIS document of ``events`` new events (at the wall clock, after the key's registration)."""
        from benchmarks.capture import _document, _events

        with self.lock:
            self.serial += 1
            tag = f"A{self.serial}-"
        listed = _events(events, max(time.time_ns() // 1_000_000, self.service.since_ms), tag)
        for event in listed:
            event.update(extra or {})
        return _document(self.service.key, listed)


def _discover(url: str) -> list[_Operation]:
    """The operations of the server's ``/openapi.json``; a body route that reads its body itself (no
    ``requestBody``) gets the media types its ``OPTIONS`` answer announces (``Accept-Post``)."""
    spec = httpx.get(url + "/openapi.json", timeout=30).json()
    out = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = tuple((p["name"], p["in"], bool(p.get("required"))) for p in op.get("parameters", ()))
            types = tuple(op.get("requestBody", {}).get("content", {}))
            if method != "get" and not types and "options" in item:
                with contextlib.suppress(httpx.HTTPError):
                    announced = httpx.options(url + path, timeout=30).headers.get("Accept-Post", "")
                    types = tuple(t.strip() for t in announced.split(",") if t.strip())
            out.append(_Operation(method.upper(), path, params, types))
    return out


def _fill(op: _Operation, rng: random.Random, hostile: str | None = None) -> str:
    """``op``'s path with its parameters: plausible values, or ``hostile`` in one of them (a percent-encoded
    query or path value)."""
    targets = [p for p in op.params if p[1] in ("path", "query")]
    chosen = rng.choice(targets)[0] if hostile is not None and targets else None
    path, query = op.path, []
    for name, where, required in op.params:
        value = hostile if name == chosen else None
        if where == "path":
            path = path.replace("{" + name + "}", quote(value if value is not None else _PATH_DEFAULTS.get(name, "1")))
        elif where == "query" and (value is not None or required):
            query.append(f"{quote(name)}={quote(value if value is not None else _QUERY_DEFAULTS.get(name, '1'))}")
    return path + ("?" + "&".join(query) if query else "")


def _json_bomb(ctx: _Context, rng: random.Random) -> _Shot:
    method, path, ctype = rng.choice([post for post in ctx.posts if "json" in post[2]])
    return _Shot("json_bomb", method, path, ((b"content-type", ctype.encode()), *ctx.auth(rng)), _BOMB)


@functools.cache
def _big() -> bytes:
    return _padded(_OVERSIZE)


def _oversized(ctx: _Context, rng: random.Random) -> _Shot:
    method, path, ctype = rng.choice(ctx.posts)
    return _Shot("oversized", method, path, ((b"content-type", ctype.encode()), *ctx.auth(rng)), _big())


def _lying_length(ctx: _Context, rng: random.Random) -> _Shot:
    method, path, ctype = rng.choice(ctx.posts)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n".encode()
    body = b'{"gtin": "' + b"1" * 90 + b'"}'
    variants = (
        (b"Content-Length: 1000000\r\n\r\n" + body, True),  # announces more than comes, then ends the stream
        (b"Content-Length: 10\r\n\r\n" + body * 10, False),  # less than comes: the rest is not a request
        (b"Content-Length: -1\r\n\r\n" + body, True),
        (b"Content-Length: 1e3\r\n\r\n" + body, True),
        (b"Content-Length: " + str(2**64).encode() + b"\r\n\r\n" + body, True),
        (b"Content-Length: 5\r\nContent-Length: 100\r\n\r\n" + body, True),
        (b"Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + body, True),
        (b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n" + body, True),
    )
    tail, half_close = rng.choice(variants)
    return _Shot("lying_length", method, path, raw=head + tail, half_close=half_close)


def _huge_ints(ctx: _Context, rng: random.Random) -> _Shot:
    value = rng.choice(_HOSTILE_NUMBERS)
    roll = rng.random()
    if roll < 0.1 and ctx.page_tokens:  # a real page token with its position forged
        return _Shot("huge_ints", "GET", "/events?perPage=1&nextPageToken=" + quote(rng.choice(ctx.page_tokens)))
    if roll < 0.2:  # a signed capture citing a recognition id that no database can hold
        body = ctx.document(1, {"sc:recognition": rng.choice((2**63, 2**256, -1, 10**40))})
        headers = ((b"content-type", b"application/ld+json"), *ctx.auth(rng))
        return _Shot("huge_ints", "POST", "/capture", headers, body)
    if roll < 0.3:
        name = rng.choice(("serialStart", "serialEnd", "serialWidth"))
        number = rng.choice((str(2**63), str(2**256), str(-(2**63)), "1" * 4400))  # 4400 digits: past int()'s limit
        body = f'{{"gtin": "{_GTIN}", "lot": "{_LOT}", "serialStart": 1, "serialEnd": 2, "{name}": {number}}}'.encode()
        headers = ((b"content-type", b"application/json"), *ctx.auth(rng))
        return _Shot("huge_ints", "POST", "/qr/issue", headers, body)
    op = rng.choice([o for o in ctx.gets if o.params] or ctx.gets)
    return _Shot("huge_ints", "GET", _fill(op, rng, value), ctx.auth(rng))


_FORGED = (
    (b"authorization", b"Bearer sc_" + b"A" * 43),
    (b"authorization", b"Bearer " + b"x" * 10_000),
    (b"authorization", b"Bearer \xb2\xff\xfe"),
    (b"authorization", b"Bearer "),
    (b"authorization", b"Basic YWRtaW46YWRtaW4="),
    (b"cookie", b"sc_session=v1.\xb2.1.x"),
    (b"cookie", "sc_session=v1.².1.x".encode()),
    (b"cookie", b"sc_session=v1.1." + b"9" * 5000 + b".x"),
    (b"cookie", b"sc_session=v1." + str(2**63).encode() + b".99999999999.AAAA"),
    (b"cookie", b"sc_session=v1.1.1.1.1.1"),
    (b"cookie", b"sc_session=" + b"\xff" * 100),
)


def _forged_auth(ctx: _Context, rng: random.Random) -> _Shot:
    op = rng.choice(ctx.operations)
    headers: tuple[tuple[bytes, bytes], ...] = (rng.choice(_FORGED),)
    body = b""
    if op.method != "GET":
        headers, body = (*headers, (b"content-type", b"application/json")), b"{}"
    return _Shot("forged_auth", op.method, _fill(op, rng), headers, body)


def _random_body(ctx: _Context, rng: random.Random) -> _Shot:
    op = rng.choice([o for o in ctx.operations if o.method != "GET"])
    ctype = rng.choice((*op.content_types, *_CONTENT_TYPES))
    body = rng.randbytes(rng.choice((1, 100, 4096, 65_536)))
    return _Shot("random_body", op.method, _fill(op, rng), ((b"content-type", ctype.encode()), *ctx.auth(rng)), body)


def _many_params(ctx: _Context, rng: random.Random) -> _Shot:
    op = rng.choice(ctx.gets)
    count = rng.choice((100, 1000, 10_000))
    names = [p[0] for p in op.params if p[1] == "query"] or ["p"]
    extra = "&".join(f"{rng.choice(names) if rng.random() < 0.5 else f'p{i}'}=1" for i in range(count))
    path = _fill(op, rng)
    return _Shot("many_params", "GET", path + ("&" if "?" in path else "?") + extra, ctx.auth(rng))


def _long_headers(ctx: _Context, rng: random.Random) -> _Shot:
    op = rng.choice(ctx.gets)
    variants: tuple[tuple[tuple[bytes, bytes], ...], ...] = (
        ((b"x-long", b"a" * 100_000),),
        tuple((f"x-h{i}".encode(), b"b" * 100) for i in range(500)),
        ((b"cookie", b"c=" + b"d" * 16_000),),
        ((b"accept", b"text/html;q=0.9," * 2000),),
        ((b"accept-language", b"zh-CN," * 3000),),
    )
    return _Shot("long_headers", "GET", _fill(op, rng), rng.choice(variants) + ctx.auth(rng))


def _capture(ctx: _Context, rng: random.Random) -> _Shot:
    headers = (
        (b"content-type", b"application/ld+json"),
        (b"prefer", b"return=representation"),
        (b"authorization", f"Bearer {ctx.service.org_token}".encode()),
    )
    return _Shot("capture", "POST", "/capture", headers, ctx.document(_CAPTURE_EVENTS))


def _page(ctx: _Context, rng: random.Random) -> _Shot:
    path = rng.choice(
        (
            f"/01/{_GTIN}/10/{_LOT}/21/{rng.randint(1, 20)}",
            f"/01/{_GTIN}/10/{_LOT}/21/{rng.randint(1, 20)}?lang=en",
            f"/01/{_GTIN}/10/{_LOT}",
            f"/01/{_GTIN}/21/999999",
            "/scan",
            "/scan?lang=en",
            "/login",
            "/login?next=//evil.example",
        )
    )
    accept = rng.choice((b"text/html", b"application/json", b"application/linkset+json"))
    return _Shot("page", "GET", path, ((b"accept", accept),))


def _qr_bulk(ctx: _Context, rng: random.Random) -> _Shot:
    path = rng.choice(
        (
            f"/qr/bulk.zip?gtin={_GTIN}&lot={_LOT}",
            f"/qr/bulk.zip?gtin={_GTIN}&lot={_LOT}&format=svg&limit=5",
            f"/qr/labels?gtin={_GTIN}&lot={_LOT}",
            f"/qr/labels?gtin={_GTIN}&lot={_LOT}&offset=5&limit=10",
            f"/qr/code.svg?gtin={_GTIN}&lot={_LOT}&serial={rng.randint(1, 20)}",
        )
    )
    token = rng.choice((ctx.service.org_token, ctx.service.regulator_token))
    return _Shot("qr_bulk", "GET", path, ((b"authorization", f"Bearer {token}".encode()),) if token else ())


_MAKERS: dict[str, Callable[[_Context, random.Random], _Shot]] = {
    "json_bomb": _json_bomb,
    "oversized": _oversized,
    "lying_length": _lying_length,
    "huge_ints": _huge_ints,
    "forged_auth": _forged_auth,
    "random_body": _random_body,
    "many_params": _many_params,
    "long_headers": _long_headers,
    "capture": _capture,
    "page": _page,
    "qr_bulk": _qr_bulk,
}


# --- sending ---


def _send_raw(port: int, shot: _Shot) -> tuple[str, bytes]:
    assert shot.raw is not None  # noqa: S101 - raw shots only
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(shot.raw)
            if shot.half_close:
                s.shutdown(socket.SHUT_WR)
            answer = s.recv(4096)
    except TimeoutError:
        return "no-answer", b""
    except OSError as exc:
        return f"error:{type(exc).__name__}", b""
    return _status_of(answer), answer


def _status_of(answer: bytes) -> str:
    """The status code of a raw HTTP answer, ``closed`` when there was none."""
    if not answer:
        return "closed"
    parts = answer.split(b" ", 2)
    return parts[1].decode("ascii", "replace") if len(parts) > 1 and answer.startswith(b"HTTP/") else "garbled"


def _send(client: httpx.Client, port: int, shot: _Shot) -> tuple[str, bytes]:
    """The status (or ``error:…``, ``closed``, ``no-answer``) and the answer's first bytes."""
    if shot.raw is not None:
        return _send_raw(port, shot)
    try:
        answer = client.request(shot.method, shot.path, headers=list(shot.headers), content=shot.body or None)
    except (httpx.InvalidURL, httpx.LocalProtocolError):  # what httpx will not send: over a socket as it is
        head = f"{shot.method} {shot.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".encode()
        head += b"".join(k + b": " + v + b"\r\n" for k, v in shot.headers)
        raw = head + f"Content-Length: {len(shot.body)}\r\n\r\n".encode() + shot.body
        return _send_raw(port, _Shot(shot.kind, shot.method, shot.path, raw=raw))
    except httpx.HTTPError as exc:
        return f"error:{type(exc).__name__}", b""
    return str(answer.status_code), answer.content


class _Tally:
    """The counts of the loop, shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_kind: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.by_kind_status: dict[str, Counter[str]] = {}
        self.examples: list[dict[str, Any]] = []
        self.example_keys: set[tuple[str, ...]] = set()
        self.server_errors = 0
        self.total = 0

    def add(self, shot: _Shot, status: str, answer: bytes) -> int:
        with self.lock:
            self.total += 1
            self.by_kind[shot.kind] += 1
            self.statuses[status] += 1
            self.by_kind_status.setdefault(shot.kind, Counter())[status] += 1
            if status.startswith("5") and len(status) == 3:
                self.server_errors += 1
                route, _, query = shot.path.partition("?")
                key = (status, shot.kind, shot.method, route, *sorted(q.split("=", 1)[0] for q in query.split("&")))
                if len(self.examples) < _EXAMPLES and key not in self.example_keys:  # the first of each kind
                    self.example_keys.add(key)
                    self.examples.append(
                        {
                            "kind": shot.kind,
                            "method": shot.method,
                            "path": shot.path[:300],
                            "status": int(status),
                            "answer": answer[:300].decode("utf-8", "replace"),
                        }
                    )
            return self.total


def _client_loop(ctx: _Context, tally: _Tally, seed: int, kinds: list[str], stop: Callable[[set[str]], bool]) -> None:
    """Send the ``kinds`` in turn (in an order of its own) until ``stop``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible choices, not secrets
    kinds = list(kinds)
    rng.shuffle(kinds)
    sent: set[str] = set()
    with httpx.Client(base_url=ctx.service.url, timeout=120) as client:
        i = 0
        while not stop(sent):
            kind = kinds[i % len(kinds)]
            i += 1
            shot = _MAKERS[kind](ctx, rng)
            started = time.perf_counter()
            status, answer = _send(client, ctx.port, shot)
            sent.add(kind)
            if kind == "capture" and status == "200":
                with ctx.lock:
                    ctx.capture_seconds.append(time.perf_counter() - started)
                    ctx.events_sent += _CAPTURE_EVENTS
                    with contextlib.suppress(ValueError, AttributeError):
                        ctx.events_accepted += int(json.loads(answer).get("acceptedCount", 0))
            elif kind == "capture" and not status.startswith("error:"):
                with ctx.lock:
                    ctx.events_sent += _CAPTURE_EVENTS
            tally.add(shot, status, answer)


def _slow_loop(ctx: _Context, tally: _Tally, hold: float, stop: Callable[[set[str]], bool], out: Counter[str]) -> None:
    """Hold half-sent requests open ``hold`` seconds at a time; count those the server cut off meanwhile."""
    sent: set[str] = set()
    while not stop(sent):
        sockets = []
        for i in range(_SLOW_SOCKETS):
            try:
                s = socket.create_connection(("127.0.0.1", ctx.port), timeout=5)
                s.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{i}: ".encode())
                sockets.append(s)
            except OSError as exc:
                tally.add(_Shot("slow_client", "GET", "/health"), f"error:{type(exc).__name__}", b"")
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline and not stop(sent | {"slow_client"}):
            time.sleep(0.2)
        for s in sockets:
            s.setblocking(False)
            try:
                status = _status_of(s.recv(4096))
                out["cut_off"] += 1
            except BlockingIOError:
                status = "held"
            except OSError as exc:
                status, out["cut_off"] = f"error:{type(exc).__name__}", out["cut_off"] + 1
            finally:
                s.close()
            out["opened"] += 1
            tally.add(_Shot("slow_client", "GET", "/health"), status, b"")
        sent.add("slow_client")


# --- the monitor and the probe ---


class _Monitor:
    """Samples the server's process tree: RSS (before, each period, after) and the processes seen that died."""

    def __init__(self, service: _Service, period: float) -> None:
        self.service, self.period, self.started = service, period, time.monotonic()
        self.samples: list[dict[str, float]] = []
        self.seen: dict[int, str] = {}
        self.dead = threading.Event()

    def sample(self) -> None:
        if self.service.pid is None:
            return
        pids = process_tree(self.service.pid) if _exists(self.service.pid) else []
        for p in pids:
            self.seen.setdefault(p, _status_field(p, "Name"))
        rss = _rss_kib(pids) / 1024
        self.samples.append(
            {"t": round(time.monotonic() - self.started, 1), "mib": round(rss, 1), "processes": len(pids)}
        )

    def lost(self) -> list[str]:
        return [f"{p} {name}" for p, name in sorted(self.seen.items()) if not _exists(p)]

    def run(self, done: threading.Event) -> None:
        next_sample = time.monotonic() + self.period
        while not done.wait(1.0):
            if self.service.pid is not None:  # note the processes that start (the signing pool) as they come
                for p in process_tree(self.service.pid):
                    self.seen.setdefault(p, _status_field(p, "Name"))
            if not self.service.alive() or self.lost():
                self.dead.set()
            if time.monotonic() >= next_sample:
                self.sample()
                next_sample += self.period


def _padded(size: int) -> bytes:
    return b'{"pad":"' + b"a" * max(0, size - 10) + b'"}'


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _probe(service: _Service, max_bytes: int, max_depth: int) -> list[dict[str, Any]]:
    """For each JSON-accepting route: the largest body and deepest nesting answered without a 5xx or a death."""
    targets = sorted({(o.method, o.path, t) for o in _discover(service.url) for t in o.json_types})
    sizes = [1024 << i for i in range(40) if 1024 << i <= max_bytes]
    depths = [*(d for d in (1 << i for i in range(18)) if d < max_depth), max_depth]
    results = []
    for method, path, ctype in targets:
        row: dict[str, Any] = {"route": f"{method} {path}", "content_type": ctype}
        for name, steps, make in (("body", sizes, _padded), ("nesting", depths, _nested)):
            survived, failure = 0, None
            for step in steps:
                if not service.alive():
                    failure = "server down before the probe"
                    break
                headers = {"content-type": ctype, "authorization": f"Bearer {service.org_token}"}
                try:
                    status = str(
                        httpx.request(
                            method, service.url + path, content=make(step), headers=headers, timeout=300
                        ).status_code
                    )
                except httpx.HTTPError as exc:
                    status = f"error:{type(exc).__name__}"
                    time.sleep(0.5)  # no answer: a crash takes a moment to show
                if not service.alive():
                    failure = f"{step}: the server died ({status})"
                elif status.startswith("5"):
                    failure = f"{step}: HTTP {status}"
                if failure:
                    break
                survived = step
            row[{"body": "largest_body", "nesting": "deepest_nesting"}[name]] = survived
            row[f"{name}_failure"] = failure
            if failure and not service.alive():
                try:
                    if not service.owned:
                        raise RuntimeError("the platform was not started here")
                    service.restart()
                except RuntimeError as exc:
                    row["note"] = f"probe stopped: the service could not be restarted ({str(exc)[:200]})"
                    results.append(row)
                    return results
        results.append(row)
    return results


# --- the run ---


def _seed(ctx: _Context) -> None:
    """A few captured signed events, issued QR codes, a real page token (forged into hostile ones)."""
    service = ctx.service
    with httpx.Client(base_url=service.url, timeout=120) as client:
        rng = random.Random(1)  # noqa: S311 - not secrets
        for _ in range(3):
            status, answer = _send(client, ctx.port, _capture(ctx, rng))
            if status != "200" and service.owned:
                raise RuntimeError(f"a valid capture was refused ({status}): {answer[:500]!r}")
        org = {"authorization": f"Bearer {service.org_token}"}
        issue = {"gtin": _GTIN, "lot": _LOT, "serialStart": 1, "serialEnd": 20}
        answer_ = client.post("/qr/issue", json=issue, headers=org)
        if answer_.status_code >= 300 and service.owned:
            raise RuntimeError(f"issuing QR codes failed ({answer_.status_code}): {answer_.text[:500]}")
        link = client.get("/events?perPage=1", headers=org).headers.get("link", "")
    if "nextPageToken=" in link:
        ctx.page_tokens = _forged_page_tokens(link.split("nextPageToken=", 1)[1].split(">", 1)[0].split("&", 1)[0])


def _forged_page_tokens(token: str) -> list[str]:
    """A real page token tampered with, and (while tokens are base64 JSON) its position made hostile."""
    import base64

    forged = [token[:-1] + ("B" if token.endswith("A") else "A"), token + "9" * 30, token[: len(token) // 2]]
    try:
        query = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))).get("q")
    except (ValueError, TypeError, AttributeError):  # not base64 JSON (a signed token): tampering only
        return forged
    for after in (str(2**63), str(2**256), "-1", "1" * 5000, '"²"', "1.5", "1e400"):
        raw = ('{"after":' + after + ',"q":' + json.dumps(query) + "}").encode()
        forged.append(base64.urlsafe_b64encode(raw).decode().rstrip("="))
    return forged


def bench_attack(
    options: AttackOptions,
    *,
    platform_url: str | None = None,
    rpc: str | None = None,
    org_token: str | None = None,
    regulator_token: str | None = None,
) -> AttackReport:
    """Run the hostile loop and the probe (see the module docstring) against a platform started here, or the one at
    ``platform_url`` (with its tokens); the report.

    Raises:
        ValueError: an address that is not 127.0.0.1, or an unknown kind.
    """
    unknown = set(options.kinds) - set(KINDS)
    if unknown or not options.kinds:
        raise ValueError(f"unknown kinds {sorted(unknown)}: choose among {', '.join(KINDS)}")
    with tempfile.TemporaryDirectory(prefix="bench-attack-") as tmp:
        service = _Service(
            Path(tmp),
            platform_url=_loopback(platform_url, "--platform") if platform_url else None,
            rpc=_loopback(rpc, "--rpc") if rpc else None,
        )
        try:
            begin = time.monotonic()
            service.start()
            if not service.owned:
                service.org_token, service.regulator_token = org_token, regulator_token
            log.info("platform at %s (pid %s), ready in %.1f s", service.url, service.pid, time.monotonic() - begin)
            ctx = _Context(service, _discover(service.url))
            _seed(ctx)
            log.info("%d operations discovered, data seeded in %.1f s", len(ctx.operations), time.monotonic() - begin)
            return _run(ctx, options)
        finally:
            service.close()


def _run(ctx: _Context, options: AttackOptions) -> AttackReport:
    service = ctx.service
    pid = service.pid
    seconds = options.minutes * 60
    monitor = _Monitor(service, period=min(60.0, max(1.0, seconds / 5)))
    time.sleep(1.0)
    monitor.sample()
    tally, slow = _Tally(), Counter[str]()
    deadline = time.monotonic() + seconds
    every = set(options.kinds) - {"slow_client"}

    def stop(sent: set[str]) -> bool:
        """Whether a thread that sent the kinds ``sent`` stops: at once when the count is up; when the time is up or
        the server is dead, once it tried each of its kinds (so every kind is counted, however short the run)."""
        if tally.total >= options.max_requests:
            return True
        cycled = sent >= every or "slow_client" in sent
        return cycled and (time.monotonic() > deadline or monitor.dead.is_set())

    done = threading.Event()
    threads = [threading.Thread(target=monitor.run, args=(done,), daemon=True)]
    if every:
        threads += [
            threading.Thread(target=_client_loop, args=(ctx, tally, options.seed + i, sorted(every), stop), daemon=True)
            for i in range(options.clients)
        ]
    hold = min(_HOLD_SECONDS, max(1.0, seconds / 2))
    if "slow_client" in options.kinds:
        threads.append(threading.Thread(target=_slow_loop, args=(ctx, tally, hold, stop, slow), daemon=True))
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads[1:]:
        t.join()
    elapsed = time.monotonic() - started
    done.set()
    threads[0].join()
    time.sleep(1.0)
    alive = service.alive()
    monitor.sample()
    lost, orphans = monitor.lost(), service.orphans()
    healthy = service.healthy() if alive else False
    rss = [s["mib"] for s in monitor.samples]
    times = sorted(ctx.capture_seconds)
    report = AttackReport(
        seconds=round(elapsed, 1),
        clients=options.clients,
        requests=sum(tally.by_kind.values()),
        requests_by_kind=dict(sorted(tally.by_kind.items())),
        statuses=dict(sorted(tally.statuses.items())),
        statuses_by_kind={k: dict(sorted(v.items())) for k, v in sorted(tally.by_kind_status.items())},
        server_errors=tally.server_errors,
        server_error_examples=tally.examples,
        alive=alive and not monitor.dead.is_set(),
        pid_unchanged=pid is not None and service.pid == pid and alive,
        health_answering=healthy,
        lost_processes=lost,
        orphans=orphans,
        rss_mib={"before": rss[0] if rss else 0.0, "max": max(rss, default=0.0), "after": rss[-1] if rss else 0.0},
        rss_samples=monitor.samples,
        capture={
            "documents": len(times),
            "events_sent": ctx.events_sent,
            "events_accepted": ctx.events_accepted,
            "events_per_s": round(ctx.events_accepted / sum(times), 1) if times else 0.0,
            "p50_ms": round(statistics.median(times) * 1000, 1) if times else 0.0,
        },
        slow_clients={"opened": slow["opened"], "cut_off_by_server": slow["cut_off"], "hold_seconds": hold},
    )
    log.info("loop of %d requests done in %.1f s", report.requests, elapsed)
    if options.probe:
        begin = time.monotonic()
        if not service.alive() and service.owned:
            service.restart()
        if service.alive():
            report.probe = _probe(service, options.probe_max_bytes, options.probe_depth)
        log.info("probe done in %.1f s (%d restarts)", time.monotonic() - begin, service.restarts)
    report.restarts = service.restarts
    return report


def print_report(report: AttackReport) -> None:
    """The report as tables and lines (``--json`` prints :meth:`AttackReport.to_json` instead)."""
    from rich.table import Table

    table = Table(title=f"bench attack: {report.requests:,} requests in {report.seconds:.0f} s")
    table.add_column("kind")
    table.add_column("sent", justify="right")
    table.add_column("answers")
    for kind, count in report.requests_by_kind.items():
        answers = ", ".join(f"{s}: {n:,}" for s, n in report.statuses_by_kind.get(kind, {}).items())
        table.add_row(kind, f"{count:,}", answers)
    console.print(table)
    console.print(f"5xx: {report.server_errors}" + (" (must be 0)" if report.server_errors else ""))
    for example in report.server_error_examples:
        console.print(f"  {example['status']} {example['kind']}: {example['method']} {example['path'][:100]}")
    console.print(
        f"server alive: {report.alive} (pid unchanged: {report.pid_unchanged}, health answering: "
        f"{report.health_answering}); processes lost: {', '.join(report.lost_processes) or 'none'}; "
        f"orphans: {report.orphans}"
    )
    r = report.rss_mib
    console.print(
        f"RSS of the server's process tree: before {r['before']:.0f} MiB, max {r['max']:.0f}, after {r['after']:.0f}"
    )
    c = report.capture
    console.print(
        f"valid captures meanwhile: {c['events_accepted']:,} of {c['events_sent']:,} events accepted, "
        f"{c['events_per_s']:,.0f} events/s, p50 {c['p50_ms']:.0f} ms per {_CAPTURE_EVENTS}-event document"
    )
    s = report.slow_clients
    if s["opened"]:
        console.print(
            f"slow clients: {s['opened']:,} held {s['hold_seconds']:.0f} s, {s['cut_off_by_server']:,} cut off"
        )
    if report.probe:
        probe = Table(title="per-route limits (largest body / deepest nesting answered without 5xx or death)")
        for column in ("route", "content type", "largest body", "failed", "deepest nesting", "failed"):
            probe.add_column(column)
        for p in report.probe:
            probe.add_row(
                p["route"], p["content_type"], f"{p['largest_body']:,}", p["body_failure"] or "",
                f"{p['deepest_nesting']:,}", p["nesting_failure"] or "",
            )  # fmt: skip
        console.print(probe)
        for p in report.probe:
            if "note" in p:
                console.print(f"{p['route']} {p['content_type']}: {p['note']}")
    console.print("OK" if report.ok else "FAILED: a 5xx or a dead process")
