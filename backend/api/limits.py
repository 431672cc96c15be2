"""The edge guard: bounds on what a request may be, checked before FastAPI parses anything.

:class:`EdgeGuard` is a pure ASGI middleware, the outermost layer of the application. Per HTTP request it

- bounds the query string (:attr:`EdgeLimits.max_query_bytes`, ``414``), its parameter count
  (:attr:`EdgeLimits.max_query_parameters`) and each name and value (:attr:`EdgeLimits.max_parameter_chars`), and
  refuses malformed percent-encoding or encoded bytes that are not UTF-8 in the query (``400``; the path is the
  routes' to judge: the resolver answers a malformed Digital Link with its own page);
- bounds the body per route (:meth:`EdgeLimits.body_limit`: ``POST /capture`` the EPCIS document limit, every
  other route :attr:`EdgeLimits.max_body_bytes`), counting the bytes as they arrive, whatever ``Content-Length``
  says and for chunked bodies too (``413``; on ``POST /capture`` and ``POST /events`` with the EPCIS REST binding's
  ``GS1-EPCIS-Capture-Limit`` and ``GS1-EPCIS-Capture-File-Size-Limit`` headers);
- refuses a JSON body (a ``*json`` media type, or none: FastAPI decodes those as JSON) nested deeper than
  :attr:`EdgeLimits.max_json_depth` (``400``), with the core's bracket check (:mod:`supplychain.jsondepth`): Python's
  JSON decoder recurses per bracket and a dependency raises the recursion limit far past what the C stack holds.
  ``POST /capture`` is left to the EPCIS parser, which applies the same check with the EPCIS depth limit (and would
  otherwise pay for it twice on documents of megabytes).

A refusal is an RFC 9457 problem+json answered by the guard itself: the route is never called. The body read is
handed on to the application unchanged.

:func:`restore_recursion_limit` puts the interpreter's recursion limit back to a sane value once the dependencies that
raise it (py_ecc, py-evm) are imported; :func:`~backend.api.app.create_app` calls it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI

from backend.core.config import Settings
from backend.core.errors import P_, PROBLEM_JSON, Text, problem_lang, problem_response
from supplychain.epcis.limits import DEFAULT_LIMITS
from supplychain.i18n import N_
from supplychain.jsondepth import nesting_depth, within_depth

__all__ = ["RECURSION_LIMIT", "EdgeGuard", "EdgeLimits", "announce_limits", "restore_recursion_limit"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RECURSION_LIMIT = 1000
"""The recursion limit the server runs with: CPython's default. py_ecc raises it to 100,000 when imported (py-evm to
12,288), past what the C stack holds: a deeply nested JSON document then crashes the process instead of raising."""

_CAPTURE = ("POST", "/capture")
_SINGLE_EVENT = ("POST", "/events")
_MALFORMED_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_PRINTABLE_ASCII = re.compile(rb"[\x21-\x7e]*")


def restore_recursion_limit() -> None:
    """Put the recursion limit back to :data:`RECURSION_LIMIT` if an import raised it."""
    if sys.getrecursionlimit() > RECURSION_LIMIT:
        log.debug("recursion limit %d put back to %d", sys.getrecursionlimit(), RECURSION_LIMIT)
        sys.setrecursionlimit(RECURSION_LIMIT)


@dataclass(frozen=True)
class EdgeLimits:
    """What the edge guard lets through (from :class:`~backend.core.config.Settings`)."""

    max_body_bytes: int
    max_capture_bytes: int
    max_json_depth: int
    max_query_bytes: int
    max_query_parameters: int
    max_parameter_chars: int

    @classmethod
    def of(cls, settings: Settings) -> EdgeLimits:
        """The limits the settings give."""
        return cls(
            max_body_bytes=settings.max_body_bytes,
            max_capture_bytes=settings.max_capture_bytes,
            max_json_depth=settings.max_json_depth,
            max_query_bytes=settings.max_query_bytes,
            max_query_parameters=settings.max_query_parameters,
            max_parameter_chars=settings.max_parameter_chars,
        )

    def body_limit(self, method: str, path: str) -> int:
        """The largest body accepted by ``method path`` (a route may refuse less: see its description)."""
        return self.max_capture_bytes if (method, path.rstrip("/") or "/") == _CAPTURE else self.max_body_bytes


class _RefusedError(Exception):
    def __init__(self, status: int, code: str, title: str, detail: Text, **extra: Any) -> None:
        super().__init__(str(detail))
        self.status, self.code, self.title, self.detail, self.extra = status, code, title, detail, extra


def _json_media(content_type: str | None) -> bool:
    if content_type is None:
        return True
    base = content_type.split(";", 1)[0].strip().lower()
    return not base or base.endswith("json")


def _decoded(raw: bytes, where: str | Text, parameter: str | None = None) -> str:
    """Percent-decoded ``raw`` (``+`` is a space in a query), refusing malformed escapes and non-UTF-8."""
    named = {"parameter": parameter} if parameter is not None else {}
    if _MALFORMED_PERCENT.search(raw):
        raise _RefusedError(
            400,
            "malformed-url",
            N_("Malformed URL"),
            P_("{where}: '%' not followed by two hex digits", where=where),
            **named,
        )
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise _RefusedError(
            400,
            "malformed-url",
            N_("Malformed URL"),
            P_("{where}: percent-encoded bytes that are not UTF-8", where=where),
            **named,
        ) from None


def _check_target(scope: Scope, limits: EdgeLimits) -> None:
    """Refuse a query string that is malformed or beyond the limits.

    Raises:
        _RefusedError: what is wrong, as a problem.
    """
    query: bytes = scope.get("query_string", b"")
    if not query:
        return
    if len(query) > limits.max_query_bytes:
        raise _RefusedError(
            414,
            "query-too-long",
            N_("Query string too long"),
            P_(
                "the query string is {size} bytes; at most {maximum} are accepted",
                size=len(query),
                maximum=limits.max_query_bytes,
            ),
            limit="max_query_bytes",
            maximum=limits.max_query_bytes,
        )
    if not _PRINTABLE_ASCII.fullmatch(query):
        raise _RefusedError(
            400, "malformed-url", N_("Malformed URL"), P_("query: characters that are not percent-encoded")
        )
    pairs = [p for p in query.split(b"&") if p]
    if len(pairs) > limits.max_query_parameters:
        raise _RefusedError(
            400,
            "too-many-parameters",
            N_("Too many query parameters"),
            P_(
                "{count} query parameters; at most {maximum} are accepted",
                count=len(pairs),
                maximum=limits.max_query_parameters,
            ),
            limit="max_query_parameters",
            maximum=limits.max_query_parameters,
        )
    for pair in pairs:
        raw_name, _, raw_value = pair.partition(b"=")
        name = _decoded(raw_name.replace(b"+", b" "), P_("query parameter name"))
        value = _decoded(raw_value.replace(b"+", b" "), name or "query", name)
        if len(name) > limits.max_parameter_chars or len(value) > limits.max_parameter_chars:
            raise _RefusedError(
                400,
                "parameter-too-long",
                N_("Query parameter too long"),
                P_(
                    "{parameter}: at most {maximum} characters are accepted",
                    parameter=name[:40],
                    maximum=limits.max_parameter_chars,
                ),
                parameter=name[:40],
                limit="max_parameter_chars",
                maximum=limits.max_parameter_chars,
            )


def _too_large(limit: int, size: int | None) -> _RefusedError:
    if size is None:
        detail = P_("the body is over {maximum} bytes; at most {maximum} are accepted here", maximum=limit)
    else:
        detail = P_("the body is {size} bytes; at most {maximum} are accepted here", size=size, maximum=limit)
    return _RefusedError(
        413,
        "body-too-large",
        N_("Request body too large"),
        detail,
        limit="max_body_bytes",
        maximum=limit,
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            if not (value.isdigit() and len(value) <= 19):
                raise _RefusedError(
                    400, "bad-content-length", N_("Bad Content-Length"), P_("Content-Length is not a byte count")
                )
            return int(value)
    return None


def _has_body(scope: Scope) -> bool:
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope.get("headers", ()))


def _content_type(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value).decode("latin-1")
    return None


class EdgeGuard:
    """The ASGI middleware (see the module docstring).

    Args:
        app: The application behind the guard.
        limits: What is let through.
    """

    def __init__(self, app: ASGIApp, limits: EdgeLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request; answer a refusal, or hand the request on with its body read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if sys.getrecursionlimit() > RECURSION_LIMIT:  # a module imported late (py-evm, on first use) raised it
            restore_recursion_limit()
        try:
            _check_target(scope, self.limits)
            if not _has_body(scope):
                await self.app(scope, receive, send)
                return
            body = await self._body(scope, receive)
        except _RefusedError as refusal:
            response = problem_response(
                refusal.status,
                refusal.code,
                refusal.title,
                refusal.detail,
                scope.get("path"),
                lang=problem_lang(scope.get("headers", ())),
                **refusal.extra,
            )
            if refusal.status == 413:
                response.headers.update(self._capture_limits(scope))
            await response(scope, receive, send)
            return
        if body is None:  # the client went away
            return
        await self.app(scope, _replay(body, receive), send)

    def _capture_limits(self, scope: Scope) -> dict[str, str]:
        """The EPCIS REST binding's ``413`` headers of a capture route (``POST /capture``, ``POST /events``)."""
        route = (scope.get("method", ""), str(scope.get("path", "")).rstrip("/"))
        events = {_CAPTURE: DEFAULT_LIMITS.max_events, _SINGLE_EVENT: 1}.get(route)
        if events is None:
            return {}
        size = self.limits.body_limit(*route)
        return {"GS1-EPCIS-Capture-Limit": str(events), "GS1-EPCIS-Capture-File-Size-Limit": str(size)}

    async def _body(self, scope: Scope, receive: Receive) -> bytes | None:
        method, path = scope.get("method", ""), scope.get("path", "")
        limit = self.limits.body_limit(method, path)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            raise _too_large(limit, declared)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, None)
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if (method, path) != _CAPTURE and body and _json_media(_content_type(scope)):
            try:  # RFC 8259: JSON between systems is UTF-8 (the framework's own refusal says only "error parsing")
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _RefusedError(
                    400,
                    "malformed-json",
                    N_("Malformed JSON"),
                    P_(
                        "the body is not UTF-8: byte {position} is {byte}; JSON must be UTF-8",
                        position=exc.start,
                        byte=format(body[exc.start], "#04x"),
                    ),
                ) from None
            bound = self.limits.max_json_depth
            if not within_depth(body, bound) and (depth := nesting_depth(body)) > bound:
                raise _RefusedError(
                    400,
                    "json-too-deep",
                    N_("JSON nested too deep"),
                    P_(
                        "the body nests arrays and objects {depth} deep; at most {maximum} are accepted",
                        depth=depth,
                        maximum=bound,
                    ),
                    limit="max_json_depth",
                    maximum=bound,
                )
        return body


_BODY_METHODS = ("post", "put", "patch", "delete")
_HTTP_METHODS = ("get", "head", "options", *_BODY_METHODS)


def _problem_doc(status: int, code: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    example = {"type": f"https://supplychain.dev/problems/{code}", "title": title, "status": status, "detail": detail}
    return {"description": title, "content": {PROBLEM_JSON: {"example": example | extra}}}


_TOO_LARGE_DOC = _problem_doc(
    413,
    "body-too-large",
    "Request body too large",
    "the body is over 1048576 bytes; at most 1048576 are accepted here",
    limit="max_body_bytes",
    maximum=1048576,
)
#: What the guard (and the server's protocol, for the head) may answer to any operation, before its route runs.
_EVERY_OPERATION: dict[str, dict[str, Any]] = {
    "400": _problem_doc(
        400, "too-many-parameters", "Too many query parameters", "101 query parameters; at most 100 are accepted"
    ),
    "414": _problem_doc(
        414,
        "query-too-long",
        "Query string too long",
        "the query string is 9000 bytes; at most 8192 are accepted",
        limit="max_query_bytes",
        maximum=8192,
    ),
    "431": _problem_doc(
        431, "headers-too-large", "Request Header Fields Too Large", "the request has more than 100 headers"
    ),
}


def announce_limits(app: FastAPI, limits: EdgeLimits) -> None:
    """Announce the limits in the application's OpenAPI document.

    Every operation that may take a body gets ``x-max-body-bytes`` (the guard's limit, or the route's own when it
    declares a smaller one in ``openapi_extra``), a sentence saying it in its description, and a ``413`` response;
    every operation gets the ``400``, ``414`` and ``431`` that the guard and the server's protocol answer before any
    route runs (unless it documents its own ``400``); ``info.x-limits`` lists the query and JSON limits that hold for
    every operation.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schema["info"]["x-limits"] = {
            "maxBodyBytes": limits.max_body_bytes,
            "maxCaptureBytes": limits.max_capture_bytes,
            "maxJsonDepth": limits.max_json_depth,
            "maxQueryBytes": limits.max_query_bytes,
            "maxQueryParameters": limits.max_query_parameters,
            "maxParameterChars": limits.max_parameter_chars,
        }
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if method not in _HTTP_METHODS:
                    continue
                responses = operation.setdefault("responses", {})
                for status, doc in _EVERY_OPERATION.items():
                    responses.setdefault(status, doc)
                if method not in _BODY_METHODS:
                    continue
                limit = min(limits.body_limit(method.upper(), path), operation.get("x-max-body-bytes", sys.maxsize))
                operation["x-max-body-bytes"] = limit
                said = f"The request body may be at most {limit:,} bytes (`x-max-body-bytes`): a larger one is a `413`."
                operation["description"] = (operation.get("description", "").rstrip() + "\n\n" + said).lstrip()
                operation.setdefault("responses", {}).setdefault("413", _TOO_LARGE_DOC)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then what the client sends (a disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
