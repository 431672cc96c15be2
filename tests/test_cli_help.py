"""``supplychain --help`` and every command's: each shows an example that is a real invocation of it; the benchmarks
are under ``supplychain bench`` only."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer._click.exceptions import UsageError
from typer.testing import CliRunner

from cli.bench_cmd import ATTACK_KINDS
from cli.main import app

ROOT = typer.main.get_command(app)
BENCHMARKS = ["chain", "gas", "hash", "merkle", "capture", "anchoring", "queries", "page", "audit", "attack"]
OLD_NAMES = ["bench-audit", "bench-attack", "bench-capture", "bench-queries", "bench-chain", "bench-gas", "bench-hash"]
OLD_NAMES += ["bench-merkle", "bench-page"]


def _tree(command: Any, path: tuple[str, ...], ctx: Context) -> Iterator[tuple[tuple[str, ...], Any, Context]]:
    yield path, command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            yield from _tree(sub, (*path, name), Context(sub, parent=ctx, info_name=name))


COMMANDS = list(_tree(ROOT, ("supplychain",), Context(ROOT, info_name="supplychain")))


def _example(command: Any) -> str:
    epilog = command.epilog or ""
    assert epilog.startswith("Example: supplychain"), f"no example in {command.name}'s epilog: {epilog!r}"
    return epilog.removeprefix("Example: ")


def _parse(example: str) -> tuple[str, ...]:
    """The command path ``example`` runs, its options and arguments parsed as the command line would (a wrong option,
    value or missing argument raises click's UsageError)."""
    words = shlex.split(example)
    path, command, ctx = [words.pop(0)], ROOT, Context(ROOT, info_name=words[0] if words else "supplychain")
    while hasattr(command, "list_commands"):
        assert words, f"{example!r} names no command of {' '.join(path)}"
        name = words.pop(0)
        sub = command.get_command(ctx, name)
        assert sub is not None, f"{example!r}: no command {name!r} in {' '.join(path)}"
        path.append(name)
        command, ctx = sub, Context(sub, parent=ctx, info_name=name)
    command.make_context(path[-1], words, parent=ctx.parent)
    return tuple(path)


def test_the_tree_holds_every_command() -> None:
    paths = {" ".join(path) for path, _, _ in COMMANDS}
    assert {"supplychain demo", "supplychain authority suspend", "supplychain authority gtin"} <= paths
    assert {f"supplychain bench {name}" for name in BENCHMARKS} <= paths
    assert len(paths) > 60


@pytest.mark.parametrize(
    ("path", "command"), [(p, c) for p, c, _ in COMMANDS], ids=[" ".join(p) for p, _, _ in COMMANDS]
)
def test_every_help_shows_an_example_that_runs_the_command(path: tuple[str, ...], command: Any) -> None:
    example = _example(command)
    result = CliRunner().invoke(app, [*path[1:], "--help"], terminal_width=300)
    assert result.exit_code == 0, result.output
    assert "Example: " + example in " ".join(result.output.split())
    parsed = _parse(example)
    assert parsed[: len(path)] == path  # a group's example runs one of its commands
    assert len(parsed) == len(path) or hasattr(command, "list_commands")


def test_an_example_with_a_wrong_option_would_be_caught() -> None:
    with pytest.raises(UsageError, match="--reasons"):
        _parse("supplychain authority suspend 1 --reasons rectified --dev-account regulator")
    with pytest.raises(UsageError, match="Missing parameter: reason"):
        _parse("supplychain authority suspend 1 --dev-account regulator")
    with pytest.raises(AssertionError, match="no command 'bench-page'"):
        _parse("supplychain bench-page -n 1000")


def test_the_benchmarks_are_one_group_and_the_old_names_are_gone() -> None:
    top = ROOT.list_commands(Context(ROOT))  # type: ignore[attr-defined]
    assert not [name for name in top if name.startswith("bench-")]
    bench = ROOT.get_command(Context(ROOT), "bench")  # type: ignore[attr-defined]
    assert bench.list_commands(Context(bench)) == BENCHMARKS
    for old in OLD_NAMES:
        result = CliRunner().invoke(app, [old, "--help"])
        assert result.exit_code == 2
        assert "No such command" in result.output


def test_bench_attack_help_lists_the_kinds_the_benchmark_knows() -> None:
    from benchmarks.attack import KINDS

    assert ATTACK_KINDS.split(", ") == list(KINDS)
