"""Revoking an API token from the command line (``supplychain tokens list|revoke``) on the platform's own database:
its requests and the browser sessions signed in with it are refused at once; the others go on."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backend.services.platform import Platform
from cli.main import app
from tests.backend.test_session import SESSION_COOKIE, SUPPLIERS, sign_in
from tests.chains import MANUFACTURER

ZH = {"LC_ALL": "zh_CN.UTF-8"}


def tokens_cli(platform: Platform, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["tokens", *args, "--data-dir", str(platform.settings.data_dir)], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_a_revoked_token_and_its_sessions_are_refused_at_once(
    client: TestClient, platform: Platform, tokens: dict[str, str]
) -> None:
    cookie = sign_in(client, tokens["manufacturer"])
    assert client.get(SUPPLIERS).status_code == 200
    code, out, _ = tokens_cli(platform, "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [t["organisation"] for t in listed][:1] == [MANUFACTURER] and all(t["revokedAt"] is None for t in listed)
    assert not any(secret in out for secret in tokens.values())  # only hashes are stored; nothing shows a token
    mine = next(t["id"] for t in listed if t["organisation"] == MANUFACTURER)

    code, out, _ = tokens_cli(platform, "revoke", str(mine))
    assert (code, out) == (0, f"revoked token {mine} ({MANUFACTURER})\n")
    bearer = {"Authorization": f"Bearer {tokens['manufacturer']}", "Accept": "application/json"}
    client.cookies.clear()
    assert client.get(SUPPLIERS, headers=bearer).status_code == 401
    client.cookies.set(SESSION_COOKIE, cookie)
    assert client.get(SUPPLIERS, headers={"Accept": "application/json"}).status_code == 401  # its session too
    client.cookies.clear()
    regulator = {"Authorization": f"Bearer {tokens['regulator']}", "Accept": "application/json"}
    assert client.get("/events", headers=regulator).status_code == 200  # the others go on

    code, out, _ = tokens_cli(platform, "revoke", str(mine))  # twice: the first time stays
    revoked = next(t for t in json.loads(tokens_cli(platform, "list", "--json")[1]) if t["id"] == mine)["revokedAt"]
    assert code == 0 and out == f"token {mine} ({MANUFACTURER}) was already revoked at {revoked}\n"
    code, out, _ = tokens_cli(platform, "list", env=ZH)
    assert code == 0 and "撤销时间" in out and revoked in out and "监管部门" in out


def test_revoking_an_unknown_or_malformed_id_is_refused(platform: Platform) -> None:
    code, _, err = tokens_cli(platform, "revoke", "999")
    assert code == 1 and err == "error: there is no token 999: supplychain tokens list shows them\n"
    code, _, err = tokens_cli(platform, "revoke", "999", env=ZH)
    assert code == 1 and err.startswith("错误：没有编号为 999 的令牌")
    for bad in ("0", "-1", "x", str(2**63), "\u0663"):
        code, _, err = tokens_cli(platform, "revoke", bad)
        assert code == 2 and "token_id" in err, (bad, err)
    assert all(t.revoked_at is None for t in platform.tokens())
