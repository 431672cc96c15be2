"""Domain errors of the service, and the one handler that turns them into RFC 9457 problem+json.

Routes raise :class:`ProblemError` subclasses (or let chain/core errors through); nothing builds an HTTP error inline.
Each problem has a stable ``type`` URI (``https://supplychain.dev/problems/<code>``, documentation only), a title,
a detail that says what is wrong and where, and optional extension members.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from chain.errors import ChainConnectionError, ChainError
from supplychain.errors import EpcisError, EpcisLimitError, EpcisMediaTypeError, EpcisValidationError, TraceError

__all__ = [
    "PROBLEM_JSON",
    "BadParameterError",
    "ConflictError",
    "ForbiddenError",
    "GoneError",
    "NotFoundError",
    "ProblemError",
    "UnauthorizedError",
    "UnavailableError",
    "install_problem_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://supplychain.dev/problems/"


class ProblemError(Exception):
    """An error the client should see as problem+json."""

    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, status: int | None = None, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.extra = extra


class BadParameterError(ProblemError):
    """A query or path parameter is malformed or out of range; ``parameter`` names it."""

    status, code, title = 400, "invalid-parameter", "Invalid query parameter"

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(f"{parameter}: {reason}", parameter=parameter)
        self.parameter = parameter


class NotFoundError(ProblemError):
    status, code, title = 404, "not-found", "Not found"


class GoneError(ProblemError):
    status, code, title = 410, "gone", "Gone"


class UnauthorizedError(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"


class ForbiddenError(ProblemError):
    status, code, title = 403, "forbidden", "Not allowed"


class ConflictError(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class UnavailableError(ProblemError):
    status, code, title = 503, "unavailable", "Service unavailable"


def problem_response(
    status: int, code: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response."""
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _browser(request: Request) -> bool:
    """A browser asking for a page: text/html accepted before JSON."""
    accept = request.headers.get("accept", "")
    html, json_ = accept.find("text/html"), accept.find("json")
    return html >= 0 and (json_ < 0 or html < json_)


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error the service can raise to problem+json."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        if exc.status == 401 and request.method == "GET" and _browser(request):  # a page: sign in first
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return problem_response(exc.status, exc.code, exc.title, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(EpcisValidationError)
    async def _invalid(request: Request, exc: EpcisValidationError) -> JSONResponse:
        problems = [
            {"index": p.index, "eventID": p.event_id, "path": p.path, "message": p.message} for p in exc.problems
        ]
        return problem_response(
            400,
            "invalid-epcis",
            "Invalid EPCIS document",
            str(exc).splitlines()[0],
            request.url.path,
            problems=problems,
            truncated=exc.truncated,
        )

    @app.exception_handler(EpcisLimitError)
    async def _limit(request: Request, exc: EpcisLimitError) -> JSONResponse:
        status = 413 if exc.limit_name in ("max_document_bytes", "max_events") else 400
        return problem_response(
            status,
            "limit-exceeded",
            "Document exceeds a limit",
            str(exc),
            request.url.path,
            limit=exc.limit_name,
            maximum=exc.limit,
            actual=exc.actual,
        )

    @app.exception_handler(EpcisMediaTypeError)
    async def _media(request: Request, exc: EpcisMediaTypeError) -> JSONResponse:
        return problem_response(415, "unsupported-media-type", "Unsupported media type", str(exc), request.url.path)

    @app.exception_handler(EpcisError)
    async def _epcis(request: Request, exc: EpcisError) -> JSONResponse:
        return problem_response(400, "malformed-document", "Malformed EPCIS document", str(exc), request.url.path)

    @app.exception_handler(TraceError)
    async def _trace(request: Request, exc: TraceError) -> JSONResponse:
        return problem_response(400, "invalid-input", "Invalid input", str(exc), request.url.path)

    @app.exception_handler(ChainConnectionError)
    async def _chain_down(request: Request, exc: ChainConnectionError) -> JSONResponse:
        return problem_response(503, "chain-unavailable", "The chain cannot be reached", str(exc), request.url.path)

    @app.exception_handler(ChainError)
    async def _chain(request: Request, exc: ChainError) -> JSONResponse:
        return problem_response(502, "chain-error", "The chain refused or failed", str(exc), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
        return problem_response(422, "invalid-request", "Invalid request", detail, request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem_response(exc.status_code, code, str(exc.detail), str(exc.detail), request.url.path)
