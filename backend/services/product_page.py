"""The consumer's product page, its facts: what a person sees at a product's GS1 Digital Link, gathered as data.

The page itself (view models, templates, the HTTP responses the resolver sends) is
:mod:`backend.services.product_html`, which imports this module; this one knows nothing of HTML. It puts together,
for the code's product:

* **traceability** (溯源信息): the product and lot (name from its owner's signed master data, else from the ILMD of
  an event by an organisation that could speak for its GTIN then, never from anyone else's; else the GTIN), its
  journey (production → logistics → retail) with places and organisations, its upstream supply tree, and the green
  share of its inputs with each supplier's recognitions as they stood when it supplied;
* **verification** (区块链验证): the product's proof bundle (the same events as ``GET /bundles``) verified with
  :func:`supplychain.verify.verify_bundle` against the registry as mirrored from the chain, summed up in one
  plain-language verdict, with the command that checks it again without trusting the platform;
* **anti-counterfeit hints** (防伪提示), kept apart from the above: whether the platform issued the code, how often
  and from how many networks it was looked up (:class:`ScanStats`), a recalled lot, a never-issued code.

Organisation names come from the registry: an organisation whose on-chain profile URI is a ``data:`` URI of JSON
(``{"name": {"zh-CN": ..., "en": ...}}``) whose keccak256 is its on-chain profile hash is shown by that name;
any other is shown by its id (GLN or unified social credit code). Languages are :data:`supplychain.i18n.Lang`
(``zh-CN``, ``en``) throughout.

Scans: each page served for a code is a scan, stored (after the page is sent) with salted hashes of the client's
network and address block, never its address; a serial looked up from many blocks over several days gets the
copied-code hint (:mod:`backend.services.scans` has the rule). Behind a reverse proxy, run uvicorn with
``--forwarded-allow-ips`` set to the proxy so that the client's address is the one seen.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import unquote, unquote_to_bytes

from fastapi import Request
from sqlalchemy import select
from sqlmodel import Session

from backend.models import IssuedCode, Recall
from backend.services.custody import Summary
from backend.services.damage import Damaged
from backend.services.masterdata import current_products
from backend.services.platform import Platform
from backend.services.qr import CodeKey
from backend.services.queries import EI
from backend.services.scans import (
    ScanStats,
    block_origin_of,
    count_scans,
    network_of,
    origin_of,
    record_scan,
    scan_salt,
    store_scan,
)
from backend.services.tracing import SubgraphLoader, bundle_of
from chain.errors import ChainError
from supplychain.green import GreenShare, InputShare, LapseNotice, green_share, lapse_notices, maker_of, seconds
from supplychain.i18n import DEFAULT_LANG, Lang, parse_lang
from supplychain.masterdata import ProductMasterData
from supplychain.merkle import keccak256
from supplychain.registry import BusinessRole, RegistryMirror, Scope
from supplychain.trace import BackwardTrace, Journey, TraceIndex, identifier_kind, node_id
from supplychain.trace import IdentifierKind as Kind
from supplychain.verify import ProofBundle, Verdict, VerdictStatus, product_gtin, verify_bundle

__all__ = [
    "AnchorDepth",
    "OrgLabel",
    "ProductFacts",
    "RegistryState",
    "ResolvedCode",
    "ScanStats",
    "SignedName",
    "TraceFacts",
    "anchor_depth",
    "block_origin_of",
    "count_scans",
    "ilmd_name",
    "load_trace",
    "network_of",
    "org_label",
    "origin_of",
    "page_lang",
    "product_facts",
    "record_scan",
    "registry_state",
    "scan_salt",
    "store_scan",
]


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


def page_lang(request: Request) -> Lang:
    """The language ``?lang=`` asks for (``zh``, ``zh-CN``, ``en``, ``en-US``...:
    :func:`~supplychain.i18n.parse_lang`), else Chinese: Chinese first, whatever else is asked."""
    return parse_lang(request.query_params.get("lang")) or DEFAULT_LANG


# --- organisations ---


@dataclass(frozen=True, slots=True)
class OrgLabel:
    """How an organisation is shown.

    Attributes:
        org_id: Its id (GLN or unified social credit code).
        names: Its names by language (``zh-CN``, ``en``) from its verified on-chain profile; empty when unknown.
        roles: Its business roles now (none when the registry does not know it).
        registered: Whether the registry knows it.
    """

    org_id: str
    names: Mapping[Lang, str]
    roles: BusinessRole
    registered: bool

    def name(self, lang: Lang) -> str | None:
        """Its name in ``lang`` (else in the other language), or ``None``."""
        return self.names.get(lang) or next(iter(self.names.values()), None)


_PROFILE_CACHE: dict[tuple[str, bytes], dict[Lang, str]] = {}


def _lang_of(tag: object) -> Lang | None:
    """The platform's language of a BCP 47 tag (``zh-Hans-CN``: zh-CN, ``en-AU``: en), ``None`` for others."""
    text = str(tag).lower()
    return "zh-CN" if text.startswith("zh") else "en" if text.startswith("en") else None


def _profile_names(uri: str, digest: bytes) -> dict[Lang, str]:
    """Names from a ``data:`` profile URI whose keccak256 is the on-chain ``digest``; empty otherwise."""
    cached = _PROFILE_CACHE.get((uri, digest))
    if cached is not None:
        return cached
    names: dict[Lang, str] = {}
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
            for tag, value in raw.items():
                lang = _lang_of(tag)
                if lang and isinstance(value, str) and value.strip():
                    names.setdefault(lang, value.strip()[:100])
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


@dataclass(frozen=True, slots=True)
class AnchorDepth:
    """How deep in the chain the product's anchored events are (from its proof bundle's anchors), for the page's
    "anchored, N confirmations" or "final".

    Attributes:
        anchored: The bundle's events that are anchored.
        final: Of them, those past the platform's confirmation depth (the ``confirmations`` setting).
        confirmations: The fewest confirmations among the anchored events not final yet (``None`` when all are
            final, or none says).
    """

    anchored: int
    final: int
    confirmations: int | None

    @property
    def all_final(self) -> bool:
        """Whether every anchored event of the bundle is final (a reorg can no longer move their anchors)."""
        return self.final == self.anchored


def anchor_depth(trace: TraceFacts | None) -> AnchorDepth | None:
    """The depth of the product's anchors, or ``None`` without a bundle or with no event anchored yet."""
    if trace is None or trace.bundle is None:
        return None
    anchors = [e.anchor for e in trace.bundle.events if e.anchor is not None]
    if not anchors:
        return None
    open_ = [a.confirmations for a in anchors if a.final is False and a.confirmations is not None]
    final = sum(1 for a in anchors if a.final is not False)  # said final, or from before depths were counted
    return AnchorDepth(len(anchors), final, min(open_) if open_ else None)


@dataclass(frozen=True)
class ProductFacts:
    """Everything the product page shows, gathered once (see :func:`product_facts`).

    Attributes:
        code: The issued code.
        lang: The page's language.
        now: When the page was made (s).
        trace: The events around the product; ``None`` when none was recorded yet.
        registry: The registry, ``None`` when the chain was never reached.
        verdict: The verification of the proof bundle (``None`` without trace or registry).
        share: The green share of its inputs (``None`` without trace or registry).
        notices: Inputs whose makers' green recognitions are now suspended or revoked.
        inputs: Each input of the share (all levels), by node.
        scans: How the code was looked up.
        orgs: Labels of every organisation shown, by id.
        name: The product's name: its owner's signed master data (:attr:`signed_name`), else the ILMD of an event of
            an organisation that could speak for its GTIN then, else ``None``.
        made_at: When the product was made (its maker's event), if known.
        maker: Its maker (from its events, else the code's issuer).
        lot: Its lot (the code's, else the one its events name).
        facilities: Recognised facilities' GLNs -> their holders (to name places).
        names: Names of the trace's items (their owners' master data, else their owners' ILMD), by node.
        signed_name: The product's name from its owner's signed master data, when it is the name shown.
        damaged: Stored records met that do not read (left out or shown without what is damaged; the page says so).
        anchor_depth: How deep the product's anchored events are: all final, or the fewest confirmations so far
            (``None`` when none is anchored or there is no bundle).
    """

    code: ResolvedCode
    lang: Lang
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
    signed_name: SignedName | None = None
    damaged: tuple[Damaged, ...] = ()
    anchor_depth: AnchorDepth | None = None


_NAME_KEYS = ("productName", "tradeItemDescription", "descriptionShort", "regulatedProductName", "functionalName")


def _text_of(value: Any, lang: Lang) -> str | None:
    """A string, or the best of JSON-LD language values (``{"@value", "@language"}`` or a list of them)."""
    if isinstance(value, str):
        return value.strip() or None
    items = value if isinstance(value, list) else [value]
    found: dict[str, str] = {}
    for item in items:
        if isinstance(item, str) and item.strip():
            found.setdefault("", item.strip())
        elif isinstance(item, dict) and isinstance(item.get("@value"), str) and item["@value"].strip():
            found.setdefault(_lang_of(item.get("@language", "")) or "", item["@value"].strip())
    return found.get(lang) or next(iter(found.values()), None)


def ilmd_name(index: TraceIndex, node: str, lang: Lang, mirror: RegistryMirror | None = None) -> str | None:
    """The item's name as its maker gave it in the ILMD of the event that made it (or made its lot).

    Only an event of an organisation that could speak for the item's GTIN at the event time counts (its owner or its
    owner's delegate, as on chain: :meth:`~supplychain.registry.RegistryMirror.may_speak_for_gtin_at`); without the
    registry (``mirror`` ``None``) no ILMD name is believed. Anyone may post an event naming an item; only its owner
    names it.
    """
    gtin = product_gtin(node)
    if mirror is None or gtin is None:
        return None
    candidates = [node]
    candidates += [e.node for e in index.backward_edges(node) if identifier_kind(e.node) is Kind.LOT]
    for candidate in candidates:
        for origin in index.origins(candidate):
            if not mirror.may_speak_for_gtin_at(gtin, origin.organisation_id, seconds(origin.event_time)):
                continue
            ilmd = getattr(index.events[origin.hash_id].event, "ilmd", None) or {}
            for key, value in ilmd.items():
                local = key.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
                text = _text_of(value, lang) if local in _NAME_KEYS else None
                if text:
                    return text[:120]
    return None


@dataclass(frozen=True, slots=True)
class SignedName:
    """A product's name from its owner's signed master data (:mod:`backend.services.masterdata`).

    Attributes:
        product: What the master data says.
        org_id: Who signed it.
    """

    product: ProductMasterData
    org_id: str


def _signed_names(session: Session, gtins: Iterable[str], now: int) -> dict[str, SignedName]:
    """The current master data of each GTIN, unless it expired by ``now``."""
    found: dict[str, SignedName] = {}
    for gtin, (product, org_id) in current_products(session, gtins).items():
        if product.valid_until is None or now < product.valid_until:
            found[gtin] = SignedName(product, org_id)
    return found


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


def _names(
    session: Session,
    code: ResolvedCode,
    trace: TraceFacts | None,
    *,
    verdict: Verdict | None,
    mirror: RegistryMirror | None,
    lang: Lang,
    now: int,
) -> tuple[SignedName | None, dict[str, str]]:
    """The product's signed name (unless the chain fails it) and the names of its supply tree's items (their
    owners' master data, else their owners' ILMD)."""
    tree = [n.identifier for n in trace.backward.nodes()] if trace is not None else []
    signed = _signed_names(session, {code.key.gtin, *filter(None, map(product_gtin, tree))}, now)
    signed_name = signed.get(code.key.gtin)
    if verdict is not None and verdict.master_data is not None and verdict.master_data.status is VerdictStatus.FAILED:
        signed_name = None  # the chain does not bear it out: not shown
    names: dict[str, str] = {}
    for identifier in tree:
        assert trace is not None  # noqa: S101 - a tree comes from a trace
        owned = signed.get(product_gtin(identifier) or "")
        found = owned.product.name(lang) if owned is not None else ilmd_name(trace.index, identifier, lang, mirror)
        if found:
            names.setdefault(identifier, found)
    return signed_name, names


def product_facts(
    session: Session,
    code: ResolvedCode,
    *,
    registry: RegistryState | None,
    lang: Lang = DEFAULT_LANG,
    now: int | None = None,
    scans: ScanStats | None = None,
) -> ProductFacts:
    """Gather the page's facts: trace, bundle verification, green share and notices, labels (no I/O but the DB).

    Args:
        session: A database session.
        code: The issued code.
        registry: The registry as mirrored from the chain (:func:`registry_state`), ``None`` when unreachable.
        lang: The page's language (for the product's name).
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
        name = ilmd_name(trace.index, node, lang, mirror)
        origin = maker_of(trace.index, node)
        if origin is not None:
            maker, made_at = origin.organisation_id, origin.event_time
        if lot is None:
            lots = [e.node for e in trace.index.backward_edges(node) if identifier_kind(e.node) is Kind.LOT]
            lot = unquote(lots[0].rsplit("/10/", 1)[-1]) if lots else None
    signed_name, names = _names(session, code, trace, verdict=verdict, mirror=mirror, lang=lang, now=now)
    if signed_name is not None:
        name = signed_name.product.name(lang)
    ids = [maker, code.row.org_id, *_org_ids(trace, verdict, notices)]
    if signed_name is not None:
        ids.append(signed_name.org_id)
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
        signed_name=signed_name,
        anchor_depth=anchor_depth(trace),
    )
