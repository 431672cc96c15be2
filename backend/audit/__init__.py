"""The regulator's audit runner: the chain read directly (``chain``), the platform only over HTTP (its export).

It trusts neither the platform's database nor its word. :func:`run_audit` replays the registry's history from the
deployment block into a mirror, streams the platform's authenticated export (``GET /export/...``), runs the checks of
:mod:`supplychain.audit` (in worker processes), writes a JSON and an HTML report, and keeps a state file so that the
next run continues from the last audited block and record. ``supplychain audit`` is its command line.

The names below are loaded on first use: the worker processes import only ``backend.audit.worker``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.audit.errors import AuditAuthError, AuditError, AuditStateFileError, AuditUnavailableError
    from backend.audit.html import render_html
    from backend.audit.report import AuditReport
    from backend.audit.runner import AuditOptions, run_audit, write_reports

__all__ = [
    "AuditAuthError",
    "AuditError",
    "AuditOptions",
    "AuditReport",
    "AuditStateFileError",
    "AuditUnavailableError",
    "render_html",
    "run_audit",
    "write_reports",
]
_HOMES = {
    "AuditAuthError": "errors",
    "AuditError": "errors",
    "AuditStateFileError": "errors",
    "AuditUnavailableError": "errors",
    "render_html": "html",
    "AuditReport": "report",
    "AuditOptions": "runner",
    "run_audit": "runner",
    "write_reports": "runner",
}


def __getattr__(name: str) -> Any:
    """Load the public names lazily (see the module docstring)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'backend.audit' has no attribute {name!r}")
    return getattr(importlib.import_module(f"backend.audit.{home}"), name)
