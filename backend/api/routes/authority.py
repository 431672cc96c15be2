"""Routes: authorities' own signed transactions relayed to the chain, and recognitions as the chain holds them.

The platform never holds an authority's key. A certifier or the regulator asks ``POST /registry/transactions/prepare``
for the unsigned transaction of a call (or builds it itself), signs it with its own key (``supplychain authority
sign-tx``), and posts the signed bytes to ``POST /registry/transactions``: the platform checks them against the
registry, broadcasts them, waits for the receipt and answers the decoded outcome. Anyone may post: the chain
authorises the call by its signature, and the platform refuses early what the chain would refuse anyway. Bodies are
limited in size and each client in rate.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.api.deps import PlatformDep
from backend.api.routes.events import INVALID_REQUEST, problem_doc
from backend.core.errors import P_, NotFoundError, ProblemError
from backend.core.integers import UINT256_MAX
from backend.services.platform import Platform
from chain.authority import AUTHORITY_FUNCTIONS, CallRefusedError, explain, jsonable, recognition_json
from chain.errors import (
    ChainError,
    RegistryConflictError,
    RegistryError,
    RegistryNotFoundError,
    RegistryStateError,
    TransactionTimeoutError,
)
from chain.relay import RelayResult, parse_raw, prepare, relay
from supplychain.i18n import N_

__all__ = ["MAX_BODY_BYTES", "RateLimiter", "router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/registry", tags=["authority"], responses={422: INVALID_REQUEST})

#: The largest request body the relay routes read.
MAX_BODY_BYTES = 128 * 1024
_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
_REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
_TERMS = {
    "holder": "91320200MA1MX7K3GD",
    "kind": "green-factory",
    "level": "provincial",
    "grade": "none",
    "scope": "facility",
    "subject": "6901234000047",
    "standardRef": "GB/T 36132-2018",
    "validFrom": 1767225600,
    "validUntil": 1861920000,
    "evidenceHash": "0x9f2c…(sha256 of the evaluation report)",
}
_FUNCTIONS_DOC = "\n".join(
    f"- `{f.name}` (`supplychain authority {f.command}`): {f.summary}; by the {f.role.replace('-', ' ')}"
    for f in AUTHORITY_FUNCTIONS.values()
)
_ARGS_DOC = """\
Arguments by function (names or numbers for kinds, levels, grades, scopes and reason codes; times as seconds since
the epoch or ISO 8601 dates; hashes as `0x` + 64 hex digits, the SHA-256 of the document):
- `registerCertifier`: `certifier` (address), `level` (`city` | `provincial` | `national`)
- `removeCertifier`: `certifier`
- `issueRecognition`: `holder` (GLN or USCC), `kind` (`green-factory` | `green-design-product` | `green-park` |
  `green-supply-chain`), `level`, `grade` (`none` | `b` | `a` | `a+`, national green factories only), `scope`
  (`enterprise` | `facility` | `product`, derived when left out), `subject` (facility GLN or product GTIN),
  `standardRef` (defaults by kind), `validFrom`, `validUntil` (null: until revoked), `evidenceHash`
- `suspendRecognition`, `reinstateRecognition`, `revokeRecognition`: `id`, `reason` (`spot-check-failed`,
  `data-falsified`, `refused-to-report`, `safety-incident`, `quality-incident`, `environmental-incident`,
  `holder-request`, `issued-in-error`, `rectified`, `dissolved`, ... or 1-65535)
- `recordSpotCheck`: `id`, `passed` (true/false), `reportHash`
"""


class RelayRequest(BaseModel):
    """A transaction an authority signed with its own key."""

    model_config = ConfigDict(extra="forbid")

    raw_transaction: str = Field(
        alias="rawTransaction",
        max_length=2 * MAX_BODY_BYTES,
        description="The signed transaction, `0x` + hex (EIP-2718 typed or EIP-155 legacy).",
        examples=["0x02f9015482..."],
    )


class PrepareRequest(BaseModel):
    """An authority call to prepare for offline signing."""

    model_config = ConfigDict(extra="forbid")

    sender: str = Field(alias="from", description="The authority's account (it will sign).", examples=[_ADDRESS])
    function: str = Field(
        description="The registry function (or its command's name, e.g. `issue`).", examples=["issueRecognition"]
    )
    args: dict[str, Any] = Field(default_factory=dict, description="The call's arguments by name (see above).")


class RateLimiter:
    """At most ``limit`` requests per client in any ``window`` seconds (a sliding window, in memory).

    Args:
        limit: Requests allowed per window.
        window: The window's length in seconds.
    """

    def __init__(self, limit: int = 60, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float | None:
        """Count a request of ``client``; ``None`` if it is allowed, else the seconds until it would be."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle clients
                self._seen = {k: q for k, q in self._seen.items() if q and q[-1] > now - self.window}
            seen = self._seen.setdefault(client, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return seen[0] + self.window - now
            seen.append(now)
            return None


class RelayRefusedError(ProblemError):
    status, code, title = 422, "transaction-refused", N_("Transaction refused")


class RegistryRefusedError(ProblemError):
    status, code, title = 422, "registry-refused", N_("The registry refused the call")


class TooManyRequestsError(ProblemError):
    status, code, title = 429, "too-many-requests", N_("Too many requests")


class ReceiptTimeoutError(ProblemError):
    status, code, title = 504, "receipt-timeout", N_("Sent, but no receipt yet")


class BodyTooLargeError(ProblemError):
    status, code, title = 413, "body-too-large", N_("Request body too large")


def _refused(exc: CallRefusedError) -> ProblemError:
    return RelayRefusedError(str(exc), code=exc.reason, **jsonable(exc.details))


def _reverted(exc: RegistryError) -> ProblemError:
    status = 409 if isinstance(exc, RegistryStateError | RegistryConflictError) else 422
    extra: dict[str, Any] = {"error": exc.name, "arguments": jsonable(exc.args_by_name)}
    if exc.tx_hash:
        extra["txHash"] = exc.tx_hash
    return RegistryRefusedError(explain(exc), status=status, **extra)


def _limit(request: Request) -> None:
    limiter: RateLimiter | None = getattr(request.app.state, "relay_limiter", None)
    if limiter is None:
        limiter = request.app.state.relay_limiter = RateLimiter()
    client = request.client.host if request.client else "unknown"
    wait = limiter.retry_after(client)
    if wait is not None:
        raise TooManyRequestsError(
            P_(
                "at most {limit} relay requests per {window} s; try again in {wait} s",
                limit=limiter.limit,
                window=format(limiter.window, ".0f"),
                wait=format(wait, ".0f"),
            ),
            retryAfter=max(1, round(wait)),
        )


async def _json_body(request: Request, model: type[BaseModel]) -> Any:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise BodyTooLargeError(
            P_("the body is {size} bytes; at most {maximum} are read", size=length, maximum=MAX_BODY_BYTES)
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BodyTooLargeError(P_("the body is over {maximum} bytes", maximum=MAX_BODY_BYTES))
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProblemError(
            P_("the body is not JSON: {reason}", reason=str(exc)), status=400, code="malformed-json"
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None


def _relay(platform: Platform, raw: bytes) -> RelayResult:
    try:
        result = relay(platform.registry.registry, raw)
    except CallRefusedError as exc:
        raise _refused(exc) from None
    except RegistryError as exc:
        raise _reverted(exc) from None
    except TransactionTimeoutError as exc:
        raise ReceiptTimeoutError(
            P_("look the transaction up later: {reason}", reason=str(exc)), txHash=exc.tx_hash
        ) from None
    try:
        platform.registry.refresh(force=True)  # the mirror and the journal take the transaction in at once
    except ChainError as exc:
        log.warning("registry not refreshed after relaying %s: %s", result.tx_hash, exc)
    return result


def _prepare(platform: Platform, request: PrepareRequest) -> dict[str, Any]:
    try:
        return prepare(platform.registry.registry, request.sender, request.function, request.args)
    except CallRefusedError as exc:
        raise _refused(exc) from None
    except RegistryError as exc:
        raise _reverted(exc) from None


def _problems(*docs: tuple[int, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    return dict(docs)


_RELAY_EXAMPLE = {
    "txHash": "0xbdf4ef41c9a01517add09147814297d4fde380c397d9209f9946f3fefc1b7397",
    "blockNumber": 15,
    "gasUsed": 240057,
    "sender": _ADDRESS,
    "function": "issueRecognition",
    "args": _TERMS,
    "result": {"recognitionId": 1},
    "events": [
        {
            "event": "RecognitionIssued",
            "blockNumber": 15,
            "logIndex": 0,
            "timestamp": 1767225601,
            "recognitionId": 1,
            "issuer": _ADDRESS,
            "terms": _TERMS,
        }
    ],
    "alreadyMined": False,
}
_REFUSED = problem_doc(
    422,
    "level-above-certifier",
    "Transaction refused",
    f"certifier {_ADDRESS} may grant up to level 2 (provincial); this recognition is level 3 (national)",
    sender=_ADDRESS,
    allowed=2,
    requested=3,
)
_CONFLICT = problem_doc(
    409,
    "registry-refused",
    "The registry refused the call",
    "RegistryInvalidRecognitionStatus: recognition 1 is revoked: this change is not allowed now",
    error="RegistryInvalidRecognitionStatus",
    arguments={"id": 1, "status": 3},
)


@router.post(
    "/transactions",
    summary="Relay an authority's own signed registry transaction",
    description=(
        "Checks a transaction that a certifier or the regulator signed with its own key, then broadcasts it, waits "
        "for its receipt and answers the decoded outcome. Refused before anything is sent (422, `type` naming the "
        "reason): malformed hex or not a signed transaction (`malformed-transaction`), another chain id "
        "(`wrong-chain`), not the registry (`wrong-target`), a function that is not an authority's, e.g. "
        "`anchorRoot` (`function-not-relayed`, `unknown-function`), a sender without the role the call needs now "
        "(`not-authorised`, `level-above-certifier`, `unknown-recognition`), a stale or future nonce "
        "(`nonce-mismatch`), a fee below the base fee, too little gas or ether. A call the registry refuses "
        "answers its decoded custom error (409 for the recognition's state, 422 otherwise). Posting the same signed "
        "transaction again answers its receipt (`alreadyMined`). Anyone may post: the chain authorises the call by "
        f"its signature. Bodies up to {MAX_BODY_BYTES // 1024} KiB; requests are rate-limited per client.\n\n"
        f"Relayed functions:\n{_FUNCTIONS_DOC}"
    ),
    openapi_extra={
        "x-max-body-bytes": MAX_BODY_BYTES,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": RelayRequest.model_json_schema(by_alias=True),
                    "example": {"rawTransaction": "0x02f9015482..."},
                }
            },
        },
    },
    responses=_problems(
        (200, {"description": "Mined", "content": {"application/json": {"example": _RELAY_EXAMPLE}}}),
        (400, problem_doc(400, "malformed-json", "Bad request", "the body is not JSON: Expecting value")),
        (409, _CONFLICT),
        (413, problem_doc(413, "body-too-large", "Request body too large", "the body is over 131072 bytes")),
        (422, _REFUSED),
        (429, problem_doc(429, "too-many-requests", "Too many requests", "at most 60 relay requests per 60 s")),
        (503, problem_doc(503, "chain-unavailable", "The chain cannot be reached", "the node cannot be reached")),
        (
            504,
            problem_doc(
                504, "receipt-timeout", "Sent, but no receipt yet", "look the transaction up later", txHash="0x…"
            ),
        ),
    ),
)
async def post_transaction(request: Request, platform: PlatformDep) -> JSONResponse:
    """Relay a signed authority transaction (see the description)."""
    _limit(request)
    body: RelayRequest = await _json_body(request, RelayRequest)
    try:
        raw = parse_raw(body.raw_transaction)
    except CallRefusedError as exc:
        raise _refused(exc) from None
    result = await run_in_threadpool(_relay, platform, raw)
    return JSONResponse(result.to_json())


@router.post(
    "/transactions/prepare",
    summary="Prepare an authority's registry transaction for offline signing",
    description=(
        "The unsigned transaction of an authority's call (chain id, registry address, the sender's next nonce, a "
        "gas limit from a dry run, EIP-1559 fees, the call data), checked as the relay would check it: sign it "
        "with `supplychain authority sign-tx --prepared FILE` (which shows what the data calls before signing) "
        "and post the result to `POST /registry/transactions`. The platform signs nothing.\n\n" + _ARGS_DOC
    ),
    openapi_extra={
        "x-max-body-bytes": MAX_BODY_BYTES,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": PrepareRequest.model_json_schema(by_alias=True),
                    "example": {"from": _ADDRESS, "function": "issueRecognition", "args": _TERMS},
                }
            },
        },
    },
    responses=_problems(
        (
            200,
            {
                "description": "The unsigned transaction, with the call it makes for the signer to read",
                "content": {
                    "application/json": {
                        "example": {
                            "chainId": 31337,
                            "nonce": 4,
                            "to": _REGISTRY,
                            "value": 0,
                            "gas": 313707,
                            "type": 2,
                            "maxFeePerGas": 1319554102,
                            "maxPriorityFeePerGas": 1000000000,
                            "data": "0x36a4e201…",
                            "from": _ADDRESS,
                            "function": "issueRecognition",
                            "args": _TERMS,
                        }
                    }
                },
            },
        ),
        (400, problem_doc(400, "malformed-json", "Bad request", "the body is not JSON: Expecting value")),
        (409, _CONFLICT),
        (
            422,
            problem_doc(
                422,
                "invalid-arguments",
                "Transaction refused",
                "issueRecognition: argument 'kind': 'green-fatory' is not a recognition kind; expected one of: ...",
                function="issueRecognition",
                argument="kind",
            ),
        ),
        (429, problem_doc(429, "too-many-requests", "Too many requests", "at most 60 relay requests per 60 s")),
    ),
)
async def post_prepare(request: Request, platform: PlatformDep) -> JSONResponse:
    """Prepare an unsigned authority transaction (see the description)."""
    _limit(request)
    body: PrepareRequest = await _json_body(request, PrepareRequest)
    return JSONResponse(await run_in_threadpool(_prepare, platform, body))


_RECOGNITION_EXAMPLE = {
    "id": 1,
    **_TERMS,
    "kindZh": "绿色工厂",
    "issuer": _ADDRESS,
    "issuedAt": 1767225601,
    "status": "active",
    "statusChangedAt": 1780000000,
    "asOf": 1790000000,
    "inForce": True,
    "expired": False,
    "statusHistory": [
        {"timestamp": 1775000000, "status": "suspended", "reason": 1, "reasonName": "spot-check-failed", "by": "0x…"},
        {"timestamp": 1780000000, "status": "active", "reason": 11, "reasonName": "rectified", "by": "0x…"},
    ],
    "spotChecks": {
        "count": 3,
        "consecutivePasses": 0,
        "lastCheckedAt": 1789000000,
        "exemptUntil": 1946680000,
        "exempt": True,
        "records": [{"timestamp": 1789000000, "passed": True, "reportHash": "0x…"}],
        "exemptions": [{"from": 1789000000, "until": 1946680000}],
    },
}


@router.get(
    "/recognitions/{recognition_id}",
    summary="A green recognition as the chain holds it",
    description=(
        "The recognition's terms (holder, kind, level, grade, scope and subject, standard, validity, the SHA-256 of "
        "the evidence document), its issuer, its status now and every status change with its reason and who made "
        "it, whether it is in force now (active and within its validity) or expired, and its spot checks: each "
        "result with the report's hash, the passes in a row, and the exemption that three passes in a row earn "
        "(five years; a failed check ends it). Read from the chain; public."
    ),
    responses=_problems(
        (200, {"description": "The recognition", "content": {"application/json": {"example": _RECOGNITION_EXAMPLE}}}),
        (404, problem_doc(404, "not-found", "Not found", "there is no recognition 99 in the registry at 0x5FbD…")),
        (503, problem_doc(503, "chain-unavailable", "The chain cannot be reached", "the node cannot be reached")),
    ),
)
def get_recognition(
    recognition_id: Annotated[
        int, Path(ge=1, le=UINT256_MAX, description="The recognition's id (1 for the first; at most 2**256 - 1)")
    ],
    platform: PlatformDep,
) -> JSONResponse:
    """A recognition as on chain (see the description)."""
    view = platform.registry
    mirror = view.refresh()
    if recognition_id not in mirror.recognitions:
        mirror = view.refresh(force=True)
    registry = view.registry
    try:
        return JSONResponse(recognition_json(registry, recognition_id, mirror))
    except RegistryNotFoundError:
        raise NotFoundError(
            P_(
                "there is no recognition {recognition} in the registry at {registry}",
                recognition=recognition_id,
                registry=registry.address,
            )
        ) from None
