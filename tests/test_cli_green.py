"""``supplychain green`` against a platform's data folder on a real Hardhat node: the supplier list, the report (and its
page), the impact list, the seeded sample, and every refusal with its reason."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from backend.core.config import Settings
from backend.services.green_views import iso
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.devchain import free_port
from cli.main import app
from tests.backend.green_chain import B_ID, C_ID, GreenChain, build
from tests.chains import MANUFACTURER, SUPPLIER, Node, cast, start
from tests.supplychain.factories import gln

pytestmark = [pytest.mark.hardhat, pytest.mark.xdist_group("green-cli-hardhat")]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    yield from start("hardhat", Path(tmp_path_factory.mktemp("hardhat")))


@pytest.fixture(scope="module")
def env(node: Node, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The platform's settings as the commands read them from the environment."""
    data = tmp_path_factory.mktemp("data")
    return {
        "SUPPLYCHAIN_DATA_DIR": str(data),
        "SUPPLYCHAIN_RPC_URL": node.url,
        "SUPPLYCHAIN_ENVIRONMENT": "test",
    }


@pytest.fixture(scope="module")
def story(env: dict[str, str]) -> GreenChain:
    """The platform's store and registry hold the three-level story (tests.backend.green_chain)."""
    settings = Settings(
        environment="test", data_dir=Path(env["SUPPLYCHAIN_DATA_DIR"]), rpc_url=env["SUPPLYCHAIN_RPC_URL"]
    )
    platform = Platform.open(settings)
    try:
        cast(platform.registry.registry.as_signer(dev_account("regulator").account))
        return build(platform)
    finally:
        platform.close()


def green(env: Mapping[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, ["green", *args], env=dict(env))


def ok(result: Result) -> str:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}{result.exception!r}"
    return result.stdout


def as_json(result: Result) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(ok(result))
    return body


def refused(result: Result, *fragments: str) -> str:
    assert result.exit_code != 0, result.output
    last = result.stderr.strip().splitlines()[-1]  # after any warnings logged on the way
    assert last.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in last, (fragment, result.stderr)
    return last


def test_suppliers(env: dict[str, str], story: GreenChain) -> None:
    out = ok(green(env, "suppliers", MANUFACTURER))
    assert out.index(C_ID) < out.index(SUPPLIER) < out.index(B_ID)
    for word in ("preferred", "review", "not recognised", "expires soon", "suspended", "Prefer recognised"):
        assert word in out, word
    chinese = ok(green({**env, "LC_ALL": "zh_CN.UTF-8"}, "suppliers", MANUFACTURER))
    assert f"{MANUFACTURER} 的合格供应商（截至 " in chinese and "优先" in chinese and "未认定" in chinese
    assert chinese.index(C_ID) < chinese.index(SUPPLIER) < chinese.index(B_ID)  # the same list, in Chinese
    body = as_json(green(env, "suppliers", MANUFACTURER, "--json", "--warn-days", "30"))
    assert (
        as_json(green({**env, "LC_ALL": "zh_CN.UTF-8"}, "suppliers", MANUFACTURER, "--json", "--warn-days", "30"))[
            "suppliers"
        ]
        == body["suppliers"]
    )  # what scripts read does not change with the locale
    assert [(s["organisationId"], s["preference"]) for s in body["suppliers"]] == [
        (C_ID, "preferred"),
        (SUPPLIER, "review"),
        (B_ID, "not_recognised"),
    ]
    assert body["suppliers"][0]["warnings"] == [] and body["warnDays"] == 30
    assert body["suppliers"][1]["recognitions"][0]["recognitionId"] == story.recognitions["A"]


def test_report_and_its_page(env: dict[str, str], story: GreenChain, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    out = ok(green(env, "report", MANUFACTURER, "--html", str(page), "--lang", "en"))
    assert "75.0% (3/4)" in out and "37.5% (3/8)" in out and "total (pcs): 50.0% of 150" in out
    assert f"recognition #{story.recognitions['A']} of {SUPPLIER}" in out and f"page written to {page}" in out
    text = page.read_text(encoding="utf-8")
    assert '<html lang="en">' in text and "<svg" in text and "Green supply-chain report" in text
    early = as_json(
        green(
            env,
            "report",
            MANUFACTURER,
            "--json",
            "--from",
            iso(story.times["start"]) or "",
            "--to",
            iso(story.times["lapse"]) or "",
        )
    )
    assert [lot["shareExact"] for lot in early["lots"]] == ["3/4"] and early["lapses"] == []


def test_impact(env: dict[str, str], story: GreenChain) -> None:
    a = str(story.recognitions["A"])
    out = ok(green(env, "impact", a))
    assert f"recognition #{a}" in out and "suspended since" in out
    assert story.ids["P-3"] in out and "): Received" in out and story.ids["P-1"] not in out
    body = as_json(green(env, "impact", a, "--json", "--organisation", MANUFACTURER))
    assert set(body["serials"]) == {story.ids["P-3"], story.ids["P-4"]} and story.ids["S2"] not in body["lots"]
    assert "impacts nothing" in ok(green(env, "impact", str(story.recognitions["C"])))
    chinese = ok(green({**env, "LC_ALL": "zh_CN.UTF-8"}, "impact", a))
    assert f"的认定 #{a}：自 " in chinese and "起暂停" in chinese and "最后记录：收货，" in chinese


def test_sample(env: dict[str, str], story: GreenChain) -> None:
    c = story.recognitions["C"]
    body = as_json(green(env, "sample", "--seed", "2026-Q1", "--size", "3", "--json"))
    assert body["eligible"] == [c] and body["algorithm"]["name"] == "sha256-rank-v1"
    assert body["drawn"][0]["rank"] == hashlib.sha256(f"2026-Q1:{c}".encode()).hexdigest()
    again = as_json(green(env, "sample", "--seed", "2026-Q1", "--size", "3", "--json", "--at", body["at"]))
    assert again == body
    out = ok(green(env, "sample", "--seed", "2026-Q1", "--size", "3", "--region", "unknown"))
    assert "1 of 1 eligible (sha256-rank-v1)" in out and C_ID in out


@pytest.mark.usefixtures("story")
def test_refusals(env: dict[str, str]) -> None:
    refused(green(env, "suppliers", gln("6909999")), "not registered on chain")
    refused(green(env, "suppliers", "6901234000017"), "org:", "check digit")
    refused(green(env, "report", MANUFACTURER, "--from", "2026-13-01"), "from:", "not a calendar date")
    refused(green(env, "report", MANUFACTURER, "--from", "2026-03-01", "--to", "2026-01-31"), "the period is empty")
    refused(green(env, "report", MANUFACTURER, "--lang", "fr"), "lang:")
    refused(green(env, "impact", "999"), "recognition 999 was never issued")
    refused(green(env, "impact", "1", "--organisation", "nobody"), "organisation:")
    refused(green(env, "sample", "--seed", "x", "--size", "0"), "size: expected a whole number from 1 to 1000")
    refused(green(env, "sample", "--seed", "x" * 129, "--size", "1"), "seed:", "at most 128")
    refused(green(env, "sample", "--seed", "x", "--size", "1", "--kind", "factory"), "kind:")
    refused(green(env, "sample", "--seed", "x", "--size", "1", "--at", "2999-01-01"), "in the future")
    chinese = green({**env, "LC_ALL": "zh_CN.UTF-8"}, "sample", "--seed", "x", "--size", "1", "--at", "2999-01-01")
    assert chinese.exit_code == 1 and chinese.stderr.strip().splitlines()[-1].startswith("错误：at：'2999-01-01'")
    result = green(env, "impact", "0")
    assert result.exit_code == 2 and "greater than or equal to" in result.output  # refused before anything runs


@pytest.mark.usefixtures("story")
def test_an_unreachable_chain_is_reported(env: dict[str, str]) -> None:
    dead = {**env, "SUPPLYCHAIN_RPC_URL": f"http://127.0.0.1:{free_port()}", "SUPPLYCHAIN_RPC_ATTEMPTS": "1"}
    refused(green(dead, "suppliers", MANUFACTURER), "the registry cannot be read", "cannot be reached")
