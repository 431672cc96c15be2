"""``supplychain bench anchoring``: how long an event waits from capture to its anchor being final, on a chain that
mines a block every ``block_time`` seconds, with a confirmation depth.

It starts anvil, then ``supplychain serve`` (one server process and its anchoring worker, the given batch interval
and ``confirmations``) on a temporary data folder (SQLite), registers an organisation and its key while anvil mines
each transaction at once, then has anvil mine a block every ``block_time`` seconds instead (interval mining: a
transaction waits for the next block, as on a real chain). It posts small signed documents over HTTP at a steady
``rate`` for ``seconds``, waits until every accepted event's anchor is final, and reads from the database, for each
event, the time from its receipt to its batch's anchor being recorded (anchored) and to the batch being found final
(final): p50 and p99 of each; with the events, the batches, and the re-anchorings after reorgs (``batch.reorgs``) and
fee bumps (``batch.earlier_txs``) the worker recorded on the way.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.capture import _document, _events, _register
from benchmarks.common import console, wait_ready

__all__ = ["AnchoringFigures", "bench_anchoring"]

_ORG = "6901234000016"
_TICK = 0.2
"""Seconds between two posts of the steady load (each carries the events due since the last one)."""


@dataclass(frozen=True)
class AnchoringFigures:
    """What ``bench anchoring`` measured (milliseconds for the latencies, ``None`` when no event got there)."""

    events: int
    anchored: int
    final: int
    batches: int
    reorgs: int
    fee_bumps: int
    anchored_p50_ms: float | None
    anchored_p99_ms: float | None
    final_p50_ms: float | None
    final_p99_ms: float | None


def _percentile(values: list[int], q: float) -> float | None:
    """The nearest-rank percentile ``q`` (0-1) of ``values``, ``None`` for none."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))])


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def bench_anchoring(  # noqa: PLR0915 - the start of the chain and the service, the load, the wait and the reading
    *,
    seconds: float = 60.0,
    block_time: int = 1,
    confirmations: int = 2,
    batch_interval: float = 1.0,
    rate: float = 10.0,
) -> AnchoringFigures:
    """Run the measurement described in the module docstring; return the figures (also printed)."""
    from sqlalchemy import text

    from backend.core.config import Settings
    from backend.core.db import make_engine
    from chain.devchain import free_port, start_node, stop_node
    from supplychain.signing import SigningKey

    key = SigningKey.from_private_bytes(b"\x5a" * 32)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        record, node = start_node("anvil", log_path=folder / "anvil.log")
        stack.callback(stop_node, record.pid, process=node)
        data, port = folder / "data", free_port()
        environment = {
            **os.environ,
            "SUPPLYCHAIN_RPC_URL": record.url,
            "SUPPLYCHAIN_DATA_DIR": str(data),
            "SUPPLYCHAIN_CONFIRMATIONS": str(confirmations),
            "SUPPLYCHAIN_BATCH_INTERVAL_SECONDS": str(batch_interval),
        }
        log = folder / "serve.log"
        with log.open("ab") as out:
            serve = subprocess.Popen(  # noqa: S603 - our own command
                [sys.executable, "-m", "cli", "serve", "--port", str(port), "--processes", "1"],
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack.callback(stop_node, serve.pid, process=serve)
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, serve, log)
        registry = _register(record.url, data, _ORG, key.public_key_bytes)
        token = subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "cli", "tokens", "create", "--org", _ORG],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        registry.chain.rpc("evm_setIntervalMining", block_time)  # from now on, a block every block_time seconds
        console.print(
            f"anvil mining a block every {block_time} s; confirmations {confirmations}; batch interval "
            f"{batch_interval} s; {rate:g} events/s over HTTP for {seconds:g} s"
        )
        at_ms = registry.chain.block_timestamp() * 1000 + 1000
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/ld+json",
            "Prefer": "return=representation",  # the capture's outcome in the answer
        }
        accepted = posted = 0
        with httpx.Client(timeout=30) as client:
            begin = time.monotonic()
            while (now := time.monotonic()) < begin + seconds:
                due = int(rate * (now - begin)) + 1 - posted
                if due > 0:
                    body = _document(key, _events(due, at_ms, f"A{posted}-"))
                    answer = client.post(url + "/capture", content=body, headers=headers)
                    answer.raise_for_status()
                    accepted += int(answer.json()["acceptedCount"])
                    posted += due
                time.sleep(_TICK)
        engine = make_engine(Settings(data_dir=data).database)
        stack.callback(engine.dispose)
        waiting = (batch_interval + (confirmations + 2) * block_time) * 3 + 30
        deadline = time.monotonic() + waiting
        final_query = text(
            "SELECT count(*) FROM event e JOIN batch b ON b.id = e.batch_id WHERE b.final_at IS NOT NULL"
        )
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if connection.execute(final_query).scalar_one() >= accepted:
                    break
            time.sleep(0.2)
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT e.received_at, b.anchored_at, b.final_at FROM event e "
                    "LEFT JOIN batch b ON b.id = e.batch_id AND b.status = 'anchored'"
                )
            ).all()
            batches = connection.execute(
                text("SELECT count(*), coalesce(sum(reorgs), 0) FROM batch WHERE status = 'anchored'")
            ).one()
            earlier = connection.execute(text("SELECT earlier_txs FROM batch WHERE earlier_txs IS NOT NULL")).all()
        service_log = log.read_text(errors="replace")
    to_anchored = [int(anchored) - int(received) for received, anchored, _ in rows if anchored is not None]
    to_final = [int(final) - int(received) for received, _, final in rows if final is not None]
    figures = AnchoringFigures(
        events=len(rows),
        anchored=len(to_anchored),
        final=len(to_final),
        batches=int(batches[0]),
        reorgs=int(batches[1]),
        fee_bumps=sum(len(json.loads(value)) for (value,) in earlier),
        anchored_p50_ms=_percentile(to_anchored, 0.5),
        anchored_p99_ms=_percentile(to_anchored, 0.99),
        final_p50_ms=_percentile(to_final, 0.5),
        final_p99_ms=_percentile(to_final, 0.99),
    )
    console.print(
        f"events: {figures.events:,} captured, {figures.anchored:,} anchored in {figures.batches:,} batches, "
        f"{figures.final:,} final; reorgs {figures.reorgs}, fee bumps {figures.fee_bumps}"
    )
    console.print(f"event → anchored: p50 {_ms(figures.anchored_p50_ms)}, p99 {_ms(figures.anchored_p99_ms)}")
    console.print(f"event → final: p50 {_ms(figures.final_p50_ms)}, p99 {_ms(figures.final_p99_ms)}")
    if figures.final < figures.events:
        console.print(
            f"{figures.events - figures.final:,} events not final after waiting {waiting:.0f} s; the end of the "
            f"service's log:\n{service_log[-3000:]}"
        )
    return figures
