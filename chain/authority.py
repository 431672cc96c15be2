"""The authorities' registry calls: which functions they are, who may make them, and their arguments as plain JSON.

The regulator and the certifiers act on chain from their own accounts; the platform never holds their keys. This
module knows the registry functions they call (the certifiers' governance and the recognitions' life cycle),
converts their arguments between plain JSON (names such as ``green-factory`` or ``rectified``, ISO dates, hex) and
ABI values, checks before anything is sent that the sender holds the role a call needs, explains the registry's
refusals in words, and renders recognitions and registry events as JSON. :mod:`chain.relay` builds on it.

Evidence documents and spot-check reports stay with their owners: only their SHA-256 (:func:`file_digest`) goes on
chain, as a ``bytes32``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from web3 import Web3

from chain.errors import ChainError, RegistryError, RegistryNotFoundError
from chain.history import prefix_text
from chain.registry import (
    ROLE_ANCHORER,
    ROLE_CERTIFIER,
    ROLE_REGISTRAR,
    ROLE_REGULATOR,
    Registry,
    gtin_abi,
    prefix_abi,
    terms_to_abi,
)
from supplychain.gs1 import org_id_from_bytes32, parse_gln, parse_gtin, parse_org_id
from supplychain.registry import (
    BusinessRole,
    Grade,
    Level,
    ReasonCode,
    RecognitionKind,
    RecognitionStatus,
    RegistryMirror,
    Scope,
    bytes32_text,
    text_bytes32,
)
from supplychain.registry import events as ev
from supplychain.signing import load_public_key_hex

__all__ = [
    "AUTHORITY_FUNCTIONS",
    "DEFAULT_STANDARDS",
    "KIND_NAMES",
    "AuthorityFunction",
    "CallRefusedError",
    "authority_function",
    "check_authority",
    "decode_args",
    "encode_args",
    "event_json",
    "explain",
    "file_digest",
    "parse_hash32",
    "parse_kind",
    "parse_level",
    "parse_reason",
    "parse_roles",
    "parse_time",
    "recognition_json",
    "terms_json",
]


class CallRefusedError(ChainError, ValueError):
    """A registry call refused before anything was sent: malformed, aimed elsewhere, or from the wrong account.

    Attributes:
        reason: A stable code (``not-authorised``, ``level-above-certifier``, ``wrong-chain``, ...).
        details: Structured facts behind the message (JSON values).
    """

    def __init__(self, reason: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class AuthorityFunction:
    """A registry function an authority calls.

    Attributes:
        name: The Solidity function's name.
        command: The ``supplychain authority`` command that makes the call.
        role: Who may call it: ``regulator``, ``certifier``, ``issuer-or-regulator`` or ``registrar`` (a GS1
            registrar: ``GS1_REGISTRAR_ROLE``).
        summary: What it does.
    """

    name: str
    command: str
    role: str
    summary: str


AUTHORITY_FUNCTIONS: dict[str, AuthorityFunction] = {
    f.name: f
    for f in (
        AuthorityFunction("registerCertifier", "register-certifier", "regulator", "register a certifier / its level"),
        AuthorityFunction("removeCertifier", "remove-certifier", "regulator", "remove a certifier"),
        AuthorityFunction("issueRecognition", "issue", "certifier", "issue a green recognition"),
        AuthorityFunction("suspendRecognition", "suspend", "issuer-or-regulator", "suspend a recognition"),
        AuthorityFunction("reinstateRecognition", "reinstate", "issuer-or-regulator", "reinstate a recognition"),
        AuthorityFunction("revokeRecognition", "revoke", "issuer-or-regulator", "revoke a recognition (摘牌)"),
        AuthorityFunction("recordSpotCheck", "spot-check", "regulator", "record a spot check's result"),
        AuthorityFunction("registerOrganisation", "register-organisation", "regulator", "register an organisation"),
        AuthorityFunction("suspendOrganisation", "suspend-organisation", "regulator", "suspend an organisation"),
        AuthorityFunction("reinstateOrganisation", "reinstate-organisation", "regulator", "reinstate an organisation"),
        AuthorityFunction("addKey", "add-key", "regulator", "register an organisation's signing key"),
        AuthorityFunction("revokeKey", "revoke-key", "regulator", "revoke a signing key"),
        AuthorityFunction("registerRegistrar", "register-registrar", "regulator", "make an account a GS1 registrar"),
        AuthorityFunction("removeRegistrar", "remove-registrar", "regulator", "remove a GS1 registrar"),
        AuthorityFunction("assignPrefix", "assign-prefix", "registrar", "assign a GS1 Company Prefix"),
        AuthorityFunction("transferPrefix", "transfer-prefix", "registrar", "transfer a GS1 Company Prefix"),
        AuthorityFunction("renewPrefix", "renew-prefix", "registrar", "renew a GS1 Company Prefix's licence"),
        AuthorityFunction("revokePrefix", "revoke-prefix", "registrar", "revoke a GS1 Company Prefix"),
        AuthorityFunction("delegateGtins", "delegate-gtin", "registrar", "file a GTIN delegation (OEM, 代工)"),
        AuthorityFunction("revokeDelegation", "revoke-delegation", "registrar", "revoke a GTIN delegation"),
    )
}

#: Canonical names of the recognition kinds (others accepted: the enum's names, ``green-product``).
KIND_NAMES: dict[RecognitionKind, str] = {
    RecognitionKind.GREEN_FACTORY: "green-factory",
    RecognitionKind.GREEN_PRODUCT: "green-design-product",
    RecognitionKind.GREEN_PARK: "green-park",
    RecognitionKind.GREEN_SUPPLY_CHAIN: "green-supply-chain",
}

#: The evaluation standard a recognition of each kind names when none is given (green parks have no national one).
DEFAULT_STANDARDS: dict[RecognitionKind, str] = {
    RecognitionKind.GREEN_FACTORY: "GB/T 36132-2018",
    RecognitionKind.GREEN_PRODUCT: "GB/T 32161-2015",
    RecognitionKind.GREEN_SUPPLY_CHAIN: "GB/T 33635-2017",
}

_E = TypeVar("_E", bound=enum.IntEnum)

_ROLE_NAMES = {
    ROLE_REGULATOR: "REGULATOR_ROLE",
    ROLE_CERTIFIER: "CERTIFIER_ROLE",
    ROLE_ANCHORER: "ANCHORER_ROLE",
    ROLE_REGISTRAR: "GS1_REGISTRAR_ROLE",
    bytes(32): "DEFAULT_ADMIN_ROLE",
}


def file_digest(path: Path) -> bytes:
    """SHA-256 of a file's bytes: the evidence or report hash that goes on chain.

    Raises:
        OSError: the file cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.digest()


# --- names and values ---


def _kebab(member: enum.Enum) -> str:
    return str(member.name).lower().replace("_", "-")


def _token(text: str) -> str:
    return text.strip().lower().replace("_", "-").replace(" ", "-")


def _parse_enum(cls: type[_E], value: object, what: str, aliases: Mapping[str, _E] | None = None) -> _E:
    names = {_kebab(m): m for m in cls} | dict(aliases or {})
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return cls(value)
        except ValueError:
            pass
    elif isinstance(value, str):
        token = _token(value)
        if token in names:
            return names[token]
        if token.isdigit():
            return _parse_enum(cls, int(token), what, aliases)
    canonical = {m: name for name, m in names.items()}  # an alias (listed last) wins over the enum's own name
    known = ", ".join(f"{canonical[m]} ({int(m)})" for m in cls)
    raise ValueError(f"{value!r} is not a {what}; expected one of: {known}")


def parse_kind(value: object) -> RecognitionKind:
    """A recognition kind from its name (``green-factory``, ``green-design-product``, ``green-park``,
    ``green-supply-chain``, or the enum's names) or number (1-4)."""
    aliases = {name: kind for kind, name in KIND_NAMES.items()}
    return _parse_enum(RecognitionKind, value, "recognition kind", aliases)


def parse_level(value: object) -> Level:
    """A level from ``city``, ``provincial``, ``national`` or 1-3."""
    return _parse_enum(Level, value, "level")


def parse_grade(value: object) -> Grade:
    """A grade from ``none``, ``b``, ``a``, ``a+`` or 0-3."""
    return _parse_enum(Grade, value, "grade", {"a+": Grade.A_PLUS})


def parse_scope(value: object) -> Scope:
    """A scope from ``enterprise``, ``facility``, ``product`` or 0-2."""
    return _parse_enum(Scope, value, "scope")


def parse_reason(value: object) -> int:
    """A reason code from its name (``spot-check-failed``, ``rectified``, ...; see :class:`ReasonCode`) or number
    (1-65535: codes above 12 are free for local use)."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 0xFFFF:
        return value
    if isinstance(value, str) and value.strip().isdigit() and 1 <= int(value) <= 0xFFFF:
        return int(value)
    return int(_parse_enum(ReasonCode, value, "reason code"))


def reason_name(code: int) -> str | None:
    """The name of a reason code, ``None`` for a local one."""
    try:
        return _kebab(ReasonCode(code))
    except ValueError:
        return None


def parse_time(value: object) -> int:
    """Seconds since the epoch from an integer, or an ISO 8601 date (midnight UTC) or date-time (UTC unless it
    gives an offset)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return parse_time(int(text))
        try:
            if len(text) == 10:
                return int(datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC).timestamp())
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    raise ValueError(f"{value!r} is not a time: give seconds since the epoch, an ISO date or an ISO date-time")


def parse_hash32(value: object, what: str = "hash") -> bytes:
    """32 bytes from ``0x`` + 64 hex digits."""
    if isinstance(value, str):
        text = value.strip().removeprefix("0x")
        if len(text) == 64:
            try:
                return bytes.fromhex(text)
            except ValueError:
                pass
    raise ValueError(f"{value!r} is not a {what}: expected 0x and 64 hex digits (32 bytes)")


def parse_address(value: object) -> str:
    """A checksummed account address (``0x`` + 40 hex digits; a mixed-case one must have a valid checksum)."""
    if isinstance(value, str):
        text = value.strip()
        if Web3.is_address(text):
            mixed = text[2:] not in (text[2:].lower(), text[2:].upper())
            if mixed and not Web3.is_checksum_address(text):
                raise ValueError(f"{value!r} has a wrong checksum (mixed case): check the address")
            return str(Web3.to_checksum_address(text))
    raise ValueError(f"{value!r} is not an account address (0x and 40 hex digits)")


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


# --- functions and their arguments ---


def authority_function(name: str) -> AuthorityFunction:
    """The authority function called ``name`` (its Solidity name or its command's name).

    Raises:
        CallRefusedError: ``unknown-function``.
    """
    for f in AUTHORITY_FUNCTIONS.values():
        if name in (f.name, f.command):
            return f
    known = ", ".join(AUTHORITY_FUNCTIONS)
    raise CallRefusedError("unknown-function", f"{name!r} is not an authority's function; known: {known}", name=name)


class _Args:
    """Reads one call's JSON arguments, naming the argument in every error and refusing unknown ones."""

    def __init__(self, function: str, args: Mapping[str, Any]) -> None:
        self.function = function
        self.args = args
        self.used: set[str] = set()

    def _fail(self, name: str, message: str) -> CallRefusedError:
        return CallRefusedError(
            "invalid-arguments", f"{self.function}: argument {name!r}: {message}", function=self.function, argument=name
        )

    def get(self, name: str, parse: Any, *, default: Any = ..., what: str = "") -> Any:
        self.used.add(name)
        if name not in self.args or self.args[name] is None:
            if default is ...:
                raise self._fail(name, f"missing{f' ({what})' if what else ''}")
            return default
        try:
            return parse(self.args[name])
        except (ValueError, TypeError) as exc:
            raise self._fail(name, str(exc)) from None

    def finish(self) -> None:
        unknown = sorted(set(self.args) - self.used)
        if unknown:
            raise self._fail(unknown[0], f"unknown; {self.function} takes {', '.join(sorted(self.used))}")


def _recognition_id(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) >= 1:
        return int(value)
    raise ValueError(f"{value!r} is not a recognition id (a positive integer)")


def _organisation(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an organisation id (a GLN or a USCC)")
    return parse_org_id(value.strip()).encode("ascii").ljust(32, b"\0")


def _prefix(value: object) -> tuple[int, int]:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a GS1 Company Prefix (4 to 12 digits, as a text)")
    return prefix_abi(value.strip())


def _gtin(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a GTIN (8, 12, 13 or 14 digits, as a text)")
    return gtin_abi(value.strip())


def _positive_id(what: str) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        if isinstance(value, str) and value.strip().isdigit() and int(value) >= 1:
            return int(value)
        raise ValueError(f"{value!r} is not a {what} id (a positive integer)")

    return parse


def _signing_key(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a signing key (0x + 64 hex digits)")
    return load_public_key_hex(value)


def parse_roles(value: object) -> BusinessRole:
    """Business roles from names (a list, or one text separated by commas or ``|``) or their bit set (1-15)."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 15:
        return BusinessRole(value)
    names = value if isinstance(value, list) else str(value).replace("|", ",").split(",")
    roles = BusinessRole(0)
    for name in names:
        if not isinstance(name, str) or name.strip().upper() not in BusinessRole.__members__:
            known = ", ".join(r.lower() for r in BusinessRole.__members__)
            raise ValueError(f"{name!r} is not a business role ({known})")
        roles |= BusinessRole[name.strip().upper()]
    if not roles:
        raise ValueError("at least one business role is needed")
    return roles


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not true or false")


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a text")
    return value.strip()


def _standard(value: object) -> str:
    text = _text(value)
    text_bytes32(text)  # printable ASCII, at most 32 characters
    return text


def _terms(a: _Args) -> ev.RecognitionTerms:
    holder = a.get("holder", lambda v: parse_org_id(_text(v)), what="GLN or USCC of the recognised organisation")
    kind: RecognitionKind = a.get("kind", parse_kind)
    level: Level = a.get("level", parse_level)
    grade: Grade = a.get("grade", parse_grade, default=Grade.NONE)
    subject: str = a.get("subject", _text, default="")
    product = kind is RecognitionKind.GREEN_PRODUCT
    scope: Scope = a.get(
        "scope",
        parse_scope,
        default=Scope.PRODUCT if product else Scope.FACILITY if subject else Scope.ENTERPRISE,
    )
    if product and scope is not Scope.PRODUCT:
        raise a._fail("scope", "a green design product is always product-scoped (subject: its GTIN)")
    if not product and scope is Scope.PRODUCT:
        raise a._fail("scope", f"a {KIND_NAMES[kind]} recognition covers the enterprise or a facility, not a product")
    if scope is Scope.ENTERPRISE and subject:
        raise a._fail("subject", "an enterprise-wide recognition has no subject (give scope 'facility' for a site)")
    if scope is not Scope.ENTERPRISE:
        check, what = (parse_gtin, "GTIN") if scope is Scope.PRODUCT else (parse_gln, "GLN")
        a.get("subject", lambda v: check(_text(v)), what=f"the {what} of the {_kebab(scope)}")
    standard: str = a.get(
        "standardRef", _standard, default=DEFAULT_STANDARDS.get(kind, ...), what=f"no default for a {KIND_NAMES[kind]}"
    )
    evidence = a.get("evidenceHash", lambda v: parse_hash32(v, "SHA-256 of the evidence document"))
    if evidence == bytes(32):
        raise a._fail("evidenceHash", "the zero hash is not evidence")
    return ev.RecognitionTerms(
        holder=holder,
        kind=kind,
        level=level,
        grade=grade,
        scope=scope,
        subject=subject,
        standard_ref=standard,
        valid_from=a.get("validFrom", parse_time, what="start of validity"),
        valid_until=a.get("validUntil", parse_time, default=None),
        evidence_hash=evidence,
    )


#: The calls about GS1 registrars, company prefixes and GTIN delegations.
_PREFIX_FUNCTIONS = frozenset(
    {
        "registerRegistrar",
        "removeRegistrar",
        "assignPrefix",
        "transferPrefix",
        "renewPrefix",
        "revokePrefix",
        "delegateGtins",
        "revokeDelegation",
    }
)


def _encode_prefix_call(name: str, a: _Args) -> tuple[Any, ...]:  # noqa: PLR0911 - one per function
    """The ABI values of a call about registrars, prefixes or delegations."""
    match name:
        case "registerRegistrar" | "removeRegistrar":
            return (a.get("registrar", parse_address),)
        case "assignPrefix":
            until = a.get("validUntil", parse_time, default=0)
            return (*a.get("prefix", _prefix), a.get("organisation", _organisation), until)
        case "transferPrefix":
            return (*a.get("prefix", _prefix), a.get("to", _organisation, what="the new holder"))
        case "renewPrefix":
            return (*a.get("prefix", _prefix), a.get("validUntil", parse_time, default=0))
        case "revokePrefix":
            return (*a.get("prefix", _prefix), a.get("reason", parse_reason))
        case "delegateGtins":
            first = a.get("gtin", _gtin, what="the GTIN, or the first of the range")
            return (
                first,
                a.get("lastGtin", _gtin, default=first),
                a.get("delegate", _organisation, what="the contract manufacturer"),
                a.get("validFrom", parse_time, default=0),
                a.get("validUntil", parse_time, default=0),
                a.get("requestHash", lambda v: parse_hash32(v, "SHA-256 of the owner's signed request")),
            )
        case "revokeDelegation":
            return (a.get("id", _positive_id("delegation")), a.get("reason", parse_reason))
    raise AssertionError(name)


def encode_args(function: str, args: Mapping[str, Any]) -> tuple[Any, ...]:
    """The ABI values of an authority function's JSON arguments (see :func:`decode_args` for their shape).

    Raises:
        CallRefusedError: ``unknown-function``, or ``invalid-arguments`` naming the argument and what is wrong.
    """
    f = authority_function(function)
    if not isinstance(args, Mapping):
        raise CallRefusedError("invalid-arguments", f"{f.name}: the arguments must be a JSON object", function=f.name)
    a = _Args(f.name, args)
    out: tuple[Any, ...]
    match f.name:
        case "registerCertifier":
            out = (a.get("certifier", parse_address), int(a.get("level", parse_level)))
        case "removeCertifier":
            out = (a.get("certifier", parse_address),)
        case "issueRecognition":
            out = (terms_to_abi(_terms(a)),)
        case "recordSpotCheck":
            report = a.get("reportHash", lambda v: parse_hash32(v, "SHA-256 of the spot-check report"))
            out = (a.get("id", _recognition_id), a.get("passed", _boolean), report)
        case "registerOrganisation":
            profile = a.get("profileHash", lambda v: parse_hash32(v, "hash of the profile"), default=bytes(32))
            uri = a.get("profileUri", str, default="")
            out = (a.get("organisation", _organisation), int(a.get("roles", parse_roles)), profile, uri)
        case "suspendOrganisation" | "reinstateOrganisation":
            out = (a.get("organisation", _organisation), a.get("reason", parse_reason))
        case "addKey":
            out = (a.get("organisation", _organisation), a.get("key", _signing_key))
        case "revokeKey":
            out = (a.get("key", _signing_key), a.get("reason", parse_reason))
        case name if name in _PREFIX_FUNCTIONS:
            out = _encode_prefix_call(name, a)
        case _:  # suspend, reinstate, revoke
            out = (a.get("id", _recognition_id), a.get("reason", parse_reason))
    a.finish()
    return out


def _decode_prefix_call(name: str, values: tuple[Any, ...]) -> dict[str, Any]:
    """The JSON arguments of a call about registrars, prefixes or delegations (but ``revokeDelegation``)."""
    match name:
        case "registerRegistrar" | "removeRegistrar":
            return {"registrar": parse_address(values[0])}
        case "assignPrefix":
            return {
                "prefix": prefix_text(values[0], values[1]),
                "organisation": org_id_from_bytes32(bytes(values[2])),
                "validUntil": int(values[3]) or None,
            }
        case "transferPrefix":
            return {"prefix": prefix_text(values[0], values[1]), "to": org_id_from_bytes32(bytes(values[2]))}
        case "renewPrefix":
            return {"prefix": prefix_text(values[0], values[1]), "validUntil": int(values[2]) or None}
        case "revokePrefix":
            return {"prefix": prefix_text(values[0], values[1]), "reason": _reason_json(int(values[2]))}
        case "delegateGtins":
            return {
                "gtin": str(int(values[0])).zfill(14),
                "lastGtin": str(int(values[1])).zfill(14),
                "delegate": org_id_from_bytes32(bytes(values[2])),
                "validFrom": int(values[3]) or None,
                "validUntil": int(values[4]) or None,
                "requestHash": _hex(bytes(values[5])),
            }
    raise AssertionError(name)


def terms_json(t: ev.RecognitionTerms) -> dict[str, Any]:
    """Recognition terms as the JSON arguments of ``issueRecognition`` take them."""
    return {
        "holder": t.holder,
        "kind": KIND_NAMES[t.kind],
        "level": _kebab(t.level),
        "grade": _kebab(t.grade) if t.grade is not Grade.A_PLUS else "a+",
        "scope": _kebab(t.scope),
        "subject": t.subject,
        "standardRef": t.standard_ref,
        "validFrom": t.valid_from,
        "validUntil": t.valid_until,
        "evidenceHash": _hex(t.evidence_hash),
    }


def _terms_from_abi(values: tuple[Any, ...]) -> ev.RecognitionTerms:
    holder, kind, level, grade, scope, subject, standard, valid_from, valid_until, evidence = values
    return ev.RecognitionTerms(
        holder=bytes32_text(holder),
        kind=RecognitionKind(kind),
        level=Level(level),
        grade=Grade(grade),
        scope=Scope(scope),
        subject=bytes32_text(subject),
        standard_ref=bytes32_text(standard),
        valid_from=int(valid_from),
        valid_until=int(valid_until) or None,
        evidence_hash=bytes(evidence),
    )


def _reason_json(code: int) -> str | int:
    return reason_name(code) or code


def decode_args(function: str, values: tuple[Any, ...]) -> dict[str, Any]:  # noqa: PLR0911 - one per function
    """The JSON arguments of an authority call from its decoded ABI values (the inverse of :func:`encode_args`).

    Raises:
        CallRefusedError: ``invalid-arguments`` when a value is outside the registry's vocabulary.
    """
    f = authority_function(function)
    try:
        match f.name:
            case "registerCertifier":
                return {"certifier": parse_address(values[0]), "level": _kebab(Level(values[1]))}
            case "removeCertifier":
                return {"certifier": parse_address(values[0])}
            case "issueRecognition":
                return terms_json(_terms_from_abi(tuple(values[0])))
            case "recordSpotCheck":
                return {"id": int(values[0]), "passed": bool(values[1]), "reportHash": _hex(bytes(values[2]))}
            case "registerOrganisation":
                return {
                    "organisation": org_id_from_bytes32(bytes(values[0])),
                    "roles": BusinessRole(int(values[1])).names(),
                    "profileHash": _hex(bytes(values[2])),
                    "profileUri": str(values[3]),
                }
            case "suspendOrganisation" | "reinstateOrganisation":
                return {"organisation": org_id_from_bytes32(bytes(values[0])), "reason": _reason_json(int(values[1]))}
            case "addKey":
                return {"organisation": org_id_from_bytes32(bytes(values[0])), "key": _hex(bytes(values[1]))}
            case "revokeKey":
                return {"key": _hex(bytes(values[0])), "reason": _reason_json(int(values[1]))}
            case name if name in _PREFIX_FUNCTIONS - {"revokeDelegation"}:
                return _decode_prefix_call(name, values)
            case _:
                return {"id": int(values[0]), "reason": _reason_json(int(values[1]))}
    except ValueError as exc:
        raise CallRefusedError("invalid-arguments", f"{f.name}: {exc}", function=f.name) from None


# --- who may call ---


def check_authority(registry: Registry, sender: str, function: str, values: tuple[Any, ...]) -> None:
    """Check that ``sender`` holds, now, the role ``function`` needs (given its ABI ``values``).

    Raises:
        CallRefusedError: ``not-authorised``, ``level-above-certifier`` or ``unknown-recognition``.
    """
    f = authority_function(function)
    if f.role == "regulator":
        if not registry.has_role(ROLE_REGULATOR, sender):
            raise CallRefusedError(
                "not-authorised",
                f"{sender} does not hold the regulator's role, which {f.name} needs",
                sender=sender,
                needs="regulator",
            )
    elif f.role == "certifier":
        allowed, requested = registry.certifier_level(sender), int(values[0][2])
        if allowed == 0:
            raise CallRefusedError(
                "not-authorised",
                f"{sender} is not a registered certifier: only certifiers issue recognitions",
                sender=sender,
                needs="certifier",
            )
        if requested > allowed:
            raise CallRefusedError(
                "level-above-certifier",
                f"certifier {sender} may grant up to level {allowed} ({_kebab(Level(allowed))}); "
                f"this recognition is level {requested} ({_kebab(Level(requested))})",
                sender=sender,
                allowed=allowed,
                requested=requested,
            )
    elif f.role == "registrar":
        if not registry.has_role(ROLE_REGISTRAR, sender):
            raise CallRefusedError(
                "not-authorised",
                f"{sender} is not a GS1 registrar, which {f.name} needs (the regulator registers registrars)",
                sender=sender,
                needs="registrar",
            )
    else:
        recognition_id = int(values[0])
        try:
            issuer = registry.recognition(recognition_id).issuer
        except RegistryNotFoundError:
            raise CallRefusedError(
                "unknown-recognition", f"there is no recognition {recognition_id}", id=recognition_id
            ) from None
        if sender.lower() != issuer.lower() and not registry.has_role(ROLE_REGULATOR, sender):
            raise CallRefusedError(
                "not-authorised",
                f"{sender} is neither the issuer of recognition {recognition_id} ({issuer}) nor the regulator",
                sender=sender,
                needs="issuer-or-regulator",
                issuer=issuer,
            )


# --- the registry's refusals in words ---


def _level_words(level: int) -> str:
    try:
        return f"{level} ({_kebab(Level(level))})"
    except ValueError:
        return str(level)


def _status_words(status: int) -> str:
    try:
        return _kebab(RecognitionStatus(status))
    except ValueError:
        return f"status {status}"


def _role_name(role: bytes) -> str:
    return _ROLE_NAMES.get(role, _hex(role))


def _address(value: Any) -> str:
    return str(Web3.to_checksum_address(value))


def _text32(value: Any) -> str:
    try:
        return bytes32_text(bytes(value)) or "(empty)"
    except ValueError:
        return _hex(bytes(value))


_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "RegistryLevelAboveCertifier": lambda a: (
        f"certifier {_address(a['certifier'])} may grant up to level {_level_words(a['allowed'])}; "
        f"the recognition asks for level {_level_words(a['requested'])}"
    ),
    "AccessControlUnauthorizedAccount": lambda a: (
        f"{_address(a['account'])} does not hold {_role_name(bytes(a['neededRole']))}"
    ),
    "RegistryNotIssuerOrRegulator": lambda a: (
        f"{_address(a['account'])} is neither the issuer of recognition {a['id']} nor the regulator"
    ),
    "RegistryInvalidRecognitionStatus": lambda a: (
        f"recognition {a['id']} is {_status_words(a['status'])}: this change is not allowed now"
    ),
    "RegistryUnknownRecognition": lambda a: f"there is no recognition {a['id']}",
    "RegistryUnknownOrganisation": lambda a: f"organisation {_text32(a['orgId'])} is not registered",
    "RegistryInvalidValidity": lambda a: (
        f"the validity period [{a['validFrom']}, {a['validUntil']}) is empty or already over "
        "(validUntil 0 means until revoked)"
    ),
    "RegistryMissingEvidence": lambda a: "the standard reference and the evidence document's hash are required",
    "RegistryGradeNotApplicable": lambda a: "a grade (B, A, A+) is given only to national green factories",
    "RegistryInvalidScope": lambda a: (
        "the scope and subject do not fit the kind (product: a GTIN; facility: a GLN; enterprise: none)"
    ),
    "RegistryMissingReason": lambda a: "a reason code is required",
    "RegistryInvalidLevel": lambda a: f"{a['level']} is not a level (1 city, 2 provincial, 3 national)",
    "RegistryUnknownCertifier": lambda a: f"{_address(a['account'])} is not a registered certifier",
    "RegistryInvalidKind": lambda a: f"{a['kind']} is not a recognition kind (1-4)",
    "RegistryUnknownRegistrar": lambda a: f"{_address(a['account'])} is not a GS1 registrar",
    "RegistryInvalidPrefix": lambda a: (
        f"{a['prefix']} of {a['length']} digits is not a GS1 Company Prefix (4 to 12 digits)"
    ),
    "RegistryPrefixTaken": lambda a: f"prefix {_prefix_words(a)} is already held by {_text32(a['holder'])}",
    "RegistryPrefixOverlap": lambda a: (
        f"prefix {_prefix_words(a)} starts with the live prefix {prefix_text(a['otherPrefix'], a['otherLength'])}"
    ),
    "RegistryPrefixExtended": lambda a: (
        f"prefix {_prefix_words(a)} is the start of {a['liveExtensions']} live longer prefix(es)"
    ),
    "RegistryPrefixNotHeld": lambda a: f"prefix {_prefix_words(a)} is not held by anyone now",
    "RegistryPrefixSameHolder": lambda a: f"prefix {_prefix_words(a)} is already held by {_text32(a['orgId'])}",
    "RegistryInvalidGtin": lambda a: f"{a['gtin']} is not a GTIN-14 (14 digits at most, with its check digit)",
    "RegistryGtinNotOwned": lambda a: f"no company prefix held now covers GTIN {str(a['gtin']).zfill(14)}",
    "RegistryInvalidGtinRange": lambda a: (
        f"GTINs {str(a['firstGtin']).zfill(14)}..{str(a['lastGtin']).zfill(14)} are not an ascending range "
        "of one company prefix"
    ),
    "RegistryInvalidDelegate": lambda a: f"{_text32(a['delegate'])} owns these GTINs already",
    "RegistryMissingRequest": lambda a: "the SHA-256 of the owner's signed request is required",
    "RegistryUnknownDelegation": lambda a: f"there is no delegation {a['id']}",
    "RegistryDelegationAlreadyRevoked": lambda a: f"delegation {a['id']} was revoked at {a['revokedAt']}",
}


def _prefix_words(a: Mapping[str, Any]) -> str:
    return prefix_text(a["prefix"], a["length"])


def explain(error: RegistryError) -> str:
    """The registry's refusal in words, e.g. ``RegistryLevelAboveCertifier: certifier 0x… may grant up to level 2
    (provincial); the recognition asks for level 3 (national)``."""
    words = _WORDS.get(error.name)
    return f"{error.name}: {words(error.args_by_name)}" if words else str(error)


def jsonable(value: Any) -> Any:  # noqa: PLR0911 - one answer per kind of value
    """A JSON value for a decoded ABI or event value (bytes as ``0x`` hex, enums by name)."""
    if isinstance(value, bytes | bytearray):
        return _hex(bytes(value))
    if isinstance(value, BusinessRole):
        return value.names()
    if isinstance(value, RecognitionKind):
        return KIND_NAMES[value]
    if isinstance(value, enum.Enum):
        return _kebab(value)
    if isinstance(value, ev.RecognitionTerms):
        return terms_json(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def event_json(event: ev.RegistryEvent) -> dict[str, Any]:
    """A registry event as JSON: its name, position, time and fields (camelCase)."""
    out: dict[str, Any] = {
        "event": type(event).__name__,
        "blockNumber": event.position.block_number,
        "logIndex": event.position.log_index,
        "timestamp": event.timestamp,
    }
    for field in dataclasses.fields(event):
        if field.name not in ("position", "timestamp"):
            out[_camel(field.name)] = jsonable(getattr(event, field.name))
    if "reason" in out:
        out["reasonName"] = reason_name(out["reason"])
    return out


# --- a recognition as on chain ---


def recognition_json(registry: Registry, recognition_id: int, mirror: RegistryMirror | None = None) -> dict[str, Any]:
    """A recognition as the registry holds it now: terms, issuer, status and its history, whether it is in force,
    spot checks and exemption; with ``mirror`` (the registry's history) also who changed it and each spot check.

    Raises:
        RegistryNotFoundError: no such recognition.
    """
    info = registry.recognition(recognition_id)
    history = registry.status_history(recognition_id)
    spot = registry.spot_check_state(recognition_id)
    now = registry.chain.block_timestamp()
    state = mirror.recognitions.get(recognition_id) if mirror is not None else None
    changes = state.changes if state is not None and len(state.changes) == len(history) else None
    t = info.terms
    return {
        "id": recognition_id,
        **terms_json(t),
        "kindZh": t.kind.label_zh,
        "issuer": info.issuer,
        "issuedAt": info.issued_at,
        "status": _kebab(info.status),
        "statusChangedAt": info.status_changed_at,
        "asOf": now,
        "inForce": registry.is_in_force_at(recognition_id, now),
        "expired": t.valid_until is not None and now >= t.valid_until,
        "statusHistory": [
            {
                "timestamp": at,
                "status": _kebab(status),
                "reason": reason,
                "reasonName": reason_name(reason),
                **({"by": changes[i].by} if changes is not None else {}),
            }
            for i, (at, status, reason) in enumerate(history)
        ],
        "spotChecks": {
            "count": spot.checks,
            "consecutivePasses": spot.consecutive_passes,
            "lastCheckedAt": spot.last_checked_at or None,
            "exemptUntil": spot.exempt_until or None,
            "exempt": registry.is_spot_check_exempt(recognition_id),
            "records": [
                {"timestamp": c.timestamp, "passed": c.passed, "reportHash": _hex(c.report_hash)}
                for c in (state.spot_checks if state is not None else [])
            ],
            "exemptions": [{"from": start, "until": end} for start, end in (state.exemptions if state else [])],
        },
    }
