"""Security headers for every answer, installed once by :func:`backend.api.app.create_app`.

Every answer gets ``X-Content-Type-Options: nosniff``. HTML answers also get, unless the route set its own (the
product page and the scan page send stricter ones of their own):

* ``Content-Security-Policy``: :data:`CSP_HTML`. No inline script anywhere (``script-src 'self'``: the scan page
  loads its script and the decoder from this platform, ``'wasm-unsafe-eval'`` for the decoder's WebAssembly is in
  the scan page's own policy), no plugins, no ``<base>``, forms posted to this site only, never framed.
* ``X-Frame-Options: DENY`` (anti-framing for browsers older than ``frame-ancestors``).
* ``Referrer-Policy: same-origin``: no URL of a page (a lot, an organisation) leaks to another site, while this
  site's own forms still carry their ``Origin`` (``no-referrer`` would turn it into ``null``, and the sign-in form's
  CSRF check refuses that).

Pages that need a sign-in are never stored by a browser or a proxy (``Cache-Control: no-store``): every HTML answer
to a request carrying a token (``Authorization``) or the session cookie, or under ``/login`` and ``/logout``, and
every answer that sets a cookie.

The OpenAPI pages (``/docs``, ``/redoc``: FastAPI's Swagger UI and ReDoc, loaded from their CDN) get
:data:`CSP_DOCS` with the SHA-256 of each of their inline scripts: the pages are FastAPI's, built from the
application's fixed settings (no request data), so their scripts are hashed as served, and nothing else runs.

Styles: ``style-src 'self' 'unsafe-inline'``, a choice. The pages carry their CSS inline (``<style>``) because they
are made to be saved and read offline as one file (the product page, the green report, the label sheet, the audit
report), and one carries a computed ``style`` attribute (a share bar's width), which hashes cannot allow without
``'unsafe-hashes'``. What CSP must stop here is script, and no script runs inline; inline CSS cannot
run script, and every text the pages show is escaped by their builders, so an attacker has no markup to put CSS in.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.deps import SESSION_COOKIE

__all__ = ["CSP_DOCS", "CSP_HTML", "DOCS_PATHS", "PRIVATE_PATHS", "SecurityHeaders"]

CSP_HTML = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""The Content-Security-Policy of every HTML page that does not send its own."""
CSP_DOCS = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net {hashes}; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https:; connect-src 'self'; worker-src blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""The policy of FastAPI's OpenAPI pages (``{hashes}``: their inline scripts' hashes)."""
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
PRIVATE_PATHS = ("/login", "/logout")
"""Paths whose pages are never cached (the sign-in form carries a CSRF token)."""
_SESSION = SESSION_COOKIE.encode("ascii") + b"="


def _private(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if any(path == p or path.startswith(p + "/") for p in PRIVATE_PATHS):
        return True
    for name, value in scope.get("headers", ()):
        if name == b"authorization" or (name == b"cookie" and _SESSION in value):
            return True
    return False


def _docs_policy(body: bytes) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode("ascii") + "'"
        for m in _INLINE_SCRIPT.finditer(body)
    )
    return CSP_DOCS.format(hashes=hashes).replace(" ;", ";")


class SecurityHeaders:
    """ASGI middleware adding the headers of the module docstring (streamed answers pass through unbuffered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the answer's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return
        private = _private(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                html = headers.get("content-type", "").lower().startswith(("text/html", "application/xhtml+xml"))
                if html:
                    headers.setdefault("Content-Security-Policy", CSP_HTML)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Referrer-Policy", "same-origin")
                if (html and private) or "set-cookie" in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An OpenAPI page (small, made by FastAPI): held whole to hash its inline scripts."""
        messages: list[Message] = []

        async def hold(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, hold)
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        for message in messages:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    plain = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
                    headers["Content-Security-Policy"] = _docs_policy(plain)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)
