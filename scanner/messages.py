"""The scanner's sentences that stable codes name, in English (the catalogue's ids): the project's one catalogue
(:mod:`supplychain.i18n`) gives their Chinese.

- :data:`REASONS`: a failed or pending check of :mod:`supplychain.verify` (its ``code``), in plain words;
- :data:`ERRORS`: an input that cannot be used (:class:`~scanner.errors.ScannerInputError`'s ``code``);
- :data:`NOTICES`: a warning beside the verdict (:class:`~scanner.errors.Notice`'s ``code``).

The report's other words are written where they are shown (:mod:`scanner.report`), and the domain's (recognition
kinds and levels) come from :mod:`supplychain.vocabulary`. Parameters are ``{name}`` fields, filled after the
translation (:func:`say`); the values (paths, URLs, addresses, details) are never translated.
"""

from __future__ import annotations

from typing import Final

from supplychain.i18n import N_, Lang, translations

__all__ = ["ERRORS", "NOTICES", "REASONS", "say"]

REASONS: Final[dict[str, str]] = {
    "other_chain": N_("the bundle is from another chain"),
    "other_registry": N_("the bundle is from another registry"),
    "other_product": N_("the bundle is about another product than the one scanned"),
    "malformed_envelope": N_("the signed envelope is malformed"),
    "malformed_event": N_("not a valid EPCIS 2.0 event"),
    "hash_mismatch": N_("the event was edited (its recomputed hash differs)"),
    "bad_signature": N_("the signature is not valid"),
    "key_not_registered": N_("the signing key is not registered to this organisation on chain"),
    "key_not_yet_valid": N_("the signing key was not yet valid at the event time"),
    "key_revoked": N_("the signing key was revoked before the event time"),
    "key_compromised": N_(
        "the signing key was revoked as compromised and this signature was anchored only after that (whoever stole"
        " the key could have made it)"
    ),
    "organisation_not_registered": N_("the organisation was not registered at the event time"),
    "organisation_suspended": N_("the organisation was suspended at the event time"),
    "role_not_allowed": N_("the organisation's roles did not allow this business step"),
    "citation_not_in_force": N_(
        "the green recognition the event cites was not its organisation's, or not in force at the event time"
    ),
    "malformed_citation": N_("the event cites a green recognition without naming one"),
    "proof_invalid": N_("the Merkle proof does not lead to its root (a swapped or altered proof)"),
    "root_not_anchored": N_("the Merkle root is not on chain"),
    "anchor_mismatch": N_("the anchor the bundle claims differs from the chain"),
    "event_after_anchor": N_("the event time is after its anchoring"),
    "event_in_future": N_("the event time is in the future"),
    "not_anchored": N_("not anchored yet"),
    "no_events": N_("the bundle holds no event"),
    "product_not_found": N_("no event names the product"),
    "malformed_master_data": N_("the product master data is malformed"),
    "master_data_other_product": N_("the product master data is about another GTIN"),
    "master_data_hash_mismatch": N_("the product master data was altered (its recomputed hash differs)"),
    "not_gtin_owner": N_(
        "the product master data was signed by an organisation that did not own the GTIN (nor make it for its owner)"
        " when it was published"
    ),
    "recognition_not_held": N_(
        "the green design product recognition the master data cites is not the signer's, not this product's, or was"
        " not in force"
    ),
    "published_after_anchor": N_("the product master data's publication time is after its anchoring"),
    "received_before_event": N_("the platform says it received the event before it happened"),
    "received_after_anchor": N_("the platform says it received the event after it was anchored"),
    "duplicate_event": N_("an event is listed more than once"),
    "unrelated_event": N_("an event is not part of this product's story (e.g. a sibling serial's)"),
    "event_before_origin": N_("an event is dated before the item was made (out of order)"),
    "received_not_shipped": N_("a receipt follows no shipment by another organisation (a gap in the custody chain)"),
    "sold_without_receipt": N_("the seller never received the product (a gap in the custody chain)"),
    "origin_missing": N_("no event of the bundle made an item of the story (an upstream event is missing)"),
    "unpacked_never_packed": N_("an item was taken out of a container it was never put in (a packing is missing)"),
    "event_dropped": N_("the anchored story links show an event of this product was left out of the bundle"),
    "link_missing": N_("an anchored event of this product has no story link"),
    "link_invalid": N_("a story link does not hold (bad proof, out of order, or not in its event's batch)"),
    "event_not_shown": N_("the story links name an anchored event the bundle neither shows nor lists"),
    "links_not_covered": N_("some events are not covered by the bundle's story links (e.g. anchored before links)"),
    "completeness_unproven": N_("a version-1 bundle has no story links: that no event was left out is not proven"),
    "registry_not_pinned": N_(
        "the registry address is the bundle's own word, not one you pinned: a forged registry cannot be ruled out"
    ),
}
"""A failed or pending check, by its code (a check without words here is shown by its detail)."""

ERRORS: Final[dict[str, str]] = {
    "no_such_file": N_("no such file: {path}"),
    "unreadable_file": N_("cannot read {path}: {detail}"),
    "not_an_input": N_("{path} is neither a proof bundle (JSON) nor an image (PNG, JPEG)"),
    "not_json": N_("{path} is not valid JSON: {detail}"),
    "not_a_bundle": N_("{where} is not a proof bundle this scanner reads (version 1 or 2): field {field}: {reason}"),
    "not_an_image": N_("cannot read the image {path}: {detail}"),
    "no_qr_code": N_("no QR code found in the image {path}"),
    "several_qr_codes": N_("{count} different QR codes in the image {path}: photograph one"),
    "not_a_digital_link": N_("{where} is not a GS1 Digital Link: {detail}"),
    "not_a_product_code": N_("{uri} is not the Digital Link of a product (GTIN)"),
    "platform_unreachable": N_("cannot reach the platform at {url}: {detail}"),
    "platform_timeout": N_("the platform at {url} did not answer within {seconds} s"),
    "not_issued": N_("{host} says it never issued {uri} (possibly counterfeit): {detail}"),
    "no_bundle": N_("the platform has no proof bundle for this product ({url}): {detail}"),
    "bundle_gone": N_("the platform no longer serves this bundle ({url}, 410): {detail}"),
    "platform_refused": N_("the platform refused {url} (HTTP {status}): {detail}"),
    "platform_not_json": N_("the platform answered {url} with something that is not JSON ({content_type}): {detail}"),
    "bad_rpc": N_("cannot use the node URL {rpc}: {detail}"),
    "node_unreachable": N_("cannot reach the chain node at {rpc}: {detail}"),
    "bad_registry_option": N_("--registry takes 0x and 40 hex digits, not {value}"),
    "no_registry": N_(
        "no contract at {address} on chain {chain_id} ({rpc}): pass --rpc of the chain the bundle was anchored on"
    ),
    "not_the_registry": N_("the contract at {address} on chain {chain_id} ({rpc}) is not this version of the registry"),
    "chain_read_failed": N_("reading the chain at {rpc} failed: {detail}"),
    "bad_trust_file": N_("cannot use the trusted registries file {path}: {detail}"),
    "other_node_chain": N_(
        "the node at {rpc} is on chain {chain_id}, not on the pinned chain {pinned}: pass --rpc of a node of that chain"
    ),
}
"""An input that cannot be used, by its code."""

NOTICES: Final[dict[str, str]] = {
    "registry_from_bundle": N_(
        "the registry address {address} was taken from the bundle itself: pin the address you trust (published by"
        " the regulator) with --registry, SCANNER_REGISTRY or a trusted registries file to rule out a forged registry"
    ),
    "recalled": N_("RECALLED (as the platform says): {detail}"),
    "truncated": N_("the platform truncated the bundle ({url}): upstream events are missing"),
}
"""A warning beside the verdict, by its code."""


def say(lang: Lang, message: str, /, **params: object) -> str:
    """``message`` (an English message of the catalogue) in ``lang``, its ``{name}`` fields filled with ``params``
    after the translation (values are never translated)."""
    return translations(lang).gettext(message).format(**params)
