"""Shared fixtures: where the reference vectors are, and where the project's root is."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The reference vectors written by others (``../shared/vectors``); never copied into the project."""
    if not VECTORS.is_dir():
        pytest.fail(f"reference vectors not found at {VECTORS}: shared/ must sit beside the project's root")
    return VECTORS
