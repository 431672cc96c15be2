"""Where the proof bundle comes from: a QR code photo, a GS1 Digital Link on the platform's domain, or a file.

- An image (PNG, JPEG, anything Pillow reads) is decoded with zxing-cpp into the Digital Link the code carries.
- A Digital Link ``https://host[/prefix]/01/{gtin}[/10/{lot}][/21/{serial}]`` is first resolved on its host with
  ``Accept: application/json`` (``404``: the host never issued it, ``410``: the lot was recalled, a warning), then
  the bundle is fetched from ``https://host[/prefix]/bundles?id=<the canonical Digital Link>``.
- A file starting with ``{`` (or named ``*.json``) is read as a proof bundle.

Nothing fetched here is trusted: the bundle only says what to check on the chain. Inputs that cannot be used raise
:class:`~scanner.errors.ScannerInputError` saying what and where.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import zxingcpp
from PIL import Image, UnidentifiedImageError

from scanner.errors import Notice, ScannerInputError
from supplychain.errors import DigitalLinkError, ProofBundleFormatError
from supplychain.gs1 import identifier_node, parse_digital_link
from supplychain.verify import ProofBundle

__all__ = ["Source", "SourceKind", "decode_qr", "fetch_bundle", "load_source", "read_bundle"]

SourceKind = Literal["image", "uri", "file"]
TRUNCATED_HEADER = "Supplychain-Bundle-Truncated"
USER_AGENT = "supplychain-scanner/0.1"
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True, slots=True)
class Source:
    """A proof bundle and where it came from.

    Attributes:
        kind: ``image``, ``uri`` or ``file``.
        input: What was given on the command line.
        bundle: The bundle (format checked, contents not yet verified).
        uri: The Digital Link scanned or given (``None`` for a file).
        requested: The canonical Digital Link of that product (what the bundle must be about), or ``None``.
        bundle_url: Where the bundle was fetched (``None`` for a file).
        notices: Warnings met on the way (recall, truncation).
    """

    kind: SourceKind
    input: str
    bundle: ProofBundle
    uri: str | None = None
    requested: str | None = None
    bundle_url: str | None = None
    notices: tuple[Notice, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "input", "uri", "requested", "bundleUrl"}``."""
        return {
            "kind": self.kind,
            "input": self.input,
            "uri": self.uri,
            "requested": self.requested,
            "bundleUrl": self.bundle_url,
        }


def load_source(arg: str, *, timeout: float = 10.0) -> Source:
    """Read the bundle named by ``arg``: a Digital Link (``http(s)://``), an image file, or a bundle file.

    Raises:
        ScannerInputError: The input cannot be used (see :mod:`scanner.messages` for every code).
    """
    if arg.startswith(("http://", "https://")):
        return fetch_bundle(arg, kind="uri", given=arg, timeout=timeout)
    path = Path(arg)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScannerInputError("no_such_file", path=path) from None
    except OSError as exc:
        raise ScannerInputError("unreadable_file", path=path, detail=exc.strerror or exc) from exc
    if path.suffix.lower() == ".json" or data.lstrip()[:1] in (b"{", b"["):
        return Source("file", arg, read_bundle(data, str(path)))
    if not data.startswith(_IMAGE_MAGIC):
        raise ScannerInputError("not_an_input", path=path)
    uri = decode_qr(data, str(path))
    return fetch_bundle(uri, kind="image", given=arg, timeout=timeout)


def read_bundle(data: bytes, where: str) -> ProofBundle:
    """Parse a proof bundle (version 1 or 2) from JSON bytes.

    Raises:
        ScannerInputError: ``not_json`` or ``not_a_bundle`` (naming the field).
    """
    try:
        obj = json.loads(data)
    except UnicodeDecodeError as exc:
        raise ScannerInputError("not_json", path=where, detail=f"not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        detail = f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise ScannerInputError("not_json", path=where, detail=detail) from exc
    try:
        return ProofBundle.from_json(obj)
    except ProofBundleFormatError as exc:
        raise ScannerInputError("not_a_bundle", where=where, field=exc.field, reason=exc.reason) from exc


def decode_qr(data: bytes, where: str) -> str:
    """The text of the one QR code in an image (several identical codes count as one).

    Raises:
        ScannerInputError: ``not_an_image``, ``no_qr_code`` or ``several_qr_codes``.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            gray = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ScannerInputError("not_an_image", path=where, detail=exc) from exc
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    texts = list(dict.fromkeys(str(code.text) for code in found if code.valid))
    if not texts:
        raise ScannerInputError("no_qr_code", path=where)
    if len(texts) > 1:
        raise ScannerInputError("several_qr_codes", path=where, count=len(texts))
    return texts[0]


def _base(uri: str) -> str:
    """Scheme, host and the path before the GTIN: where the platform that issued ``uri`` answers."""
    parts = urlsplit(uri)
    segments = parts.path.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()
    start = next(i for i, s in enumerate(segments) if s in ("01", "gtin") and (len(segments) - i) % 2 == 0)
    prefix = "".join("/" + s for s in segments[:start])
    return f"{parts.scheme}://{parts.netloc}{prefix}"


def _detail(response: httpx.Response) -> str:
    """The problem's ``detail`` (RFC 9457), else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return response.text[:200]


def _get(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> httpx.Response:
    try:
        return client.get(url, params=params)
    except httpx.TimeoutException as exc:
        raise ScannerInputError("platform_timeout", url=url, seconds=client.timeout.read) from exc
    except httpx.HTTPError as exc:
        raise ScannerInputError("platform_unreachable", url=url, detail=str(exc) or type(exc).__name__) from exc


def fetch_bundle(uri: str, *, kind: SourceKind = "uri", given: str | None = None, timeout: float = 10.0) -> Source:
    """Resolve a product's Digital Link on its platform and fetch its proof bundle.

    Raises:
        ScannerInputError: Not a GTIN Digital Link, the platform unreachable or refusing, the code never issued
            there, no bundle, or an answer that is not a bundle.
    """
    where = given if kind == "image" and given is not None else uri
    try:
        link = parse_digital_link(uri)
    except DigitalLinkError as exc:
        raise ScannerInputError("not_a_digital_link", where=where, detail=exc) from exc
    if link.key_ai != "01":
        raise ScannerInputError("not_a_product_code", uri=uri)
    requested = identifier_node(link.to_uri())
    base = _base(uri)
    notices: list[Notice] = []
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    with httpx.Client(timeout=timeout, headers=headers, follow_redirects=True) as client:
        resolved = _get(client, uri)
        if resolved.status_code == 404:
            raise ScannerInputError("not_issued", host=urlsplit(uri).netloc, uri=uri, detail=_detail(resolved))
        if resolved.status_code == 410:
            notices.append(Notice("recalled", {"detail": _detail(resolved)}))
        elif resolved.status_code >= 400:
            raise ScannerInputError("platform_refused", url=uri, status=resolved.status_code, detail=_detail(resolved))
        answer = _get(client, base + "/bundles", {"id": requested})
    url = str(answer.url)
    if answer.status_code == 404:
        raise ScannerInputError("no_bundle", url=url, detail=_detail(answer))
    if answer.status_code == 410:
        raise ScannerInputError("bundle_gone", url=url, detail=_detail(answer))
    if answer.status_code != 200:
        raise ScannerInputError("platform_refused", url=url, status=answer.status_code, detail=_detail(answer))
    content_type = answer.headers.get("content-type", "no content type")
    if "json" not in content_type:
        raise ScannerInputError("platform_not_json", url=url, content_type=content_type, detail=answer.text[:80])
    try:
        bundle = read_bundle(answer.content, url)
    except ScannerInputError as exc:
        if exc.code != "not_json":
            raise
        raise ScannerInputError(
            "platform_not_json", url=url, content_type=content_type, detail=exc.params["detail"]
        ) from exc
    if answer.headers.get(TRUNCATED_HEADER, "").lower() == "true":
        notices.append(Notice("truncated", {"url": url}))
    return Source(kind, given or uri, bundle, uri, requested, url, tuple(notices))
