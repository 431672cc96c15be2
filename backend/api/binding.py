"""The EPCIS 2.0 REST binding's discovery headers (``OPTIONS``) and version headers, shared by the routes that
follow the binding (``/capture``, ``/capture/{captureID}``, ``/events``, ``/events/{eventID}``, ``/``).

Values come from the platform's real limits: ``GS1-EPCIS-Capture-Limit`` is the EPCIS parser's event limit
(:class:`supplychain.epcis.Limits`), ``GS1-EPCIS-Capture-File-Size-Limit`` the body limit of the route
(:class:`backend.api.limits.EdgeLimits`, from the settings).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header
from fastapi.responses import Response

from backend.core.errors import P_, ProblemError, quoted
from backend.services.capture import ERROR_BEHAVIOURS

__all__ = [
    "CBV_VERSION",
    "EPCIS_VERSION",
    "VENDOR_VERSION",
    "VERSION_HEADERS",
    "check_versions",
    "discovery_doc",
    "discovery_response",
    "too_large_doc",
    "version_header_docs",
]

VENDOR_VERSION = "supplychain-0.1.0"
"""``GS1-Vendor-Version``: the platform's name and version (``pyproject.toml``, the OpenAPI ``info.version``)."""
EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
VERSION_HEADERS = {"GS1-EPCIS-Version": EPCIS_VERSION, "GS1-CBV-Version": CBV_VERSION}
"""Sent with every answer of a binding route that carries EPCIS data."""

_HEADER_TEXT = {
    "Allow": "The methods the resource supports",
    "GS1-EPCIS-Version": "The EPCIS version used (2.0.0)",
    "GS1-EPCIS-Min": "The lowest EPCIS version supported (2.0.0)",
    "GS1-EPCIS-Max": "The highest EPCIS version supported (2.0.0)",
    "GS1-CBV-Version": "The CBV version used (2.0.0)",
    "GS1-CBV-Min": "The lowest CBV version supported (2.0.0)",
    "GS1-CBV-Max": "The highest CBV version supported (2.0.0)",
    "GS1-EPC-Format": "`Never_Translates`: events are stored and served as received (URNs or Digital Links)",
    "GS1-CBV-XML-Format": "`Never_Translates`: CBV values are served as received",
    "GS1-Vendor-Version": "The platform's version",
    "GS1-EPCIS-Capture-Limit": "The most events one POST captures",
    "GS1-EPCIS-Capture-File-Size-Limit": "The largest body one POST may have (bytes)",
    "GS1-Capture-Error-Behaviour": "`all`: both `rollback` (the default) and `proceed` are supported",
}


def _headers(allow: str, *, max_events: int | None, max_bytes: int | None) -> dict[str, str]:
    headers = {
        "Allow": allow,
        "GS1-EPCIS-Version": EPCIS_VERSION,
        "GS1-EPCIS-Min": EPCIS_VERSION,
        "GS1-EPCIS-Max": EPCIS_VERSION,
        "GS1-CBV-Version": CBV_VERSION,
        "GS1-CBV-Min": CBV_VERSION,
        "GS1-CBV-Max": CBV_VERSION,
        "GS1-EPC-Format": "Never_Translates",
        "GS1-CBV-XML-Format": "Never_Translates",
        "GS1-Vendor-Version": VENDOR_VERSION,
    }
    if max_events is not None and max_bytes is not None:
        headers["GS1-EPCIS-Capture-Limit"] = str(max_events)
        headers["GS1-EPCIS-Capture-File-Size-Limit"] = str(max_bytes)
        headers["GS1-Capture-Error-Behaviour"] = "all" if len(ERROR_BEHAVIOURS) > 1 else ERROR_BEHAVIOURS[0]
    return headers


def discovery_response(
    allow: str,
    *,
    max_events: int | None = None,
    max_bytes: int | None = None,
    extra: dict[str, str] | None = None,
) -> Response:
    """The binding's ``204`` answer to ``OPTIONS``: ``Allow`` and the version headers; for a capture resource also
    ``GS1-EPCIS-Capture-Limit``, ``GS1-EPCIS-Capture-File-Size-Limit`` and ``GS1-Capture-Error-Behaviour``."""
    headers = _headers(allow, max_events=max_events, max_bytes=max_bytes) | (extra or {})
    return Response(status_code=204, headers=headers)


def _header_docs(names: list[str]) -> dict[str, Any]:
    return {name: {"description": _HEADER_TEXT.get(name, name), "schema": {"type": "string"}} for name in names}


def discovery_doc(allow: str, *, capture: bool = False, extra: dict[str, str] | None = None) -> dict[int | str, Any]:
    """The OpenAPI ``responses`` of a discovery ``OPTIONS``: a ``204`` with its headers documented."""
    names = [n for n in _HEADER_TEXT if capture or not n.startswith(("GS1-EPCIS-Capture", "GS1-Capture"))]
    headers = _header_docs(names)
    headers["Allow"]["schema"] = {"type": "string", "example": allow}
    for name, text in (extra or {}).items():
        headers[name] = {"description": text, "schema": {"type": "string"}}
    return {204: {"description": "The resource's capabilities, in headers (no body)", "headers": headers}}


def too_large_doc() -> dict[str, Any]:
    """The OpenAPI ``413`` of a capture route: the binding's limit headers with our problem."""
    return {
        "description": "Too large (bytes) or too many events: the limits are in the headers, as in the binding",
        "headers": _header_docs(["GS1-EPCIS-Capture-Limit", "GS1-EPCIS-Capture-File-Size-Limit"]),
        "content": {"application/problem+json": {}},
    }


def version_header_docs() -> dict[str, Any]:
    """The OpenAPI ``headers`` of an answer carrying ``GS1-EPCIS-Version`` and ``GS1-CBV-Version``."""
    return _header_docs(list(VERSION_HEADERS))


def check_versions(epcis: str | None, cbv: str | None) -> None:
    """Refuse a ``GS1-EPCIS-Version`` or ``GS1-CBV-Version`` request header other than 2.0 or 2.0.x.

    Raises:
        ProblemError: ``unsupported-version`` (400) naming the header.
    """
    for name, value in (("GS1-EPCIS-Version", epcis), ("GS1-CBV-Version", cbv)):
        if value is None:
            continue
        parts = value.strip().split(".")
        if not (2 <= len(parts) <= 3 and parts[:2] == ["2", "0"] and all(p.isdigit() for p in parts)):
            raise ProblemError(
                P_("{header}: only EPCIS and CBV 2.0 are read here, not {value}", header=name, value=quoted(value, 40)),
                code="unsupported-version",
                header=name,
            )


def _requested_versions(
    gs1_epcis_version: Annotated[
        str | None, Header(alias="GS1-EPCIS-Version", description="Only 2.0 or 2.0.x is accepted")
    ] = None,
    gs1_cbv_version: Annotated[
        str | None, Header(alias="GS1-CBV-Version", description="Only 2.0 or 2.0.x is accepted")
    ] = None,
) -> None:
    check_versions(gs1_epcis_version, gs1_cbv_version)


VERSIONS_CHECKED = Depends(_requested_versions)
"""The capture routes' dependency on the request's ``GS1-EPCIS-Version`` and ``GS1-CBV-Version`` headers, declared
once: documented in OpenAPI, refused by :func:`check_versions` when not 2.0 or 2.0.x."""
