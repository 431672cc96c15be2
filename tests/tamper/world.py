"""The tamper suite's world and how both tools are run on it.

One clean world per test session (:func:`start_tamper_world`): the audit tests' world (:mod:`tests.backend.audit_world`:
the cast on a real anvil node, the platform served by uvicorn over real HTTP with its SQLite store, the clean
history of the supplier's lot and three serials S1..S3, anchored) with its history anchored after its last event
and QR codes issued for the serials the cases scan. Each case starts from it again (:meth:`World.restore`: the SQLite
file copied back, the chain reverted to its snapshot), tampers, then runs

- the regulator's audit: ``supplychain audit --json --registry … --rpc <node> --platform <server> --token …
  --state <file> --workers 0`` through its typer app, in this process (:func:`backend.audit.run_audit` over HTTP and
  the node); each case has its own state file, and a case may run the audit once before tampering to test a
  continued run;
- the consumer's scanner: ``scanner verify <input> --json --rpc <node> [--registry <the registry>]`` through its
  typer app, in this process. The input is the serial's Digital Link on the platform (resolved, and its bundle
  fetched, over HTTP) unless the case edits the bundle: then the bundle fetched over HTTP, edited, saved to a file.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from chain.accounts import dev_account
from chain.deploy import Deployment
from cli.main import app as supplychain_app
from scanner.cli import app as scanner_app
from tests.backend.audit_world import GTIN, World, serial, start_world
from tests.chains import MANUFACTURER

__all__ = ["FORGERY", "ISSUED", "RECORD", "Outcome", "Scene", "World", "outcome", "start_tamper_world"]

#: The ``user_properties`` key of a case's record (what both tools said), for the terminal summary.
RECORD = "tamper-case"

#: Serials with a QR code issued by the platform (the scanner resolves their Digital Links), by lot (S3 is coded with
#: the lot its commissioning names; the others without a lot).
ISSUED: dict[str | None, tuple[str, ...]] = {None: ("S1", "S2", "E1", "E2", "K1"), "P-LOT": ("S3",)}
_runner = CliRunner()

#: The forged registry of the session's world (``"deployment"``): deployed by a stranger before the clean history,
#: with the cast and the organisations' public keys registered on it as on the real one.
FORGERY: dict[str, Deployment] = {}


def _prepare_forgery(world: World) -> None:
    """What a forger prepares in advance: a registry of its own, the same organisations, their (public) keys."""
    from chain.deploy import deploy_registry
    from chain.registry import Registry
    from tests.backend.audit_world import KEYS
    from tests.chains import cast

    forger = dev_account("stranger").account
    forged = Registry(world.chain, deploy_registry(world.chain, forger))
    writer = forged.as_signer(forger)
    cast(writer, prefixes=False)
    for org, key in KEYS.items():
        writer.add_key(org, key.public_key_bytes)
    FORGERY["deployment"] = forged.deployment


@dataclass(frozen=True)
class Outcome:
    """What a tool said: the codes it reported (audit: finding codes; scanner: failed and not-yet-made checks and
    warnings; ``unusable`` when it could not run) and its exit code."""

    codes: frozenset[str]
    exit_code: int

    @property
    def caught(self) -> bool:
        """The tool's verdict flags the case: a code and a non-zero exit (a finding under a pass verdict is not)."""
        return bool(self.codes) and self.exit_code != 0

    def __str__(self) -> str:
        return f"exit {self.exit_code} {{{', '.join(sorted(self.codes))}}}"


def outcome(exit_code: int, *codes: str) -> Outcome:
    """An expected outcome: the exit code, then every code, no more."""
    return Outcome(frozenset(codes), exit_code)


@dataclass
class Scene:
    """One case's stage: the world restored to its clean history, a folder of the case's own, and what the case
    sets up for the tools (a state file from an audit before the tampering, audit options, scanner input)."""

    world: World
    tmp: Path
    audit_args: list[str] = field(default_factory=list)
    serial: str = "S1"
    lot: str | None = None  # the lot in the Digital Link the scanner resolves
    registry: str | None = None  # the registry the scanner pins (None: the world's; "" : none)
    extra: dict[str, Any] = field(default_factory=dict)

    # --- acting on the world ---

    def sql(self, statement: str, **params: Any) -> None:
        """Change the platform's SQLite store behind its back."""
        self.world.execute(statement, **params)

    def audit_first(self) -> None:
        """Run the audit once before the tampering, keeping its state (the next run continues from it)."""
        first, detail = self.run_audit()
        assert first == Outcome(frozenset(), 0), detail

    def bundle(self, name: str | None = None) -> dict[str, Any]:
        """The proof bundle the platform serves for a serial, over HTTP."""
        answer = httpx.get(self.world.url + "/bundles", params={"id": serial(name or self.serial)}, timeout=30)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    # --- running the tools ---

    def run_audit(self) -> tuple[Outcome, str]:
        """``supplychain audit`` as the regulator runs it (the case's own state file: a second run continues)."""
        world = self.world
        args = ["audit", "--json", "--registry", world.registry.address, "--rpc", world.node.url]
        args += ["--platform", world.url, "--token", world.tokens["regulator"], "--workers", "0"]
        args += ["--state", str(self.tmp / "audit-state.json"), *self.audit_args]
        result = _runner.invoke(supplychain_app, args)
        if result.exit_code not in (0, 1):
            return Outcome(frozenset({"unusable"}), result.exit_code), result.output
        report = json.loads(result.stdout)
        detail = "; ".join(f"{f['code']}: {f['message']}" for f in report["findings"])
        return Outcome(frozenset(report["summary"]["byCode"]), result.exit_code), detail

    def run_scanner(self, bundle: dict[str, Any] | None) -> tuple[Outcome, str]:
        if bundle is None:
            lot = "" if self.lot is None else f"/10/{self.lot}"
            target = f"{self.world.url}/01/{GTIN}{lot}/21/{self.serial}"
        else:
            path = self.tmp / "bundle.json"
            path.write_text(json.dumps(bundle), encoding="utf-8")
            target = str(path)
        args = ["verify", target, "--json", "--rpc", self.world.node.url]
        pinned = self.world.registry.address if self.registry is None else self.registry
        if pinned:
            args += ["--registry", pinned]
        no_config = self.tmp / "no-config"  # no trusted registries of whoever runs the tests (file or environment)
        env = {"XDG_CONFIG_HOME": str(no_config), "SCANNER_REGISTRY": None, "SCANNER_TRUST_FILE": None}
        result = _runner.invoke(scanner_app, args, env=env)
        if result.exit_code not in (0, 1):
            return Outcome(frozenset({"unusable"}), result.exit_code), result.output
        report = json.loads(result.stdout)
        codes = set(report["failures"]) | {w["code"] for w in report["warnings"]}
        checks = [*report["checks"], *(c for e in report["events"] for c in e["checks"])]
        codes |= {c["code"] for c in checks if c["passed"] is None}
        return Outcome(frozenset(codes), result.exit_code), result.stdout


def start_tamper_world(tmp: Path) -> World:
    """The clean world of the suite (see the module docstring); close it with :meth:`World.close`."""
    world = start_world(tmp, "anvil", anchor_after_events=True, before_history=_prepare_forgery)
    try:
        for lot, serials in ISSUED.items():
            issued = httpx.post(
                world.url + "/qr/issue",
                json={"gtin": GTIN, "serials": list(serials)} | ({} if lot is None else {"lot": lot}),
                headers={"Authorization": f"Bearer {world.tokens[MANUFACTURER]}"},
                timeout=30,
            )
            assert issued.status_code == 201, issued.text
        source, copy = sqlite3.connect(world.db), sqlite3.connect(world.clean_db)  # the clean copy, with the codes
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
    except BaseException:
        world.close()
        raise
    return world
