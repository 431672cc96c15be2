"""The project's own docs stay true to the code: every setting is in docs/operations.md's table."""

from __future__ import annotations

import re
from pathlib import Path

from backend.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_operations() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    documented = set()
    for first, second in re.findall(r"^\| `SUPPLYCHAIN_([A-Z_]+)`(?:, `SUPPLYCHAIN_([A-Z_]+)`)?", text, re.M):
        documented |= {first.lower(), second.lower()} - {""}
    assert set(Settings.model_fields) - documented == set()
    assert documented - set(Settings.model_fields) == set()  # nothing documented that does not exist


def test_the_docs_link_only_to_files_that_exist() -> None:
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
