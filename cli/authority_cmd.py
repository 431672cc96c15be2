"""``supplychain authority``: certifiers and the regulator act on chain from their own keys.

Every command that changes the registry prepares the call, checks it (the sender's role now, then a dry run), signs
it with the authority's own key, sends it, and prints the transaction hash, the block and the decoded outcome (the new
recognition's id, its status, the spot-check count, ...). The key comes from exactly one of: a keystore file
(``--key-file``; its passphrase from the variable named by ``--passphrase-env``, else a prompt), an environment
variable holding the hex key (``--key-env``), or a development account (``--dev-account``, local dev chains only).

The call goes to the node (``--rpc``, the registry from ``--registry`` or the platform's deployment record) or, with
``--platform URL``, through the platform's relay: the platform prepares the unsigned transaction, the command checks
that it calls what was asked, signs it here, and the platform broadcasts the signed bytes. The key never leaves this
process. Evidence documents and spot-check reports stay with their owners; only their SHA-256 goes on chain.

These options are defined once (:data:`_SHARED`): a command declares a :class:`Target` (or :class:`NodeTarget`) and a
:class:`KeySource` parameter, and :func:`shared_options` gives it the options they stand for.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import httpx
import typer
from pydantic import ValidationError

from backend.core.config import Settings
from chain.accounts import DEV_CHAIN_IDS, account_from_key, load_authority_key, save_keyfile
from chain.authority import (
    KIND_NAMES,
    CallRefusedError,
    authority_function,
    decode_args,
    encode_args,
    explain,
    file_digest,
    parse_address,
    parse_reason,
    parse_time,
    recognition_json,
)
from chain.connection import Chain, connect, default_rpc_url
from chain.deploy import Deployment
from chain.errors import RegistryError, RegistryNotFoundError
from chain.registry import Registry
from chain.relay import describe_prepared, prepare, send, sign_prepared
from cli.common import _, data_dir, fail, reported, word
from supplychain import vocabulary
from supplychain.i18n import N_
from supplychain.registry import Level, ReasonCode, RecognitionStatus, Scope

app = typer.Typer(
    epilog="Example: supplychain authority show 1 --rpc http://127.0.0.1:8545",
    help="Authorities' actions on chain, from their own keys (directly or through the platform's relay).",
    no_args_is_help=True,
)

_WHERE = "Where the call goes"
_KEY = "The authority's key"

Rpc = Annotated[
    str | None,
    typer.Option(
        "--rpc", rich_help_panel=_WHERE, help="JSON-RPC URL (default: $SUPPLYCHAIN_RPC_URL, else the settings')."
    ),
]
RegistryAddress = Annotated[
    str | None,
    typer.Option(
        "--registry",
        rich_help_panel=_WHERE,
        help="The registry's address (default: the platform's record, DATA/deployment.json).",
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", rich_help_panel=_WHERE, help="Data folder of the deployment record (default: the settings')."
    ),
]
KeyFile = Annotated[
    Path | None, typer.Option("--key-file", rich_help_panel=_KEY, help="The authority's Ethereum keystore file.")
]
PassphraseEnv = Annotated[
    str,
    typer.Option(
        "--passphrase-env",
        rich_help_panel=_KEY,
        help="Variable holding the keystore's passphrase (prompted when unset).",
    ),
]
DevAccount = Annotated[
    str | None,
    typer.Option(
        "--dev-account",
        rich_help_panel=_KEY,
        help="A development account's role (e.g. provincial-certifier): dev chains only.",
    ),
]
KeyEnv = Annotated[
    str | None,
    typer.Option("--key-env", rich_help_panel=_KEY, help="Variable holding the authority's hex private key."),
]
PlatformUrl = Annotated[
    str | None,
    typer.Option(
        "--platform", rich_help_panel=_WHERE, help="Send through the platform's relay at this base URL, not to a node."
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="SUPPLYCHAIN_TOKEN", rich_help_panel=_WHERE, help="API token for the platform, if needed."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")]
Reason = Annotated[
    str, typer.Option("--reason", help="Reason code: a name (spot-check-failed, rectified, ...) or a number.")
]

DEFAULT_PASSPHRASE_ENV = "SUPPLYCHAIN_KEY_PASSPHRASE"  # noqa: S105 - a variable's name
_NOW = "now"


class PlatformError(Exception):
    """The platform answered an error (its problem+json detail)."""


@dataclass(frozen=True)
class Target:
    """Where a call goes: a node and the registry on it, or the platform's relay."""

    rpc: str | None = None
    registry: str | None = None
    data: Path | None = None
    platform: str | None = None
    token: str | None = None

    def open(self, *, dev: bool) -> Registry:
        """The registry on the node (refusing development keys on other chains)."""
        url = self.rpc or _settings_value("rpc_url") or default_rpc_url()
        chain = connect(url)
        if dev:
            _dev_chain_only(chain.chain_id, url)
        record = self.data.resolve() / "deployment.json" if self.data else _deployment_record()
        if self.registry is None:
            return Registry(chain, Deployment.load(record))
        address = parse_address(self.registry)
        if record.exists() and (known := Deployment.load(record)).address == address:
            return Registry(chain, known)
        return Registry(chain, _bare_deployment(chain, address))

    def client(self) -> httpx.Client:
        """An HTTP client on the platform."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=str(self.platform).rstrip("/"), headers=headers, timeout=90.0)


@dataclass(frozen=True)
class KeySource:
    """Where the authority's key comes from (exactly one)."""

    key_file: Path | None
    passphrase_env: str
    dev: str | None
    env: str | None

    def load(self) -> str:
        """The private key (hex)."""
        passphrase = None
        if self.key_file is not None:
            if not self.key_file.is_file():
                raise ValueError(_("keystore {path} does not exist", path=self.key_file))
            passphrase = os.environ.get(self.passphrase_env)
            if passphrase is None:
                passphrase = str(typer.prompt(_("Passphrase of {path}", path=self.key_file), hide_input=True))
        try:
            return load_authority_key(key_file=self.key_file, passphrase=passphrase, dev=self.dev, env=self.env)
        except KeyError as exc:
            raise ValueError(str(exc.args[0])) from None


class NodeTarget(Target):
    """A node and the registry on it (the commands that only read the chain)."""


_SHARED: dict[type, tuple[tuple[str, Any, Any], ...]] = {
    NodeTarget: (("rpc", Rpc, None), ("registry", RegistryAddress, None), ("data", DataDir, None)),
    Target: (
        ("rpc", Rpc, None),
        ("registry", RegistryAddress, None),
        ("data", DataDir, None),
        ("platform", PlatformUrl, None),
        ("token", Token, None),
    ),
    KeySource: (
        ("key_file", KeyFile, None),
        ("passphrase_env", PassphraseEnv, DEFAULT_PASSPHRASE_ENV),
        ("dev", DevAccount, None),
        ("env", KeyEnv, None),
    ),
}
"""The options shared by the authorities' commands, defined once: a parameter annotated with one of these classes
stands for these options (name, typer annotation, default), in the order of the class's fields."""


def shared_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` as typer should see it: its parameters annotated :class:`Target`, :class:`NodeTarget` or
    :class:`KeySource` replaced by their options (:data:`_SHARED`, listed after the command's own options and shown
    in their own panels of ``--help``); it is called with the objects they make.

    Example: ``def suspend(recognition_id: RecognitionId, reason: Reason, *, target: Target, key: KeySource)``
    takes ``--rpc``, ``--registry``, ``--data-dir``, ``--platform``, ``--token``, ``--key-file``,
    ``--passphrase-env``, ``--dev-account`` and ``--key-env``.
    """
    hints = get_type_hints(command, include_extras=True)
    own: list[inspect.Parameter] = []
    shared: list[inspect.Parameter] = []
    made: dict[str, tuple[type, tuple[str, ...]]] = {}
    for param in inspect.signature(command).parameters.values():
        hint = hints[param.name]
        if isinstance(hint, type) and hint in _SHARED:
            options = _SHARED[hint]
            made[param.name] = (hint, tuple(f"{param.name}_{name}" for name, _annotation, _default in options))
            shared += [
                inspect.Parameter(f"{param.name}_{name}", inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
                for name, a, d in options
            ]
        else:
            own.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hint))

    @functools.wraps(command)
    def run(**values: Any) -> None:
        for name, (cls, options) in made.items():
            values[name] = cls(*(values.pop(option) for option in options))
        command(**values)

    parameters = own + shared
    run.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


def _settings_value(name: str) -> Any:
    try:
        return getattr(Settings(), name)
    except ValidationError:
        return None


def _deployment_record() -> Path:
    return _settings_value("deployment_path") or data_dir() / "deployment.json"


def _bare_deployment(chain: Chain, address: str) -> Deployment:
    """A record for a registry known only by its address (history is then read from block 0)."""
    return Deployment(address, chain.chain_id, chain.genesis_hash, 0, "", "", "", "")


def _dev_chain_only(chain_id: int, where: str) -> None:
    if chain_id not in DEV_CHAIN_IDS:
        raise ValueError(
            _(
                "--dev-account keys are public: they are for local dev chains only, and chain {chain} at {where} is "
                "not one; give --key-file or --key-env",
                chain=chain_id,
                where=where,
            )
        )


@contextmanager
def _reported() -> Iterator[None]:
    with reported():
        try:
            yield
        except CallRefusedError as exc:
            fail(_("refused ({reason}): {detail}", reason=exc.reason, detail=exc))
        except RegistryError as exc:
            if exc.tx_hash:
                fail(_("the registry refused it: {why} (transaction {hash})", why=explain(exc), hash=exc.tx_hash))
            fail(_("the registry refused it: {why}", why=explain(exc)))
        except PlatformError as exc:
            fail(_("the platform refused it: {detail}", detail=exc))
        except KeyError as exc:  # an unknown development account
            fail(str(exc.args[0]) if exc.args else repr(exc))
        except ValueError as exc:  # bad input, named by the message itself
            fail(str(exc))
        except httpx.HTTPError as exc:
            fail(_("the platform cannot be reached: {detail}", detail=exc))


def _request(client: httpx.Client, method: str, path: str, body: Any = None) -> Any:
    response = client.request(method, path, json=body)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400:
        if isinstance(answer, Mapping) and "detail" in answer:
            code = str(answer.get("type", "")).rsplit("/", 1)[-1]
            raise PlatformError(f"{response.status_code} {code}: {answer['detail']}")
        raise PlatformError(
            _("{status} {phrase} from {path}", status=response.status_code, phrase=response.reason_phrase, path=path)
        )
    if answer is None:
        raise PlatformError(_("{path} did not answer JSON", path=path))
    return answer


def _call(function: str, args: object) -> str:
    """A registry call as code writes it: ``suspendRecognition({...})``."""
    return f"{function}({args})"


def _check_prepared(prepared: Mapping[str, Any], function: str, args: Mapping[str, Any], target: Target) -> None:
    """Refuse a transaction the platform prepared unless its data calls exactly what was asked."""
    name, decoded = describe_prepared(prepared)
    wanted = decode_args(function, encode_args(function, args))
    if name != authority_function(function).name or decoded != wanted:
        raise CallRefusedError(
            "inconsistent-transaction",
            _(
                "the platform prepared {prepared}, not {asked}",
                prepared=_call(name, decoded),
                asked=_call(function, wanted),
            ),
        )
    if target.registry is not None and parse_address(str(prepared.get("to"))) != parse_address(target.registry):
        raise CallRefusedError(
            "wrong-target", _("the platform prepared a call of {to}, not the registry", to=prepared.get("to"))
        )


def _act(function: str, args: dict[str, Any], target: Target, key: KeySource) -> dict[str, Any]:
    private_key = key.load()
    if target.platform is None:
        registry = target.open(dev=key.dev is not None)
        if args.get("validFrom") == _NOW:
            args["validFrom"] = registry.chain.block_timestamp()
        return send(registry, private_key, function, args).to_json()
    if args.get("validFrom") == _NOW:
        args["validFrom"] = int(time.time())
    sender = account_from_key(private_key).address
    with target.client() as client:
        prepared = _request(
            client, "POST", "/registry/transactions/prepare", {"from": sender, "function": function, "args": args}
        )
        if key.dev is not None:
            _dev_chain_only(int(prepared.get("chainId", 0)), target.platform)
        _check_prepared(prepared, function, args, target)
        raw = sign_prepared(private_key, prepared)
        answer: dict[str, Any] = _request(
            client, "POST", "/registry/transactions", {"rawTransaction": "0x" + raw.hex()}
        )
    return answer


def _when(ts: int | None) -> str:
    if not ts:
        return "-"
    return f"{datetime.fromtimestamp(ts, UTC):%Y-%m-%d %H:%M:%S} UTC"


def _flat(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, Mapping):
        return [item for k, v in value.items() for item in _flat(v, f"{prefix}{k}.")]
    return [f"{prefix.rstrip('.')}={value}"]


def _print_result(result: Mapping[str, Any], as_json: bool, notes: Mapping[str, str]) -> None:
    if as_json:
        typer.echo(json.dumps({**result, **({"notes": dict(notes)} if notes else {})}, ensure_ascii=False, indent=2))
        return
    if result.get("alreadyMined"):
        typer.echo(_("transaction: {hash} (already mined: relayed before)", hash=result["txHash"]))
    else:
        typer.echo(_("transaction: {hash}", hash=result["txHash"]))
    typer.echo(_("block: {number}", number=result["blockNumber"]))
    typer.echo(_("function: {function} from {sender}", function=result["function"], sender=result["sender"]))
    for event in result.get("events", []):
        fields = {k: v for k, v in event.items() if k not in ("event", "blockNumber", "logIndex")}
        typer.echo(_("event: {event} {fields}", event=event["event"], fields=" ".join(_flat(fields))))
    for name, value in result.get("result", {}).items():
        typer.echo(f"{name}: {value}" + (f" ({_when(value)})" if name == "exemptUntil" else ""))
    for name, value in notes.items():
        typer.echo(f"{name}: {value}")


def _digest(path: Path, what: str) -> str:
    try:
        return "0x" + file_digest(path).hex()
    except OSError as exc:
        raise ValueError(
            _("cannot read the {what} {path}: {reason}", what=_(what), path=path, reason=exc.strerror or exc)
        ) from None


def _run(
    function: str,
    args: dict[str, Any],
    target: Target,
    key: KeySource,
    *,
    as_json: bool,
    notes: Mapping[str, str] | None = None,
) -> None:
    with _reported():
        result = _act(function, args, target, key)
    _print_result(result, as_json, notes or {})


# --- commands ---


@app.command(
    "register-certifier",
    epilog=(
        "Example: supplychain authority register-certifier 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --level "
        "2 --dev-account regulator"
    ),
)
@shared_options
def register_certifier(
    address: Annotated[str, typer.Argument(help="The certifier's account address.")],
    level: Annotated[
        str, typer.Option("--level", help="Highest level it may grant: 1 city, 2 provincial, 3 national.")
    ],
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Register a certifier, or change its level (the regulator)."""
    _run(
        "registerCertifier",
        {"certifier": address, "level": level},
        target,
        key,
        as_json=as_json,
    )


@app.command(
    "remove-certifier",
    epilog=(
        "Example: supplychain authority remove-certifier 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 "
        "--key-file regulator.json"
    ),
)
@shared_options
def remove_certifier(
    address: Annotated[str, typer.Argument(help="The certifier's account address.")],
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Remove a certifier (the regulator); the recognitions it issued stay."""
    _run(
        "removeCertifier",
        {"certifier": address},
        target,
        key,
        as_json=as_json,
    )


@app.command(
    "issue",
    epilog=(
        "Example: supplychain authority issue --holder 6901234000016 --kind green-factory --level provincial "
        "--evidence evaluation.pdf --key-file certifier.json"
    ),
)
@shared_options
def issue(
    *,
    holder: Annotated[str, typer.Option("--holder", help="The recognised organisation: GLN or USCC.")],
    kind: Annotated[
        str,
        typer.Option("--kind", help="green-factory, green-design-product, green-park or green-supply-chain (or 1-4)."),
    ],
    level: Annotated[str, typer.Option("--level", help="city, provincial or national (or 1-3).")],
    evidence: Annotated[
        Path, typer.Option("--evidence", help="The evaluation report: its SHA-256 goes on chain, the file stays here.")
    ],
    grade: Annotated[str, typer.Option("--grade", help="none, b, a or a+ (national green factories only).")] = "none",
    scope: Annotated[
        str | None, typer.Option("--scope", help="enterprise, facility or product (default: from the subject).")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="The facility's GLN or the product's GTIN.")] = None,
    product: Annotated[str | None, typer.Option("--product", help="The product's GTIN (same as --subject).")] = None,
    standard: Annotated[
        str | None, typer.Option("--standard", help="Evaluation standard (default by kind, e.g. GB/T 36132-2018).")
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", help="ISO date or date-time (UTC), or seconds (default: now).")
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help="End of validity, exclusive (default: until revoked).")
    ] = None,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Issue a green recognition (a certifier, up to its own level); prints the new recognition's id."""
    with _reported():
        if subject is not None and product is not None and subject != product:
            raise ValueError(_("give the product's GTIN with --product or --subject, not two different ones"))
        evidence_hash = _digest(evidence, N_("evidence file"))
        args: dict[str, Any] = {
            "holder": holder,
            "kind": kind,
            "level": level,
            "grade": grade,
            "scope": scope if scope is not None else "product" if product is not None else None,
            "subject": product or subject,
            "standardRef": standard,
            "validFrom": _NOW if valid_from is None else parse_time(valid_from),
            "validUntil": None if valid_until is None else parse_time(valid_until),
            "evidenceHash": evidence_hash,
        }
    _run(
        "issueRecognition",
        {k: v for k, v in args.items() if v is not None},
        target,
        key,
        as_json=as_json,
        notes={"evidenceHash": f"{evidence_hash} (sha256 of {evidence})"},
    )


def _status_change(
    function: str, recognition_id: int, reason: str, target: Target, key: KeySource, *, as_json: bool
) -> None:
    with _reported():
        code = parse_reason(reason)
    _run(function, {"id": recognition_id, "reason": code}, target, key, as_json=as_json)


RecognitionId = Annotated[int, typer.Argument(min=1, help="The recognition's id.")]


@app.command(
    "suspend", epilog="Example: supplychain authority suspend 1 --reason spot-check-failed --key-file certifier.json"
)
@shared_options
def suspend(
    recognition_id: RecognitionId,
    reason: Reason,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Suspend a recognition (its issuer or the regulator)."""
    _status_change("suspendRecognition", recognition_id, reason, target, key, as_json=as_json)


@app.command(
    "reinstate", epilog="Example: supplychain authority reinstate 1 --reason rectified --key-file certifier.json"
)
@shared_options
def reinstate(
    recognition_id: RecognitionId,
    reason: Reason = "rectified",
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Reinstate a suspended recognition (its issuer or the regulator)."""
    _status_change("reinstateRecognition", recognition_id, reason, target, key, as_json=as_json)


@app.command(
    "revoke",
    epilog=(
        "Example: supplychain authority revoke 1 --reason data-falsified --platform http://127.0.0.1:8000 "
        "--key-file certifier.json"
    ),
)
@shared_options
def revoke(
    recognition_id: RecognitionId,
    reason: Reason,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Revoke a recognition for good (摘牌; its issuer or the regulator)."""
    _status_change("revokeRecognition", recognition_id, reason, target, key, as_json=as_json)


@app.command(
    "spot-check",
    epilog=(
        "Example: supplychain authority spot-check 1 --report spot-check-2026.pdf --passed --key-file regulator.json"
    ),
)
@shared_options
def spot_check(
    recognition_id: RecognitionId,
    report: Annotated[Path, typer.Option("--report", help="The spot-check report: its SHA-256 goes on chain.")],
    passed: Annotated[bool, typer.Option("--passed/--failed", help="The result of the spot check.")],
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Record a spot check's result (the regulator); three passes in a row exempt the unit for five years."""
    with _reported():
        report_hash = _digest(report, N_("report"))
    _run(
        "recordSpotCheck",
        {"id": recognition_id, "passed": passed, "reportHash": report_hash},
        target,
        key,
        as_json=as_json,
        notes={"reportHash": f"{report_hash} (sha256 of {report})"},
    )


def _recognition(recognition_id: int, target: Target) -> dict[str, Any]:
    if target.platform is not None:
        with target.client() as client:
            answer: dict[str, Any] = _request(client, "GET", f"/registry/recognitions/{recognition_id}")
            return answer
    registry = target.open(dev=False)
    try:
        return recognition_json(registry, recognition_id, registry.mirror())
    except RegistryNotFoundError:
        raise ValueError(
            _("there is no recognition {id} in the registry at {address}", id=recognition_id, address=registry.address)
        ) from None


_KINDS = {name: kind for kind, name in KIND_NAMES.items()}


def _named(words: Mapping[Any, str], member: Any, name: str) -> str:
    """The vocabulary's word for ``member`` in the locale's language, else the name the JSON gives."""
    known = words.get(member)
    return word(known) if known else name


def _enum_named(words: Mapping[Any, str], enum: Any, name: str | None) -> str:
    """The word for a kebab-case name of ``enum``'s members (``environmental-incident``), else the name itself."""
    member = enum.__members__.get((name or "").replace("-", "_").upper())
    return _named(words, member, str(name))


def _terms(r: Mapping[str, Any]) -> str:
    """What a recognition recognises, in words: kind, level, grade, what it covers."""
    terms = [
        _named(vocabulary.KINDS, _KINDS.get(r["kind"]), r["kind"]),
        _enum_named(vocabulary.LEVELS, Level, r["level"]),
    ]
    if r["grade"] != "none":
        terms.append(_("grade {grade}", grade=r["grade"].upper()))
    if r["subject"]:
        scope = _enum_named(vocabulary.SCOPES, Scope, r["scope"])
        terms.append(_("{scope} {subject}", scope=scope, subject=r["subject"]))
    else:
        terms.append(_("the whole enterprise"))
    return _(", ").join(terms)


def _print_recognition(r: Mapping[str, Any]) -> None:
    """A recognition as ``show`` prints it for people: domain words from the vocabulary, in the locale's language."""
    typer.echo(_("recognition {id}: {terms}", id=r["id"], terms=_terms(r)))
    typer.echo(_("holder: {holder}", holder=r["holder"]))
    typer.echo(_("issuer: {issuer}, issued {when}", issuer=r["issuer"], when=_when(r["issuedAt"])))
    typer.echo(_("standard: {standard}", standard=r["standardRef"]))
    validity = {
        "start": _when(r["validFrom"]),
        "end": _when(r["validUntil"]) if r["validUntil"] else _("until revoked"),
    }
    if r["expired"]:
        typer.echo(_("validity: {start} to {end} (expired)", **validity))
    else:
        typer.echo(_("validity: {start} to {end}", **validity))
    typer.echo(_("evidence: {hash}", hash=r["evidenceHash"]))
    typer.echo(
        _(
            "status: {status} since {when}; in force now: {answer}",
            status=_enum_named(vocabulary.STATUSES, RecognitionStatus, r["status"]),
            when=_when(r["statusChangedAt"]),
            answer=_("yes") if r["inForce"] else _("no"),
        )
    )
    for change in r["statusHistory"]:
        values = {
            "when": _when(change["timestamp"]),
            "status": _enum_named(vocabulary.STATUSES, RecognitionStatus, change["status"]),
            "reason": _enum_named(vocabulary.REASONS, ReasonCode, change["reasonName"])
            if change["reasonName"]
            else change["reason"],
        }
        if "by" in change:
            typer.echo("  " + _("{when} {status} ({reason}) by {by}", by=change["by"], **values))
        else:
            typer.echo("  " + _("{when} {status} ({reason})", **values))
    _print_spot_checks(r["spotChecks"])


def _print_spot_checks(s: Mapping[str, Any]) -> None:
    checks = {"count": s["count"], "passes": s["consecutivePasses"], "last": _when(s["lastCheckedAt"])}
    if s["exempt"]:
        typer.echo(
            _(
                "spot checks: {count}, {passes} passed in a row, last {last}; exempt until {until}",
                until=_when(s["exemptUntil"]),
                **checks,
            )
        )
    else:
        typer.echo(_("spot checks: {count}, {passes} passed in a row, last {last}; not exempt", **checks))
    for check in s["records"]:
        record = {"when": _when(check["timestamp"]), "hash": check["reportHash"]}
        if check["passed"]:
            typer.echo("  " + _("{when} passed, report {hash}", **record))
        else:
            typer.echo("  " + _("{when} failed, report {hash}", **record))


OrganisationId = Annotated[
    str, typer.Argument(help="The organisation's id: a GLN (13 digits) or a USCC (18 characters).")
]


def _organisation_call(function: str, args: dict[str, Any], target: Target, key: KeySource, *, as_json: bool) -> None:
    if "reason" in args:
        with _reported():
            args["reason"] = parse_reason(args["reason"])
    _run(function, args, target, key, as_json=as_json)


@app.command(
    "register-organisation",
    epilog=(
        "Example: supplychain authority register-organisation 6901234000016 --roles manufacturer,supplier "
        "--profile profile.json --key-file regulator.json"
    ),
)
@shared_options
def register_organisation(
    organisation: OrganisationId,
    roles: Annotated[
        str,
        typer.Option("--roles", help="Business roles, comma separated: manufacturer, supplier, logistics, retailer."),
    ],
    profile: Annotated[
        Path | None, typer.Option("--profile", help="The organisation's profile document: its SHA-256 goes on chain.")
    ] = None,
    profile_uri: Annotated[str, typer.Option("--profile-uri", help="Where the profile can be read.")] = "",
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Register an organisation with its business roles (the regulator)."""
    args: dict[str, Any] = {"organisation": organisation, "roles": roles, "profileUri": profile_uri}
    if profile is not None:
        with _reported():
            args["profileHash"] = "0x" + file_digest(profile).hex()
    _organisation_call("registerOrganisation", args, target, key, as_json=as_json)


@app.command(
    "suspend-organisation",
    epilog=(
        "Example: supplychain authority suspend-organisation 6901234000016 --reason safety-incident "
        "--key-file regulator.json"
    ),
)
@shared_options
def suspend_organisation(
    organisation: OrganisationId,
    reason: Reason,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Suspend an organisation: its events are refused until it is reinstated (the regulator)."""
    args = {"organisation": organisation, "reason": reason}
    _organisation_call("suspendOrganisation", args, target, key, as_json=as_json)


@app.command(
    "reinstate-organisation",
    epilog=(
        "Example: supplychain authority reinstate-organisation 6901234000016 --reason rectified --key-file "
        "regulator.json"
    ),
)
@shared_options
def reinstate_organisation(
    organisation: OrganisationId,
    reason: Reason = "rectified",
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Reinstate a suspended organisation (the regulator)."""
    args = {"organisation": organisation, "reason": reason}
    _organisation_call("reinstateOrganisation", args, target, key, as_json=as_json)


@app.command(
    "add-key",
    epilog=(
        "Example: supplychain authority add-key 6901234000016 "
        "0x3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29 --key-file regulator.json"
    ),
)
@shared_options
def add_key(
    organisation: OrganisationId,
    signing_key: Annotated[str, typer.Argument(help="The Ed25519 public key: 0x + 64 hex digits (`keys show`).")],
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Register an organisation's event-signing key, valid from this block on (the regulator)."""
    _organisation_call("addKey", {"organisation": organisation, "key": signing_key}, target, key, as_json=as_json)


@app.command(
    "revoke-key",
    epilog=(
        "Example: supplychain authority revoke-key "
        "0x3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29 --reason key-compromised "
        "--key-file regulator.json"
    ),
)
@shared_options
def revoke_key(
    signing_key: Annotated[str, typer.Argument(help="The Ed25519 public key: 0x + 64 hex digits.")],
    reason: Reason,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Revoke a signing key: events it signs from this block on are refused (the regulator)."""
    _organisation_call("revokeKey", {"key": signing_key, "reason": reason}, target, key, as_json=as_json)


@app.command("show", epilog="Example: supplychain authority show 1 --rpc http://127.0.0.1:8545")
@shared_options
def show(
    recognition_id: RecognitionId,
    *,
    target: Target,
    as_json: AsJson = False,
) -> None:
    """Show a recognition as on chain: terms, status and its history, spot checks, exemption."""
    with _reported():
        record = _recognition(recognition_id, target)
    if as_json:
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        _print_recognition(record)


@app.command("evidence-check", epilog="Example: supplychain authority evidence-check 1 evaluation.pdf")
@shared_options
def evidence_check(
    recognition_id: RecognitionId,
    file: Annotated[Path, typer.Argument(help="The evidence document to check.")],
    *,
    target: Target,
) -> None:
    """Check a document against the evidence hash on chain (exit code 1 when it does not match)."""
    with _reported():
        digest = _digest(file, N_("evidence file"))
        on_chain = _recognition(recognition_id, target)["evidenceHash"]
    if digest != on_chain:
        fail(
            _(
                "{path} does not match recognition {id}: its sha256 is {digest}, the chain holds {on_chain}",
                path=file,
                id=recognition_id,
                digest=digest,
                on_chain=on_chain,
            )
        )
    typer.echo(
        _("{path} matches the evidence of recognition {id} ({digest})", path=file, id=recognition_id, digest=digest)
    )


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(_("{what} is not JSON: {reason}", what=what, reason=exc)) from None


@app.command(
    "sign-tx",
    epilog="Example: supplychain authority sign-tx --prepared prepared.json --key-file certifier.json --out signed.txt",
)
@shared_options
def sign_tx(
    function: Annotated[
        str | None, typer.Argument(help="The registry function or command (e.g. issueRecognition, suspend).")
    ] = None,
    args_json: Annotated[str | None, typer.Option("--args", help="The call's arguments as a JSON object.")] = None,
    prepared_file: Annotated[
        Path | None,
        typer.Option("--prepared", help="Sign this unsigned transaction (POST /registry/transactions/prepare)."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the signed transaction here.")] = None,
    *,
    target: Target,
    key: KeySource,
) -> None:
    """Sign a registry call without sending it; print the raw signed transaction (0x hex) for the platform's relay.

    With --prepared FILE nothing is asked of any node or platform (sign offline); otherwise the call is prepared from
    the node (--rpc) or the platform (--platform). What the transaction calls is shown on stderr before signing.
    """
    with _reported():
        if (prepared_file is None) == (function is None):
            raise ValueError(_("give either a FUNCTION (with --args) or --prepared FILE"))
        private_key = key.load()
        if prepared_file is not None:
            prepared = _json(prepared_file.read_text(encoding="utf-8"), str(prepared_file))
            if not isinstance(prepared, dict):
                raise ValueError(_("{path} does not hold a JSON object", path=prepared_file))
        else:
            assert function is not None  # noqa: S101 - checked above
            args = _json(args_json or "{}", "--args")
            if not isinstance(args, dict):
                raise ValueError(_("--args must be a JSON object"))
            sender = account_from_key(private_key).address
            if target.platform is not None:
                with target.client() as client:
                    body = {"from": sender, "function": function, "args": args}
                    prepared = _request(client, "POST", "/registry/transactions/prepare", body)
                _check_prepared(prepared, function, args, target)
            else:
                prepared = prepare(target.open(dev=key.dev is not None), sender, function, args)
        if key.dev is not None:
            _dev_chain_only(int(prepared.get("chainId", 0)), _("the prepared transaction"))
        raw = "0x" + sign_prepared(private_key, prepared).hex()
        name, decoded = describe_prepared(prepared)
        typer.echo(
            _(
                "signed {call} to {to} on chain {chain}, nonce {nonce}",
                call=_call(name, json.dumps(decoded, ensure_ascii=False)),
                to=prepared.get("to"),
                chain=prepared.get("chainId"),
                nonce=prepared.get("nonce"),
            ),
            err=True,
        )
        if out is not None:
            out.write_text(raw + "\n", encoding="ascii")
    if out is None:
        typer.echo(raw)
    else:
        typer.echo(_("signed transaction written to {path}", path=out), err=True)


@app.command("keyfile", epilog="Example: supplychain authority keyfile --out certifier.json")
def keyfile(
    out: Annotated[Path, typer.Option("--out", "-o", help="Keystore file to create (mode 0600; never overwritten).")],
    key_env: Annotated[
        str | None, typer.Option("--key-env", help="Variable holding the hex key to store (default: a new key).")
    ] = None,
    dev_account: DevAccount = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
) -> None:
    """Write an authority's key into an Ethereum keystore file (scrypt); prints its address.

    Without --key-env or --dev-account a new random key is made: register its address on chain (the regulator's
    `register-certifier`) and keep the file and its passphrase safe.
    """
    with _reported():
        if out.exists():
            raise ValueError(_("{path} already exists; refusing to overwrite it", path=out))
        if key_env is not None or dev_account is not None:
            private_key = load_authority_key(dev=dev_account, env=key_env)
        else:
            private_key = "0x" + secrets.token_hex(32)
        passphrase = os.environ.get(passphrase_env)
        if passphrase is None:
            passphrase = str(
                typer.prompt(
                    _("Passphrase for the keystore"),
                    hide_input=True,
                    confirmation_prompt=_("Repeat for confirmation"),
                )
            )
        if not passphrase:
            raise ValueError(_("an empty passphrase would leave the key unprotected"))
        address = save_keyfile(private_key, out, passphrase)
    typer.echo(address)
