"""``verify_bundle``: check every event of a proof bundle against the registry as replayed from the chain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from supplychain.epcis import Event, allowed_biz_step, parse_event
from supplychain.errors import EnvelopeFormatError, EpcisError, EventHashError, SignatureVerificationError
from supplychain.eventhash import event_hash_id, hashes_to
from supplychain.green import recognised_at, seconds
from supplychain.gs1 import identifier_node
from supplychain.merkle import hash_id_to_bytes32
from supplychain.registry import ReasonCode, RegistryMirror
from supplychain.registry.speakers import NOT_GTIN_OWNER, created_gtins, speaker_refusal
from supplychain.signing import (
    SignedEnvelope,
    citation_id,
    context_namespaces,
    decode_signature,
    parse_envelope,
    recognition_citation,
    verify_envelope,
    verify_signature,
)
from supplychain.trace import TracedEvent, TraceIndex
from supplychain.verify._bundle import BundleEvent, EventReference, ProofBundle
from supplychain.verify._checks import anchor_claim_checks, key_check
from supplychain.verify._links import link_checks
from supplychain.verify._masterdata import product_gtin, verify_master_data
from supplychain.verify._story import receipt_check, story_checks
from supplychain.verify._verdict import Check, EventVerdict, GreenInfo, RecognitionInfo, ReferenceVerdict, Verdict

__all__ = ["verify_bundle"]


def _organisation_checks(mirror: RegistryMirror, org: str, event: Event, t: int) -> list[Check]:
    state = mirror.organisations.get(org)
    checks: list[Check] = []
    if state is None or t < state.registered_at:
        checks.append(Check("organisation", False, f"{org} was not registered at {t}", "organisation_not_registered"))
    elif not state.active_at(t):
        checks.append(Check("organisation", False, f"{org} was suspended at {t}", "organisation_suspended"))
    else:
        checks.append(Check("organisation", True, f"{org} was registered and active at {t}"))
    roles = mirror.roles_at(org, t).names()
    step = event.biz_step
    allowed = bool(roles) if step is None else allowed_biz_step(roles, step)
    shown = ", ".join(roles) or "no role"
    if allowed:
        checks.append(Check("role", True, f"{shown} may post bizStep {step}"))
    else:
        checks.append(
            Check("role", False, f"{org} held {shown} at {t}: not allowed bizStep {step}", "role_not_allowed")
        )
    return checks


def _citation_check(mirror: RegistryMirror, envelope: SignedEnvelope, event: Event, t: int) -> Check | None:
    found = recognition_citation(event.extensions, context_namespaces(envelope.event.get("@context")))
    if found is None:
        return None
    key, value = found
    cited = citation_id(value)
    if cited is None:
        return Check("citation", False, f"{key} names no recognition: {value!r:.80}", "malformed_citation")
    status = mirror.citation_status(cited, envelope.organisation_id, t)
    if status == "IN_FORCE":
        return Check("citation", True, f"cites recognition {cited}, in force for {envelope.organisation_id} at {t}")
    said = status.lower().replace("_", " ")
    detail = f"cites recognition {cited}, which was {said} for {envelope.organisation_id} at {t}"
    return Check("citation", False, detail, "citation_not_in_force")


def _anchor_checks(
    mirror: RegistryMirror, item: BundleEvent | EventReference, hash_id: str, event: Event | None
) -> list[Check]:
    if item.root is None or item.proof is None or item.anchor is None:
        return [Check("anchor", None, "not anchored yet: the bundle has no proof for it", "not_anchored")]
    checks, anchor = anchor_claim_checks(
        mirror, item.root, item.proof, item.anchor, value=hash_id_to_bytes32(hash_id), label=hash_id
    )
    if anchor is not None and event is not None:
        if event.event_time.timestamp() > anchor.anchored_at:
            detail = f"event time {event.event_time.isoformat()} is after its anchoring at {anchor.anchored_at}"
            checks.append(Check("chronology", False, detail, "event_after_anchor"))
        else:
            checks.append(Check("chronology", True, f"the event precedes its anchoring at {anchor.anchored_at}"))
    return checks


def _green(mirror: RegistryMirror, org: str, t: int, now: int | None) -> GreenInfo:
    infos = tuple(
        RecognitionInfo(
            r.recognition_id,
            r.terms.kind,
            r.terms.level,
            r.terms.grade,
            r.terms.scope,
            r.terms.subject,
            r.terms.standard_ref,
            None if now is None else r.in_force_at(now),
        )
        for r in recognised_at(mirror, org, t)
    )
    return GreenInfo(org, t, infos)


def _compromise_check(mirror: RegistryMirror, key_id: str, item: BundleEvent, t: int | None) -> list[Check]:
    """A key revoked as compromised signs nothing after its revocation, whatever time an event claims: a signature is
    proven to exist only from its anchoring, so an anchor after the revocation fails (``key_compromised``). No check
    when the key was not revoked as compromised, when the event is not anchored (incomplete anyway), or when its own
    time ``t`` is after the revocation already (``key_revoked`` says so)."""
    state = mirror.keys.get(bytes.fromhex(key_id[2:]))
    if state is None or state.revoked_at is None or state.revoke_reason != ReasonCode.KEY_COMPROMISED:
        return []
    if t is not None and t >= state.revoked_at:
        return []
    anchor = None if item.root is None else mirror.anchors.get(item.root)
    if anchor is None:
        return []
    if anchor.anchored_at < state.revoked_at:
        detail = f"anchored at {anchor.anchored_at}, before the key was revoked as compromised ({state.revoked_at})"
        return [Check("compromise", True, detail)]
    detail = (
        f"key {key_id} was revoked as compromised at {state.revoked_at}; this signature is proven to exist only from "
        f"its anchoring at {anchor.anchored_at}, after that: whoever stole the key could have made it, whatever time "
        "the event claims"
    )
    return [Check("compromise", False, detail, "key_compromised")]


def _owner_check(mirror: RegistryMirror, org: str, event: Mapping[str, Any], t: int) -> list[Check]:
    """Who may bring a GTIN's items into being (:mod:`supplychain.registry.speakers`, the rule capture and the audit
    apply): its owner on chain at the event time, or a delegate of its owner (``not_gtin_owner``). No check for an
    event that makes no item, nor when nobody held the GTIN's company prefix then (events stored before prefixes were
    on chain, which the audit does not blame either; capture refuses new ones)."""
    if not created_gtins(event):
        return []
    refusal = speaker_refusal(mirror, org, event, t)
    if refusal is None:
        return [Check("owner", True, f"{org} owned or was delegated every GTIN the event makes, at the event time")]
    if refusal.reason == NOT_GTIN_OWNER:
        return [Check("owner", False, refusal.detail, NOT_GTIN_OWNER)]
    return []


def _verify_event(
    index: int, item: BundleEvent, mirror: RegistryMirror, now: int | None
) -> tuple[EventVerdict, TracedEvent | None]:
    try:
        envelope = parse_envelope(item.envelope)
    except EnvelopeFormatError as exc:
        bad = (Check("envelope", False, str(exc), "malformed_envelope"),)
        return EventVerdict(index, None, None, None, None, bad), None
    checks = [Check("envelope", True, "a version-1 signed envelope")]
    event: Event | None = None
    try:
        event = parse_event(envelope.event)
        checks.append(Check("event", True, f"a valid EPCIS 2.0 {event.type_name}"))
    except EpcisError as exc:
        checks.append(Check("event", False, str(exc)[:500], "malformed_event"))
    try:
        recomputed: str | None = event_hash_id(envelope.event)
        why = f"recomputed {recomputed}"
        if recomputed != envelope.event_hash_id and hashes_to(envelope.event, None, envelope.event_hash_id):
            recomputed, why = envelope.event_hash_id, "under the hashing rules of release 1.9.3 (stored then)"
    except EventHashError as exc:
        recomputed, why = None, str(exc)
    if recomputed == envelope.event_hash_id:
        checks.append(
            Check(
                "event_hash",
                True,
                f"the event hashes to {recomputed}" + ("" if why.startswith("recomputed") else f", {why}"),
            )
        )
    else:
        checks.append(Check("event_hash", False, f"claimed {envelope.event_hash_id}, {why}", "hash_mismatch"))
    try:
        verify_envelope(envelope, bytes.fromhex(envelope.key_id[2:]))
        checks.append(Check("signature", True, f"signed by key {envelope.key_id}"))
    except SignatureVerificationError as exc:
        checks.append(Check("signature", False, str(exc), "bad_signature"))
    green = None
    if event is not None:
        t = seconds(event.event_time)
        checks.append(key_check(mirror, envelope.key_id, envelope.organisation_id, t))
        checks += _organisation_checks(mirror, envelope.organisation_id, event, t)
        checks += _owner_check(mirror, envelope.organisation_id, envelope.event, t)
        citation = _citation_check(mirror, envelope, event, t)
        if citation is not None:
            checks.append(citation)
        if now is not None:
            late = event.event_time.timestamp() > now
            detail = f"event time {event.event_time.isoformat()} {'is after' if late else 'precedes'} now ({now})"
            checks.append(Check("clock", not late, detail, "event_in_future" if late else None))
        green = _green(mirror, envelope.organisation_id, t, now)
    checks += _anchor_checks(mirror, item, envelope.event_hash_id, event)
    checks += _compromise_check(mirror, envelope.key_id, item, None if event is None else seconds(event.event_time))
    if event is not None and item.receipt_time is not None:
        anchored_at = item.anchor.timestamp if item.anchor is not None else None
        checks.append(receipt_check(item.receipt_time, event.event_time, anchored_at))
    verdict = EventVerdict(
        index,
        envelope.event_hash_id,
        envelope.organisation_id,
        None if event is None else event.event_time,
        None if event is None else event.biz_step,
        tuple(checks),
        green,
    )
    traced = None if event is None else TracedEvent(envelope.event_hash_id, envelope.organisation_id, event)
    return verdict, traced


def _verify_reference(index: int, item: EventReference, mirror: RegistryMirror) -> ReferenceVerdict:
    """A summarised event: its signature over the Event Hash ID, its key (at the time the platform gives), its
    anchor. Its content is not in the bundle, so nothing else can be checked."""
    try:
        verify_signature(bytes.fromhex(item.key_id[2:]), item.hash_id, decode_signature(item.signature))
        checks = [Check("signature", True, f"{item.hash_id} signed by key {item.key_id}")]
    except SignatureVerificationError as exc:
        checks = [Check("signature", False, str(exc), "bad_signature")]
    checks.append(key_check(mirror, item.key_id, item.organisation_id, item.event_time))
    checks += _anchor_checks(mirror, item, item.hash_id, None)
    return ReferenceVerdict(
        index,
        item.hash_id,
        item.organisation_id,
        item.reason,
        item.event_type,
        item.event_time,
        item.biz_step,
        item.identifier_count,
        tuple(checks),
    )


def _trust_checks(
    bundle: ProofBundle, chain_id: int, registry_address: str, *, pinned: bool
) -> tuple[list[Check], list[Check]]:
    """The ``chain`` and ``registry`` checks (all of them), and those that failed (the bundle is foreign)."""
    checks: list[Check] = []
    foreign: list[Check] = []
    if bundle.chain_id == chain_id:
        checks.append(Check("chain", True, f"chain {chain_id}"))
    else:
        detail = f"bundle from another chain: chainId {bundle.chain_id}, expected {chain_id}"
        foreign.append(Check("chain", False, detail, "other_chain"))
    if bundle.registry_address.lower() != registry_address.lower():
        detail = f"bundle from another registry: {bundle.registry_address}, expected {registry_address}"
        foreign.append(Check("registry", False, detail, "other_registry"))
    elif pinned:
        checks.append(Check("registry", True, f"registry {registry_address}"))
    else:
        detail = f"registry {registry_address} is the bundle's own word: no registry was pinned"
        checks.append(Check("registry", None, detail, "registry_not_pinned"))
    return checks + foreign, foreign


def verify_bundle(
    bundle: ProofBundle,
    registry: RegistryMirror,
    *,
    chain_id: int,
    registry_address: str,
    now: int | None = None,
    requested: str | None = None,
    registry_pinned: bool = True,
) -> Verdict:
    """Verify every event of ``bundle`` against the registry as replayed from the chain; no I/O.

    Per event, in order (each a :class:`Check` with a stable code when it fails): the envelope's shape
    (``malformed_envelope``); the event is valid EPCIS 2.0 (``malformed_event``); the Event Hash ID recomputed
    from the event equals the claimed one (``hash_mismatch``); the Ed25519 signature over it verifies with the
    envelope's key (``bad_signature``); that key was registered to the organisation (``key_not_registered``)
    and valid at the event time (``key_not_yet_valid``, ``key_revoked``); the organisation was registered
    (``organisation_not_registered``) and not suspended (``organisation_suspended``) then; its roles then
    allowed the bizStep (``role_not_allowed``); a recognition the event cites (``sc:recognition``) was the
    organisation's and in force then (``citation_not_in_force``; ``malformed_citation``); the event is not later
    than ``now`` (``event_in_future``, only when ``now`` is given); the Merkle proof leads from the Event Hash ID to
    the root (``proof_invalid``); the root is anchored in the registry (``root_not_anchored``) with the claimed
    sequence, time, block and transaction (``anchor_mismatch``); the event time is not after the anchoring
    (``event_after_anchor``).
    Checks that depend on a readable event are skipped when it is not; an event without proof gets the
    check ``anchor`` with ``passed=None`` (``not_anchored``): the verdict is then at best ``incomplete``.

    Events the bundle names by reference only (``summarised``: outside the product's chain of custody, or naming
    too many identifiers to be included) get what can be checked without their content: the signature of their
    Event Hash ID (``bad_signature``), the key at the event time the platform gives (``key_not_registered``,
    ``key_not_yet_valid``, ``key_revoked``), and the Merkle proof and anchor (``proof_invalid``,
    ``root_not_anchored``, ``anchor_mismatch``; ``not_anchored`` there leaves the verdict as it is). A failure
    there fails the verdict (the platform served a false reference); what they say happened is not checked.

    A bundle from another chain or registry fails as a whole: every event gets only the failed ``chain`` /
    ``registry`` check (``other_chain``, ``other_registry``), since the registry given says nothing of it.
    A bundle about another product than the one ``requested`` (compared as canonical GS1 Digital Links) fails
    its bundle-level check ``requested`` (``other_product``): a genuine bundle of some other product proves
    nothing about the one scanned.
    Bundle-level checks: ``events`` (``no_events``: incomplete) and ``product`` (no readable event names the
    product: ``product_not_found``, incomplete). Times are compared in seconds (event times rounded down for
    key and role validity, exact against the anchor's block time).

    The bundle's product master data, when it carries some, gets its own checks
    (:func:`~supplychain.verify.verify_master_data`): its envelope, that it is about the product's GTIN, its hash
    and signature, the signer's key, registration and authority over the GTIN at its publication (``not_gtin_owner``),
    a green product recognition it cites, and its Merkle proof and anchor like an event's.

    The story the events tell is then checked as a whole (:func:`supplychain.verify._story.story_checks`): each event
    once (``duplicate_event``), each naming something of the product's story (``unrelated_event``: a sibling's
    event, or a bundle relabelled as a sibling), nothing used before it was created (``event_before_origin``),
    nothing taken out of a container it was never put in (``unpacked_never_packed``); gaps leave the verdict
    incomplete: a receipt of the product with no shipment by another organisation before it
    (``received_not_shipped``), a sale by anyone but its maker with no receipt by the seller
    (``sold_without_receipt``), an item of the trace no event of the bundle created (``origin_missing``). An
    event's ``receiptTime``, when given, must not precede the event time by more than
    :data:`~supplychain.verify._story.RECEIPT_TOLERANCE` (``received_before_event``) nor follow its anchoring by more
    (``received_after_anchor``).

    Then whether an event was left out (:func:`supplychain.verify._links.link_checks`, bundle version 2): the story
    links of each identifier the bundle gives links for (the product at least) must verify against anchored roots,
    each in its event's batch and in anchoring order (``link_invalid``), chain without a gap (``event_dropped``: an
    anchored link names an event before it that the bundle left out) and commit every anchored event of the bundle
    naming the identifier (``link_missing``); a chain event the bundle neither shows nor lists (``event_not_shown``),
    a chain given in part or events anchored before links were committed (``links_not_covered``) leave it incomplete,
    and so does a version-1 bundle (``completeness_unproven``). Events anchored after the newest link given are not
    proven by a bundle: the regulator's audit recomputes every link.

    ``registry_pinned=False`` says the verifier took ``registry_address`` from the bundle itself: the ``registry``
    check is then not made (``registry_not_pinned``) and the verdict is at best ``incomplete``.

    Each event also carries, as information and never as a failure, the recognitions its organisation held in
    force at the event time (``green``), with whether each is still in force at ``now`` when it is given.

    Args:
        bundle: The proof bundle (:meth:`ProofBundle.from_json`).
        registry: The registry replayed from the chain the verifier trusts.
        chain_id: That chain's id.
        registry_address: The registry's address there (compared case-insensitively).
        now: The current time (seconds), for ``event_in_future`` and the current state of recognitions.
        requested: The product the verifier asked about (the scanned Digital Link, an EPC URI), if any.
        registry_pinned: Whether ``registry_address`` came from the verifier's own trust (a flag, a configuration),
            not from the bundle.
    """
    checks, foreign = _trust_checks(bundle, chain_id, registry_address, pinned=registry_pinned)
    if requested is not None:
        checks.append(_requested_check(bundle.product, requested))
    master = None
    if bundle.master_data is not None and not foreign:
        master = verify_master_data(bundle.master_data, registry, gtin=product_gtin(bundle.product), now=now)
    counts = dict(bundle.summarised_counts)
    if foreign:
        references = tuple(
            ReferenceVerdict(
                i, r.hash_id, r.organisation_id, r.reason, r.event_type, r.event_time, r.biz_step,
                r.identifier_count, tuple(foreign),
            )
            for i, r in enumerate(bundle.summarised)
        )  # fmt: skip
    else:
        references = tuple(_verify_reference(i, r, registry) for i, r in enumerate(bundle.summarised))
    if not bundle.events:
        checks.append(Check("events", None, "the bundle holds no event", "no_events"))
        return Verdict(bundle.product, chain_id, registry_address, tuple(checks), (), master, references, counts)
    checks.append(Check("events", True, f"{len(bundle.events)} event(s)"))
    if foreign:
        verdicts = tuple(
            EventVerdict(i, _claimed_hash(e), None, None, None, tuple(foreign)) for i, e in enumerate(bundle.events)
        )
        return Verdict(bundle.product, chain_id, registry_address, tuple(checks), verdicts, None, references, counts)
    results = [_verify_event(i, e, registry, now) for i, e in enumerate(bundle.events)]
    traced = [t for _, t in results if t is not None]
    index = TraceIndex.build(traced)
    if bundle.product in index:
        checks.append(Check("product", True, f"the events name {bundle.product}"))
    else:
        detail = f"no readable event of the bundle names {bundle.product}"
        checks.append(Check("product", None, detail, "product_not_found"))
    events = tuple(v for v, _ in results)
    hashes = [v.hash_id for v in events]
    checks += story_checks(bundle, hashes, index)
    checks += link_checks(bundle, registry, index, hashes)
    return Verdict(bundle.product, chain_id, registry_address, tuple(checks), events, master, references, counts)


def _requested_check(product: str, requested: str) -> Check:
    wanted = identifier_node(requested)
    if identifier_node(product) == wanted:
        return Check("requested", True, f"the bundle is about {wanted}")
    return Check("requested", False, f"the bundle is about {product}, not about {wanted}", "other_product")


def _claimed_hash(item: BundleEvent) -> str | None:
    value = item.envelope.get("eventHashId")
    return value if isinstance(value, str) else None
