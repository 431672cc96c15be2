"""The committed artifacts are what the pinned compiler makes of the sources; Hardhat compiles them offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from chain import build
from chain.artifacts import load_artifact
from tests.chains import node_modules_ready


def test_committed_artifacts_are_not_stale() -> None:
    assert node_modules_ready(), "run `make test`: it installs solc-js with `npm ci`"
    fresh = build.compile_contracts()
    assert set(fresh) == set(build.DEPLOYABLE)
    for name, artifact in fresh.items():
        committed = (build.ARTIFACTS_DIR / f"{name}.json").read_text(encoding="utf-8")
        assert committed == build.render(artifact), f"chain/artifacts/{name}.json is stale: run `make contracts`"
    loaded = load_artifact()
    assert loaded.sources_sha256 == build.sources_digest()
    assert loaded.compiler_version.startswith("0.8.37+commit")
    assert loaded.deployed_bytecode


def test_hardhat_compiles_the_same_sources_offline(tmp_path: Path) -> None:
    # A copy of hardhat-local whose cache and artifacts go to tmp_path, so that parallel test runs do not collide.
    project = tmp_path / "hardhat-local"
    project.mkdir()
    for name in ("hardhat.config.js", "package.json"):
        shutil.copy(build.HARDHAT_DIR / name, project / name)
    (project / "node_modules").symlink_to(build.HARDHAT_DIR / "node_modules")
    (project / "contracts").symlink_to(build.CONTRACTS_DIR)
    env = {
        **os.environ,
        "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
        "no_proxy": "*",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        ["node", str(build.HARDHAT_DIR / "node_modules" / ".bin" / "hardhat"), "compile"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads((project / "artifacts" / "contracts" / "TraceRegistry.sol" / "TraceRegistry.json").read_text())
    assert out["abi"] == load_artifact().abi
