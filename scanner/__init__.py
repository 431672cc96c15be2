"""The consumer-side verifier: trusts the chain, not the platform.

``scanner verify INPUT`` takes a photo of a product's QR code (decoded with zxing-cpp), its GS1 Digital Link (the
bundle is fetched from the platform that issued it) or a proof bundle file; reads the registry's whole history from
a node of the chain (``--rpc``) at the registry the user trusts (``--registry``); and verifies with the core's
:func:`supplychain.verify.verify_bundle`: every Event Hash ID recomputed, every signature, every key and
organisation as it stood at the event time, every Merkle proof against a root anchored on chain. Dependencies:
:mod:`chain` and :mod:`supplychain`, never the backend.

- :mod:`scanner.source`: QR image, Digital Link or file → :class:`~scanner.source.Source` (the bundle).
- :mod:`scanner.chainread`: the node and the registry's history → a registry mirror.
- :mod:`scanner.scan`: :func:`~scanner.scan.scan` → :class:`~scanner.scan.ScanResult` (verdict, warnings, timings).
- :mod:`scanner.report`: the terminal report (zh / en) and the JSON one; :mod:`scanner.cli`: the command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.errors import Notice, ScannerInputError
    from scanner.scan import ScanResult, scan, verify_source
    from scanner.source import Source, load_source

__all__ = ["Notice", "ScanResult", "ScannerInputError", "Source", "load_source", "scan", "verify_source"]

_HOMES = {
    "Notice": "scanner.errors",
    "ScannerInputError": "scanner.errors",
    "ScanResult": "scanner.scan",
    "scan": "scanner.scan",
    "verify_source": "scanner.scan",
    "Source": "scanner.source",
    "load_source": "scanner.source",
}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (``scanner --help`` need not load web3)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'scanner' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
