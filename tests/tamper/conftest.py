"""The tamper suite's world (one per session) and its table in the terminal summary.

Each case's test records what both tools said in its report's ``user_properties`` (they travel from pytest-xdist's
workers to the controller), and :func:`pytest_terminal_summary` prints cases × caught and the false findings on
clean stores from them, so ``make test``'s output carries the figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.chains import node_modules_ready
from tests.tamper.world import RECORD, World, start_tamper_world


@pytest.fixture(scope="session")
def tamper_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The clean world, built once; each case restores it (the SQLite file copied back, the chain reverted)."""
    if not node_modules_ready():
        pytest.fail("hardhat-local/node_modules is missing: run `make test` (it runs `npm ci`)")
    world = start_tamper_world(tmp_path_factory.mktemp("tamper"))
    try:
        yield world
    finally:
        world.close()


def _verdict(tool: dict[str, Any], clean: bool) -> str:
    """``clean`` / ``FALSE FINDING`` on a clean store; else ``caught`` (codes and a non-zero exit), ``noted`` (codes
    under a pass verdict) or ``MISSED`` (nothing)."""
    said = bool(tool["codes"]) or tool["exit"] != 0
    if clean:
        return "FALSE FINDING" if said else "clean"
    if tool["codes"] and tool["exit"] != 0:
        return "caught"
    return "noted" if said else "MISSED"


def _cell(tool: dict[str, Any] | None, expected: dict[str, Any] | None, clean: bool) -> str:
    if tool is None:
        return "n/a"
    shown = f"{_verdict(tool, clean)} (exit {tool['exit']}: {' '.join(tool['codes']) or '-'})"
    return shown if tool == expected else shown + " [NOT AS EXPECTED]"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the table of the cases that ran: per tool caught / noted / missed, gaps, false findings."""
    records = [
        json.loads(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == RECORD
    ]
    if not records:
        return
    records.sort(key=lambda r: r["order"])
    write = terminalreporter.write_line
    terminalreporter.section("tamper suite (issue 13 item 9): cases x caught")
    width = max(len(r["id"]) for r in records)
    write(f"{'case':<{width}}  {'kind':<9}  {'audit (supplychain audit)':<58}  scanner (scanner verify)")
    for r in records:
        clean = r["kind"] == "clean"
        audit, scanner = (_cell(r[t], r["expected"][t], clean) for t in ("audit", "scanner"))
        write(f"{r['id']:<{width}}  {r['kind']:<9}  {audit:<58}  {scanner}" + ("  [GAP]" if r["gap"] else ""))
    tampered = [r for r in records if r["kind"] != "clean"]
    write(f"{len(records)} cases: {len(records) - len(tampered)} clean, {len(tampered)} tampered")
    for tool in ("audit", "scanner"):
        verdicts = [_verdict(r[tool], False) for r in tampered if r[tool] is not None]
        counts = ", ".join(f"{v} {verdicts.count(v)}" for v in ("caught", "noted", "MISSED"))
        write(f"{tool}: of {len(verdicts)} tampered cases it applies to: {counts}")
    clean_runs = [(r["id"], r[t]) for r in records if r["kind"] == "clean" for t in ("audit", "scanner") if r[t]]
    false = [
        f"{case}: exit {tool['exit']} {tool['codes']}" for case, tool in clean_runs if _verdict(tool, True) != "clean"
    ]
    write(f"false findings on clean stores: {len(false)} of {len(clean_runs)} tool runs (must be 0)")
    for line in false:
        write(f"  {line}")
    gaps = [r for r in records if r["gap"]]
    write(f"expected gaps (not caught today, asserted as they are): {len(gaps)}")
    for r in gaps:
        write(f"  {r['id']}: {r['gap']}")
