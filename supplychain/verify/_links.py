"""Whether a bundle left an event out: the story links of its identifiers, checked (bundle version 2).

Each anchored event committed, in its own batch, one link per identifier it names (:mod:`supplychain.links`), naming
the identifier's event before it. For each identifier the bundle gives links for, the links must verify (their
Merkle proofs lead to anchored roots, in anchoring order, each in the batch of the event it commits) and chain without
a gap: each names as ``previous`` the link before it, the first names none. A link naming an event the chain does not
show is a dropped event (``event_dropped``); an anchored event of the bundle naming the identifier without a link in
the chain is ``link_missing``; a chain event neither shown in full nor listed by reference is ``event_not_shown``
(incomplete: the platform summarised it without listing it, or dropped its content), unless the link carries its
signer (organisation, key, signature of its Event Hash ID, checked against the chain) and that organisation signed no
event of the bundle's story: another organisation's sighting, summarised as outside custody, which the check counts
(a false signer fails: ``link_invalid``).

What stays unproven, and says so: events after the newest link given (not yet anchored, or anchored and left out
together with their links: only the regulator's audit, which recomputes every link, sees those); events anchored
before the platform committed links (``links_not_covered``); a chain given in part (``omitted``). A version-1
bundle has no links: ``completeness_unproven``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from supplychain.errors import SignatureVerificationError
from supplychain.links import item_identifiers, link_value
from supplychain.merkle import hash_id_to_bytes32, process_proof, standard_leaf_hash
from supplychain.registry import RegistryMirror
from supplychain.signing import decode_signature, verify_signature
from supplychain.trace import TraceIndex, node_id
from supplychain.verify._bundle import BundleEvent, IdentifierLinks, LinkEntry, ProofBundle
from supplychain.verify._verdict import Check

__all__ = ["link_checks"]


def _short(hash_id: str | None) -> str:
    return "the start of the chain" if hash_id is None else hash_id


def _unshown(x: str, link: LinkEntry, mirror: RegistryMirror, story_orgs: set[str], outside: list[str]) -> list[Check]:
    """A linked event the bundle neither shows nor lists: fine when its signer (given with the link, checked against
    the chain) signed no event of the bundle's story (another organisation's sighting, summarised as outside custody:
    counted in ``outside``); else not shown (incomplete), or a false signer (failed)."""
    if link.signer is None:
        detail = f"{x}: {link.hash_id} is anchored in its story, but the bundle neither shows nor lists it"
        return [Check("links", None, detail, "event_not_shown")]
    org, key_id, signature = link.signer
    key = mirror.keys.get(bytes.fromhex(key_id[2:]))
    try:
        verify_signature(bytes.fromhex(key_id[2:]), link.hash_id, decode_signature(signature))
        genuine = key is not None and key.org_id == org
    except SignatureVerificationError:
        genuine = False
    if not genuine:
        detail = f"{x}: the signer given for {link.hash_id} ({org}, key {key_id}) does not verify on chain"
        return [Check("links", False, detail, "link_invalid")]
    if org in story_orgs:
        detail = (
            f"{x}: {link.hash_id}, signed by {org}, an organisation of the product's story, is anchored in its story, "
            "but the bundle neither shows nor lists it"
        )
        return [Check("links", None, detail, "event_not_shown")]
    outside.append(link.hash_id)
    return []


def _chain_checks(
    entry: IdentifierLinks,
    mirror: RegistryMirror,
    shown: Mapping[str, BundleEvent],
    naming: Mapping[str, bool],
    referenced: set[str],
    *,
    story_orgs: set[str],
) -> tuple[list[Check], int | None, list[str]]:
    """The checks of one identifier's chain, the anchor sequence of its first link (``None``: no link verifies), and
    the linked events not shown, signed outside the story."""
    x = entry.identifier
    outside: list[str] = []
    problems: list[Check] = []
    position = {link.hash_id: i for i, link in enumerate(entry.chain)}
    first_sequence: int | None = None
    last_sequence = -1
    for i, link in enumerate(entry.chain):
        previous = None if link.previous is None else hash_id_to_bytes32(link.previous)
        value = link_value(x, previous, hash_id_to_bytes32(link.hash_id))
        reached = process_proof(standard_leaf_hash(value), link.proof)
        anchor = mirror.anchors.get(link.root)
        event = shown.get(link.hash_id)
        where = f"the link of {x} in {link.hash_id}"
        if reached != link.root or anchor is None:
            detail = f"{where} (after {_short(link.previous)}) does not lead to an anchored root"
            problems.append(Check("links", False, detail, "link_invalid"))
            continue
        if event is not None and event.root in mirror.anchors and event.root != link.root:
            detail = f"{where} is in batch 0x{link.root.hex()}, the event in batch 0x{event.root.hex()}"
            problems.append(Check("links", False, detail, "link_invalid"))
        if link.hash_id in naming and not naming[link.hash_id]:
            problems.append(Check("links", False, f"{where}: that event does not name {x}", "link_invalid"))
        if anchor.sequence < last_sequence:
            detail = f"{where} was anchored in batch #{anchor.sequence}, before the link shown before it"
            problems.append(Check("links", False, detail, "link_invalid"))
        last_sequence = max(last_sequence, anchor.sequence)
        if first_sequence is None:
            first_sequence = anchor.sequence
        expected = entry.chain[i - 1].hash_id if i else None
        if (i or not entry.omitted) and link.previous != expected:
            if link.previous is not None and link.previous in position:
                detail = f"{where} names {link.previous} before it: the links are out of order"
                problems.append(Check("links", False, detail, "link_invalid"))
            else:
                detail = (
                    f"{x}: between {_short(expected)} and {link.hash_id} the anchored link names "
                    f"{_short(link.previous)}, which the bundle left out"
                )
                problems.append(Check("links", False, detail, "event_dropped"))
        if link.hash_id not in shown and link.hash_id not in referenced:
            problems += _unshown(x, link, mirror, story_orgs, outside)
    if entry.omitted:
        detail = f"{x}: the {entry.omitted} older link(s) are not given; events before them are not covered"
        problems.append(Check("links", None, detail, "links_not_covered"))
    return problems, first_sequence, outside


def link_checks(
    bundle: ProofBundle,
    mirror: RegistryMirror,
    index: TraceIndex,
    hashes: Sequence[str | None],
) -> list[Check]:
    """The ``links`` checks of a bundle (see the module docstring): ``completeness_unproven`` for version 1; per
    identifier given, ``link_invalid``, ``event_dropped``, ``link_missing`` (failures), ``event_not_shown``,
    ``links_not_covered`` (incomplete); the product must be among the identifiers when an anchored event names it.

    Args:
        bundle: The bundle.
        mirror: The registry replayed from the chain.
        index: The trace index of its readable events.
        hashes: The claimed Event Hash ID of each of its events, in bundle order.
    """
    if bundle.links is None:
        detail = "a version-1 bundle carries no story links: whether an event was left out cannot be proven"
        return [Check("links", None, detail, "completeness_unproven")]
    shown = {h: e for h, e in zip(hashes, bundle.events, strict=True) if h is not None}
    referenced = {r.hash_id for r in bundle.summarised}
    sequences = {h: a.sequence for h, e in shown.items() if e.root is not None and (a := mirror.anchors.get(e.root))}
    checks: list[Check] = []
    given = {entry.identifier for entry in bundle.links}
    product = node_id(bundle.product)
    if product not in given:
        named = [h for h in index.events if h in sequences and product in item_identifiers(index.events[h].event)]
        if named:
            detail = f"the bundle gives no story links of {product}: whether an event of it was left out is not proven"
            checks.append(Check("links", None, detail, "links_not_covered"))
    story_orgs = {t.organisation_id for t in index.events.values()} | {r.organisation_id for r in bundle.summarised
                                                                          if r.reason != "outside_custody"}  # fmt: skip
    for entry in bundle.links:
        naming = {h: entry.identifier in item_identifiers(t.event) for h, t in index.events.items()}
        problems, first, outside = _chain_checks(entry, mirror, shown, naming, referenced, story_orgs=story_orgs)
        chained = {link.hash_id for link in entry.chain}
        for h, names in naming.items():
            if not names or h in chained or h not in sequences:
                continue  # not naming it, linked, or not anchored yet (its link comes with its batch)
            if not entry.omitted and first is not None and sequences[h] >= first:
                detail = f"{h} names {entry.identifier} and is anchored, but no link of the chain commits it"
                problems.append(Check("links", False, detail, "link_missing"))
            else:
                detail = f"{h} names {entry.identifier}, anchored before the chain given starts: not covered"
                problems.append(Check("links", None, detail, "links_not_covered"))
        if problems:
            checks += problems
        elif entry.chain:
            newest = entry.chain[-1].hash_id
            others = (
                f", {len(outside)} of them signed by organisations outside the story and not shown (their content is "
                "not verified)"
                if outside
                else ""
            )
            detail = (
                f"{entry.identifier}: {len(entry.chain)} anchored event(s) chain without a gap up to {newest}{others}; "
                "events anchored after it are not proven by the bundle (the audit checks every link)"
            )
            checks.append(Check("links", True, detail))
        else:
            checks.append(Check("links", True, f"{entry.identifier}: no anchored event names it yet"))
    return checks or [Check("links", True, "no anchored event of the bundle needs a story link")]
