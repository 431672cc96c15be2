"""The one direction of dependency (docs/architecture.md): supplychain is pure, only chain imports web3; the command
line (``cli``) and the benchmarks (``benchmarks``) sit above everything and nothing imports them."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN_IN_CORE = {
    "web3",
    "eth_tester",
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "httpx",
    "requests",
    "socket",
    "urllib.request",
    "http",
    "asyncio",
    "subprocess",
    "solcx",
    "chain",
    "backend",
    "scanner",
    "sqlite3",
}


@functools.cache  # each package is parsed once per test process (the tests only read what it returns)
def _imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def _hits(names: set[str], forbidden: set[str]) -> set[str]:
    return {n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden)}


def test_core_imports_no_io_no_web3_and_nothing_of_ours() -> None:
    bad = {f: _hits(n, FORBIDDEN_IN_CORE) for f, n in _imports("supplychain").items()}
    assert {f: h for f, h in bad.items() if h} == {}


def test_only_chain_imports_web3() -> None:
    for package in ("supplychain", "backend", "scanner"):
        bad = {f: _hits(n, {"web3", "eth_tester", "eth_account"}) for f, n in _imports(package).items()}
        assert {f: h for f, h in bad.items() if h} == {}, package


def test_chain_does_not_import_backend_or_scanner() -> None:
    bad = {f: _hits(n, {"backend", "scanner"}) for f, n in _imports("chain").items()}
    assert {f: h for f, h in bad.items() if h} == {}


def test_importing_the_core_loads_no_io_module() -> None:
    code = (
        "import sys, pkgutil, importlib, supplychain\n"
        "for m in pkgutil.walk_packages(supplychain.__path__, 'supplychain.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'web3','eth_tester','fastapi','sqlmodel','sqlalchemy','httpx','requests','socket','chain','backend'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


def test_importing_the_audit_loads_no_database_module() -> None:
    """Beside tests/backend/test_audit.py's look at backend/audit's imports: what importing it really loads (with the
    synthetic store whose batches ``supplychain bench audit`` builds in the same worker processes)."""
    code = (
        "import sys, backend.audit as a\n"
        "a.run_audit, a.render_html, a.AuditReport\n"
        "import backend.audit.runner, backend.audit.worker, backend.audit.pool, benchmarks.synthetic\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy','sqlmodel','sqlite3','alembic'}\n"
        "             or m.startswith(('backend.core','backend.models','backend.services','backend.api')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


@functools.cache
def _module_level_imports(package: str) -> dict[str, set[str]]:
    """The imports each file runs when it is imported (not those inside functions, which run when called)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        todo: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"), filename=str(path))]
        while todo:
            node = todo.pop()
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                todo.extend(ast.iter_child_nodes(node))
        found[str(path.relative_to(ROOT))] = names
    return found


def test_no_package_imports_the_command_line_or_the_benchmarks() -> None:
    for package in ("supplychain", "chain", "backend", "scanner"):
        bad = {f: _hits(n, {"cli", "benchmarks"}) for f, n in _imports(package).items()}
        assert {f: h for f, h in bad.items() if h} == {}, package
    bad = {f: _hits(n, {"cli"}) for f, n in _imports("benchmarks").items()}
    assert {f: h for f, h in bad.items() if h} == {}, "benchmarks"


def test_the_command_line_imports_the_benchmarks_only_when_one_runs() -> None:
    lazily = {f: _hits(n, {"benchmarks"}) for f, n in _imports("cli").items()}
    assert {f for f, h in lazily.items() if h} == {"cli/bench_cmd.py"}  # the bench commands do import them
    eager = {f: _hits(n, {"benchmarks"}) for f, n in _module_level_imports("cli").items()}
    assert {f: h for f, h in eager.items() if h} == {}
    code = "import sys, cli.main\nprint(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'benchmarks')))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""
