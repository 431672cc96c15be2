"""The committed compiler output of the registry (``chain/artifacts/*.json``, made by ``make contracts``)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain.errors import DeploymentError

__all__ = ["ARTIFACTS_DIR", "Artifact", "load_artifact"]

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: ABI, creation and deployed bytecode, and the compiler that made them."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    compiler_version: str
    sources_sha256: str


@functools.cache
def load_artifact(name: str = "TraceRegistry") -> Artifact:
    """Load the committed artifact of contract ``name``.

    Raises:
        DeploymentError: no artifact of that name (run ``make contracts``).
    """
    path = ARTIFACTS_DIR / f"{name}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeploymentError(f"no compiled artifact {path}: run `make contracts`") from None
    return Artifact(
        name=raw["contractName"],
        abi=raw["abi"],
        bytecode=bytes.fromhex(raw["bytecode"][2:]),
        deployed_bytecode=bytes.fromhex(raw["deployedBytecode"][2:]),
        compiler_version=raw["compiler"]["version"],
        sources_sha256=raw["sourcesSha256"],
    )
