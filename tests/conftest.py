"""Shared fixtures: where the reference vectors are, where the project's root is, an address nobody answers."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# HYPOTHESIS_PROFILE=minimal runs every property once: a line covered only under the default profile is covered
# by luck, and the 100% coverage gate must not depend on luck.
settings.register_profile("minimal", max_examples=1, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """The reference vectors written by others (``../shared/vectors``); never copied into the project."""
    if not VECTORS.is_dir():
        pytest.fail(f"reference vectors not found at {VECTORS}: shared/ must sit beside the project's root")
    return VECTORS


@pytest.fixture
def dead_url() -> Iterator[str]:
    """An address where nothing listens, for as long as the test runs: the port is held bound (never listening), so
    connections are refused and no server of a test running beside this one can take it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"
