"""The scanner depends on chain and supplychain only (docs/architecture.md: ``scanner → chain, supplychain``): it never
imports the platform, not even indirectly, so a consumer can verify without anything of the backend installed."""

from __future__ import annotations

import subprocess
import sys

from tests.test_layering import ROOT, _hits, _imports


def test_scanner_imports_nothing_from_backend() -> None:
    bad = {f: _hits(n, {"backend"}) for f, n in _imports("scanner").items()}
    assert {f: h for f, h in bad.items() if h} == {}
    assert any(path.startswith("scanner/") for path in _imports("scanner"))  # the package was walked


def test_importing_the_scanner_loads_no_backend_module() -> None:
    code = (
        "import sys, pkgutil, importlib, scanner\n"
        "for m in pkgutil.walk_packages(scanner.__path__, 'scanner.'):\n"
        "    if m.name != 'scanner.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {'backend', 'fastapi', 'sqlmodel'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""
