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
from tests.tamper.world import World, start_tamper_world

#: The ``user_properties`` key of a case's record.
RECORD = "tamper-case"


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


def _mark(tool: dict[str, Any] | None, expected: dict[str, Any] | None, clean: bool) -> str:
    if tool is None:
        return "n/a"
    codes = " ".join(tool["codes"]) or "-"
    if clean:
        verdict = "clean" if not tool["codes"] and tool["exit"] == 0 else "FALSE FINDING"
    elif tool["codes"] and tool["exit"] != 0:
        verdict = "caught"
    elif tool["codes"] or tool["exit"] != 0:
        verdict = "noted"  # a finding under a pass verdict, or a bare non-zero exit
    else:
        verdict = "MISSED"
    shown = f"{verdict} (exit {tool['exit']}: {codes})"
    return shown if expected is None or tool == expected else shown + " [not as expected]"


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
    write(f"{'case':<{width}}  {'kind':<9}  {'audit':<58}  scanner")
    for r in records:
        clean = r["kind"] == "clean"
        audit = _mark(r["audit"], r["expected"]["audit"], clean)
        scanner = _mark(r["scanner"], r["expected"]["scanner"], clean)
        write(f"{r['id']:<{width}}  {r['kind']:<9}  {audit:<58}  {scanner}" + ("  [GAP]" if r["gap"] else ""))
    for tool in ("audit", "scanner"):
        ran = [r for r in records if r[tool] is not None and r["kind"] != "clean"]
        caught = sum(1 for r in ran if r[tool]["codes"] and r[tool]["exit"] != 0)
        noted = sum(1 for r in ran if bool(r[tool]["codes"]) != (r[tool]["exit"] != 0) or (
            r[tool]["codes"] and r[tool]["exit"] == 0))  # fmt: skip
        write(f"{tool}: caught {caught} of {len(ran)} tampered cases it applies to, noted under a pass {noted}")
    clean = [r for r in records if r["kind"] == "clean"]
    false = sum(len(r[t]["codes"]) + (r[t]["exit"] != 0) for r in clean for t in ("audit", "scanner") if r[t])
    write(f"false findings on clean stores: {false} (over {len(clean)} clean cases, both tools; must be 0)")
    gaps = [r for r in records if r["gap"]]
    write(f"expected gaps (not caught today): {len(gaps)}")
    for r in gaps:
        write(f"  {r['id']}: {r['gap']}")
