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
from cli.common import _, data_dir, fail, locale_lang, pad, pgettext, reported, speaking, term
from supplychain import vocabulary
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
from supplychain.i18n import N_, parse_lang
from supplychain.registry import Level, RecognitionKind, RecognitionStatus, Scope

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


def _unusable(message: str) -> NoReturn:
    fail(message, UNUSABLE)


def _when(t: int | None) -> str:
    if t is None:
        return "-"
    try:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return _("{seconds} (Unix seconds)", seconds=t)


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
            passphrase = typer.prompt(_("Keystore passphrase"), hide_input=True)
    with reported():
        try:
            key = load_authority_key(key_file=key_file, passphrase=passphrase, dev=dev_account, env=key_env)
        except KeyError as exc:
            fail(str(exc.args[0]))
        reg = open_registry(rpc, registry, data)
        chain_id = reg.chain.chain_id
        if dev_account is not None and chain_id not in DEV_CHAIN_IDS:
            fail(_("--dev-account is for local dev chains only; chain {chain} is not one", chain=chain_id))
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
    note = _(
        "credential of recognition {id}, {kind} ({level}) of {holder}, signed by {issuer}; digest {digest}",
        id=recognition,
        kind=term(vocabulary.KINDS, terms.kind),
        level=term(vocabulary.LEVELS, terms.level),
        holder=terms.holder,
        issuer=info.issuer,
        digest=token_digest(token),
    )
    if out is None:
        typer.echo(token)
        typer.echo(note, err=True)
    else:
        typer.echo(_("{note}; written to {path}", note=note, path=out))
    if info.status is not RecognitionStatus.ACTIVE:
        typer.echo(
            _(
                "warning: recognition {id} is {status} on chain: verifiers will say so",
                id=recognition,
                status=term(vocabulary.STATUSES, info.status),
            ),
            err=True,
        )


# --- verify ---


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _unusable(_("cannot read {what} {path}: {reason}", what=_(what), path=path, reason=exc.strerror or exc))


def _payload(token: bytes) -> dict[str, Any]:
    try:
        return decode_credential(token).credential
    except CredentialFormatError:
        return {}


def _check_name(name: str) -> str:
    """What a check of :func:`~supplychain.credentials.verify_credential` is about (its ``name``), in words."""
    names = {
        "format": pgettext("credential check", "format"),
        "signature": pgettext("credential check", "signature"),
        "key": pgettext("credential check", "key"),
        "chain": pgettext("credential check", "chain"),
        "registry": pgettext("credential check", "registry"),
        "recognition": pgettext("credential check", "recognition"),
        "issuer": pgettext("credential check", "issuer"),
        "certifier": pgettext("credential check", "certifier"),
        "claims": pgettext("credential check", "claims"),
        "evidence": pgettext("credential check", "evidence"),
        "status": pgettext("credential check", "status"),
    }
    return names.get(name, name)


def _status_word(status: str) -> str:
    """A credential's status (``in_force``, ``suspended``... or ``unknown``) in words."""
    return _("unknown") if status == "unknown" else term(vocabulary.STANDINGS, status)


def _recognition_lines(rec: dict[str, Any]) -> tuple[str, str]:
    """The recognition (kind, level, grade, scope, standard) and its validity, in words: the scheme's and the level's
    names are the credential's own (:mod:`supplychain.credentials`), in the language of the messages."""
    scheme = SCHEMES[RecognitionKind[rec["kind"]]]
    level_zh, level_en = level_label(Level[rec["level"]])
    chinese = locale_lang() == "zh-CN"
    kind, level = (scheme.zh, level_zh) if chinese else (scheme.en.lower(), level_en)
    parts = [_("{level} {kind}", level=level, kind=kind)]
    if rec["grade"] != "NONE":
        parts.append(rec["grade"].replace("_PLUS", "+"))
    if rec["scope"] != "ENTERPRISE":
        parts.append(_("{scope} {subject}", scope=term(vocabulary.SCOPES, Scope[rec["scope"]]), subject=rec["subject"]))
    parts.append(rec["standardRef"])
    until = _when(rec["validUntil"]) if rec["validUntil"] else _("until revoked")
    return " · ".join(parts), f"{_when(rec['validFrom'])} → {until}"


def _status_line(verdict: CredentialVerdict) -> str:
    status = _status_word(verdict.status.value).upper()  # English in capitals: SUSPENDED
    reason = verdict.status_reason
    if reason is not None and verdict.status.value != "in_force":
        label = reason.label("zh" if locale_lang() == "zh-CN" else "en")  # the credential's own words
        if verdict.status_since is not None:
            text = _(
                "{status} since {when} — reason {code}: {reason}",
                status=status,
                when=_when(verdict.status_since),
                code=reason.code,
                reason=label,
            )
        else:
            text = _("{status} — reason {code}: {reason}", status=status, code=reason.code, reason=label)
    elif verdict.status_since is not None:
        text = _("{status} since {when}", status=status, when=_when(verdict.status_since))
    else:
        text = status
    if not verdict.valid and verdict.recognition is not None:
        text = _("{status} (the chain's recognition; this credential is not valid)", status=text)
    return text


def _outcome(verdict: CredentialVerdict) -> str:
    if verdict.in_force:
        return _("VALID and IN FORCE")
    if verdict.valid:
        return _("VALID, but NOT IN FORCE ({status})", status=_status_word(verdict.status.value))
    return _("INVALID ({reason})", reason=verdict.reason)


def report(verdict: CredentialVerdict, payload: dict[str, Any]) -> list[str]:
    """The verdict as lines for people, in the language of the messages (check details stay as the verifier wrote
    them)."""
    width = 13
    subject = payload.get("credentialSubject", {})
    green, party = subject.get("greenRecognition", {}), subject.get("issuedToParty", {})
    issuer_name, holder_name = payload.get("issuer", {}).get("name"), party.get("name")
    rid = verdict.recognition_id if verdict.recognition_id is not None else "?"
    chain, registry = green.get("chainId", "?"), green.get("registryAddress", "?")
    rows = [
        (
            pgettext("credential report", "Credential"),
            _("recognition {id} · chain {chain} · {registry}", id=rid, chain=chain, registry=registry),
        ),
        (
            pgettext("credential report", "Issuer"),
            (verdict.issuer or "?") + (f" ({issuer_name})" if issuer_name else ""),
        ),
        (
            pgettext("credential report", "Holder"),
            (verdict.holder or "?") + (f" ({holder_name})" if holder_name else ""),
        ),
    ]
    if verdict.recognition is not None:
        recognition, validity = _recognition_lines(verdict.recognition)
        rows += [
            (pgettext("credential report", "Recognition"), recognition),
            (pgettext("credential report", "Validity"), validity),
        ]
    lines = [pad(label, width) + value for label, value in rows]
    lines.append(pgettext("credential report", "Checks"))
    for check in verdict.checks:
        mark = {True: "✓", False: "✗", None: "·"}[check.passed]
        code = f" [{check.code}]" if check.code else ""
        lines.append(f"  {mark} {pad(_check_name(check.name), 13)}{check.detail}{code}")
    lines.append(pad(pgettext("credential report", "Status"), width) + _status_line(verdict))
    lines.append(pad(pgettext("credential report", "Result"), width) + _outcome(verdict))
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
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Language of the report: zh-CN (zh too) or en (default: the locale's)."),
    ] = None,
) -> None:
    """Verify a credential against the chain; exit 0 when valid and in force, 1 otherwise, 2 when unusable.

    Checks its signature, the issuer's authority, every claim, the evidence (with --evidence) and the recognition's
    status now.
    """
    language = parse_lang(lang) if lang is not None else locale_lang()
    if language is None:
        _unusable(_("--lang must be zh-CN or en, not {lang}", lang=repr(lang)))
    token = _read(file, N_("credential"))
    document = _read(evidence, N_("evidence")) if evidence is not None else None
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
        with speaking(language):
            for text in report(verdict, _payload(token)):
                typer.echo(text)
    raise typer.Exit(0 if verdict.in_force else 1)


# --- import / export ---


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    reasons = body.get("reasons")
    detail = f"HTTP {response.status_code}: {body.get('detail', body)}"
    return _("{detail} (reasons: {reasons})", detail=detail, reasons=", ".join(reasons)) if reasons else detail


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
    credential = _read(file, N_("credential"))
    try:
        response = httpx.post(
            platform.rstrip("/") + "/credentials",
            content=credential.strip(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/vc+jwt"},
            timeout=60,
        )
    except httpx.HTTPError as exc:
        fail(_("cannot reach the platform at {url}: {detail}", url=platform, detail=exc))
    if response.status_code not in (200, 201):
        fail(_problem(response))
    body = response.json()
    stored = {
        "digest": body["digest"],
        "id": body["recognitionId"],
        "organisation": body["organisationId"],
        "status": term(vocabulary.STANDINGS, body["status"]),
    }
    if response.status_code == 201:
        typer.echo(_("stored: credential {digest} of recognition {id} ({organisation}), status {status}", **stored))
    else:
        typer.echo(
            _("already stored: credential {digest} of recognition {id} ({organisation}), status {status}", **stored)
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
            fail(_("the platform at {url} holds no credential of recognition {id}", url=platform, id=recognition))
        latest = credentials[-1]
        response = httpx.get(base + latest["href"], headers={"Accept": "application/vc+jwt"}, timeout=60)
    except httpx.HTTPError as exc:
        fail(_("cannot reach the platform at {url}: {detail}", url=platform, detail=exc))
    if response.status_code != 200:
        fail(_problem(response))
    if out is None:
        typer.echo(response.text)
    else:
        out.write_text(response.text + "\n", encoding="ascii")
        typer.echo(
            _(
                "credential {digest} of recognition {id} ({status}) written to {path}",
                digest=latest["digest"],
                id=recognition,
                status=term(vocabulary.STANDINGS, latest["status"]),
                path=out,
            )
        )
