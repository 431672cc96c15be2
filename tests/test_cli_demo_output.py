"""``make run``'s output in a log: what ``supplychain demo`` prints, written to a pipe with ``COLUMNS`` unset (where
rich would lay everything out at 80 columns), keeps every URL, address, key and command whole on one line, in English
and in Chinese (``LANG=zh_CN.UTF-8``: the words change, the values do not)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chain.accounts import dev_account
from chain.deploy import Deployment
from cli.demo import DEMO_ORGANISATIONS, demo_key
from cli.demo_story import DEMO_LOT, DEMO_PRODUCT_GTIN, DEMO_SERIALS

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000"
RPC = "http://127.0.0.1:8545"
TOKEN = "sc_" + "r" * 60

# What `supplychain demo` prints after its service is up: the demo supply chain's registrations and summary table,
# the URLs to open and the audit command (its regulator token already made, so no platform is opened here).
PRINTING = f"""
import sys
from pathlib import Path

import pytest

from chain.accounts import dev_account
from chain.connection import TESTER_URL, connect
from chain.deploy import deploy_registry
from chain.registry import Registry
from cli.common import console
from cli.demo import _print_audit, _print_urls, _summary, load_demo_supply_chain

root = Path(sys.argv[1])
chain = connect(TESTER_URL)
deployment = deploy_registry(chain, dev_account("regulator").account)
deployment.save(root / "deployment.json")
registry = Registry(chain, deployment)
console.print(f"registry deployed at {{registry.address}}")
for line in load_demo_supply_chain(registry, root / "keys"):
    console.print(f"  + {{line}}")
console.print(_summary(registry))
_print_urls({BASE!r}, root)
(root / "demo-regulator-token").write_text({TOKEN!r} + "\\n")
_print_audit(registry, {RPC!r}, {BASE!r}, root)
"""


def _signing_key_line(lang: str, key_id: str, org_id: str) -> str:
    return f"{org_id} 的签名密钥 {key_id}" if lang.startswith("zh") else f"signing key {key_id} for {org_id}"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("C", ["open:", "product page", "signing keys", "recognition #1: green factory (provincial) for"]),
        (
            "zh_CN.UTF-8",
            [
                "打开：",
                "产品页",
                "签名密钥",
                "认定 #1：91320200MA1MX7K3GD 的绿色工厂（省级）",
                "审计（以监管部门身份）：",
            ],
        ),
    ],
)
def test_the_demo_output_keeps_urls_hashes_and_commands_whole_in_a_log(
    tmp_path: Path, lang: str, words: list[str]
) -> None:
    hidden = ("COLUMNS", "LINES", "FORCE_COLUMNS", "TERM_WIDTH", "LC_ALL", "LC_MESSAGES")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env["LANG"] = lang
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", PRINTING, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    deployment = Deployment.load(tmp_path / "deployment.json")
    registry = deployment.address
    product = f"{BASE}/01/{DEMO_PRODUCT_GTIN}/10/{DEMO_LOT}/21/{DEMO_SERIALS[0]}"
    link = f"https://id.gs1.org/01/{DEMO_PRODUCT_GTIN}/21/{DEMO_SERIALS[0]}"
    supplier, leader = DEMO_ORGANISATIONS[1].org_id, DEMO_ORGANISATIONS[0].org_id
    whole = [
        f"registry deployed at {registry}",
        product,
        f"{BASE}/trace/journey?id={link}",
        f"{BASE}/bundles?id={link}",
        f"{BASE}/products/{DEMO_PRODUCT_GTIN}/master-data",
        f"{BASE}/credentials?organisation={supplier}",
        f"{BASE}/spot-checks/sample?seed=demo&size=1",
        f"{BASE}/organisations/{leader}/suppliers ",  # followed by a space in both languages: no word sticks to it
        f"{BASE}/login",
        f"scanner verify {product} --registry {registry} --chain-id {deployment.chain_id}",
        f"supplychain audit --registry {registry} --rpc {RPC} --platform {BASE} --token {TOKEN} "
        f"--anchorer {dev_account('anchorer').address} --out {tmp_path / 'audit'}",
        *(_signing_key_line(lang, demo_key(org.org_id).key_id, org.org_id) for org in DEMO_ORGANISATIONS),
        *(org.org_id for org in DEMO_ORGANISATIONS),
        *(f"0x{demo_key(org.org_id).public_key_bytes.hex()[:12]}…" for org in DEMO_ORGANISATIONS),
    ]
    broken = [text for text in whole + words if not any(text in line for line in lines)]
    assert broken == [], result.stdout
