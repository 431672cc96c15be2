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

# The command line speaks the locale's language (cli.common): the tests that read its English must not depend on the
# developer's LANG. Every test process, and each process it starts with os.environ (CliRunner, `python -m cli`),
# runs under C.UTF-8; the tests of other languages set the locale themselves (tests/test_cli_locale.py).
os.environ["LC_ALL"] = "C.UTF-8"

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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep ``--dist loadgroup`` grouping: pytest-xdist 3.8 marks a group by rewriting ``item._nodeid``, which pytest
    9.2 no longer reads (a node id is ``item._id`` now), so every ``xdist_group`` was split over the workers and each
    started its own chain or server. The group suffix goes where pytest keeps the id."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = sorted(
            {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
        )
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)
