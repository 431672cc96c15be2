"""Routes: the scan page (``GET /scan``) and the files it loads, all served by the platform itself (no CDN).

The page reads a QR code with the phone's camera (``getUserMedia``) or from a photo, decodes it in the browser
with `zxing-wasm <https://www.npmjs.com/package/zxing-wasm>`_ (its reader build: the script and the WebAssembly
binary, from ``backend/web/node_modules``, installed by ``npm ci`` in ``backend/web``) and opens the product page
when the code is a GS1 Digital Link. The page is the template ``scan.html``
(:func:`backend.services.product_html.render_scan_page`). The script files' URLs carry their version or content hash,
so they are cached for a year.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from backend.api.routes.events import INVALID_REQUEST, problem_doc
from backend.core.errors import P_, NotFoundError, UnavailableError
from backend.pages.templating import WEB_DIR
from backend.services.product_html import render_scan_page
from backend.services.product_page import page_lang

__all__ = ["CSP_SCAN", "DECODER_DIR", "decoder_version", "router", "static_paths"]

router = APIRouter(tags=["pages"], responses={422: INVALID_REQUEST})

DECODER_DIR = WEB_DIR / "node_modules" / "zxing-wasm"
CSP_SCAN = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob: mediastream:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_IMMUTABLE = "public, max-age=31536000, immutable"
_DECODER_FILES = {
    "zxing-reader.js": ("dist/iife/reader/index.js", "text/javascript; charset=utf-8"),
    "zxing_reader.wasm": ("dist/reader/zxing_reader.wasm", "application/wasm"),
}


@cache
def _script() -> tuple[bytes, str]:
    body = (WEB_DIR / "scan.js").read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


def decoder_version() -> str | None:
    """The installed zxing-wasm version (from its package.json), ``None`` when ``npm ci`` has not run."""
    try:
        manifest = json.loads((DECODER_DIR / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else None


def static_paths() -> dict[str, str]:
    """The URLs of the scan page's script and of the decoder's two files."""
    version = decoder_version() or "missing"
    return {
        "script": f"/static/scan.{_script()[1]}.js",
        "decoder": f"/static/zxing-wasm@{version}/zxing-reader.js",
        "wasm": f"/static/zxing-wasm@{version}/zxing_reader.wasm",
    }


_LANG = Query(description="`en` for English; Chinese (`zh-CN`, also `zh`) otherwise", examples=["en"])


@router.get(
    "/scan",
    summary="The scan page: read a product's QR code with the camera or from a photo",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "The page (zh-CN, or English with `lang=en`)"}},
)
def scan_page(request: Request, lang: Annotated[str | None, _LANG] = None) -> HTMLResponse:
    """A mobile page that decodes a QR code in the browser (camera via `getUserMedia`, or an uploaded photo) with
    the platform's own copy of the zxing-wasm decoder, then opens the code when it is a GS1 Digital Link (this
    platform's or any resolver's); anything else is shown, not opened. Nothing is uploaded.
    """
    paths = static_paths()
    lang = page_lang(request)
    html = render_scan_page(lang, script=paths["script"], decoder=paths["decoder"], wasm=paths["wasm"])
    headers = {
        "Content-Language": lang,
        "Content-Security-Policy": CSP_SCAN,
        "Permissions-Policy": "camera=(self)",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    }
    return HTMLResponse(html, headers=headers)


_STATIC_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file, cached for a year (its URL names its version or hash)"},
    404: problem_doc(404, "not-found", "Not found", "no static file /static/scan.0123456789abcdef.js"),
    503: problem_doc(
        503, "unavailable", "Service unavailable", "the QR decoder is not installed: run `npm ci` in backend/web"
    ),
}


@router.get("/static/scan.{digest}.js", summary="The scan page's script", responses=_STATIC_RESPONSES)
def scan_script(digest: str) -> Response:
    """The scan page's script; its URL names its content hash (an old hash is `404`)."""
    body, current = _script()
    if digest != current:
        raise NotFoundError(
            P_(
                "no static file /static/scan.{digest}.js (the current script is scan.{current}.js)",
                digest=digest,
                current=current,
            )
        )
    return Response(body, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": _IMMUTABLE})


@router.get("/static/zxing-wasm@{version}/{name}", summary="The QR decoder (zxing-wasm)", responses=_STATIC_RESPONSES)
def decoder_file(version: str, name: str) -> Response:
    """The decoder's script or WebAssembly binary, from the npm package installed in `backend/web`."""
    installed = decoder_version()
    if installed is None:
        raise UnavailableError(P_("the QR decoder is not installed: run `npm ci` in backend/web (`make setup` does)"))
    entry = _DECODER_FILES.get(name)
    if version != installed or entry is None:
        known = ", ".join(f"/static/zxing-wasm@{installed}/{n}" for n in _DECODER_FILES)
        raise NotFoundError(
            P_(
                "no static file /static/zxing-wasm@{version}/{name}; the decoder's files: {known}",
                version=version,
                name=name,
                known=known,
            )
        )

    path: Path = DECODER_DIR / entry[0]
    return FileResponse(path, media_type=entry[1], headers={"Cache-Control": _IMMUTABLE})
