"""Shared fixtures: where the reference vectors are, where the project's root is, an address nobody answers; the
core's coverage, measured during the core's own tests only."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import coverage
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
    started its own chain or server. The group suffix goes where pytest keeps the id.

    The modules holding a test marked ``slow`` go first (in their order): pytest-xdist hands tests out in this order,
    so the longest ones start while the other worker still has the short ones to do, instead of ending the run alone.
    """
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)  # stable: each module's tests keep their order
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


#: The tests whose runs count towards the core's coverage (``supplychain/`` at 100%, pyproject.toml's
#: ``[tool.coverage]``): the core's own tests, which must cover every line of it.
CORE_TESTS = ("tests/supplychain/", "tests/test_i18n.py")


_untraced = [False]  # whether a test ran untraced in this process since the core's caches were last emptied


def _empty_the_cores_caches() -> None:
    """Empty every ``functools`` cache of the core's modules: what an untraced test made the core compute and keep
    (a canonical Digital Link, a prefix's holder, a catalogue) is computed again, traced, when a core test asks."""
    for name, module in list(sys.modules.items()):
        if name == "supplychain" or name.startswith("supplychain."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Measure coverage (``--cov``) only while a test of :data:`CORE_TESTS` runs, setup and teardown included.

    The platform's, the chain's and the command line's tests run the core too, but they must not stand in for its
    own tests, and tracing every call they make (the EVM, SQLAlchemy, pydantic) made them half as fast again in
    ``make test``. Every running measurement is paused: a pytest-xdist worker runs two (pytest-cov starts one when
    it reads ``-n`` and the worker's own at the session's start), and stopping the latest resumes the one before.
    The core's caches are emptied before a core test that follows untraced ones, so that which lines the core's
    tests cover does not depend on which tests ran before them in the same process.
    """
    paused: list[coverage.Coverage] = []
    if item.nodeid.startswith(CORE_TESTS):
        if _untraced[0]:
            _empty_the_cores_caches()
            _untraced[0] = False
    else:
        _untraced[0] = True
        while (running := coverage.Coverage.current()) is not None:
            running.stop()
            paused.append(running)
    try:
        yield
    finally:
        for measurement in reversed(paused):
            measurement.start()
