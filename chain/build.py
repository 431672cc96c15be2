"""Compile ``contracts/`` with the pinned solc-js into the committed artifacts (``make contracts``).

Runtime code never compiles: it loads ``chain/artifacts/*.json`` (see :mod:`chain.artifacts`). This module is the
one place that knows the compiler settings; a test recompiles and fails when the committed artifacts are stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = ROOT / "contracts"
HARDHAT_DIR = ROOT / "hardhat-local"
SOLC_WRAPPER = HARDHAT_DIR / "bin" / "solc"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

#: The contracts whose artifacts are committed (the others are abstract building blocks).
DEPLOYABLE = ("TraceRegistry",)

SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 200},
    "metadata": {"bytecodeHash": "ipfs"},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata", "devdoc", "userdoc"]}
    },
}

log = logging.getLogger(__name__)


class BuildError(RuntimeError):
    """The contracts could not be compiled (compiler missing or compilation errors)."""


def source_files() -> list[Path]:
    """Every Solidity source under ``contracts/``, sorted."""
    return sorted(CONTRACTS_DIR.glob("*.sol"))


def sources_digest() -> str:
    """SHA-256 over the sources' names and contents and the compiler settings."""
    h = hashlib.sha256()
    for path in source_files():
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(json.dumps(SETTINGS, sort_keys=True).encode())
    return h.hexdigest()


def compile_contracts() -> dict[str, dict[str, Any]]:
    """Compile every source and return the artifact of each deployable contract, keyed by name."""
    import solcx  # build-time only
    import solcx.wrapper
    from solcx.exceptions import SolcError

    if not SOLC_WRAPPER.exists() or not (HARDHAT_DIR / "node_modules" / "solc").is_dir():
        raise BuildError(f"solc-js is not installed: run `npm ci` in {HARDHAT_DIR}")
    sources = {f"contracts/{p.name}": {"content": p.read_text(encoding="utf-8")} for p in source_files()}
    input_json = {"language": "Solidity", "sources": sources, "settings": SETTINGS}
    try:
        output = solcx.compile_standard(input_json, solc_binary=SOLC_WRAPPER, base_path=ROOT)
    except SolcError as exc:
        raise BuildError(str(exc)) from exc
    version = str(solcx.wrapper.get_solc_version(SOLC_WRAPPER, with_commit_hash=True))
    digest = sources_digest()
    artifacts: dict[str, dict[str, Any]] = {}
    for name in DEPLOYABLE:
        out = output["contracts"][f"contracts/{name}.sol"][name]
        artifacts[name] = {
            "contractName": name,
            "sourceName": f"contracts/{name}.sol",
            "compiler": {"name": "solc-js", "version": version, "settings": SETTINGS},
            "sourcesSha256": digest,
            "abi": out["abi"],
            "bytecode": "0x" + out["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + out["evm"]["deployedBytecode"]["object"],
            "metadata": out["metadata"],
            "devdoc": out["devdoc"],
            "userdoc": out["userdoc"],
        }
    return artifacts


def render(artifact: dict[str, Any]) -> str:
    """The artifact as committed: stable key order, two-space indent, trailing newline."""
    return json.dumps(artifact, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_artifacts(artifacts: dict[str, dict[str, Any]]) -> list[Path]:
    """Write the artifacts under ``chain/artifacts`` and return their paths."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in artifacts.items():
        path = ARTIFACTS_DIR / f"{name}.json"
        path.write_text(render(artifact), encoding="utf-8")
        written.append(path)
    return written


def main() -> int:
    """Entry point of ``python -m chain.build``."""
    try:
        artifacts = compile_contracts()
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in write_artifacts(artifacts):
        size = (len(artifacts[path.stem]["deployedBytecode"]) - 2) // 2
        print(f"wrote {path.relative_to(ROOT)} ({size} bytes deployed code)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
