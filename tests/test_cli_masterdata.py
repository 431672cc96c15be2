"""``supplychain keys sign-master-data``: a product's master data signed as the platform checks it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.keys_cmd import app
from supplychain.masterdata import ProductMasterData, build_product, parse_signed, verify_signed
from supplychain.signing import encrypt_private_key, generate_signing_key

GLN = "6901234000016"
SECRET = "correct horse battery staple"
ENV = ["--passphrase-env", "SC_TEST_PASSPHRASE"]
KEY = generate_signing_key()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SC_TEST_PASSPHRASE", SECRET)
    return CliRunner()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "maker.key"
    path.write_bytes(encrypt_private_key(KEY, SECRET, scrypt_n=2**14))
    return path


def document(tmp_path: Path, body: object) -> Path:
    path = tmp_path / "product.jsonld"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


def test_sign_master_data_writes_a_verifiable_envelope(runner: CliRunner, key_file: Path, tmp_path: Path) -> None:
    doc = build_product(ProductMasterData("06901234000108", {"zh-CN": "绿源 充电模块"}, 1, 1_795_680_000))
    args = ["sign-master-data", str(document(tmp_path, doc)), "--key", str(key_file), "--org", GLN, *ENV]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    signed = parse_signed(json.loads(result.stdout))
    verify_signed(signed, KEY.public_key_bytes)
    assert signed.organisation_id == GLN and signed.product.name("zh") == "绿源 充电模块"
    out = tmp_path / "signed.json"
    written = runner.invoke(app, [*args, "--out", str(out)])
    assert written.exit_code == 0 and "master data of GTIN 06901234000108 signed" in written.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(result.stdout)
    again = runner.invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 1 and "refusing to overwrite" in again.stderr


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ([], "a gs1:Product document is a JSON object"),
        ({"@type": "gs1:Product"}, "master data field '@context': missing"),
        ("{", "not JSON"),
    ],
)
def test_sign_master_data_refuses_what_is_not_a_product(
    runner: CliRunner, key_file: Path, tmp_path: Path, body: object, said: str
) -> None:
    path = document(tmp_path, body) if body != "{" else tmp_path / "bad.json"
    if body == "{":
        path.write_text("{", encoding="utf-8")
    result = runner.invoke(app, ["sign-master-data", str(path), "--key", str(key_file), "--org", GLN, *ENV])
    assert result.exit_code == 1 and said in result.stderr, result.stderr
