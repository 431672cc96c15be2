"""``supplychain credential``: a certifier signs a recognition's credential; anyone verifies it against the chain; a
supplier imports it to the platform and exports it from there.

``issue`` signs with the certifier's own chain account (a keystore file, an environment variable, or a development
account on a dev chain): the platform never sees the key. ``verify`` trusts nothing but the chain: the registry is the
one recorded by ``supplychain chain up`` (``--data-dir``) or named with ``--registry``, never the one the credential
names. Exit status of ``verify``: 0 valid and in force, 1 otherwise (the report says why), 2 when no verdict could
be reached (an unreadable file, no registry, an unreachable chain).
"""

from __future__ import annotations

import json
import os
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

from chain.accounts import DEV_CHAIN_IDS, load_authority_key
from chain.connection import connect
from chain.deploy import Deployment
from chain.errors import ChainError
from chain.registry import Registry
from cli.chain_cmd import deployment_path
from cli.common import data_dir, fail, reported
from supplychain.credentials import (
    SCHEMES,
    CredentialFormatError,
    CredentialVerdict,
    decode_credential,
    issue_credential,
    level_label,
    parse_address,
    token_digest,
    verify_credential,
)
from supplychain.registry import Level, RecognitionKind, RecognitionStatus

app = typer.Typer(
    epilog="Example: supplychain credential verify recognition-1.jwt --lang zh",
    help="Verifiable credentials of green recognitions: issue, verify, import, export.",
    no_args_is_help=True,
)

Rpc = Annotated[str | None, typer.Option("--rpc", help="JSON-RPC URL (default: $SUPPLYCHAIN_RPC_URL or :8545).")]
RegistryOption = Annotated[
    str | None,
    typer.Option("--registry", help="The registry's address (default: the deployment record in the data folder)."),
]
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: $SUPPLYCHAIN_DATA_DIR or ./data).")
]
PlatformUrl = Annotated[str, typer.Option("--platform", help="The platform's base URL, e.g. http://127.0.0.1:8000.")]

UNUSABLE = 2
DEFAULT_PASSPHRASE_ENV = "SUPPLYCHAIN_KEY_PASSPHRASE"  # noqa: S105 - a variable's name
_ZH_CHECKS = {
    "format": "格式",
    "signature": "签名",
    "key": "签名密钥",
    "chain": "链",
    "registry": "注册合约",
    "recognition": "认定记录",
    "issuer": "签发方",
    "certifier": "认证机构资格",
    "claims": "声明内容",
    "evidence": "评价报告",
    "status": "当前状态",
}
_ZH_STATUS = {
    "in_force": "有效",
    "suspended": "暂停",
    "revoked": "已撤销·摘牌",
    "expired": "已过期",
    "not_yet_valid": "尚未生效",
    "unknown": "未知",
}
_ZH_SCOPE = {"ENTERPRISE": "企业", "FACILITY": "设施", "PRODUCT": "产品"}


def _unusable(message: str) -> NoReturn:
    fail(message, UNUSABLE)


def _when(t: int | None) -> str:
    if t is None:
        return "-"
    try:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{t} (Unix seconds)"


def open_registry(rpc: str | None, registry: str | None, data: Path | None) -> Registry:
    """The registry the user trusts: at ``--registry`` on the chain at ``--rpc``, or the one the data folder's
    deployment record names. Either way its code is checked to be this version of the registry.

    Raises:
        ValueError: ``registry`` is not an address.
        ChainError: the chain cannot be reached, no deployment record, or no registry at the address.
    """
    chain = connect(rpc)
    record = deployment_path(data_dir(data))
    if registry is None:
        deployment = Deployment.load(record)
    elif record.exists() and (known := Deployment.load(record)).address == parse_address(registry):
        deployment = known  # the same registry: its record says from which block to replay
    else:
        deployment = Deployment(
            address=parse_address(registry),
            chain_id=chain.chain_id,
            genesis_hash=chain.genesis_hash,
            block_number=0,  # not known: history is replayed from the first block
            tx_hash="",
            deployer="",
            regulator="",
            code_hash="",
        )
    return Registry(chain, deployment)


def chain_time(registry: Registry) -> int:
    """When to judge a status: the chain's latest block time, or the clock when that is later."""
    return max(int(time.time()), registry.chain.block_timestamp())


# --- issue ---


@app.command(
    epilog="Example: supplychain credential issue --recognition 1 --key-file certifier.json --out recognition-1.jwt"
)
def issue(  # noqa: PLR0917 - typer options
    recognition: Annotated[int, typer.Option("--recognition", help="The recognition's id in the registry.", min=1)],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the credential here (default: stdout).")
    ] = None,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="The certifier's Ethereum keystore (JSON) file.")
    ] = None,
    passphrase_env: Annotated[
        str, typer.Option("--passphrase-env", help="Variable holding the keystore's passphrase (prompted when unset).")
    ] = DEFAULT_PASSPHRASE_ENV,
    dev_account: Annotated[
        str | None, typer.Option("--dev-account", help="A development account's role (dev chains only).")
    ] = None,
    key_env: Annotated[
        str | None, typer.Option("--key-env", help="Environment variable holding the hex private key.")
    ] = None,
    issuer_name: Annotated[str | None, typer.Option("--issuer-name", help="The certifier's name.")] = None,
    holder_name: Annotated[str | None, typer.Option("--holder-name", help="The holder's name.")] = None,
    rpc: Rpc = None,
    registry: RegistryOption = None,
    data: DataDir = None,
) -> None:
    """Sign a recognition's credential with the certifier's own key (the account that issued it on chain)."""
    passphrase = None
    if key_file is not None:
        passphrase = os.environ.get(passphrase_env)
        if passphrase is None:
            passphrase = typer.prompt("Keystore passphrase", hide_input=True)
    with reported():
        try:
            key = load_authority_key(key_file=key_file, passphrase=passphrase, dev=dev_account, env=key_env)
        except KeyError as exc:
            fail(str(exc.args[0]))
        reg = open_registry(rpc, registry, data)
        chain_id = reg.chain.chain_id
        if dev_account is not None and chain_id not in DEV_CHAIN_IDS:
            fail(f"--dev-account is for local dev chains only; chain {chain_id} is not one")
        info = reg.recognition(recognition)
        token = issue_credential(
            recognition,
            info.issuer,
            info.terms,
            key,
            chain_id=chain_id,
            registry_address=reg.address,
            issuer_name=issuer_name,
            holder_name=holder_name,
        )
        if out is not None:
            out.write_text(token + "\n", encoding="ascii")
    terms = info.terms
    what = f"{SCHEMES[terms.kind].en.lower()} ({terms.level.name.lower()}) of {terms.holder}"
    note = f"credential of recognition {recognition}, {what}, signed by {info.issuer}; digest {token_digest(token)}"
    if out is None:
        typer.echo(token)
        typer.echo(note, err=True)
    else:
        typer.echo(f"{note}; written to {out}")
    if info.status is not RecognitionStatus.ACTIVE:
        typer.echo(
            f"warning: recognition {recognition} is {info.status.name.lower()} on chain: verifiers will say so",
            err=True,
        )


# --- verify ---


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _unusable(f"cannot read {what} {path}: {exc.strerror or exc}")


def _payload(token: bytes) -> dict[str, Any]:
    try:
        return decode_credential(token).credential
    except CredentialFormatError:
        return {}


_LABELS = {
    "en": ("Credential", "Issuer", "Holder", "Recognition", "Validity", "Checks", "Status", "Result"),
    "zh": ("凭证", "签发方", "持有单位", "认定", "有效期", "核验项", "状态", "结论"),
}


def _recognition_lines(rec: dict[str, Any], zh: bool) -> tuple[str, str]:
    """The recognition (kind, level, grade, scope, standard) and its validity, in words."""
    kind = SCHEMES[RecognitionKind[rec["kind"]]]
    level_zh, level_en = level_label(Level[rec["level"]])
    text = f"{level_zh}{kind.zh}" if zh else f"{kind.zh} {kind.en.lower()} · {level_en} ({level_zh})"
    if rec["grade"] != "NONE":
        text += " · " + rec["grade"].replace("_PLUS", "+")
    if rec["scope"] != "ENTERPRISE":
        text += f" · {_ZH_SCOPE[rec['scope']] if zh else rec['scope'].lower()} {rec['subject']}"
    text += f" · {rec['standardRef']}"
    until = _when(rec["validUntil"]) if rec["validUntil"] else ("撤销前长期有效" if zh else "until revoked")
    return text, f"{_when(rec['validFrom'])} → {until}"


def _status_line(verdict: CredentialVerdict, zh: bool) -> str:
    status = verdict.status.value
    text = _ZH_STATUS[status] if zh else status.replace("_", " ").upper()
    if verdict.status_since is not None:
        text += f" 自 {_when(verdict.status_since)}" if zh else f" since {_when(verdict.status_since)}"
    reason = verdict.status_reason
    if reason is not None and status != "in_force":
        text += f",原因 {reason.code}:{reason.label('zh')}" if zh else f" — reason {reason.code}: {reason.label()}"
    if not verdict.valid and verdict.recognition is not None:
        text += "(链上认定的状态;本凭证无效)" if zh else " (the chain's recognition; this credential is not valid)"
    return text


def _pad(text: str, columns: int) -> str:
    """``text`` padded to ``columns`` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(columns - used, 1)


def _outcome(verdict: CredentialVerdict, zh: bool) -> str:
    if verdict.in_force:
        return "凭证有效,认定当前有效" if zh else "VALID and IN FORCE"
    if verdict.valid:
        status = verdict.status.value
        return f"凭证有效,但认定当前不在有效状态({_ZH_STATUS[status]})" if zh else f"VALID, but NOT IN FORCE ({status})"
    return f"凭证无效({verdict.reason})" if zh else f"INVALID ({verdict.reason})"


def report(verdict: CredentialVerdict, payload: dict[str, Any], lang: str = "en") -> list[str]:
    """The verdict as lines for people, in English or Chinese (check details stay as the verifier wrote them)."""
    zh = lang == "zh"
    labels = _LABELS[lang]
    width = 13
    subject = payload.get("credentialSubject", {})
    green, party = subject.get("greenRecognition", {}), subject.get("issuedToParty", {})
    issuer_name, holder_name = payload.get("issuer", {}).get("name"), party.get("name")
    rid = verdict.recognition_id if verdict.recognition_id is not None else "?"
    chain, registry = green.get("chainId", "?"), green.get("registryAddress", "?")
    values = [
        f"认定编号 {rid} · 链 {chain} · 注册合约 {registry}"
        if zh
        else f"recognition {rid} · chain {chain} · {registry}",
        (verdict.issuer or "?") + (f" ({issuer_name})" if issuer_name else ""),
        (verdict.holder or "?") + (f" ({holder_name})" if holder_name else ""),
    ]
    if verdict.recognition is not None:
        values += _recognition_lines(verdict.recognition, zh)
    lines = [_pad(label, width) + value for label, value in zip(labels, values, strict=False)]
    lines.append(labels[5])
    for check in verdict.checks:
        mark = {True: "✓", False: "✗", None: "·"}[check.passed]
        name = _ZH_CHECKS[check.name] if zh else check.name
        code = f" [{check.code}]" if check.code else ""
        lines.append(f"  {mark} {_pad(name, 13)}{check.detail}{code}")
    lines.append(_pad(labels[6], width) + _status_line(verdict, zh))
    lines.append(_pad(labels[7], width) + _outcome(verdict, zh))
    return lines


@app.command(epilog="Example: supplychain credential verify recognition-1.jwt --evidence evaluation.pdf --lang zh")
def verify(  # noqa: PLR0917 - typer options
    file: Annotated[Path, typer.Argument(help="The credential (a compact JWS, as `issue` writes it).")],
    rpc: Rpc = None,
    registry: RegistryOption = None,
    data: DataDir = None,
    evidence: Annotated[
        Path | None, typer.Option("--evidence", help="The evaluation report: its SHA-256 must be on chain.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: en or zh.")] = "en",
) -> None:
    """Verify a credential against the chain; exit 0 when valid and in force, 1 otherwise, 2 when unusable.

    Checks its signature, the issuer's authority, every claim, the evidence (with --evidence) and the recognition's
    status now.
    """
    if lang not in ("en", "zh"):
        _unusable(f"--lang must be en or zh, not {lang!r}")
    token = _read(file, "credential")
    document = _read(evidence, "evidence") if evidence is not None else None
    try:
        reg = open_registry(rpc, registry, data)
        mirror = reg.mirror()
        now = chain_time(reg)
    except (ChainError, ValueError) as exc:
        _unusable(f"{type(exc).__name__}: {exc}")
    verdict = verify_credential(
        token, mirror, chain_id=reg.chain.chain_id, registry_address=reg.address, now=now, evidence=document
    )
    if as_json:
        typer.echo(json.dumps(verdict.to_json(), ensure_ascii=False, indent=2))
    else:
        for text in report(verdict, _payload(token), lang):
            typer.echo(text)
    raise typer.Exit(0 if verdict.in_force else 1)


# --- import / export ---


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    reasons = body.get("reasons")
    tail = f" (reasons: {', '.join(reasons)})" if reasons else ""
    return f"HTTP {response.status_code}: {body.get('detail', body)}{tail}"


@app.command(
    "import",
    epilog=(
        'Example: supplychain credential import recognition-1.jwt --platform http://127.0.0.1:8000 --token "$ORG_TOKEN"'
    ),
)
def import_(
    file: Annotated[Path, typer.Argument(help="The credential to upload.")],
    platform: PlatformUrl,
    token: Annotated[str, typer.Option("--token", envvar="SUPPLYCHAIN_TOKEN", help="Your organisation's API token.")],
) -> None:
    """Upload a credential of your organisation to the platform (it must be valid and about your organisation)."""
    credential = _read(file, "credential")
    try:
        response = httpx.post(
            platform.rstrip("/") + "/credentials",
            content=credential.strip(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/vc+jwt"},
            timeout=60,
        )
    except httpx.HTTPError as exc:
        fail(f"cannot reach the platform at {platform}: {exc}")
    if response.status_code not in (200, 201):
        fail(_problem(response))
    body = response.json()
    verb = "stored" if response.status_code == 201 else "already stored"
    typer.echo(
        f"{verb}: credential {body['digest']} of recognition {body['recognitionId']} ({body['organisationId']}), "
        f"status {body['status']}"
    )


@app.command(
    epilog=(
        "Example: supplychain credential export --recognition 1 "
        "--platform http://127.0.0.1:8000 --out recognition-1.jwt"
    )
)
def export(
    recognition: Annotated[int, typer.Option("--recognition", help="The recognition's id in the registry.", min=1)],
    platform: PlatformUrl,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the credential here (default: stdout).")
    ] = None,
) -> None:
    """Download the credential of a recognition stored on the platform (the latest imported one)."""
    base = platform.rstrip("/")
    try:
        listed = httpx.get(base + "/credentials", params={"recognition": recognition}, timeout=60)
        if listed.status_code != 200:
            fail(_problem(listed))
        credentials = listed.json()["credentials"]
        if not credentials:
            fail(f"the platform at {platform} holds no credential of recognition {recognition}")
        latest = credentials[-1]
        response = httpx.get(base + latest["href"], headers={"Accept": "application/vc+jwt"}, timeout=60)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the platform at {platform}: {exc}")
    if response.status_code != 200:
        fail(_problem(response))
    if out is None:
        typer.echo(response.text)
    else:
        out.write_text(response.text + "\n", encoding="ascii")
        typer.echo(f"credential {latest['digest']} of recognition {recognition} ({latest['status']}) written to {out}")
