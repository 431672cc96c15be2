"""Trust anchors: the registries the user trusts, one per chain, pinned outside anything the platform serves.

A proof bundle names its chain and registry, but a platform (or whoever forged the bundle) can deploy a registry of
its own making and name it: the scanner verifies against a registry the user pinned, from (first match wins)

1. ``--registry ADDRESS`` (or the ``SCANNER_REGISTRY`` environment variable), optionally with ``--chain-id N``
   (``SCANNER_CHAIN_ID``): the node read must then be on chain N;
2. a trusted registries file, ``--trust-file PATH`` (``SCANNER_TRUST_FILE``), by default
   ``$XDG_CONFIG_HOME/supplychain/registries.toml`` (``~/.config/...``; used only when it exists), listing the
   registries the regulator published, one per chain id::

       [[registry]]
       chain_id = 31337
       address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
       name = "national traceability registry"   # optional, shown in the report

Without either, the scanner still checks everything against the bundle's own registry, but its verdict says the
registry was not pinned (``registry_not_pinned``) and it exits 1: it never trusts the platform's word for the
registry.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scanner.chainread import ADDRESS
from scanner.errors import ScannerInputError

__all__ = ["TRUST_FILE_NAME", "TrustedRegistry", "default_trust_file", "load_trust_file"]

TRUST_FILE_NAME = "registries.toml"
_MAX_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class TrustedRegistry:
    """A registry the user trusts on one chain.

    Attributes:
        chain_id: The chain.
        address: The registry's address there.
        name: What the file calls it, if anything.
    """

    chain_id: int
    address: str
    name: str | None = None


def default_trust_file() -> Path:
    """``$XDG_CONFIG_HOME/supplychain/registries.toml`` (``~/.config`` when the variable is unset or empty)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "supplychain" / TRUST_FILE_NAME


def _entry(item: object, where: str) -> TrustedRegistry:
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: expected a table with chain_id and address")
    unknown = sorted(set(item) - {"chain_id", "address", "name"})
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r}; expected chain_id, address, name")
    chain_id, address, name = item.get("chain_id"), item.get("address"), item.get("name")
    if type(chain_id) is not int or chain_id < 0:
        raise ValueError(f"{where}.chain_id: expected a non-negative integer, got {chain_id!r:.40}")
    if not isinstance(address, str) or ADDRESS.fullmatch(address) is None:
        raise ValueError(f"{where}.address: expected 0x and 40 hex digits, got {address!r:.60}")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"{where}.name: expected a string")
    return TrustedRegistry(chain_id, address, name)


def load_trust_file(path: Path, *, explicit: bool) -> dict[int, TrustedRegistry]:
    """The registries ``path`` pins, by chain id; nothing when the default file does not exist.

    Raises:
        ScannerInputError: ``bad_trust_file``: a file given explicitly is missing, or a file is unreadable, not
            TOML, too large, or an entry is wrong (naming it), or two entries pin one chain to two addresses.
    """
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise ScannerInputError("bad_trust_file", path=path, detail=f"larger than {_MAX_BYTES} bytes")
        data = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit:
            raise ScannerInputError("bad_trust_file", path=path, detail="no such file") from None
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ScannerInputError("bad_trust_file", path=path, detail=exc) from exc
    try:
        doc = tomllib.loads(data)
        items = doc.get("registry", [])
        unknown = sorted(set(doc) - {"registry"})
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r}; expected [[registry]] tables")
        if not isinstance(items, list):
            raise ValueError("registry: expected [[registry]] tables")
        pinned: dict[int, TrustedRegistry] = {}
        for i, item in enumerate(items):
            entry = _entry(item, f"registry[{i}]")
            known = pinned.get(entry.chain_id)
            if known is not None and known.address.lower() != entry.address.lower():
                raise ValueError(f"registry[{i}]: chain {entry.chain_id} is pinned to two addresses")
            pinned.setdefault(entry.chain_id, entry)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ScannerInputError("bad_trust_file", path=path, detail=exc) from exc
    return pinned
