"""The consumer's product page: what a person sees at a product's GS1 Digital Link (zh-CN first, ``?lang=en``).

The resolver (:mod:`backend.api.routes.resolver`) hands browsers' requests for an issued code here. The page puts
together, for the code's product:

* **traceability** (溯源信息): the product and lot (name from the maker's signed ILMD when it gives one, else the
  GTIN), its journey (production → logistics → retail) with places and organisations, its upstream supply tree,
  and the green share of its inputs with each supplier's recognitions as they stood when it supplied;
* **verification** (区块链验证): the product's proof bundle (the same events as ``GET /bundles``) verified with
  :func:`supplychain.verify.verify_bundle` against the registry as mirrored from the chain, summed up in one
  plain-language verdict, with the command that checks it again without trusting the platform;
* **anti-counterfeit hints** (防伪提示), kept apart from the above: whether the platform issued the code, how often
  and from how many networks it was looked up (:class:`ScanStats`), a recalled lot, a never-issued code.

Organisation names come from the registry: an organisation whose on-chain profile URI is a ``data:`` URI of JSON
(``{"name": {"zh-CN": ..., "en": ...}}``) whose keccak256 is its on-chain profile hash is shown by that name;
any other is shown by its id (GLN or unified social credit code).

Scans: each page served for a code is a scan, stored (after the page is sent) with a salted hash of the client's
network (its /24 for IPv4, /48 for IPv6; never the address). Repeated views from one network within
:data:`SCAN_REPEAT_MS` count once. A serial looked up more than :data:`SCAN_WARN_SCANS` times, or from more than
:data:`SCAN_WARN_PLACES` networks, gets the cloned-code hint. Behind a reverse proxy, run uvicorn with
``--forwarded-allow-ips`` set to the proxy so that the client's address is the one seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import unquote, unquote_to_bytes

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import distinct, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col
from starlette.background import BackgroundTask

from backend.core.errors import ProblemError
from backend.models import IssuedCode, Recall, Scan, table_of
from backend.services.custody import Summary
from backend.services.platform import Platform, now_ms
from backend.services.qr import CodeKey
from backend.services.queries import EI
from backend.services.tracing import SubgraphLoader, bundle_of
from chain.errors import ChainError
from supplychain.green import GreenShare, InputShare, LapseNotice, green_share, lapse_notices, maker_of
from supplychain.merkle import keccak256
from supplychain.registry import BusinessRole, RegistryMirror, Scope
from supplychain.trace import BackwardTrace, Journey, TraceIndex, identifier_kind, node_id
from supplychain.trace import IdentifierKind as Kind
from supplychain.verify import ProofBundle, Verdict, verify_bundle

__all__ = [
    "CSP_PAGE",
    "SCAN_REPEAT_MS",
    "SCAN_WARN_PLACES",
    "SCAN_WARN_SCANS",
    "OrgLabel",
    "ProductFacts",
    "RegistryState",
    "ResolvedCode",
    "ScanStats",
    "TraceFacts",
    "count_scans",
    "ilmd_name",
    "load_trace",
    "network_of",
    "org_label",
    "origin_of",
    "page_lang",
    "product_facts",
    "product_page_response",
    "record_scan",
    "refusal_page_response",
    "registry_state",
    "scan_salt",
    "store_scan",
]

SCAN_WARN_SCANS = 30
"""A serial looked up more often than this (counted once per network per :data:`SCAN_REPEAT_MS`) gets the hint."""
SCAN_WARN_PLACES = 5
"""A serial looked up from more networks (/24 or /48) than this gets the cloned-code hint."""
SCAN_REPEAT_MS = 10 * 60 * 1000
"""Views of one code from one network within this time are one scan (reloads, the language switch)."""
CSP_PAGE = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
"""The product page runs no script at all."""

log = logging.getLogger(__name__)
_SCAN_DOMAIN = b"supplychain scan origin v1"
_LANGS = {"en": "en", "en-us": "en", "en-gb": "en", "zh": "zh", "zh-cn": "zh", "zh-hans": "zh"}


class ResolvedCode(Protocol):
    """An issued code as the resolver found it (``backend.api.routes.resolver.Resolved`` is one)."""

    @property
    def key(self) -> CodeKey:
        """GTIN, lot and serial as in the link."""

    @property
    def uri(self) -> str:
        """The Digital Link on the platform's domain."""

    @property
    def gs1_uri(self) -> str:
        """The canonical GS1 Digital Link (``https://id.gs1.org/...``): the trace node."""

    @property
    def row(self) -> IssuedCode:
        """The issued code's row."""

    @property
    def recall(self) -> Recall | None:
        """The lot's recall, if it was recalled."""

    @property
    def lot(self) -> str | None:
        """The lot in the link, else the lot the serial was issued under."""


def page_lang(request: Request) -> str:
    """``"en"`` for ``?lang=en`` (also ``en-US``...), else ``"zh"``: Chinese first, whatever else is asked."""
    return _LANGS.get(request.query_params.get("lang", "").strip().lower(), "zh")


# --- scans ---


@dataclass(frozen=True, slots=True)
class ScanStats:
    """How a code has been looked up so far (this view included).

    Attributes:
        scans: Scans counted (one per network per :data:`SCAN_REPEAT_MS`).
        places: Distinct networks.
        first_at: The first scan (ms), ``None`` when none was recorded.
        serial: Whether the code is a serial's (only a serial's scans can hint at a cloned code).
        warn_scans: The hint's threshold of scans (:data:`SCAN_WARN_SCANS`).
        warn_places: The hint's threshold of networks (:data:`SCAN_WARN_PLACES`).
    """

    scans: int
    places: int
    first_at: int | None
    serial: bool
    warn_scans: int = SCAN_WARN_SCANS
    warn_places: int = SCAN_WARN_PLACES

    @property
    def too_many(self) -> bool:
        """Looked up more often than a genuine item is."""
        return self.serial and self.scans > self.warn_scans

    @property
    def too_spread(self) -> bool:
        """Looked up from more networks than a genuine item is."""
        return self.serial and self.places > self.warn_places

    @property
    def suspicious(self) -> bool:
        """Either hint applies: possibly a cloned code."""
        return self.too_many or self.too_spread


def scan_salt(secret: bytes) -> bytes:
    """The salt of the scan origins, derived from a platform secret (its receipt key) so it is never stored."""
    return hmac.new(secret, _SCAN_DOMAIN, hashlib.sha256).digest()


def network_of(host: str | None) -> str:
    """The client's network: ``a.b.c.0/24`` for IPv4 (also IPv4-mapped IPv6), the /48 for IPv6, else the host."""
    try:
        ip = ipaddress.ip_address((host or "").strip())
    except ValueError:
        return "host:" + (host or "")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def origin_of(host: str | None, salt: bytes) -> str:
    """What a scan stores of the client: 16 hex digits of a salted hash of its network (:func:`network_of`)."""
    return hmac.new(salt, network_of(host).encode(), hashlib.sha256).hexdigest()[:16]


def _scan_filter(key: CodeKey, lot: str | None) -> list[Any]:
    if key.serial is not None:  # one item, whichever link form was scanned
        return [col(Scan.gtin) == key.gtin, col(Scan.serial) == key.serial]
    lot_is = col(Scan.lot).is_(None) if lot is None else col(Scan.lot) == lot
    return [col(Scan.gtin) == key.gtin, col(Scan.serial).is_(None), lot_is]


def count_scans(
    session: Session, key: CodeKey, lot: str | None, origin: str, at_ms: int
) -> tuple[ScanStats, dict[str, Any] | None]:
    """The code's scans counting this one, and the row that records it (``None`` when this network scanned the code
    within :data:`SCAN_REPEAT_MS`: it counts once). Reads only: store the row with :func:`store_scan`."""
    where = _scan_filter(key, lot)
    last = session.execute(select(func.max(col(Scan.scanned_at))).where(*where, col(Scan.origin) == origin)).scalar()
    scans, places, first = session.execute(
        select(func.count(), func.count(distinct(col(Scan.origin))), func.min(col(Scan.scanned_at))).where(*where)
    ).one()
    new = last is None or last <= at_ms - SCAN_REPEAT_MS
    stats = ScanStats(
        int(scans) + new,
        int(places) + (last is None),
        at_ms if first is None else min(int(first), at_ms),
        key.serial is not None,
    )
    row = {"gtin": key.gtin, "lot": lot, "serial": key.serial, "scanned_at": at_ms, "origin": origin}
    return stats, row if new else None


def store_scan(session: Session, row: Mapping[str, Any]) -> None:
    """Store a scan row of :func:`count_scans` and commit."""
    session.execute(insert(table_of(Scan)).values(dict(row)))
    session.commit()


def record_scan(session: Session, key: CodeKey, lot: str | None, origin: str, at_ms: int) -> ScanStats:
    """Count and store one scan of a code (:func:`count_scans`, then :func:`store_scan` when it counts)."""
    stats, row = count_scans(session, key, lot, origin, at_ms)
    if row is not None:
        store_scan(session, row)
    return stats


# --- organisations ---


@dataclass(frozen=True, slots=True)
class OrgLabel:
    """How an organisation is shown.

    Attributes:
        org_id: Its id (GLN or unified social credit code).
        names: Its names by language (``zh``, ``en``) from its verified on-chain profile; empty when unknown.
        roles: Its business roles now (none when the registry does not know it).
        registered: Whether the registry knows it.
    """

    org_id: str
    names: Mapping[str, str]
    roles: BusinessRole
    registered: bool

    def name(self, lang: str) -> str | None:
        """Its name in ``lang`` (else in the other language), or ``None``."""
        return self.names.get(lang) or next(iter(self.names.values()), None)


_PROFILE_CACHE: dict[tuple[str, bytes], dict[str, str]] = {}


def _profile_names(uri: str, digest: bytes) -> dict[str, str]:
    """Names from a ``data:`` profile URI whose keccak256 is the on-chain ``digest``; empty otherwise."""
    cached = _PROFILE_CACHE.get((uri, digest))
    if cached is not None:
        return cached
    names: dict[str, str] = {}
    header, sep, payload = uri.partition(",")
    if sep and header.lower().startswith("data:application/json"):
        try:
            data = base64.b64decode(payload, validate=True) if header.endswith(";base64") else unquote_to_bytes(payload)
            doc = json.loads(data) if keccak256(data) == digest else None
        except (ValueError, binascii.Error):
            doc = None
        raw = doc.get("name") if isinstance(doc, dict) else None
        if isinstance(raw, str):
            raw = {"zh-CN": raw}
        if isinstance(raw, dict):
            for lang, value in raw.items():
                short = (
                    "zh" if str(lang).lower().startswith("zh") else "en" if str(lang).lower().startswith("en") else ""
                )
                if short and isinstance(value, str) and value.strip():
                    names.setdefault(short, value.strip()[:100])
    if len(_PROFILE_CACHE) > 10_000:
        _PROFILE_CACHE.clear()
    _PROFILE_CACHE[(uri, digest)] = names
    return names


def org_label(mirror: RegistryMirror | None, org_id: str) -> OrgLabel:
    """The organisation as the registry knows it (see the module docstring for names)."""
    state = mirror.organisations.get(org_id) if mirror is not None else None
    if state is None:
        return OrgLabel(org_id, {}, BusinessRole(0), registered=False)
    return OrgLabel(org_id, _profile_names(state.profile_uri, state.profile_hash), state.roles, registered=True)


# --- the registry and the trace ---


@dataclass(frozen=True, slots=True)
class RegistryState:
    """The registry as mirrored from the chain, where it is, and how old the mirror is (s)."""

    mirror: RegistryMirror
    chain_id: int
    address: str
    age: float


def registry_state(platform: Platform) -> RegistryState | None:
    """The platform's registry mirror (brought up to date when due); ``None`` when the chain was never reached."""
    try:
        view = platform.registry
        mirror = view.refresh(wait=False)
        if view.refreshed_at == 0:
            return None
        deployment = view.deployment
    except ChainError:
        return None
    return RegistryState(mirror, deployment.chain_id, deployment.address, view.age())


@dataclass(frozen=True)
class TraceFacts:
    """The events around a product: its index, backward trace, journey and proof bundle.

    Attributes:
        node: The product's graph node.
        index: The trace index over the loaded events.
        backward: What went into it.
        journey: Its events and its containers' while it was inside, by time.
        bundle: Its proof bundle (the events of ``GET /bundles``), when the registry is known.
        truncated: The event bound cut the walk short.
        summaries: Events naming it (or what it was traced to) left out: outside its chain of custody, or naming too
            many identifiers (:mod:`backend.services.custody`); never parsed, never shown as steps.
    """

    node: str
    index: TraceIndex
    backward: BackwardTrace
    journey: Journey
    bundle: ProofBundle | None
    truncated: bool
    summaries: tuple[Summary, ...] = ()


def load_trace(session: Session, node: str, registry: RegistryState | None) -> TraceFacts | None:
    """The events around ``node``, or ``None`` when no stored event names it.

    The bundle is :func:`backend.services.tracing.bundle_of` (what ``GET /bundles`` answers) from the same loader, so
    the page loads the events once: only those of the product's chain of custody naming few identifiers, whatever
    other organisations posted (:mod:`backend.services.custody`).
    """
    if session.execute(select(EI.c.event_id).where(EI.c.identifier == node).limit(1)).first() is None:
        return None
    loader = SubgraphLoader(session)
    backward = loader.backward(node)
    journey = loader.journey(node)
    bundle = None
    if registry is not None:
        bundle = bundle_of(
            session, loader, node, backward, journey, chain_id=registry.chain_id, registry_address=registry.address
        )
    return TraceFacts(node, loader.index(), backward, journey, bundle, loader.truncated, tuple(loader.summaries()))


# --- the page's facts ---


@dataclass(frozen=True)
class ProductFacts:
    """Everything the product page shows, gathered once (see :func:`product_facts`).

    Attributes:
        code: The issued code.
        lang: ``zh`` or ``en``.
        now: When the page was made (s).
        trace: The events around the product; ``None`` when none was recorded yet.
        registry: The registry, ``None`` when the chain was never reached.
        verdict: The verification of the proof bundle (``None`` without trace or registry).
        share: The green share of its inputs (``None`` without trace or registry).
        notices: Inputs whose makers' green recognitions are now suspended or revoked.
        inputs: Each input of the share (all levels), by node.
        scans: How the code was looked up.
        orgs: Labels of every organisation shown, by id.
        name: The product's name from the maker's ILMD, if any.
        made_at: When the product was made (its maker's event), if known.
        maker: Its maker (from its events, else the code's issuer).
        lot: Its lot (the code's, else the one its events name).
        facilities: Recognised facilities' GLNs -> their holders (to name places).
        names: Names of the trace's items from their makers' ILMD, by node.
    """

    code: ResolvedCode
    lang: str
    now: int
    trace: TraceFacts | None
    registry: RegistryState | None
    verdict: Verdict | None
    share: GreenShare | None
    notices: tuple[LapseNotice, ...]
    inputs: Mapping[str, InputShare]
    scans: ScanStats | None
    orgs: Mapping[str, OrgLabel]
    name: str | None
    made_at: datetime | None
    maker: str
    lot: str | None
    facilities: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)


_NAME_KEYS = ("productName", "tradeItemDescription", "descriptionShort", "regulatedProductName", "functionalName")


def _text_of(value: Any, lang: str) -> str | None:
    """A string, or the best of JSON-LD language values (``{"@value", "@language"}`` or a list of them)."""
    if isinstance(value, str):
        return value.strip() or None
    items = value if isinstance(value, list) else [value]
    found: dict[str, str] = {}
    for item in items:
        if isinstance(item, str) and item.strip():
            found.setdefault("", item.strip())
        elif isinstance(item, dict) and isinstance(item.get("@value"), str) and item["@value"].strip():
            language = str(item.get("@language", "")).lower()
            short = "zh" if language.startswith("zh") else "en" if language.startswith("en") else ""
            found.setdefault(short, item["@value"].strip())
    return found.get(lang) or next(iter(found.values()), None)


def ilmd_name(index: TraceIndex, node: str, lang: str) -> str | None:
    """The item's name as its maker gave it in the ILMD of the event that made it (or made its lot)."""
    candidates = [node]
    candidates += [e.node for e in index.backward_edges(node) if identifier_kind(e.node) is Kind.LOT]
    for candidate in candidates:
        for origin in index.origins(candidate):
            ilmd = getattr(index.events[origin.hash_id].event, "ilmd", None) or {}
            for key, value in ilmd.items():
                local = key.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
                text = _text_of(value, lang) if local in _NAME_KEYS else None
                if text:
                    return text[:120]
    return None


def _shares(share: GreenShare | None) -> dict[str, InputShare]:
    """Every input of the share, all levels down, by node (the first met)."""
    found: dict[str, InputShare] = {}
    pending = [share] if share is not None else []
    while pending:
        current = pending.pop()
        for item in (*current.inputs, *current.incomparable):
            found.setdefault(item.identifier, item)
            if item.rolled_up is not None:
                pending.append(item.rolled_up)
    return found


def _org_ids(trace: TraceFacts | None, verdict: Verdict | None, notices: Iterable[LapseNotice]) -> list[str]:
    ids: list[str] = []
    if trace is not None:
        ids += [s.organisation_id for s in trace.journey.steps]
        ids += [m for n in trace.backward.nodes() for m in n.makers]
    if verdict is not None:
        ids += [e.organisation_id for e in verdict.events if e.organisation_id]
    ids += [n.supplier for n in notices]
    return list(dict.fromkeys(ids))


def product_facts(
    session: Session,
    code: ResolvedCode,
    *,
    registry: RegistryState | None,
    lang: str = "zh",
    now: int | None = None,
    scans: ScanStats | None = None,
) -> ProductFacts:
    """Gather the page's facts: trace, bundle verification, green share and notices, labels (no I/O but the DB).

    Args:
        session: A database session.
        code: The issued code.
        registry: The registry as mirrored from the chain (:func:`registry_state`), ``None`` when unreachable.
        lang: ``zh`` or ``en`` (for the product's name).
        now: The current time (s) for the verification; default: the wall clock.
        scans: The code's scans (:func:`count_scans`), if counted.
    """
    now = int(time.time()) if now is None else now
    node = node_id(code.gs1_uri)
    trace = load_trace(session, node, registry)
    mirror = registry.mirror if registry is not None else None
    verdict = share = None
    notices: tuple[LapseNotice, ...] = ()
    name = made_at = None
    maker = code.row.org_id
    lot = code.lot
    if trace is not None:
        if registry is not None and trace.bundle is not None:
            verdict = verify_bundle(
                trace.bundle,
                registry.mirror,
                chain_id=registry.chain_id,
                registry_address=registry.address,
                now=now,
                requested=code.gs1_uri,
            )
            share = green_share(trace.index, registry.mirror, node)
            notices = lapse_notices(trace.index, registry.mirror, share)
        name = ilmd_name(trace.index, node, lang)
        origin = maker_of(trace.index, node)
        if origin is not None:
            maker, made_at = origin.organisation_id, origin.event_time
        if lot is None:
            lots = [e.node for e in trace.index.backward_edges(node) if identifier_kind(e.node) is Kind.LOT]
            lot = unquote(lots[0].rsplit("/10/", 1)[-1]) if lots else None
    names: dict[str, str] = {}
    if trace is not None:
        for n in trace.backward.nodes():
            found = ilmd_name(trace.index, n.identifier, lang)
            if found:
                names.setdefault(n.identifier, found)
    ids = [maker, code.row.org_id, *_org_ids(trace, verdict, notices)]
    if code.recall is not None and code.recall.org_id != "regulator":
        ids.append(code.recall.org_id)
    orgs = {org_id: org_label(mirror, org_id) for org_id in dict.fromkeys(ids)}
    facilities: dict[str, str] = {}
    if mirror is not None:
        for recognition in mirror.recognitions.values():
            if recognition.terms.scope is Scope.FACILITY:
                facilities.setdefault(recognition.terms.subject, recognition.terms.holder)
        for holder in facilities.values():
            orgs.setdefault(holder, org_label(mirror, holder))
    return ProductFacts(
        code=code,
        lang=lang,
        now=now,
        trace=trace,
        registry=registry,
        verdict=verdict,
        share=share,
        notices=notices,
        inputs=_shares(share),
        scans=scans,
        orgs=orgs,
        name=name,
        made_at=made_at,
        maker=maker,
        lot=lot,
        facilities=facilities,
        names=names,
    )


# --- the responses the resolver sends ---


def _page_headers(headers: Mapping[str, str], lang: str) -> dict[str, str]:
    return {
        **headers,
        "Content-Language": "en" if lang == "en" else "zh-CN",
        "Content-Security-Policy": CSP_PAGE,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def _store_scan_later(platform: Platform, row: Mapping[str, Any]) -> None:
    """Store a scan after the page was sent (a write, and its fsync, are not on the page's path)."""
    try:
        with platform.session() as session:
            store_scan(session, row)
    except SQLAlchemyError:
        log.exception("a scan of GTIN %s could not be stored", row.get("gtin"))


def product_page_response(
    request: Request,
    session: Session,
    platform: Platform,
    code: ResolvedCode,
    headers: Mapping[str, str],
    *,
    status: int = 200,
) -> HTMLResponse:
    """The product page of an issued code (``status`` 410 with the recall banner for a recalled lot); a scan."""
    from backend.services.product_html import render_product_page

    lang = page_lang(request)
    salt = scan_salt(platform.receipt_key.private_bytes())
    origin = origin_of(request.client.host if request.client else None, salt)
    scans, row = count_scans(session, code.key, code.lot, origin, now_ms())
    registry = registry_state(platform)
    now = int(time.time()) + platform.settings.clock_skew_seconds  # the clock tolerance capture allowed
    facts = product_facts(session, code, registry=registry, lang=lang, now=now, scans=scans)
    return HTMLResponse(
        render_product_page(facts),
        status_code=status,
        headers=_page_headers(headers, lang),
        background=BackgroundTask(_store_scan_later, platform, row) if row is not None else None,
    )


def _issuer_of_gtin(session: Session, gtin: str) -> str | None:
    row = session.execute(select(col(IssuedCode.org_id)).where(col(IssuedCode.gtin) == gtin).limit(1)).first()
    return None if row is None else str(row[0])


def refusal_page_response(
    request: Request,
    session: Session,
    platform: Platform,
    *,
    exc: ProblemError,
    code: ResolvedCode | None,
    headers: Mapping[str, str],
) -> HTMLResponse:
    """The page of a refused code: a recalled lot (410) is its product page under the recall banner; a code never
    issued (404) warns of a possible counterfeit and says what to do; anything else says what is wrong."""
    from backend.services.product_html import render_refusal_page

    if exc.status == 410 and code is not None:
        return product_page_response(request, session, platform, code, headers, status=410)
    lang = page_lang(request)
    issuer = None
    uri = exc.extra.get("id")
    if exc.status == 404 and isinstance(uri, str):
        gtin = uri.split("/01/", 1)[-1][:14] if "/01/" in uri else ""
        owner = _issuer_of_gtin(session, gtin) if gtin.isdigit() else None
        if owner is not None:
            registry = registry_state(platform)
            issuer = org_label(registry.mirror if registry is not None else None, owner)
    return HTMLResponse(
        render_refusal_page(exc, lang, issuer=issuer, path=request.url.path),
        status_code=exc.status,
        headers=_page_headers(headers, lang),
    )
