"""Chain accounts: loading keys, and the well-known development accounts of Hardhat and anvil.

The development keys are public knowledge (Hardhat's and anvil's default mnemonic ``test test ... junk``): they are
for local dev chains only, and the platform refuses them on any other chain.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

__all__ = [
    "DEV_ACCOUNTS",
    "DEV_CHAIN_IDS",
    "DevAccount",
    "account_from_key",
    "dev_account",
    "load_authority_key",
    "save_keyfile",
]

#: Chain ids of the local dev chains (Hardhat and anvil use 31337).
DEV_CHAIN_IDS = frozenset({31337, 1337, 131277322940537})


@dataclass(frozen=True)
class DevAccount:
    """A development account with its role in the demo and the tests."""

    role: str
    private_key: str

    @property
    def account(self) -> LocalAccount:
        """The signing account."""
        return account_from_key(self.private_key)

    @property
    def address(self) -> str:
        """The checksummed address."""
        return str(self.account.address)


#: The first accounts of the ``test test ... junk`` mnemonic, as Hardhat and anvil fund them.
DEV_ACCOUNTS: tuple[DevAccount, ...] = (
    DevAccount("regulator", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    DevAccount("provincial-certifier", "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    DevAccount("national-certifier", "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    DevAccount("anchorer", "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    DevAccount("city-certifier", "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    DevAccount("stranger", "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
    DevAccount("gs1-registrar", "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
)


def dev_account(role: str) -> DevAccount:
    """The development account playing ``role``.

    Raises:
        KeyError: no development account has that role.
    """
    for account in DEV_ACCOUNTS:
        if account.role == role:
            return account
    roles = ", ".join(a.role for a in DEV_ACCOUNTS)
    raise KeyError(f"no development account for role {role!r}; known: {roles}")


def account_from_key(private_key: str) -> LocalAccount:
    """A signing account from a hex private key (with or without ``0x``).

    Raises:
        ValueError: the key is not 32 bytes of hex.
    """
    key = private_key.removeprefix("0x")
    if len(key) != 64:
        raise ValueError(f"a private key is 32 bytes of hex (64 characters), got {len(key)} characters")
    try:
        int(key, 16)
    except ValueError:
        raise ValueError("a private key must be hexadecimal") from None
    account: LocalAccount = Account.from_key("0x" + key)
    return account


def save_keyfile(private_key: str, path: Path, passphrase: str) -> str:
    """Write an Ethereum keystore file (Web3 Secret Storage, scrypt) for ``private_key``; returns its address."""
    account = account_from_key(private_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(Account.encrypt(account.key, passphrase)), encoding="utf-8")
    path.chmod(0o600)
    return str(account.address)


def load_authority_key(
    *, key_file: Path | None = None, passphrase: str | None = None, dev: str | None = None, env: str | None = None
) -> str:
    """An authority's own private key (hex), from exactly one of: an Ethereum keystore file and its passphrase, a
    development account's role (``dev``: dev chains only), or an environment variable holding the hex key (``env``).

    Raises:
        ValueError: none or several sources, an unreadable or undecryptable keystore, a malformed key.
        KeyError: ``dev`` names no development account.
    """
    given = [s for s in (key_file, dev, env) if s is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of: a keystore file (with its passphrase), a dev account, an env variable")
    if dev is not None:
        return dev_account(dev).private_key
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise ValueError(f"environment variable {env} is not set")
        return "0x" + account_from_key(value.strip()).key.hex().removeprefix("0x")
    assert key_file is not None  # noqa: S101 - one source was given
    try:
        keystore = json.loads(key_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read keystore {key_file}: {exc}") from None
    if passphrase is None:
        raise ValueError(f"keystore {key_file} needs its passphrase")
    try:
        key = Account.decrypt(keystore, passphrase)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"cannot decrypt keystore {key_file}: wrong passphrase or damaged file ({exc})") from None
    return "0x" + bytes(key).hex()
