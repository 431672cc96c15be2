"""``supplychain bench chain`` and ``bench gas``: transactions per second and gas per registry function."""

from __future__ import annotations

import time
from pathlib import Path
from tempfile import TemporaryDirectory

from rich.table import Table

from benchmarks.common import console
from chain.accounts import dev_account
from chain.connection import TESTER_URL, connect
from chain.deploy import deploy_registry
from chain.devchain import ENGINES, start_node, stop_node
from chain.registry import ANCHOR_GAS, ROLE_ANCHORER, Registry, TxResult
from supplychain.registry import BusinessRole, Grade, Level, ReasonCode, RecognitionKind, Scope
from supplychain.registry import events as ev

__all__ = ["bench_chain", "bench_gas", "measure_gas", "measure_tx_rate"]


def _fresh_registry(url: str) -> Registry:
    chain = connect(url)
    regulator = dev_account("regulator").account
    registry = Registry(chain, deploy_registry(chain, regulator))
    registry.as_signer(regulator).grant_role(ROLE_ANCHORER, dev_account("anchorer").address)
    return registry


def measure_tx_rate(url: str, count: int) -> dict[str, float]:
    """Anchor ``count`` roots one after another, then ``count`` more pipelined (all sent, then all awaited)."""
    registry = _fresh_registry(url)
    anchorer = registry.as_signer(dev_account("anchorer").account)
    start = time.perf_counter()
    for i in range(count):
        anchorer.anchor_root((1_000_000 + i).to_bytes(32, "big"), 1000)
    sequential = count / (time.perf_counter() - start)
    start = time.perf_counter()
    pending = [
        anchorer.submit("anchorRoot", (2_000_000 + i).to_bytes(32, "big"), 1000, gas=ANCHOR_GAS) for i in range(count)
    ]
    for p in pending:
        anchorer.wait(p)
    pipelined = count / (time.perf_counter() - start)
    return {"sequential_tx_per_s": sequential, "pipelined_tx_per_s": pipelined}


def measure_gas(url: str) -> list[tuple[str, int]]:
    """Gas used by each registry function, on a fresh registry."""
    registry = _fresh_registry(url)
    reg = registry.as_signer(dev_account("regulator").account)
    cert = registry.as_signer(dev_account("provincial-certifier").account)
    anchorer = registry.as_signer(dev_account("anchorer").account)
    rows: list[tuple[str, int]] = [("deploy (TraceRegistry)", _deploy_gas(registry))]

    def row(name: str, result: TxResult) -> None:
        rows.append((name, result.receipt.gas_used))

    city = dev_account("city-certifier").address
    row("registerCertifier", reg.register_certifier(dev_account("provincial-certifier").address, 2))
    row("registerCertifier (city)", reg.register_certifier(city, 1))
    row("removeCertifier", reg.remove_certifier(city))
    row("grantRole (anchorer)", reg.grant_role(ROLE_ANCHORER, dev_account("stranger").address))
    org, key1, key2, key3 = "6901234000016", b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    row("registerOrganisation", reg.register_organisation(org, BusinessRole.MANUFACTURER, profile_hash=b"\x07" * 32))
    row("updateOrganisation", reg.update_organisation(org, BusinessRole.MANUFACTURER | BusinessRole.SUPPLIER))
    row("suspendOrganisation", reg.suspend_organisation(org, ReasonCode.DATA_FALSIFIED))
    row("reinstateOrganisation", reg.reinstate_organisation(org, ReasonCode.RECTIFIED))
    row("addKey", reg.add_key(org, key1))
    row("rotateKey", reg.rotate_key(key1, key2, ReasonCode.KEY_ROTATION))
    reg.add_key(org, key3)
    row("revokeKey", reg.revoke_key(key3, ReasonCode.KEY_COMPROMISED))
    now = registry.chain.block_timestamp()
    terms = ev.RecognitionTerms(
        org,
        RecognitionKind.GREEN_FACTORY,
        Level.PROVINCIAL,
        Grade.NONE,
        Scope.FACILITY,
        "6901234000047",
        "GB/T 36132-2018",
        now,
        now + 10**8,
        b"\x09" * 32,
    )
    rid, result = cert.issue_recognition(terms)
    row("issueRecognition", result)
    row("suspendRecognition", cert.suspend_recognition(rid, ReasonCode.SPOT_CHECK_FAILED))
    row("reinstateRecognition", cert.reinstate_recognition(rid, ReasonCode.RECTIFIED))
    row("recordSpotCheck (pass)", reg.record_spot_check(rid, passed=True, report_hash=b"\x0a" * 32))
    reg.record_spot_check(rid, passed=True, report_hash=b"\x0b" * 32)
    row("recordSpotCheck (3rd pass: exemption)", reg.record_spot_check(rid, passed=True, report_hash=b"\x0c" * 32))
    row("revokeRecognition", reg.revoke_recognition(rid, ReasonCode.DATA_FALSIFIED))
    rows.extend(_prefix_gas(registry, org))
    _, first = anchorer.anchor_root(b"\x10" * 32, 10_000)
    row("anchorRoot (first)", first)
    _, later = anchorer.anchor_root(b"\x11" * 32, 10_000)
    row("anchorRoot (later, 10,000 leaves)", later)
    rows.append(("  = gas per event at 10,000 leaves", later.receipt.gas_used // 10_000))
    return rows


def _prefix_gas(registry: Registry, org: str) -> list[tuple[str, int]]:
    """Gas of the GS1 registrar's functions; the overlap check's cost grows with the prefix's length."""
    reg = registry.as_signer(dev_account("regulator").account)
    other = "6901234000030"
    reg.register_organisation(other, BusinessRole.MANUFACTURER)
    rows = [("registerRegistrar", reg.register_registrar(dev_account("gs1-registrar").address).receipt.gas_used)]
    gs1 = registry.as_signer(dev_account("gs1-registrar").account)

    def gas(result: TxResult) -> int:
        return result.receipt.gas_used

    rows.append(("assignPrefix (4 digits)", gas(gs1.assign_prefix("6800", org))))
    rows.append(("assignPrefix (7 digits)", gas(gs1.assign_prefix("6901234", org))))
    rows.append(("assignPrefix (9 digits, its shorter ones counted already)", gas(gs1.assign_prefix("690123500", org))))
    rows.append(("assignPrefix (12 digits)", gas(gs1.assign_prefix("691234567890", org))))
    rows.append(("transferPrefix", gas(gs1.transfer_prefix("6901234", other))))
    rows.append(("renewPrefix", gas(gs1.renew_prefix("6800", valid_until=4_000_000_000))))
    first, last = "06901234000108", "06901234009903"  # the range 00010-00990 of 6901234
    _, single = gs1.delegate_gtins(first, org, request_hash=b"\x5a" * 32)
    rows.append(("delegateGtins (one GTIN)", gas(single)))
    _, ranged = gs1.delegate_gtins(first, org, last_gtin=last, request_hash=b"\x5b" * 32)
    rows.append(("delegateGtins (a range)", gas(ranged)))
    rows.append(("revokeDelegation", gas(gs1.revoke_delegation(1, ReasonCode.CONTRACT_ENDED))))
    rows.append(("revokePrefix (7 digits)", gas(gs1.revoke_prefix("6901234", ReasonCode.LICENCE_LAPSED))))
    rows.append(("revokePrefix (12 digits)", gas(gs1.revoke_prefix("691234567890", ReasonCode.LICENCE_LAPSED))))
    rows.append(("removeRegistrar", gas(reg.remove_registrar(dev_account("gs1-registrar").address))))
    return rows


def _deploy_gas(registry: Registry) -> int:
    return registry.chain.gas_used(registry.deployment.tx_hash)


def bench_chain(engine: str, count: int) -> dict[str, float]:
    """:func:`measure_tx_rate` on a node of ``engine`` started here (or the in-process chain, ``tester``); printed.

    Raises:
        ValueError: an unknown engine.
    """
    with TemporaryDirectory() as tmp:
        if engine == TESTER_URL:
            figures = measure_tx_rate(TESTER_URL, count)
        elif engine in ENGINES:
            record, process = start_node(engine, log_path=Path(tmp) / "node.log")
            try:
                figures = measure_tx_rate(record.url, count)
            finally:
                stop_node(record.pid, process=process)
        else:
            raise ValueError(f"unknown engine {engine!r}: choose among {', '.join(ENGINES)} or {TESTER_URL}")
    console.print(
        f"{engine}: {figures['sequential_tx_per_s']:.0f} tx/s one after another, "
        f"{figures['pipelined_tx_per_s']:.0f} tx/s pipelined ({count} anchorRoot transactions each)"
    )
    return figures


def bench_gas() -> list[tuple[str, int]]:
    """:func:`measure_gas` on the in-process chain, printed as a table."""
    rows = measure_gas(TESTER_URL)
    table = Table(title="Gas per registry function")
    table.add_column("function")
    table.add_column("gas used", justify="right")
    for name, gas in rows:
        table.add_row(name, f"{gas:,}")
    console.print(table)
    return rows
