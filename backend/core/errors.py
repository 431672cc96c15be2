"""Domain errors of the service, and the one handler that turns them into RFC 9457 problem+json.

Routes raise :class:`ProblemError` subclasses (or let chain/core errors through); nothing builds an HTTP error inline.
Each problem has a stable ``type`` URI (``https://supplychain.dev/problems/<code>``, documentation only), a title,
a detail that says what is wrong and where, and optional extension members.

The words are for people, so they come from the catalogue (:mod:`supplychain.i18n`) in the language the client
prefers (``Accept-Language``; English when it names neither English nor Chinese). A title is an English message
marked with ``N_``; a detail is written where the problem is raised as ``P_("no event {event_id} is stored here",
event_id=...)``: a :class:`Text`, the English message (Babel extracts it: ``P_`` is a keyword of
``supplychain/locale/babel.cfg``) and the values of its named placeholders, put in a language only when the one
handler answers (:func:`problem_response`). Values (ids, paths, numbers) are never translated; a value may itself be
a :class:`Text`, said in the same language. A plain ``str`` detail is shown as it is in every language: the texts of
the pure core's exceptions (the EPCIS validator's, GS1 parsers', pydantic's) are English. The machine-readable
members (``type``, ``status``, ``code``, extension members) never change with the language.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from chain.errors import ChainConnectionError, ChainError
from supplychain.errors import (
    EpcisError,
    EpcisLimitError,
    EpcisMediaTypeError,
    EpcisSyntaxError,
    EpcisValidationError,
    TraceError,
)
from supplychain.i18n import N_, SOURCE_LANG, Lang, from_accept_language, translations

__all__ = [
    "PROBLEM_JSON",
    "P_",
    "BadParameterError",
    "ConflictError",
    "ForbiddenError",
    "GoneError",
    "LimitExceededError",
    "NotFoundError",
    "ProblemError",
    "Text",
    "UnauthorizedError",
    "UnavailableError",
    "either",
    "error_response",
    "install_problem_handlers",
    "problem_lang",
    "problem_response",
    "quoted",
    "said",
]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://supplychain.dev/problems/"


class Text:
    """Words of a problem for people: an English message of the catalogue with named ``{placeholders}``, and their
    values; said in a language by :meth:`render` (``str()`` says it in English). Build one with :func:`P_`."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, values: Mapping[str, object]) -> None:
        self.message = message
        self.values = dict(values)

    def render(self, lang: Lang) -> str:
        """The message in ``lang`` with its values put in (a value that is a :class:`Text` is said in ``lang`` too).
        A translation whose placeholders do not fit the message (``make catalogues`` refuses those) gives the
        English rather than an error."""
        values = {name: said(value, lang) for name, value in self.values.items()}
        if lang != SOURCE_LANG:
            try:
                return str(translations(lang).gettext(self.message)).format(**values)
            except (KeyError, IndexError, ValueError, AttributeError):
                log.warning("the %s translation of %r does not fit its placeholders", lang, self.message)
        return self.message.format(**values)

    def __str__(self) -> str:
        return self.render(SOURCE_LANG)

    def __repr__(self) -> str:
        return f"P_({self.message!r}, **{self.values!r})"


def P_(message: str, /, **values: object) -> Text:  # noqa: N802 - a gettext keyword, like N_
    """A problem's detail (or a part of one): ``message`` is English with named ``{placeholders}`` and goes in the
    catalogue as it is written (a keyword Babel extracts); ``values`` fill the placeholders and are never
    translated."""
    return Text(message, values)


def quoted(value: object, limit: int) -> str:
    """A value from outside as a detail shows it: its ``repr``, cut to ``limit`` characters (``f"{value!r:.40}"``)."""
    return repr(value)[:limit]


def either(choices: Sequence[str]) -> str | Text:
    """``a or b or c``, said in the problem's language (each choice as it is)."""
    if len(choices) <= 1:
        return "".join(choices)
    return P_("{first} or {last}", first=either(choices[:-1]), last=choices[-1])


def said(words: object, lang: Lang) -> str:
    """``words`` in ``lang``: a :class:`Text` translated, anything else as it is."""
    return words.render(lang) if isinstance(words, Text) else str(words)


class ProblemError(Exception):
    """An error the client should see as problem+json.

    ``detail`` is a :class:`Text` (``P_(...)``), said in the client's language; a plain ``str`` (a text from a
    library or the pure core) is shown as it is in every language. ``self.detail`` is the English detail, ``title``
    an English message of the catalogue.
    """

    status = 400
    code = "bad-request"
    title = N_("Bad request")

    def __init__(self, detail: str | Text, *, status: int | None = None, code: str | None = None, **extra: Any) -> None:
        english = str(detail)
        super().__init__(english)
        self.text = detail
        self.detail = english
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.extra = extra

    def detail_in(self, lang: Lang) -> str:
        """The detail in ``lang``."""
        return said(self.text, lang)


class BadParameterError(ProblemError):
    """A query or path parameter is malformed or out of range; ``parameter`` names it."""

    status, code, title = 400, "invalid-parameter", N_("Invalid query parameter")

    def __init__(self, parameter: str, reason: str | Text) -> None:
        super().__init__(P_("{parameter}: {reason}", parameter=parameter, reason=reason), parameter=parameter)
        self.parameter = parameter


class NotFoundError(ProblemError):
    status, code, title = 404, "not-found", N_("Not found")


class GoneError(ProblemError):
    status, code, title = 410, "gone", N_("Gone")


class UnauthorizedError(ProblemError):
    status, code, title = 401, "unauthorized", N_("Authentication required")


class ForbiddenError(ProblemError):
    status, code, title = 403, "forbidden", N_("Not allowed")


class ConflictError(ProblemError):
    status, code, title = 409, "conflict", N_("Conflict")


class LimitExceededError(ProblemError):
    """A document over one of the platform's limits (``limit`` names it): the title of EPCIS documents' own."""

    status, code, title = 413, "limit-exceeded", N_("Document exceeds a limit")


class UnavailableError(ProblemError):
    status, code, title = 503, "unavailable", N_("Service unavailable")


def problem_lang(headers: Mapping[str, str] | Iterable[tuple[bytes, bytes]]) -> Lang:
    """The language of a problem: the one the request's ``Accept-Language`` prefers among the project's, else
    English (:func:`supplychain.i18n.from_accept_language`). ``headers`` are a request's (``request.headers``) or an
    ASGI scope's raw pairs."""
    if isinstance(headers, Mapping):
        return from_accept_language(headers.get("accept-language"), SOURCE_LANG)
    for name, value in headers:
        if name == b"accept-language":
            return from_accept_language(value.decode("latin-1"), SOURCE_LANG)
    return SOURCE_LANG


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | Text,
    instance: str | None = None,
    *,
    lang: Lang = SOURCE_LANG,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response in ``lang``: the title (an English message of the catalogue) and the detail said in
    it, ``Content-Language`` naming it, ``Vary: Accept-Language``; the other members as given."""
    shown = title if lang == SOURCE_LANG else str(translations(lang).gettext(title))
    body = {"type": PROBLEM_BASE + code, "title": shown, "status": status, "detail": said(detail, lang)}
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"Content-Language": lang, "Vary": "Accept-Language"}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def error_response(exc: ProblemError, request: Request) -> JSONResponse:
    """The problem+json answer to ``exc``, in the language ``request`` prefers."""
    return problem_response(
        exc.status, exc.code, exc.title, exc.text, request.url.path, lang=problem_lang(request.headers), **exc.extra
    )


def _browser(request: Request) -> bool:
    """A browser asking for a page: text/html accepted before JSON."""
    accept = request.headers.get("accept", "")
    html, json_ = accept.find("text/html"), accept.find("json")
    return html >= 0 and (json_ < 0 or html < json_)


_LIMIT_NOUNS = (
    N_("value"),
    N_("document size in bytes"),
    N_("number of events"),
    N_("nesting depth"),
    N_("list length"),
    N_("string length"),
)
"""What each EPCIS limit bounds (``EpcisLimitError.what`` of the pure core's limit errors), in the catalogue."""
_FRAMEWORK_WORDS = (N_("Not Found"), N_("Method Not Allowed"), N_("There was an error parsing the body"))
"""The phrases of Starlette's and FastAPI's own refusals (an unknown path, a method a route does not take, a body
that cannot be read), in the catalogue: the handler translates them like any title."""


def _invalid_epcis(exc: EpcisValidationError) -> Text:
    """The top sentence of an invalid document (as ``str(exc)`` says it): how many problems, the first five; the
    problems themselves are the validator's words, in English."""
    count = len(exc.problems)
    shown = "; ".join(str(p) for p in exc.problems[:5]).split("\n", 1)[0]
    listed: str | Text = shown if count <= 5 else P_("{problems}; and {more} more", problems=shown, more=count - 5)
    if exc.truncated:
        return P_("{count} problem(s) in EPCIS input (stopped at the cap): {problems}", count=count, problems=listed)
    return P_("{count} problem(s) in EPCIS input: {problems}", count=count, problems=listed)


def _over_limit(exc: EpcisLimitError) -> Text:
    """What an EPCIS limit error says (as ``str(exc)`` does), with the bounded quantity in the catalogue."""
    what = Text(exc.what, {})
    if exc.path:
        return P_(
            "{what} {actual} at {path} exceeds the limit {limit}={maximum}",
            what=what,
            actual=exc.actual,
            path=exc.path,
            limit=exc.limit_name,
            maximum=exc.limit,
        )
    return P_(
        "{what} {actual} exceeds the limit {limit}={maximum}",
        what=what,
        actual=exc.actual,
        limit=exc.limit_name,
        maximum=exc.limit,
    )


def _malformed(exc: EpcisError) -> str | Text:
    if isinstance(exc, EpcisSyntaxError):
        return P_(
            "cannot read EPCIS input as {media_type}: {complaint}", media_type=exc.media_type, complaint=exc.detail
        )
    return str(exc)


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error the service can raise to problem+json, in the language the request prefers."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        if exc.status == 401 and request.method == "GET" and _browser(request):  # a page: sign in first
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        return error_response(exc, request)

    def answer(request: Request, status: int, code: str, title: str, detail: str | Text, **extra: Any) -> JSONResponse:
        lang = problem_lang(request.headers)
        return problem_response(status, code, title, detail, request.url.path, lang=lang, **extra)

    @app.exception_handler(EpcisValidationError)
    async def _invalid(request: Request, exc: EpcisValidationError) -> JSONResponse:
        problems = [
            {"index": p.index, "eventID": p.event_id, "path": p.path, "message": p.message} for p in exc.problems
        ]
        return answer(
            request,
            400,
            "invalid-epcis",
            N_("Invalid EPCIS document"),
            _invalid_epcis(exc),
            problems=problems,
            truncated=exc.truncated,
        )

    @app.exception_handler(EpcisLimitError)
    async def _limit(request: Request, exc: EpcisLimitError) -> JSONResponse:
        status = 413 if exc.limit_name in ("max_document_bytes", "max_events") else 400
        return answer(
            request,
            status,
            "limit-exceeded",
            N_("Document exceeds a limit"),
            _over_limit(exc),
            limit=exc.limit_name,
            maximum=exc.limit,
            actual=exc.actual,
        )

    @app.exception_handler(EpcisMediaTypeError)
    async def _media(request: Request, exc: EpcisMediaTypeError) -> JSONResponse:
        detail = P_(
            "unsupported media type {media_type}: expected one of {accepted}",
            media_type=repr(exc.media_type),
            accepted=", ".join(exc.accepted),
        )
        return answer(request, 415, "unsupported-media-type", N_("Unsupported media type"), detail)

    @app.exception_handler(EpcisError)
    async def _epcis(request: Request, exc: EpcisError) -> JSONResponse:
        return answer(request, 400, "malformed-document", N_("Malformed EPCIS document"), _malformed(exc))

    @app.exception_handler(TraceError)
    async def _trace(request: Request, exc: TraceError) -> JSONResponse:
        return answer(request, 400, "invalid-input", N_("Invalid input"), str(exc))

    @app.exception_handler(ChainConnectionError)
    async def _chain_down(request: Request, exc: ChainConnectionError) -> JSONResponse:
        return answer(request, 503, "chain-unavailable", N_("The chain cannot be reached"), str(exc))

    @app.exception_handler(ChainError)
    async def _chain(request: Request, exc: ChainError) -> JSONResponse:
        return answer(request, 502, "chain-error", N_("The chain refused or failed"), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
        return answer(request, 422, "invalid-request", N_("Invalid request"), detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        phrase = str(exc.detail)
        detail = Text(phrase, {}) if phrase in _FRAMEWORK_WORDS else phrase
        response = answer(request, exc.status_code, code, phrase, detail)
        response.headers.update(exc.headers or {})  # a 405's Allow (RFC 9110)
        return response
