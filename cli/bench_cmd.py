"""``supplychain bench …``: the benchmarks, one command each; their code is the ``benchmarks`` package.

Each command parses its options here and imports its benchmark only when it runs, so the user's commands never load
the benchmarks (nor what they import). The figures each prints are described in ``docs/architecture.md`` and the
README.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from chain.devchain import ENGINES
from cli.common import reported

app = typer.Typer(
    epilog="Example: supplychain bench capture --processes 2 --clients 2",
    help="Benchmarks: this machine's figures (chain, gas, hashing, Merkle, capture, anchoring, queries, page, audit, "
    "attack).",
    no_args_is_help=True,
)

ATTACK_KINDS = (
    "json_bomb, oversized, lying_length, huge_ints, forged_auth, random_body, many_params, long_headers, slow_client, "
    "capture, page, qr_bulk"
)
"""The kinds of ``bench attack --kind`` (:data:`benchmarks.attack.KINDS`, written out so that ``--help`` does not load
the benchmark; a test keeps the two equal)."""


@app.command("chain", epilog="Example: supplychain bench chain --engine anvil -n 300")
def chain(
    engine: Annotated[
        str, typer.Option(help=f"Node to start: {', '.join(ENGINES)}, or 'tester' (in-process).")
    ] = "hardhat",
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="Transactions per measurement.")] = 300,
) -> None:
    """Transactions per second the chain layer sustains (anchorRoot, signed locally, receipts awaited)."""
    from benchmarks.registry import bench_chain

    with reported():
        bench_chain(engine, count)


@app.command("gas", epilog="Example: supplychain bench gas")
def gas() -> None:
    """Gas used by each registry function (in-process chain; gas is the same on every EVM chain)."""
    from benchmarks.registry import bench_gas

    with reported():
        bench_gas()


@app.command("hash", epilog="Example: supplychain bench hash -n 2000")
def hash_ids(
    events: Annotated[int, typer.Option("--events", "-n", min=1, help="How many events to build and hash.")] = 2000,
) -> None:
    """Compare our Event Hash ID speed with GS1's reference implementation on the same events."""
    from benchmarks.hashing import bench_hash

    bench_hash(events)


@app.command("merkle", epilog="Example: supplychain bench merkle -n 100000")
def merkle(
    leaves: Annotated[int, typer.Option("--leaves", "-n", min=1, help="Number of values in the batch.")] = 100_000,
) -> None:
    """Measure building a Merkle batch, proving every value and verifying every proof."""
    from benchmarks.merkle import bench_merkle

    bench_merkle(leaves)


@app.command(
    "capture",
    epilog="Example: supplychain bench capture --database postgresql --processes 2 --clients 2",
)
def capture(  # noqa: PLR0917 - typer options
    engine: Annotated[str, typer.Option(help="Dev chain to start: anvil or hardhat.")] = "anvil",
    bulk: Annotated[int, typer.Option(min=1, help="Events per bulk document.")] = 10_000,
    rounds: Annotated[int, typer.Option(min=1, help="Bulk documents to time.")] = 3,
    seconds: Annotated[float, typer.Option(min=1, help="Duration of the steady-load latency run.")] = 15.0,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Also time concurrent clients against N server processes beside `supplychain worker` (SQLite: "
            "`serve --processes N`; PostgreSQL: N hosts of one process each, their own data folders).",
        ),
    ] = None,
    clients: Annotated[int, typer.Option(min=1, help="Concurrent submitters in the multi-process run.")] = 2,
    database: Annotated[
        str,
        typer.Option(
            help="sqlite (in the data folder) or postgresql (a throwaway server from Debian's package, started and "
            "removed by the benchmark).",
        ),
    ] = "sqlite",
) -> None:
    """Bulk capture rate over HTTP, event-to-anchor latency p50/p99, gas per event.

    Signed events, durable when answered. With --processes N, also the aggregate rate of concurrent clients against N
    server processes beside one worker process.
    """
    from benchmarks.capture import DATABASES, bench_capture, bench_capture_processes

    db = next((d for d in DATABASES if d == database), None)
    if db is None:
        raise typer.BadParameter(f"{database!r}: expected sqlite or postgresql", param_hint="'--database'")
    with reported():
        bench_capture(engine=engine, bulk=bulk, rounds=rounds, seconds=seconds, database=db)
        if processes is not None:
            bench_capture_processes(
                engine=engine, bulk=bulk, rounds=rounds, processes=processes, clients=clients, database=db
            )


@app.command("anchoring", epilog="Example: supplychain bench anchoring --seconds 60 --block-time 1 --confirmations 2")
def anchoring(
    seconds: Annotated[float, typer.Option(min=1, help="Duration of the steady capture load.")] = 60.0,
    block_time: Annotated[int, typer.Option(min=1, help="Seconds between two blocks anvil mines.")] = 1,
    confirmations: Annotated[
        int, typer.Option(min=0, max=1000, help="Blocks holding an anchor before it is final.")
    ] = 2,
    rate: Annotated[float, typer.Option(min=0.1, help="Events per second posted over HTTP.")] = 10.0,
) -> None:
    """Event to anchored and event to final anchor p50/p99, on anvil mining a block every --block-time seconds.

    Starts anvil and `supplychain serve` (batch interval 1 s, the given confirmation depth) on a temporary data
    folder, posts signed events over HTTP at a steady rate, waits until every anchor is final; prints the latencies,
    the events and batches, and the reorgs and fee bumps the worker met. Exit 1 if an event's anchor is not final.
    """
    from benchmarks.anchoring import bench_anchoring

    with reported():
        figures = bench_anchoring(seconds=seconds, block_time=block_time, confirmations=confirmations, rate=rate)
    raise typer.Exit(0 if figures.final == figures.events else 1)


@app.command("queries", epilog="Example: supplychain bench queries -n 100000")
def queries(
    events: Annotated[int, typer.Option("--events", "-n", min=1000, help="Events in the store.")] = 100_000,
    repeats: Annotated[int, typer.Option(min=10, help="Timed requests of each kind.")] = 200,
) -> None:
    """Proof bundle and backward trace of a product with ~50 upstream events, in a store of N events (p50/p99)."""
    from benchmarks.queries import bench_queries, print_figures

    with reported():
        figures = bench_queries(events, repeats=repeats)
    print_figures(figures)


@app.command("page", epilog="Example: supplychain bench page -n 1000000 --adversary-events 10 --adversary-epcs 100000")
def page(
    events: Annotated[int, typer.Option("--events", "-n", min=1000, help="Events in the store.")] = 1_000_000,
    repeats: Annotated[int, typer.Option(min=10, help="Timed pages.")] = 200,
    db: Annotated[
        Path | None, typer.Option(help="Keep the store in this SQLite file; reuse it when it exists (no refill).")
    ] = None,
    adversary_events: Annotated[
        int,
        typer.Option(
            min=0,
            help="Events of an unrelated organisation that name the product's serial among many EPCs (stored once).",
        ),
    ] = 0,
    adversary_epcs: Annotated[int, typer.Option(min=1, help="EPCs each adversary event lists.")] = 100_000,
) -> None:
    """The product page of a product with ~50 upstream events in a store of N events: p50/p99, bundle size.

    Each view counts the scan, loads the events, builds and verifies the proof bundle, computes the green share and
    renders the HTML; optionally beside an adversary's big events naming the product. Targets: p99 <= 50 ms on 1M
    events, a bundle <= 100 KB with the adversary.
    """
    from benchmarks.page import bench_page, print_figures

    with reported():
        figures = bench_page(
            events, repeats=repeats, db=db, adversary_events=adversary_events, adversary_epcs=adversary_epcs
        )
    print_figures(figures)


@app.command("audit", epilog="Example: supplychain bench audit -n 1000000 --workers 2")
def audit(  # noqa: PLR0917 - typer options
    events: Annotated[int, typer.Option("-n", "--events", min=1, help="Events in the synthetic store.")] = 1_000_000,
    workers: Annotated[
        int | None, typer.Option("--workers", min=0, help="Processes for the checks (default: one per core).")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Events per Merkle batch.")] = 10_000,
    folder: Annotated[Path | None, typer.Option("--dir", help="Where to write the store (a temporary folder).")] = None,
    through_platform: Annotated[
        bool,
        typer.Option(
            "--through-platform",
            help="Also anchor the store on an anvil node, serve it with `supplychain serve` and audit it end to end "
            "over HTTP (run_audit).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """The audit's checks over a synthetic store of signed, anchored events: events/s, wall time, memory.

    No chain by default; with --through-platform, the whole audit against a real chain and the platform's service too.
    """
    from benchmarks.audit import bench_audit

    figures = bench_audit(
        events=events,
        workers=(os.cpu_count() or 1) if workers is None else workers,
        batch_size=batch_size,
        folder=folder,
        through_platform=through_platform,
    )
    if as_json:
        sys.stdout.write(json.dumps(figures) + "\n")


@app.command("attack", epilog="Example: supplychain bench attack --minutes 2 --clients 4")
def attack(  # noqa: PLR0917 - typer options
    minutes: Annotated[float, typer.Option(min=0.01, help="Duration of the hostile loop.")] = 30.0,
    max_requests: Annotated[int, typer.Option(min=1, help="Stop the loop after this many requests.")] = 1_000_000,
    clients: Annotated[int, typer.Option(min=1, max=64, help="Client threads of the loop.")] = 4,
    platform: Annotated[
        str | None,
        typer.Option(
            help="Attack this running platform (http://127.0.0.1:PORT only) instead of starting one; the valid "
            "captures are signed by the benchmark's own key (refused where it is not registered)."
        ),
    ] = None,
    org_token: Annotated[str | None, typer.Option(help="With --platform: an organisation's token.")] = None,
    regulator_token: Annotated[str | None, typer.Option(help="With --platform: the regulator's token.")] = None,
    rpc: Annotated[str | None, typer.Option(help="Dev chain on 127.0.0.1 to use instead of starting anvil.")] = None,
    probe: Annotated[bool, typer.Option("--probe/--no-probe", help="Probe each JSON route's limits.")] = True,
    probe_max_mib: Annotated[float, typer.Option(min=0.001, help="Largest body the probe tries (MiB).")] = 64,
    probe_depth: Annotated[int, typer.Option(min=1, help="Deepest JSON nesting the probe tries.")] = 200_000,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help=f"Only these kinds (repeat the option): {ATTACK_KINDS}.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the clients' choices.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Hostile requests against a real platform on loopback for M minutes; exit 1 on any 5xx or dead process.

    Prints the statuses per kind, the 5xx (must be 0), the server's survival and RSS, the rate of valid captures
    meanwhile, and each JSON route's largest body and deepest nesting answered without a 5xx.
    """
    from benchmarks.attack import KINDS, AttackOptions, bench_attack, print_report

    options = AttackOptions(
        minutes=minutes,
        max_requests=max_requests,
        clients=clients,
        kinds=tuple(kind) if kind else KINDS,
        probe=probe,
        probe_max_bytes=int(probe_max_mib * 1024 * 1024),
        probe_depth=probe_depth,
        seed=seed,
    )
    with reported():
        report = bench_attack(
            options, platform_url=platform, rpc=rpc, org_token=org_token, regulator_token=regulator_token
        )
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
    else:
        print_report(report)
    raise typer.Exit(0 if report.ok else 1)
