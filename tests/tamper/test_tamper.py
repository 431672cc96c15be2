"""The tamper suite (issue 13, item 9): every case of :data:`tests.tamper.cases.CASES` on the clean world restored,
then the regulator's audit and the consumer's scanner run on the real things (SQLite, HTTP, anvil), each outcome
exactly as the table says: codes and exit code. The table itself is checked for what it must cover."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supplychain.audit import CODES
from supplychain.verify import FAILURE_CODES, INCOMPLETE_CODES
from tests.tamper.cases import CASES, Case, run_case
from tests.tamper.world import RECORD, Outcome, Scene, World

pytestmark = [pytest.mark.anvil, pytest.mark.xdist_group("tamper")]

#: Scanner codes outside the verdict's two lists: its warnings and an input it could not use.
SCANNER_OTHER_CODES = {"registry_from_bundle", "unusable"}


def _json(outcome: Outcome | None) -> dict[str, Any] | None:
    return None if outcome is None else {"codes": sorted(outcome.codes), "exit": outcome.exit_code}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tamper_world: World, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    tamper_world.restore()
    observed = run_case(case, Scene(tamper_world, tmp_path))
    record = {
        "order": CASES.index(case),
        "id": case.id,
        "kind": case.kind,
        "gap": case.gap,
        "audit": _json(observed.audit),
        "scanner": _json(observed.scanner),
        "expected": {"audit": _json(case.audit), "scanner": _json(case.scanner)},
    }
    request.node.user_properties.append((RECORD, json.dumps(record)))
    assert observed.audit == case.audit, f"audit: {observed.audit}, expected {case.audit}: {observed.audit_detail}"
    assert observed.scanner == case.scanner, (
        f"scanner: {observed.scanner}, expected {case.scanner}: {observed.scanner_detail[:3000]}"
    )


def test_the_table_covers_both_tools_and_says_why_a_case_is_missed() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    kinds = {c.kind for c in CASES}
    assert {"clean", "store", "column", "export", "bundle", "chain", "continued", "trust", "damage"} <= kinds
    for case in CASES:
        assert case.audit is not None or case.scanner is not None, case.id
        if case.kind == "clean":
            assert {case.audit, case.scanner} - {None} == {Outcome(frozenset(), 0)} and case.gap is None, case.id
            continue
        ran = [o for o in (case.audit, case.scanner) if o is not None]
        silent = [o for o in ran if not o.codes and o.exit_code == 0]
        if silent:
            assert case.gap, f"{case.id}: a tool that says nothing needs a gap saying why"
        if case.gap:  # a gap names a tool that says nothing, or only a finding under a pass verdict
            assert any(not o.caught for o in ran), f"{case.id}: both tools catch it, drop the gap"
        if case.audit is not None:
            assert case.audit.codes <= set(CODES), case.id
        if case.scanner is not None:
            assert case.scanner.codes <= FAILURE_CODES | INCOMPLETE_CODES | SCANNER_OTHER_CODES, case.id
