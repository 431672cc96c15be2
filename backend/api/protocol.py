"""The HTTP/1.1 protocol of the server processes: uvicorn's httptools protocol with timeouts and a bounded head.

uvicorn closes idle keep-alive connections, but a connection that sends half a request line, or headers and then
nothing of the body it announced, stays open for as long as the client likes (a few thousand of them hold the
process's file descriptors and memory). Here, on the event loop, without a thread per connection:

- **header timeout**: the request line and headers must be complete within ``header_timeout_seconds`` of the
  connection's start (or of the first byte of the next request on a kept-alive connection), else the connection is
  closed;
- **body timeout**: a request body that sends no byte for ``body_timeout_seconds`` is answered 408 problem+json
  (``Connection: close``) if no response has started, and the connection is closed; time while the server itself
  stopped reading (flow control: the application has not taken the body yet) does not count;
- **keep-alive timeout**: uvicorn's own, ``keep_alive_timeout_seconds``;
- **header size**: the request line and headers may take ``max_header_bytes`` in all and ``max_header_count``
  headers (httptools sets no bound: 160 MB of headers were once read into one process's memory); beyond that the
  request is answered 431 problem+json and the connection closed, before the application sees anything.

:func:`server_config` builds the ``uvicorn.Config`` with them from the settings; every way of starting the service
(``supplychain serve``, ``serve --processes N``, ``supplychain demo``) goes through it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, ClassVar

import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from backend.core.config import Settings
from backend.core.errors import P_, PROBLEM_JSON, Text, problem_lang, said
from supplychain.i18n import N_, Lang, translations

__all__ = ["TimeoutHttpProtocol", "protocol_class", "quiet_disconnects", "server_config"]

log = logging.getLogger(__name__)
_PROBLEM_BASE = "https://supplychain.dev/problems/"


def _problem_response(status: int, reason: str, code: str, detail: Text, lang: Lang) -> bytes:
    """A whole HTTP/1.1 problem+json answer that closes the connection (written before any application runs), in
    ``lang``: the title (the status's reason phrase) and the detail translated, as the application's problems."""
    title = str(translations(lang).gettext(reason))
    body = json.dumps(
        {"type": _PROBLEM_BASE + code, "title": title, "status": status, "detail": said(detail, lang)},
        ensure_ascii=False,
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-language: {lang}\r\n"
        f"vary: Accept-Language\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def _timeout_response(seconds: float, lang: Lang) -> bytes:
    detail = P_(
        "the request body sent nothing for {seconds} s: send the body without pausing", seconds=format(seconds, "g")
    )

    return _problem_response(408, N_("Request Timeout"), "request-timeout", detail, lang)


class _HeadTooLargeError(Exception):
    """Raised from a parser callback to stop reading a request whose head is over its bounds."""


class TimeoutHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline for the headers and an idle limit on the body."""

    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 20.0
    max_header_bytes: ClassVar[int] = 65_536
    max_header_count: ClassVar[int] = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._last_body = 0.0
        self._in_headers = False
        self._head_bytes = 0
        self._head_count = 0
        self._raw_head = 0
        self._head_refusal: Text | None = None

    # --- the header deadline ---

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    # --- the body idle limit ---

    def _arm_body_timer(self, delay: float) -> None:
        self._body_timer = self.loop.call_later(delay, self._body_timed_out)

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_timed_out(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        waiting_for_us = self.cycle is not None and self.cycle.waiting_for_100_continue  # Expect: 100-continue
        if self.flow.read_paused or waiting_for_us:  # the server has not taken the body yet: not the client's fault
            self._last_body = time.monotonic()
            self._arm_body_timer(self.body_timeout)
            return
        idle = time.monotonic() - self._last_body
        if idle < self.body_timeout:  # bytes came since the timer was armed
            self._arm_body_timer(self.body_timeout - idle)
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            self.transport.write(_timeout_response(self.body_timeout, problem_lang(self.headers or ())))
        if cycle is not None:  # the application's receive() now gets http.disconnect; what it sends is dropped
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()

    # --- uvicorn's callbacks ---

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the header deadline of the first request."""
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the timers."""
        self._cancel_header_timer()
        self._cancel_body_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feed the parser; bytes between requests (no request begun) still start a header deadline. Bytes of an
        unfinished head are counted here too: httptools buffers a header until its end, so one endless header
        would never reach :meth:`on_header`."""
        if self._in_headers:
            self._raw_head += len(data)
            if self._raw_head > self.max_header_bytes:
                self._head_refusal = P_(
                    "the request line and headers exceed {maximum} bytes", maximum=self.max_header_bytes
                )
                self.send_400_response(str(self._head_refusal))
                return
        super().data_received(data)
        idle = self.cycle is None or self.cycle.response_complete
        between_requests = idle and not self._in_headers and self._body_timer is None
        if between_requests and self.timeout_keep_alive_task is None and not self.transport.is_closing():
            self._arm_header_timer()

    def on_message_begin(self) -> None:
        """A request starts: its headers have ``header_timeout`` seconds."""
        super().on_message_begin()
        self._in_headers = True
        self._head_bytes = self._head_count = self._raw_head = 0
        self._arm_header_timer()

    def _count_head(self, size: int, *, header: bool) -> None:
        self._head_bytes += size
        self._head_count += header
        if self._head_bytes > self.max_header_bytes:
            self._head_refusal = P_(
                "the request line and headers exceed {maximum} bytes", maximum=self.max_header_bytes
            )
        elif self._head_count > self.max_header_count:
            self._head_refusal = P_("the request has more than {maximum} headers", maximum=self.max_header_count)
        if self._head_refusal is not None:
            raise _HeadTooLargeError(str(self._head_refusal))  # httptools stops; uvicorn calls send_400_response

    def on_url(self, url: bytes) -> None:
        """Part of the request target: counted against the head's size."""
        self._count_head(len(url), header=False)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """One header: counted against the head's size and the number of headers."""
        self._count_head(len(name) + len(value) + 4, header=True)
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        """A malformed request; or, when the head was over its bounds, 431 with the bound that was passed."""
        if self._head_refusal is None:
            super().send_400_response(msg)
            return
        self._cancel_header_timer()
        if not self.transport.is_closing():
            self.transport.write(
                _problem_response(
                    431,
                    N_("Request Header Fields Too Large"),
                    "headers-too-large",
                    self._head_refusal,
                    problem_lang(self.headers or ()),  # those read before the bound was passed
                )
            )

            self.transport.close()

    def on_headers_complete(self) -> None:
        """Headers done: the body's idle limit starts."""
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()
        self._last_body = time.monotonic()
        self._cancel_body_timer()
        self._arm_body_timer(self.body_timeout)

    def on_body(self, body: bytes) -> None:
        """Body bytes came: the idle limit starts again (the timer checks the time when it fires)."""
        self._last_body = time.monotonic()
        super().on_body(body)

    def on_message_complete(self) -> None:
        """The whole request is in: no more deadlines until the next one."""
        self._cancel_body_timer()
        super().on_message_complete()


def quiet_disconnects(app: ASGIApp) -> ASGIApp:
    """``app``, where a client that went away before its body was complete (or was cut off by the body timeout)
    is a line of the info log, not an "Exception in ASGI application" error."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        except ClientDisconnect:
            log.info("%s %s: the client went away before its body was complete", scope.get("method"), scope["path"])

    return wrapped


def protocol_class(settings: Settings) -> type[TimeoutHttpProtocol]:
    """:class:`TimeoutHttpProtocol` with the settings' timeouts."""
    return type(
        "ConfiguredTimeoutHttpProtocol",
        (TimeoutHttpProtocol,),
        {
            "header_timeout": settings.header_timeout_seconds,
            "body_timeout": settings.body_timeout_seconds,
            "max_header_bytes": settings.max_header_bytes,
            "max_header_count": settings.max_header_count,
        },
    )


def server_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The ``uvicorn.Config`` of a server process: the settings' timeouts and proxies, quiet logs; ``options`` are
    passed on (``host``, ``port``...)."""
    return uvicorn.Config(
        quiet_disconnects(app),
        http=protocol_class(settings),
        timeout_keep_alive=max(1, round(settings.keep_alive_timeout_seconds)),
        log_level="warning",
        access_log=False,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        **options,
    )
