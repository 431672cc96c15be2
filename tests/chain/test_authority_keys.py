"""Authorities' own keys: Ethereum keystore files, an environment variable, or a development account (exactly one)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from chain.accounts import account_from_key, dev_account, load_authority_key, save_keyfile

KEY = "0x" + "4c" * 32
PASSPHRASE = "correct horse battery staple"


def cheap_keystore(path: Path, key: str = KEY, passphrase: str = PASSPHRASE) -> Path:
    """A keystore with a cheap scrypt (the loader reads whatever parameters the file names)."""
    path.write_text(json.dumps(Account.encrypt(bytes.fromhex(key[2:]), passphrase, iterations=2**10)), encoding="utf-8")
    return path


def test_save_keyfile_writes_a_private_scrypt_keystore_that_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "certifier.json"  # the folder is made
    address = save_keyfile(KEY.removeprefix("0x"), path, PASSPHRASE)
    assert address == account_from_key(KEY).address
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["crypto"]["kdf"] == "scrypt"
    assert stored["address"].lower() == address.lower().removeprefix("0x")
    assert KEY.removeprefix("0x") not in path.read_text(encoding="utf-8")
    assert load_authority_key(key_file=path, passphrase=PASSPHRASE) == KEY


def test_save_keyfile_refuses_a_malformed_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="32 bytes of hex"):
        save_keyfile("0x1234", tmp_path / "k.json", PASSPHRASE)
    with pytest.raises(ValueError, match="hexadecimal"):
        save_keyfile("zz" * 32, tmp_path / "k.json", PASSPHRASE)
    assert not (tmp_path / "k.json").exists()


def test_a_wrong_passphrase_is_refused(tmp_path: Path) -> None:
    path = cheap_keystore(tmp_path / "k.json")
    with pytest.raises(ValueError, match=r"cannot decrypt keystore .*k\.json: wrong passphrase or damaged file"):
        load_authority_key(key_file=path, passphrase="wrong")


def test_a_keystore_needs_its_passphrase(tmp_path: Path) -> None:
    path = cheap_keystore(tmp_path / "k.json")
    with pytest.raises(ValueError, match="needs its passphrase"):
        load_authority_key(key_file=path)


def test_an_unreadable_keystore_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot read keystore .*missing\.json"):
        load_authority_key(key_file=tmp_path / "missing.json", passphrase=PASSPHRASE)
    (tmp_path / "garbage.json").write_text("not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cannot read keystore .*garbage\.json"):
        load_authority_key(key_file=tmp_path / "garbage.json", passphrase=PASSPHRASE)
    (tmp_path / "empty.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cannot decrypt keystore .*empty\.json"):
        load_authority_key(key_file=tmp_path / "empty.json", passphrase=PASSPHRASE)


def test_exactly_one_source_of_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        load_authority_key()
    with pytest.raises(ValueError, match="exactly one"):
        load_authority_key(dev="regulator", env="SOME_KEY")
    with pytest.raises(ValueError, match="exactly one"):
        load_authority_key(key_file=tmp_path / "k.json", passphrase=PASSPHRASE, dev="regulator")


def test_a_development_account_by_its_role() -> None:
    assert load_authority_key(dev="provincial-certifier") == dev_account("provincial-certifier").private_key
    with pytest.raises(KeyError, match="no development account for role 'auditor'; known: regulator, "):
        load_authority_key(dev="auditor")


def test_a_key_from_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHORITY_KEY", " " + KEY.removeprefix("0x") + "\n")
    assert load_authority_key(env="AUTHORITY_KEY") == KEY
    monkeypatch.setenv("AUTHORITY_KEY", KEY.upper().replace("0X", "0x"))
    assert load_authority_key(env="AUTHORITY_KEY") == KEY
    monkeypatch.delenv("AUTHORITY_KEY")
    with pytest.raises(ValueError, match="AUTHORITY_KEY is not set"):
        load_authority_key(env="AUTHORITY_KEY")
    monkeypatch.setenv("AUTHORITY_KEY", "0xabc")
    with pytest.raises(ValueError, match="32 bytes of hex"):
        load_authority_key(env="AUTHORITY_KEY")
    monkeypatch.setenv("AUTHORITY_KEY", "g" * 64)
    with pytest.raises(ValueError, match="hexadecimal"):
        load_authority_key(env="AUTHORITY_KEY")
